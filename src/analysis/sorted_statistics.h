#pragma once
// Percentiles of sorted samples, shared by the lesion and region statistics.
#include <algorithm>
#include <cmath>
#include <vector>

namespace qsmtk::detail {

/// The p-quantile (0..1) of sorted values by linear interpolation between order statistics
/// (Hyndman and Fan type 7, as R and NumPy default); NaN for no values.
inline double percentile_sorted(const std::vector<double>& v, double p) {
  if (v.empty()) return NAN;
  const double x = p * double(v.size() - 1);
  const size_t lo = size_t(std::floor(x));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (x - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace qsmtk::detail
