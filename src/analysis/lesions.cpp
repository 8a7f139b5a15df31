// Lesion labels (binary, label, probability input; nearest-neighbour resampling through the
// affines), per-lesion statistics against a perilesional NAWM reference, and the rim analysis.
// Definitions and references in qsmtk/analysis/lesions.h.
#include "sorted_statistics.h"
#include "qsmtk/analysis/lesions.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "qsmtk/mask/morphology.h"

namespace qsmtk {

// ---- labels ----

const char* to_string(LesionInputKind kind) {
  switch (kind) {
    case LesionInputKind::automatic: return "automatic";
    case LesionInputKind::binary: return "binary";
    case LesionInputKind::labels: return "labels";
    case LesionInputKind::probability: return "probability";
  }
  return "?";
}

LesionInputKind lesion_input_kind_from_string(const std::string& name) {
  if (name == "auto") return LesionInputKind::automatic;
  if (name == "binary") return LesionInputKind::binary;
  if (name == "labels") return LesionInputKind::labels;
  if (name == "probability") return LesionInputKind::probability;
  throw std::invalid_argument("unknown lesion image kind '" + name + "' (auto, binary, labels, probability)");
}

LesionInputKind detect_lesion_kind(const Volume& v) {
  bool binary = true, integer = true;
  float max = 0;
  for (int64_t q = 0; q < v.voxels(); ++q) {
    const float x = v[q];
    if (!std::isfinite(x)) throw std::invalid_argument("lesion image: non-finite value at voxel " + std::to_string(q));
    if (x != 0.0f && x != 1.0f) binary = false;
    if (x != std::round(x)) integer = false;
    max = std::max(max, x);
  }
  if (binary) return LesionInputKind::binary;
  if (integer && max > 1) return LesionInputKind::labels;
  return LesionInputKind::probability;
}

LabelImage lesion_labels_from_mask(const Mask& mask, int connectivity, double min_size_mm3) {
  if (connectivity != 6 && connectivity != 18 && connectivity != 26)
    throw std::invalid_argument("lesion connectivity must be 6, 18 or 26, not " + std::to_string(connectivity));
  int32_t n = 0;
  std::vector<int64_t> sizes;
  LabelImage cc = connected_components(mask, connectivity, &n, &sizes);
  const Vec3& h = mask.grid().voxel_size;
  const double voxel_mm3 = h[0] * h[1] * h[2];
  // Components come by decreasing size: keep a prefix, so the kept ids stay 1..m.
  int32_t keep = 0;
  while (keep < n && double(sizes[keep]) * voxel_mm3 >= min_size_mm3 * (1 - 1e-9)) ++keep;
  if (keep < n)
    for (int32_t& l : cc)
      if (l > keep) l = 0;
  return cc;
}

Mask threshold_probability(const Volume& p, double threshold) {
  Mask m(p.grid());
  for (int64_t q = 0; q < p.voxels(); ++q) m[q] = p[q] >= threshold ? 1 : 0;  // NaN -> 0
  return m;
}

LabelImage lesion_labels(const Volume& v, const LesionLabelOptions& o) {
  const LesionInputKind kind = o.kind == LesionInputKind::automatic ? detect_lesion_kind(v) : o.kind;
  switch (kind) {
    case LesionInputKind::binary: {
      Mask m(v.grid());
      for (int64_t q = 0; q < v.voxels(); ++q) m[q] = v[q] > 0 ? 1 : 0;
      return lesion_labels_from_mask(m, o.connectivity, o.min_size_mm3);
    }
    case LesionInputKind::labels: {
      LabelImage l(v.grid());
      for (int64_t q = 0; q < v.voxels(); ++q) {
        const float x = v[q];
        if (!std::isfinite(x) || x < 0 || x != std::round(x) || x > 2147483647.0f)
          throw std::invalid_argument("lesion label image: voxel " + std::to_string(q) +
                                      " is not a non-negative integer label (" + std::to_string(x) + ")");
        l[q] = int32_t(x);
      }
      return l;
    }
    case LesionInputKind::probability:
      return lesion_labels_from_mask(threshold_probability(v, o.probability_threshold), o.connectivity,
                                     o.min_size_mm3);
    case LesionInputKind::automatic: break;
  }
  throw std::logic_error("lesion_labels: unhandled kind");
}

namespace {

using detail::percentile_sorted;

}  // namespace

namespace {

/// One lesion's neighbourhood, cropped from the full grid: signed distance from its edge and
/// distance from every other lesion (both in mm, half-voxel convention of lesions.h).
struct LocalLesion {
  int64_t lo[3] = {0, 0, 0}, n[3] = {0, 0, 0};  // crop origin and size in the full grid
  double half_voxel_mm = 0;
  Mask inside;     // this lesion
  Volume r;        // signed distance from the edge, negative inside
  Volume r_other;  // distance from the edge of any other lesion (negative inside one)
  bool outside_usable(int64_t q, const LesionAnalysisOptions& o) const {
    return !inside[q] && r_other[q] >= o.other_lesion_margin_mm - 1e-4;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return percentile_sorted(v, 0.5);
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

LocalLesion make_local(const LabelImage& labels, int32_t id, const int64_t lo[3], const int64_t hi[3],
                       double margin_mm) {
  LocalLesion L;
  const Vec3& h = labels.grid().voxel_size;
  L.half_voxel_mm = 0.5 * std::min({h[0], h[1], h[2]});
  for (int a = 0; a < 3; ++a) {
    const int64_t pad = int64_t(std::ceil(margin_mm / h[a])) + 1;
    L.lo[a] = std::max<int64_t>(0, lo[a] - pad);
    const int64_t top = std::min<int64_t>(labels.dims()[a] - 1, hi[a] + pad);
    L.n[a] = top - L.lo[a] + 1;
  }
  Grid g;
  g.dims = {L.n[0], L.n[1], L.n[2]};
  g.voxel_size = h;
  Mask own(g), not_own(g), not_other(g);
  for (int64_t k = 0; k < L.n[2]; ++k)
    for (int64_t j = 0; j < L.n[1]; ++j)
      for (int64_t i = 0; i < L.n[0]; ++i) {
        const int32_t l = labels(L.lo[0] + i, L.lo[1] + j, L.lo[2] + k);
        const int64_t q = own.index(i, j, k);
        own[q] = l == id;
        not_own[q] = l != id;
        not_other[q] = l == 0 || l == id;
      }
  const Volume d_in = distance_to_outside_sq(own, false);       // lesion voxels: to the nearest outside
  const Volume d_out = distance_to_outside_sq(not_own, false);  // outside: to the nearest lesion voxel
  const Volume d_other = distance_to_outside_sq(not_other, false);
  L.inside = own;
  L.r = Volume(g);
  L.r_other = Volume(g);
  for (int64_t q = 0; q < g.voxels(); ++q) {
    L.r[q] = own[q] ? -(std::sqrt(d_in[q]) - float(L.half_voxel_mm)) : std::sqrt(d_out[q]) - float(L.half_voxel_mm);
    L.r_other[q] = not_other[q] ? std::sqrt(d_other[q]) - float(L.half_voxel_mm) : -float(L.half_voxel_mm);
  }
  return L;
}

/// Radial profile, edge/core means, per-slice angular coverage and the PRL flag.
void analyse_rim(const Volume& chi, const LocalLesion& L, const LesionAnalysisOptions& o, const Mask* brain,
                 LesionStats& s) {
  const Dims ln{L.n[0], L.n[1], L.n[2]};
  const Vec3& h = chi.grid().voxel_size;
  auto global = [&](int64_t i, int64_t j, int64_t k) { return chi.index(L.lo[0] + i, L.lo[1] + j, L.lo[2] + k); };
  // Voxels the rim analysis may look at: the lesion, and usable outside voxels in the brain.
  auto usable = [&](int64_t q, int64_t g) {
    if (L.inside[q]) return true;
    return L.outside_usable(q, o) && (!brain || (*brain)[g]) && std::isfinite(chi[g]);
  };

  // Edge band and core.
  double r_min = 0;
  std::vector<double> edge, core;
  for (int64_t q = 0; q < L.inside.voxels(); ++q)
    if (L.inside[q]) r_min = std::min(r_min, double(L.r[q]));
  std::vector<double> deepest;
  for (int64_t k = 0; k < ln[2]; ++k)
    for (int64_t j = 0; j < ln[1]; ++j)
      for (int64_t i = 0; i < ln[0]; ++i) {
        const int64_t q = L.inside.index(i, j, k);
        if (!L.inside[q]) continue;
        const double x = 1000.0 * chi[global(i, j, k)];
        (L.r[q] >= -o.rim_inner_mm - 1e-4 ? edge : core).push_back(x);
        if (L.r[q] <= r_min + 1e-4) deepest.push_back(x);
      }
  s.edge_chi_ppb = mean(edge);
  // A lesion too small for a core beyond the rim band: its deepest voxels stand in.
  s.core_chi_ppb = core.empty() ? mean(deepest) : mean(core);
  s.rim_score_ppb = core.empty() ? NAN : s.edge_chi_ppb - s.core_chi_ppb;

  // Radial profile from the deepest voxel to +profile_outer_mm.
  const double w = o.profile_band_mm;
  const double start = std::floor(r_min / w) * w;
  const int bands = std::max(1, int(std::ceil((o.profile_outer_mm - start) / w - 1e-9)));
  std::vector<double> band_sum(bands, 0.0);
  std::vector<int64_t> band_n(bands, 0);
  for (int64_t k = 0; k < ln[2]; ++k)
    for (int64_t j = 0; j < ln[1]; ++j)
      for (int64_t i = 0; i < ln[0]; ++i) {
        const int64_t q = L.inside.index(i, j, k), g = global(i, j, k);
        const double r = L.r[q];
        if (r > o.profile_outer_mm + 1e-4 || !usable(q, g)) continue;
        const int b = std::min(bands - 1, int(std::floor((r - start) / w)));
        band_sum[b] += 1000.0 * chi[g];
        ++band_n[b];
      }
  for (int b = 0; b < bands; ++b)
    s.profile.push_back({start + b * w, start + (b + 1) * w, band_n[b],
                         band_n[b] ? band_sum[b] / double(band_n[b]) : NAN});

  // Angular coverage per slice (Absinta 2016/2019 reading rule, automated as sectors).
  const double rim_level = std::max(s.reference_chi_ppb + o.threshold_ppb,
                                    o.core_contrast_ppb >= 0 ? s.core_chi_ppb + o.core_contrast_ppb : -INFINITY);
  int64_t k_first = -1, k_last = -1;
  int run = 0;
  for (int64_t k = 0; k < ln[2]; ++k) {
    double ci = 0, cj = 0;
    int64_t count = 0;
    for (int64_t j = 0; j < ln[1]; ++j)
      for (int64_t i = 0; i < ln[0]; ++i)
        if (L.inside[L.inside.index(i, j, k)]) ci += double(i), cj += double(j), ++count;
    if (count == 0) {
      run = 0;
      continue;
    }
    if (k_first < 0) k_first = k;
    k_last = k;
    ci /= double(count);
    cj /= double(count);
    // Per sector, the band just inside the edge and the band just outside it are tested apart
    // (the rim may lie on either side of a FLAIR-drawn edge, and mixing them lets the larger
    // band's voxels decide the median): the sector's level is the larger of the two medians.
    std::vector<std::vector<double>> inner(o.sectors), outer(o.sectors);
    for (int64_t j = 0; j < ln[1]; ++j)
      for (int64_t i = 0; i < ln[0]; ++i) {
        const int64_t q = L.inside.index(i, j, k), g = global(i, j, k);
        const double r = L.r[q];
        if (r < -o.rim_inner_mm - 1e-4 || r > o.rim_outer_mm + 1e-4 || !usable(q, g)) continue;
        const double dx = (double(i) - ci) * h[0], dy = (double(j) - cj) * h[1];
        if (dx == 0 && dy == 0) continue;
        double phi = std::atan2(dy, dx);
        if (phi < 0) phi += 2 * M_PI;
        const int sec = std::min(o.sectors - 1, int(phi / (2 * M_PI) * o.sectors));
        (L.inside[q] ? inner : outer)[sec].push_back(1000.0 * chi[g]);
      }
    SliceRim sr;
    sr.slice = L.lo[2] + k;
    for (int sec = 0; sec < o.sectors; ++sec) {
      if (inner[sec].empty() && outer[sec].empty()) continue;
      ++sr.sectors_with_data;
      const double a = inner[sec].empty() ? -INFINITY : median(std::move(inner[sec]));
      const double b = outer[sec].empty() ? -INFINITY : median(std::move(outer[sec]));
      if (std::max(a, b) > rim_level) ++sr.rim_sectors;
    }
    const bool evaluated = sr.sectors_with_data >= o.min_sectors && std::isfinite(s.reference_chi_ppb);
    sr.coverage = evaluated ? double(sr.rim_sectors) / double(sr.sectors_with_data) : NAN;
    const bool rim = evaluated && sr.coverage >= o.min_coverage - 1e-9;
    s.rim_slices += rim ? 1 : 0;
    run = rim ? run + 1 : 0;
    s.max_consecutive_rim_slices = std::max(s.max_consecutive_rim_slices, run);
    s.slices.push_back(sr);
  }
  s.prl = s.max_consecutive_rim_slices >= o.min_consecutive_slices;

  // Reported coverage: mean over the middle third of the slice range.
  const int64_t extent = k_last - k_first + 1, third = extent / 3;
  const int64_t mid_lo = L.lo[2] + k_first + third, mid_hi = L.lo[2] + k_last - third;
  double sum = 0, best = NAN;
  int used = 0;
  for (const SliceRim& sr : s.slices) {
    if (std::isnan(sr.coverage)) continue;
    best = std::isnan(best) ? sr.coverage : std::max(best, sr.coverage);
    if (sr.slice >= mid_lo && sr.slice <= mid_hi) sum += sr.coverage, ++used;
  }
  s.rim_coverage = used ? sum / used : best;
}

}  // namespace

LesionAnalysis analyse_lesions(const Volume& chi, const LabelImage& labels, const LesionAnalysisOptions& o,
                               const Mask* brain, const Mask* wm, const Volume* r2star) {
  require_same_space(chi.grid(), labels.grid(), "chi map and lesion labels");
  if (brain) require_same_space(chi.grid(), brain->grid(), "chi map and brain mask");
  if (wm) require_same_space(chi.grid(), wm->grid(), "chi map and white matter mask");
  if (r2star) require_same_space(chi.grid(), r2star->grid(), "chi map and R2* map");
  if (!(o.shell_inner_mm >= 0 && o.shell_outer_mm > o.shell_inner_mm))
    throw std::invalid_argument("lesion analysis: the NAWM shell needs 0 <= inner < outer");
  if (o.sectors < 4 || o.min_sectors < 1 || o.min_sectors > o.sectors || o.min_consecutive_slices < 1 ||
      !(o.profile_band_mm > 0) || !(o.rim_inner_mm > 0) || !(o.rim_outer_mm >= 0))
    throw std::invalid_argument("lesion analysis: invalid rim options");

  // Bounding boxes, counts and centroids in one pass.
  struct Box {
    int64_t lo[3] = {INT64_MAX, INT64_MAX, INT64_MAX}, hi[3] = {-1, -1, -1};
    int64_t voxels = 0;
    double sum[3] = {0, 0, 0};
  };
  std::map<int32_t, Box> boxes;
  const Dims& n = chi.dims();
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int32_t l = labels(i, j, k);
        if (l == 0) continue;
        if (l < 0) throw std::invalid_argument("lesion labels: negative label " + std::to_string(l));
        const float x = chi(i, j, k);
        if (!std::isfinite(x))
          throw std::invalid_argument("chi map: non-finite value inside lesion " + std::to_string(l) + " at voxel (" +
                                      std::to_string(i) + "," + std::to_string(j) + "," + std::to_string(k) + ")");
        Box& b = boxes[l];
        const int64_t p[3] = {i, j, k};
        for (int a = 0; a < 3; ++a) {
          b.lo[a] = std::min(b.lo[a], p[a]);
          b.hi[a] = std::max(b.hi[a], p[a]);
          b.sum[a] += double(p[a]);
        }
        ++b.voxels;
      }

