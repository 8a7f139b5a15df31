// Automatic QC checks and summary numbers of a scan report (see report/report.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "analysis/sorted_statistics.h"
#include "qsmtk/report/report.h"
#include "report/figures.h"

namespace qsmtk {
using report::brain_chi_ppb;

namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

}  // namespace


std::vector<std::string> qc_warnings(const ScanReport& r) {
  std::vector<std::string> w;
  if (r.chi.empty()) return w;
  const Grid& g = r.chi.grid();
  const Dims& n = g.dims;
  if (!r.brain_mask.empty()) {
    int64_t edge = 0, inside = 0;
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          if (!r.brain_mask(i, j, k)) continue;
          ++inside;
          edge += i == 0 || j == 0 || k == 0 || i == n[0] - 1 || j == n[1] - 1 || k == n[2] - 1;
        }
    if (edge > 0)
      w.push_back(format("the brain mask touches the edge of the field of view on %.0f voxels: part of the brain "
                         "may lie outside the image, and chi near the edge is unreliable",
                         double(edge)));
    const double ml = double(inside) * g.voxel_size[0] * g.voxel_size[1] * g.voxel_size[2] / 1000.0;
    if (ml < 800 || ml > 2000)
      w.push_back(format("brain mask volume %.0f ml is outside 800-2000 ml (an adult brain): check the mask "
                         "(or this is not an adult brain)",
                         ml));
  }
  const std::vector<double> chi = brain_chi_ppb(r);
  if (!chi.empty()) {
    const auto beyond = std::count_if(chi.begin(), chi.end(), [](double x) { return std::fabs(x) > 500.0; });
    const double fraction = double(beyond) / double(chi.size());
    if (fraction > 0.005)
      w.push_back(format("%.1f%% of the brain has |chi| > 500 ppb (veins and haemorrhage reach that, most tissue "
                         "does not): look for streaking or background field left over",
                         100 * fraction));
    if (std::max(std::fabs(chi.front()), std::fabs(chi.back())) > 3000)
      w.push_back(format("chi reaches %.0f / %.0f ppb inside the brain: extreme values", chi.front(), chi.back()));
  }
  // Residual wraps: a temporal unwrapping error shifts the field by a multiple of 1 / (echo
  // spacing), so neighbours differing by more than half of that are suspect.
  if (!r.total_field_hz.empty() && !r.brain_mask.empty() && !r.echo_times_s.empty()) {
    const double dt = r.echo_times_s.size() > 1 ? r.echo_times_s[1] - r.echo_times_s[0] : r.echo_times_s[0];
    const double half_period = 0.5 / dt;
    int64_t pairs = 0, jumps = 0;
    const int64_t strides[3] = {1, n[0], n[0] * n[1]};
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          const int64_t v = i + n[0] * (j + n[1] * k);
          if (!r.brain_mask[v]) continue;
          const int64_t idx[3] = {i, j, k};
          for (int a = 0; a < 3; ++a) {
            if (idx[a] + 1 >= n[a] || !r.brain_mask[v + strides[a]]) continue;
            ++pairs;
            jumps += std::fabs(r.total_field_hz[v + strides[a]] - r.total_field_hz[v]) > half_period;
          }
        }
    if (pairs > 0 && double(jumps) > 5e-4 * double(pairs))
      w.push_back(format("%.0f neighbouring voxel pairs in the brain differ in field by more than %.0f Hz (half the "
                         "unwrapping period): phase wraps may remain",
                         double(jumps), half_period));
  }
  return w;
}

ScanSummary summarise(const ScanReport& r) {
  ScanSummary s;
  if (!r.brain_mask.empty()) {
    int64_t inside = 0;
    for (uint8_t m : r.brain_mask) inside += m != 0;
    const Vec3& h = r.brain_mask.grid().voxel_size;
    s.brain_volume_ml = double(inside) * h[0] * h[1] * h[2] / 1000.0;
  }
  const std::vector<double> chi = brain_chi_ppb(r);
  if (!chi.empty()) {
    s.chi_median_ppb = detail::percentile_sorted(chi, 0.50);
    s.chi_p05_ppb = detail::percentile_sorted(chi, 0.05);
    s.chi_p95_ppb = detail::percentile_sorted(chi, 0.95);
  } else {
    s.chi_median_ppb = s.chi_p05_ppb = s.chi_p95_ppb = NAN;
  }
  if (!r.lesions.empty()) {
    std::set<int32_t> ids;
    for (int32_t l : r.lesions)
      if (l) ids.insert(l);
    s.lesions = int(ids.size());
    s.prls = int(r.prl_ids.size());
  }
  s.warnings = int(r.warnings.size());
  return s;
}

namespace report {
std::vector<double> brain_chi_ppb(const ScanReport& r) {
  std::vector<double> v;
  for (int64_t n = 0; n < r.chi.voxels(); ++n) {
    const bool inside = r.brain_mask.empty() ? r.chi[n] != 0.0f : r.brain_mask[n] != 0;
    if (inside && std::isfinite(r.chi[n])) v.push_back(1000.0 * r.chi[n]);
  }
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace report

}  // namespace qsmtk
