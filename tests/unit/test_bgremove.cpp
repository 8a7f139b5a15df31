// Background field removal: fields of sources outside the mask go, fields of sources inside
// stay; on an oblique grid with anisotropic voxels; and each method's accuracy on the phantom.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/metrics.h"
#include "qsmtk/sim/phantom.h"
#include "sim/forward_model.h"

using namespace qsmtk;

namespace {

// An adult-sized head (brain semi-axes 65 x 80 x 55 mm) on an oblique grid, 1.25x1.25x2 mm.
const Vec3 kVoxel{1.25, 1.25, 2.0};
const Dims kDims{144, 168, 80};
const Grid kGrid = Grid::centred(kDims, kVoxel, Mat3::rotation({1, 0, 0}, 0.35) * Mat3::rotation({0, 1, 0}, 0.2));

Vec3 pos(int64_t i, int64_t j, int64_t k) {
  return {(i - (kDims[0] - 1) / 2.0) * kVoxel[0], (j - (kDims[1] - 1) / 2.0) * kVoxel[1],
          (k - (kDims[2] - 1) / 2.0) * kVoxel[2]};
}

double ellipsoid_radius(const Vec3& p) {  // 1 on the brain's surface
  return std::sqrt(p[0] * p[0] / (65.0 * 65) + p[1] * p[1] / (80.0 * 80) + p[2] * p[2] / (55.0 * 55));
}

Mask brain() {
  Mask m(kGrid);
  for (int64_t k = 0; k < kDims[2]; ++k)
    for (int64_t j = 0; j < kDims[1]; ++j)
      for (int64_t i = 0; i < kDims[0]; ++i) m(i, j, k) = ellipsoid_radius(pos(i, j, k)) < 1;
  return m;
}

/// Physical field (same unit as chi) of a chi distribution given as a function of position (mm):
/// sampled 2x finer and averaged down, with the simulator's forward model (at native resolution
/// the sampled continuous kernel is not harmonic outside the sources when B0 is oblique).
Volume field_of(const std::function<float(const Vec3&)>& chi_at) {
  const Dims& n = kGrid.dims;
  const Dims nf{2 * n[0], 2 * n[1], 2 * n[2]};
  const Vec3 hf = 0.5 * kVoxel;
  Volume fine(Grid{nf});
  for (int64_t k = 0; k < nf[2]; ++k)
    for (int64_t j = 0; j < nf[1]; ++j)
      for (int64_t i = 0; i < nf[0]; ++i)
        fine(i, j, k) = chi_at({(i - (nf[0] - 1) / 2.0) * hf[0], (j - (nf[1] - 1) / 2.0) * hf[1], (k - (nf[2] - 1) / 2.0) * hf[2]});
  const Volume f = sim::fine_field_ppm(fine, 0.0, hf, b0_direction(kGrid), sim::FieldOptions{});
  Volume out = sim::block_mean(f, 2, kGrid);
  return out;
}

double rms(const Volume& v, const Mask& m) {
  double s = 0, s2 = 0;
  int64_t n = 0;
  for (int64_t q = 0; q < m.size(); ++q)
    if (m[q]) s += v[q], ++n;
  for (int64_t q = 0; q < m.size(); ++q)
    if (m[q]) s2 += (v[q] - s / double(n)) * (v[q] - s / double(n));
  return std::sqrt(s2 / double(n));
}

const BackgroundMethod kMethods[] = {BackgroundMethod::sharp, BackgroundMethod::vsharp, BackgroundMethod::resharp,
                                     BackgroundMethod::pdf,   BackgroundMethod::lbv,    BackgroundMethod::ismv};

}  // namespace

TEST(BackgroundRemoval, ExternalSourcesAreRemoved) {
  log::set_level(log::Level::quiet);
  const Mask m = brain();
  // Air-like spheres 18-20 mm from the brain and a bony shell 4-9 mm off it (several ppm).
  const Volume bg = field_of([](const Vec3& p) {
    if (norm(p - Vec3{0, 75, -60}) < 10 || norm(p - Vec3{-80, -10, -40}) < 7) return 9.4f;  // sinus, mastoid
    const double e = ellipsoid_radius(p);
    return (e > 1.07 && e < 1.15) ? -2.0f : 0.0f;  // skull
  });
  for (BackgroundMethod method : kMethods) {
    const LocalField lf = remove_background(method, bg, m, b0_direction(kGrid));
    Mask valid(kGrid);
    for (int64_t q = 0; q < m.size(); ++q) valid[q] = lf.mask[q] && m[q];
    const double residual = rms(lf.field, valid) / rms(bg, valid);
    RecordProperty(to_string(method) + "_residual_pct", std::to_string(100 * residual));
    EXPECT_LT(residual, 0.03) << to_string(method);
    EXPECT_GT(count(valid), count(m) / 2) << to_string(method);
  }
}