  LesionAnalysis result;
  if (boxes.empty()) return result;

  const Vec3& h = chi.grid().voxel_size;
  const double voxel_mm3 = h[0] * h[1] * h[2];
  const Mat4 affine = chi.grid().affine();
  const double margin_mm =
      std::max({o.shell_outer_mm, o.profile_outer_mm, o.rim_outer_mm, o.other_lesion_margin_mm}) + 1.0;

  // Whole white matter minus lesions (and the margin around them): the fallback reference.
  double wm_global = NAN;
  int64_t wm_global_voxels = 0;
  auto global_wm = [&]() {
    if (wm_global_voxels > 0 || !wm) return;
    Mask not_lesion(labels.grid());
    for (int64_t q = 0; q < labels.voxels(); ++q) not_lesion[q] = labels[q] == 0;
    const Volume d = distance_to_outside_sq(not_lesion, false);
    const float half = float(0.5 * std::min({h[0], h[1], h[2]}));
    std::vector<double> v;
    for (int64_t q = 0; q < chi.voxels(); ++q)
      if ((*wm)[q] && labels[q] == 0 && (!brain || (*brain)[q]) && std::isfinite(chi[q]) &&
          std::sqrt(d[q]) - half >= o.other_lesion_margin_mm - 1e-4)
        v.push_back(1000.0 * chi[q]);
    wm_global_voxels = int64_t(v.size());
    wm_global = median(std::move(v));
  };

