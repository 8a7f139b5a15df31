// Geometry and tissue values of the built-in head phantom. Deep grey matter susceptibilities
// follow the ranges collected in shared/MS_NOTES.md (relative to CSF); the split into para- and
// diamagnetic parts and R2 values are plausible choices that give literature-like R2* at 3 T
// (WM ~24/s, GM ~17/s, globus pallidus ~46/s) through R2* = R2 + Dr (para - dia).
#include "head_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/physics.h"
#include "qsmtk/random.h"

namespace qsmtk::sim {
namespace {

// ---- signed distance primitives (negative inside, ~mm) ----

double ellipsoid_sdf(const Vec3& q, const Vec3& a) {
  // Bound of Quilez: k0 (k0 - 1) / k1, exact on the surface, good near it.
  const Vec3 qa{q[0] / a[0], q[1] / a[1], q[2] / a[2]};
  const Vec3 qaa{qa[0] / a[0], qa[1] / a[1], qa[2] / a[2]};
  const double k0 = norm(qa), k1 = norm(qaa);
  if (k1 < 1e-12) return -std::min({a[0], a[1], a[2]});
  return k0 * (k0 - 1.0) / k1;
}

std::function<double(const Vec3&)> ellipsoid(Vec3 c, Vec3 a, Mat3 rot = Mat3::identity()) {
  const Mat3 rt = rot.transposed();
  return [=](const Vec3& p) { return ellipsoid_sdf(rt * (p - c), a); };
}

/// Cortical folding pattern on the unit sphere of directions, in [-1, 1].
double folds(const Vec3& u) {
  return 0.5 * (std::sin(23 * u[0] + 1.7 * std::sin(9 * u[1])) * std::sin(19 * u[1] + 0.8) +
                std::sin(21 * u[2] + 2.1 * std::sin(7 * u[0])) * std::sin(17 * u[0] + 0.3 * u[1] + 1.1));
}

/// An ellipsoid whose surface is pushed out by `amp` * folds(direction) mm.
std::function<double(const Vec3&)> folded_ellipsoid(Vec3 c, Vec3 a, double amp) {
  return [=](const Vec3& p) {
    const Vec3 q = p - c;
    const Vec3 qa{q[0] / a[0], q[1] / a[1], q[2] / a[2]};
    const double r = norm(qa);
    const double f = r > 1e-9 ? folds((1.0 / r) * qa) : 0.0;
    return ellipsoid_sdf(q, a) - amp * f;
  };
}

double segment_distance(const Vec3& p, const Vec3& a, const Vec3& b, double& t) {
  const Vec3 ab = b - a;
  t = std::clamp(dot(p - a, ab) / dot(ab, ab), 0.0, 1.0);
  return norm(p - (a + t * ab));
}

/// A tube along a polyline with radius varying linearly from r0 to r1.
std::function<double(const Vec3&)> tube(std::vector<Vec3> pts, double r0, double r1) {
  return [=](const Vec3& p) {
    double best = 1e30;
    const size_t n = pts.size() - 1;
    for (size_t s = 0; s < n; ++s) {
      double t;
      const double d = segment_distance(p, pts[s], pts[s + 1], t);
      const double r = r0 + (r1 - r0) * (double(s) + t) / double(n);
      best = std::min(best, d - r);
    }
    return best;
  };
}

void bounds_of(const std::vector<Vec3>& pts, double margin, Vec3& lo, Vec3& hi) {
  lo = {1e30, 1e30, 1e30};
  hi = {-1e30, -1e30, -1e30};
  for (const Vec3& p : pts)
    for (int d = 0; d < 3; ++d) lo[d] = std::min(lo[d], p[d] - margin), hi[d] = std::max(hi[d], p[d] + margin);
}

// ---- tissue table ----

struct TissueTable {
  double dr;  // Hz/ppm: R2' = dr * (para - dia)
  explicit TissueTable(double b0) : dr(137.0 * b0 / 3.0) {}
  Props tissue(double para, double dia, double m0, double r2) const {
    return {para, dia, m0, r2 + dr * (para - dia)};
  }
  Props csf() const { return tissue(0, 0, 1.0, 5); }
  Props gm() const { return tissue(0.020, -0.010, 0.82, 14); }
  Props wm() const { return tissue(0.015, -0.045, 0.70, 16); }
  Props vein() const { return tissue(0.420, -0.020, 0.85, 12); }
  Props calcification() const { return tissue(0.0, -0.600, 0.30, 40); }
  Props scalp() const { return {0, 0, 0.90, 30}; }
  Props soft() const { return {0, 0, 0.85, 30}; }
  Props bone() const { return {0, -2.0, 0.05, 500}; }
  Props air() const { return {kAirChiPpm, 0, 0, 0}; }
};

struct Nucleus {
  const char* name;
  Vec3 centre_right;  // centre of the right-hand one; the left one mirrors x
  Vec3 semi;
  double angle_deg;   // rotation about z (mirrored for the left)
  double para, dia;
};

// Orbito-frontal floor of the cranial cavity: z = -22 + 0.35 (y - 40); positive below/in front.
const Vec3 kFloorPoint{0, 40, -22};
const Vec3 kFloorNormal = normalized(Vec3{0, 0.35, -1});
double floor_sdf(const Vec3& p) { return dot(kFloorNormal, p - kFloorPoint); }

}  // namespace

bool in_brain(Region r) {
  switch (r) {
    case Region::gm: case Region::wm: case Region::csf_inner: case Region::deep_gm: case Region::vein_internal:
    case Region::lesion: case Region::calcification:
      return true;
    default:
      return false;
  }
}

HeadModel::HeadModel(double b0_tesla, uint64_t seed, int lesion_count, const FollowUpChanges& follow_up)
    : b0_(b0_tesla) {
  if (!follow_up.head_motion.is_identity()) {
    moved_ = true;
    rotation_ = follow_up.head_motion.rotation();
    head_from_scanner_ = rotation_.transposed();
    translation_ = follow_up.head_motion.translation_mm;
  }
  const TissueTable t(b0_tesla);
  auto constant = [](Props p) { return [p](const Vec3&) { return p; }; };
  auto box = [](Vec3 c, Vec3 a) { return std::pair<Vec3, Vec3>{c - a, c + a}; };
  auto add_shape = [&](std::string name, Region region, std::function<double(const Vec3&)> sdf,
                       std::pair<Vec3, Vec3> bb, Props props, double texture = 0, int32_t label = 0) {
    Structure s;
    s.name = std::move(name);
    s.region = region;
    s.label = label;
    s.sdf = std::move(sdf);
    s.lo = bb.first;
    s.hi = bb.second;
    s.props = constant(props);
    s.texture_ppm = texture;
    add(std::move(s));
  };

  // Head, skull and skull base.
  const Vec3 head_a{76, 96, 74}, skull_a{71, 91, 69}, inner_a{65, 85, 63};
  add_shape("scalp", Region::scalp, ellipsoid({0, 0, 0}, head_a), box({0, 0, 0}, head_a), t.scalp());
  add_shape("skull", Region::bone, ellipsoid({0, 0, 0}, skull_a), box({0, 0, 0}, skull_a), t.bone());
  {
    auto outer = ellipsoid({0, 0, 0}, skull_a);
    add_shape("skull base soft tissue", Region::soft_tissue,
              [outer](const Vec3& p) { return std::max(outer(p), -(floor_sdf(p) - 3.0)); }, box({0, 0, 0}, skull_a),
              t.soft());
    add_shape("orbital roof", Region::bone,
              [outer](const Vec3& p) { return std::max(outer(p), std::fabs(floor_sdf(p) - 1.5) - 1.5); },
              box({0, 0, 0}, skull_a), t.bone());
    auto inner = ellipsoid({0, 0, 0}, inner_a);
    add_shape("intracranial CSF", Region::csf_outer, [inner](const Vec3& p) { return std::max(inner(p), floor_sdf(p)); },
              box({0, 0, 0}, inner_a), t.csf());
  }
  add_shape("frontal sinus", Region::sinus_air, ellipsoid({0, 80, -20}, {15, 6, 10}), box({0, 80, -20}, {15, 6, 10}),
            t.air());
  add_shape("sphenoid sinus", Region::sinus_air, ellipsoid({0, 18, -46}, {11, 10, 9}),
            box({0, 18, -46}, {11, 10, 9}), t.air());
  for (double sx : {-1.0, 1.0})
    add_shape(sx < 0 ? "left mastoid air" : "right mastoid air", Region::sinus_air,
              ellipsoid({sx * 55, -12, -40}, {7, 9, 6}), box({sx * 55, -12, -40}, {7, 9, 6}), t.air());

  // Brain: folded cortex over folded white matter, cut by the cranial floor.
  const Vec3 brain_c{0, -1, 2}, pial_a{61, 81, 57}, wm_a{57, 77, 53};
  {
    auto pial = folded_ellipsoid(brain_c, pial_a, 2.0);
    add_shape("cortex", Region::gm, [pial](const Vec3& p) { return std::max(pial(p), floor_sdf(p) + 2.0); },
              box(brain_c, pial_a + Vec3{3, 3, 3}), t.gm(), 0.003);
    auto white = folded_ellipsoid(brain_c, wm_a, 3.5);
    add_shape("white matter", Region::wm, [white](const Vec3& p) { return std::max(white(p), floor_sdf(p) + 5.0); },
              box(brain_c, wm_a + Vec3{4, 4, 4}), t.wm(), 0.002);
  }
  {
    auto brain = ellipsoid(brain_c, pial_a);
    add_shape("interhemispheric fissure", Region::csf_inner,
              [brain](const Vec3& p) { return std::max({std::fabs(p[0]) - 1.2, 24.0 - p[2], brain(p)}); },
              {{-2, -82, 22}, {2, 80, 62}}, t.csf());
  }
  // Ventricles: lateral bodies, atria/occipital horns, third and fourth.
  for (double sx : {-1.0, 1.0}) {
    add_shape("lateral ventricle", Region::csf_inner, ellipsoid({sx * 10, 2, 14}, {4.5, 22, 6}),
              box({sx * 10, 2, 14}, {4.5, 22, 6}), t.csf());
    add_shape("ventricular atrium", Region::csf_inner, ellipsoid({sx * 17, -22, 8}, {5, 10, 7}),
              box({sx * 17, -22, 8}, {5, 10, 7}), t.csf());
  }
  add_shape("third ventricle", Region::csf_inner, ellipsoid({0, -10, 0}, {1.5, 12, 8}), box({0, -10, 0}, {1.5, 12, 8}),
            t.csf());
  add_shape("fourth ventricle", Region::csf_inner, ellipsoid({0, -42, -32}, {4, 3, 5}), box({0, -42, -32}, {4, 3, 5}),
            t.csf());

  // Deep grey matter nuclei, left (x < 0) then right, labels 1..14.
  const Nucleus nuclei[] = {
      {"Caudate", {16, 14, 10}, {4, 9, 7}, 0, 0.075, -0.015},
      {"Putamen", {25, 4, 0}, {5, 14, 9}, 0, 0.080, -0.015},
      {"GlobusPallidus", {19, 0, -2}, {3.5, 8, 5}, 0, 0.200, -0.020},
      {"Thalamus", {10, -16, 4}, {8, 13, 8}, 0, 0.040, -0.030},
      {"SubstantiaNigra", {10, -17, -16}, {3, 7, 3.5}, -25, 0.180, -0.020},
      {"RedNucleus", {4.5, -20, -12}, {3.5, 4, 3.5}, 0, 0.145, -0.025},
      {"Dentate", {14, -50, -30}, {6, 8, 4.5}, 20, 0.125, -0.025},
  };
  int32_t label = 0;
  for (const Nucleus& n : nuclei)
    for (double sx : {-1.0, 1.0}) {
      const Vec3 c{sx * n.centre_right[0], n.centre_right[1], n.centre_right[2]};
      const Mat3 rot = Mat3::rotation({0, 0, 1}, sx * n.angle_deg * M_PI / 180);
      const double r = std::max({n.semi[0], n.semi[1], n.semi[2]});
      const std::string name = std::string(sx < 0 ? "Left-" : "Right-") + n.name;
      deep_grey_names_.push_back(name);
      add_shape(name, Region::deep_gm, ellipsoid(c, n.semi, rot), box(c, {r, r, r}), t.tissue(n.para, n.dia, 0.74, 15),
                0.004, ++label);
    }

  // Veins: dural sinuses (outside the brain mask) and internal, cortical and medullary veins.
  auto add_tube = [&](std::string name, Region region, std::vector<Vec3> pts, double r0, double r1) {
    Vec3 lo, hi;
    bounds_of(pts, std::max(r0, r1) + 1, lo, hi);
    add_shape(std::move(name), region, tube(pts, r0, r1), {lo, hi}, t.vein());
  };
  {
    std::vector<Vec3> sss;
    for (int s = 0; s <= 24; ++s) {
      const double a = (15.0 + (200.0 - 15.0) * s / 24.0) * M_PI / 180;
      sss.push_back({0, 82 * std::cos(a), 60 * std::sin(a)});
    }
    add_tube("superior sagittal sinus", Region::vein_dural, sss, 2.0, 4.0);
  }
  for (double sx : {-1.0, 1.0})
    add_tube("transverse sinus", Region::vein_dural, {{0, -78, -20}, {sx * 40, -68, -28}, {sx * 56, -45, -34}}, 3.0, 2.5);
  add_tube("straight sinus", Region::vein_internal, {{0, -32, 14}, {0, -76, -16}}, 2.2, 2.6);
  for (double sx : {-1.0, 1.0}) {
    add_tube("internal cerebral vein", Region::vein_internal, {{sx * 2.5, 4, 16}, {sx * 2.5, -30, 12}}, 1.2, 1.2);
    add_tube("medullary vein", Region::vein_internal, {{sx * 20, 10, 22}, {sx * 32, 14, 34}}, 0.7, 0.7);
    add_tube("medullary vein", Region::vein_internal, {{sx * 18, -20, 20}, {sx * 30, -26, 32}}, 0.7, 0.7);
  }
  add_tube("vein along x", Region::vein_internal, {{-48, -35, 28}, {-18, -35, 28}}, 1.3, 1.3);
  add_tube("vein along y", Region::vein_internal, {{36, -40, 32}, {36, 15, 32}}, 1.3, 1.3);
  add_tube("vein along z", Region::vein_internal, {{-32, 12, 2}, {-32, 12, 38}}, 1.3, 1.3);
  add_tube("oblique vein", Region::vein_internal, {{18, 28, 12}, {40, 48, 34}}, 1.0, 1.0);

  place_lesions(seed, lesion_count, follow_up);

  add_shape("pineal calcification", Region::calcification, ellipsoid({0, -30, 4}, {2.5, 2.5, 2.5}),
            box({0, -30, 4}, {2.5, 2.5, 2.5}), t.calcification());
}

void HeadModel::place_lesions(uint64_t seed, int count, const FollowUpChanges& follow_up) {
  const TissueTable t(b0_);
  const Props wm = t.wm();
  // Lesion kinds in a fixed cycle, so every seed has the same mix (16: 6 PRL, 3 partial rims,
  // 5 homogeneous, 2 hypo-diamagnetic).
  static const char* kCycle[16] = {"prl", "homogeneous", "partial_rim", "prl", "hypodiamagnetic", "homogeneous",
                                   "prl", "partial_rim", "homogeneous", "prl", "hypodiamagnetic", "homogeneous",
                                   "prl", "partial_rim", "homogeneous", "prl"};
  size_t wm_index = 0;
  for (size_t s = 0; s < structures_.size(); ++s)
    if (structures_[s].region == Region::wm) wm_index = s;
  Rng rng(splitmix64(seed) ^ 0x4c45534953ull);
  int prl_seen = 0;
  for (int n = 0; n < count; ++n) {
    const std::string type = kCycle[n % 16];
    const bool rimmed = type == "prl" || type == "partial_rim";
    const double radius = rimmed ? rng.uniform(3.5, 6.0) : rng.uniform(2.0, 5.0);
    Vec3 c{};
    bool placed = false;
    for (int attempt = 0; attempt < 20000 && !placed; ++attempt) {
      if (attempt % 2 == 0) {  // periventricular, where MS lesions gather
        const double sx = rng.uniform() < 0.5 ? -1 : 1;
        c = {sx * rng.uniform(14, 30), rng.uniform(-30, 28), rng.uniform(8, 30)};
      } else {
        c = {rng.uniform(-45, 45), rng.uniform(-60, 50), rng.uniform(-20, 45)};
      }
      if (structures_[wm_index].sdf(c) > -(radius + 2.5)) continue;
      placed = true;
      for (size_t s = wm_index + 1; s < structures_.size() && placed; ++s)
        placed = structures_[s].sdf(c) > radius + (structures_[s].region == Region::lesion ? 4.0 : 2.5);
    }
    if (!placed) throw std::runtime_error("phantom: no room for lesion " + std::to_string(n + 1));

    Lesion l;
    l.index = n + 1;
    char name[32];
    std::snprintf(name, sizeof name, "lesion%02d", n + 1);
    l.name = name;
    l.type = type;
    l.centre_mm = c;
    l.radius_mm = radius;
    l.wm_chi_ppm = wm.chi();
    Props core = wm, rim = wm;
    core.m0 = rim.m0 = 0.78;
    if (type == "homogeneous") {
      core.para += rng.uniform(0.015, 0.030);
    } else if (type == "hypodiamagnetic") {
      core.para -= 0.003;
      core.dia += rng.uniform(0.010, 0.020);
    } else {  // rimmed: demyelinated, iron-poor core; iron-laden rim 30-60 ppb above WM
      core.para -= 0.003;
      core.dia += rng.uniform(0.008, 0.015);
      rim.para += rng.uniform(0.030, 0.060);
      l.rim_coverage = type == "partial_rim" ? 0.5 : (prl_seen++ % 2 == 0 ? 1.0 : 0.75);
      l.rim_start_rad = rng.uniform(0, 2 * M_PI);
      l.prl = l.rim_coverage >= 2.0 / 3.0;
    }
    // Follow-up changes come after every draw, so the random stream (and every other lesion)
    // is that of the seed.
    if (const auto it = follow_up.lesion_change_ppb.find(l.index); it != follow_up.lesion_change_ppb.end()) {
      core.para += it->second / 1000;
      rim.para += it->second / 1000;
    }
    if (std::find(follow_up.lesions_rim_lost.begin(), follow_up.lesions_rim_lost.end(), l.index) !=
        follow_up.lesions_rim_lost.end()) {
      if (!rimmed)
        throw std::invalid_argument("lesion " + std::to_string(l.index) + " (" + type + ") has no iron rim to lose");
      l.type = "rim_lost";
      l.rim_coverage = 0;
      l.prl = false;
      rim = core;
    }
    core.r2star = 16 + t.dr * (core.para - core.dia);
    rim.r2star = 16 + t.dr * (rim.para - rim.dia);
    l.core_chi_ppm = core.chi();
    l.rim_chi_ppm = rimmed ? rim.chi() : NAN;
    lesions_.push_back(l);

    Structure s;
    s.name = l.name;
    s.region = Region::lesion;
    s.label = l.index;
    s.sdf = [c, radius](const Vec3& p) { return norm(p - c) - radius; };
    s.lo = c - Vec3{radius + 1, radius + 1, radius + 1};
    s.hi = c + Vec3{radius + 1, radius + 1, radius + 1};
    const double coverage = l.rim_coverage, start = l.rim_start_rad;
    s.props = [=](const Vec3& p) {
      if (coverage <= 0) return core;
      const Vec3 d = p - c;
      if (norm(d) < radius - 1.0) return core;  // rim: the outer 1 mm shell
      double phi = std::atan2(d[1], d[0]) - start;  // azimuth in the slice plane
      phi -= 2 * M_PI * std::floor(phi / (2 * M_PI));
      return phi < 2 * M_PI * coverage ? rim : core;
    };
    add(std::move(s));
  }
}

const Structure* HeadModel::structure_at(const Vec3& scanner_point) const {
  const Vec3 p = to_head(scanner_point);
  for (auto it = structures_.rbegin(); it != structures_.rend(); ++it) {
    const Structure& s = *it;
    if (p[0] < s.lo[0] || p[1] < s.lo[1] || p[2] < s.lo[2] || p[0] > s.hi[0] || p[1] > s.hi[1] || p[2] > s.hi[2])
      continue;
    if (s.sdf(p) < 0) return &s;
  }
  return nullptr;
}

void HeadModel::scanner_bounds(const Structure& s, Vec3& lo, Vec3& hi) const {
  if (!moved_) {
    lo = s.lo;
    hi = s.hi;
    return;
  }
  std::vector<Vec3> corners;
  for (int c = 0; c < 8; ++c)
    corners.push_back(to_scanner({(c & 1) ? s.hi[0] : s.lo[0], (c & 2) ? s.hi[1] : s.lo[1], (c & 4) ? s.hi[2] : s.lo[2]}));
  bounds_of(corners, 0.0, lo, hi);
}

Props HeadModel::air() const { return TissueTable(b0_).air(); }
double HeadModel::wm_chi_ppm() const { return TissueTable(b0_).wm().chi(); }

}  // namespace qsmtk::sim