TEST(BackgroundRemoval, InternalSourcesAreKept) {
  log::set_level(log::Level::quiet);
  const Mask m = brain();
  // Sources well inside the mask: a nucleus-like sphere (6 mm), a lesion (5 mm), a 40 mm vein.
  const Volume local = field_of([](const Vec3& p) {
    if (norm(p - Vec3{-10, 5, 4}) < 6) return 0.15f;
    if (norm(p - Vec3{12, -8, -3}) < 5) return 0.10f;
    if (std::hypot(p[0] - 2, p[2] - 8) < 1.5 && std::fabs(p[1]) < 20) return 0.4f;
    return 0.0f;
  });
  for (BackgroundMethod method : kMethods) {
    const LocalField lf = remove_background(method, local, m, b0_direction(kGrid));
    Mask valid(kGrid);
    for (int64_t q = 0; q < m.size(); ++q) valid[q] = lf.mask[q] && m[q];
    const double err = nrmse_percent(local, lf.field, valid);
    RecordProperty(to_string(method) + "_kept_error_pct", std::to_string(err));
    EXPECT_LT(err, 10.0) << to_string(method);
  }
}

TEST(BackgroundRemoval, PhantomBackgroundAndAccuracyPerMethod) {
  // The small phantom (2 mm, oblique): its true background (air, sinus, skull, dural sinuses)
  // is removed below 3%, and the local field from the true total field is within bounds taken
  // from docs/accuracy.md (with margin), so a regression shows.
  log::set_level(log::Level::quiet);
  SimulationOptions o;
  o.acquisition = simulation_case("oblique", "small");
  o.noise = false;
  const Simulation s = simulate_phantom(o);
  Volume bg = s.total_field_hz;
  for (int64_t q = 0; q < bg.size(); ++q) bg[q] -= s.local_field_hz[q];
  const Mask common = erode(s.brain_mask, 6.0);
  const std::map<BackgroundMethod, double> bound{
      {BackgroundMethod::sharp, 16},   {BackgroundMethod::vsharp, 50}, {BackgroundMethod::resharp, 20},
      {BackgroundMethod::pdf, 25},     {BackgroundMethod::lbv, 85},    {BackgroundMethod::ismv, 55}};
  for (BackgroundMethod method : kMethods) {
    const LocalField only_bg = remove_background(method, bg, s.brain_mask, s.b0_direction);
    Mask valid(only_bg.mask.grid());
    for (int64_t q = 0; q < valid.size(); ++q) valid[q] = only_bg.mask[q] && s.brain_mask[q];
    const double residual = rms(only_bg.field, valid) / rms(bg, valid);
    EXPECT_LT(residual, 0.03) << to_string(method);
    const LocalField lf = remove_background(method, s.total_field_hz, s.brain_mask, s.b0_direction);
    Mask both(common.grid());
    for (int64_t q = 0; q < both.size(); ++q) both[q] = common[q] && lf.mask[q];
    const double err = nrmse_percent(s.local_field_hz, lf.field, both);
    RecordProperty(to_string(method) + "_phantom_nrmse_pct", std::to_string(err));
    EXPECT_LT(err, bound.at(method)) << to_string(method);
  }
}

TEST(BackgroundRemoval, MasksAndOptions) {
  log::set_level(log::Level::quiet);
  const Mask m = brain();
  Volume f(kGrid, 1, 0.0f);
  // SMV methods erode by their radius (plus the partial voxels of the ball's edge), PDF keeps
  // the mask, LBV drops the one-voxel boundary.
  const LocalField s = sharp(f, m, SharpOptions{6.0, 0.05});
  EXPECT_LE(count(s.mask), count(erode(m, 6.0)));
  EXPECT_GE(count(s.mask), count(erode(m, 7.0)));
  EXPECT_EQ(count(pdf(f, m, b0_direction(kGrid)).mask), count(m));
  EXPECT_LT(count(lbv(f, m).mask), count(m));
  EXPECT_GT(count(lbv(f, m).mask), count(erode(m, 2.5)));
  EXPECT_THROW(parse_background_method("harmonic"), std::invalid_argument);
  EXPECT_EQ(to_string(parse_background_method("vsharp")), "vsharp");
  EXPECT_THROW(sharp(f, Mask(kGrid)), std::invalid_argument);  // empty mask
  EXPECT_THROW(sharp(f, m, SharpOptions{-1, 0.05}), std::invalid_argument);
}