  for (const auto& [id, b] : boxes) {
    LesionStats s;
    s.id = id;
    s.voxels = b.voxels;
    s.volume_mm3 = double(b.voxels) * voxel_mm3;
    s.centroid_world_mm = affine.apply({b.sum[0] / double(b.voxels), b.sum[1] / double(b.voxels), b.sum[2] / double(b.voxels)});

    const LocalLesion L = make_local(labels, id, b.lo, b.hi, margin_mm);
    const Dims ln{L.n[0], L.n[1], L.n[2]};
    std::vector<double> values, shell, wm_shell;
    double r2_sum = 0;
    for (int64_t k = 0; k < ln[2]; ++k)
      for (int64_t j = 0; j < ln[1]; ++j)
        for (int64_t i = 0; i < ln[0]; ++i) {
          const int64_t q = L.inside.index(i, j, k);
          const int64_t gi = L.lo[0] + i, gj = L.lo[1] + j, gk = L.lo[2] + k;
          const int64_t g = chi.index(gi, gj, gk);
          if (L.inside[q]) {
            values.push_back(1000.0 * chi[g]);
            if (r2star) r2_sum += (*r2star)[g];
            continue;
          }
          const double r = L.r[q];
          if (r < o.shell_inner_mm - 1e-4 || r > o.shell_outer_mm + 1e-4) continue;
          if (!L.outside_usable(q, o) || (brain && !(*brain)[g]) || !std::isfinite(chi[g])) continue;
          shell.push_back(1000.0 * chi[g]);
          if (wm && (*wm)[g]) wm_shell.push_back(1000.0 * chi[g]);
        }

    s.mean_chi_ppb = mean(values);
    double ss = 0;
    for (double x : values) ss += (x - s.mean_chi_ppb) * (x - s.mean_chi_ppb);
    s.sd_chi_ppb = values.size() > 1 ? std::sqrt(ss / double(values.size() - 1)) : 0.0;
    std::sort(values.begin(), values.end());
    s.median_chi_ppb = percentile_sorted(values, 0.5);
    s.p10_chi_ppb = percentile_sorted(values, 0.1);
    s.p90_chi_ppb = percentile_sorted(values, 0.9);
    s.mean_r2star = r2star ? r2_sum / double(b.voxels) : NAN;

    // NAWM: the median is robust to a vein or a deep grey matter edge in the shell.
    if (wm) {
      if (int64_t(wm_shell.size()) >= o.min_reference_voxels) {
        s.reference = "wm_shell";
        s.reference_voxels = int64_t(wm_shell.size());
        s.reference_chi_ppb = median(std::move(wm_shell));
      } else {
        global_wm();
        s.reference = wm_global_voxels > 0 ? "wm_global" : "none";
        s.reference_voxels = wm_global_voxels;
        s.reference_chi_ppb = wm_global;
      }
    } else {
      s.reference = shell.empty() ? "none" : "shell";
      s.reference_voxels = int64_t(shell.size());
      s.reference_chi_ppb = median(std::move(shell));
    }
    s.delta_chi_ppb = s.mean_chi_ppb - s.reference_chi_ppb;

    analyse_rim(chi, L, o, brain, s);
    result.lesions.push_back(std::move(s));
  }
  for (const LesionStats& s : result.lesions) result.prl_count += s.prl ? 1 : 0;
  result.prl_at_least_1 = result.prl_count >= 1;
  result.prl_at_least_4 = result.prl_count >= 4;
  return result;
}

}  // namespace qsmtk
