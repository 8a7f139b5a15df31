// Quality-guided region-growing unwrapping in the spirit of ROMEO (Dymerska et al., MRM 2021).
// Edges (voxel pairs along x, y, z) get a quality in 255 bins; a bucket queue always extends the
// unwrapped region along the best available edge, so noisy voxels are reached last and errors
// cannot spread from them into good tissue.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "qsmtk/parallel.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {
namespace {

constexpr int kBins = 256;  // bin 0: invalid edge; 1 best ... 255 worst

/// Robust upper magnitude level: the 99th percentile inside the mask.
double magnitude_level(const Volume& mag, const Mask& mask) {
  std::vector<float> v;
  for (int64_t q = 0; q < mag.voxels(); ++q)
    if (mask[q] && std::isfinite(mag[q])) v.push_back(mag[q]);
  if (v.empty()) return 1;
  const size_t k = v.size() * 99 / 100;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k] > 0 ? v[k] : 1;
}

struct Edges {
  std::vector<uint8_t> bin;  // 3 per voxel: edge to the +x, +y, +z neighbour
};

Edges edge_qualities(const Volume& phi, const Mask& mask, const Volume* mag, const Volume* second, double te_ratio,
                     const RegionGrowingOptions& o) {
  const Dims& n = phi.dims();
  const int64_t stride[3] = {1, n[0], n[0] * n[1]};
  const double level = (mag && o.magnitude_weights) ? magnitude_level(*mag, mask) : 1;
  Edges e;
  e.bin.assign(size_t(3 * phi.voxels()), 0);
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + n[0] * (j + n[1] * k);
        if (!mask[p] || !std::isfinite(phi[p])) continue;
        const int64_t idx[3] = {i, j, k};
        for (int d = 0; d < 3; ++d) {
          if (idx[d] + 1 >= n[d]) continue;
          const int64_t q = p + stride[d];
          if (!mask[q] || !std::isfinite(phi[q])) continue;
          const double dphi = wrap_phase(double(phi[q]) - phi[p]);
          double w = 1.0 - std::fabs(dphi) / M_PI;
          if (second && std::isfinite((*second)[p]) && std::isfinite((*second)[q])) {
            const double d2 = wrap_phase(double((*second)[q]) - (*second)[p]);
            w *= std::max(0.0, 1.0 - std::fabs(dphi - d2 * te_ratio));
          }
          if (mag && o.magnitude_weights) {
            const double a = (*mag)[p], b = (*mag)[q];
            const double lo = std::min(a, b), hi = std::max(a, b);
            if (!(hi > 0)) {
              w = 0;
            } else {
              w *= (lo / hi) * (lo / hi);
              w *= 0.5 + 0.5 * std::min(1.0, lo / (0.5 * level));
              w *= 0.5 + 0.5 * std::min(1.0, (0.5 * level) / hi);
            }
          }
          if (!(w > 0)) continue;  // no evidence at all: leave the edge out
          e.bin[size_t(3 * p + d)] = uint8_t(std::clamp<long>(std::lround((1.0 - w) * (kBins - 2)) + 1, 1, kBins - 1));
        }
      }
  });
  return e;
}

/// Bucket priority queue of edge ids, LIFO within a bucket (deterministic).
class BucketQueue {
 public:
  BucketQueue() : buckets_(kBins) {}
  void push(int64_t edge, int bin) {
    buckets_[bin].push_back(edge);
    lowest_ = std::min(lowest_, bin);
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  int64_t pop() {
    while (buckets_[lowest_].empty()) ++lowest_;
    const int64_t e = buckets_[lowest_].back();
    buckets_[lowest_].pop_back();
    --size_;
    return e;
  }

 private:
  std::vector<std::vector<int64_t>> buckets_;
  int lowest_ = kBins;
  int64_t size_ = 0;
};

}  // namespace

Volume unwrap_region_growing(const Volume& wrapped, const Mask& mask, const Volume* magnitude, const Volume* second_echo,
                             double te_ratio, const RegionGrowingOptions& o) {
  require_same_space(wrapped.grid(), mask.grid(), "unwrapping: phase and mask");
  if (wrapped.frames() != 1) throw std::invalid_argument("unwrap_region_growing takes one 3-D phase map");
  if (magnitude) require_same_space(wrapped.grid(), magnitude->grid(), "unwrapping: phase and magnitude");
  if (second_echo) require_same_space(wrapped.grid(), second_echo->grid(), "unwrapping: phase and second echo");
  const Dims& n = wrapped.dims();
  const int64_t nv = wrapped.voxels();
  const int64_t stride[3] = {1, n[0], n[0] * n[1]};
  const Edges edges = edge_qualities(wrapped, mask, magnitude, second_echo, te_ratio, o);

  // Seed order: voxels by the summed quality of their edges (best first), ties by index.
  std::vector<uint16_t> score(size_t(nv), 0);
  std::vector<int64_t> candidates;
  for (int64_t p = 0; p < nv; ++p) {
    int s = 0, valid = 0;
    for (int d = 0; d < 3; ++d) {
      if (const int b = edges.bin[size_t(3 * p + d)]) s += b, ++valid;
      if (p - stride[d] >= 0)
        if (const int b = edges.bin[size_t(3 * (p - stride[d]) + d)]) s += b, ++valid;
    }
    if (valid == 0) continue;
    score[size_t(p)] = uint16_t(s + (6 - valid) * (kBins - 1));  // missing edges count as worst
    candidates.push_back(p);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](int64_t a, int64_t b) { return score[size_t(a)] < score[size_t(b)]; });

  Volume out = wrapped;
  std::vector<int32_t> region(size_t(nv), 0);
  BucketQueue queue;
  auto push_edges_of = [&](int64_t p) {
    const int64_t i = p % n[0], j = (p / n[0]) % n[1], k = p / (n[0] * n[1]);
    const int64_t idx[3] = {i, j, k};
    for (int d = 0; d < 3; ++d) {
      if (idx[d] + 1 < n[d] && !region[size_t(p + stride[d])])
        if (const int b = edges.bin[size_t(3 * p + d)]) queue.push(3 * p + d, b);
      if (idx[d] > 0 && !region[size_t(p - stride[d])])
        if (const int b = edges.bin[size_t(3 * (p - stride[d]) + d)]) queue.push(3 * (p - stride[d]) + d, b);
    }
  };
  int32_t regions = 0;
  for (int64_t seed : candidates) {
    if (region[size_t(seed)]) continue;
    region[size_t(seed)] = ++regions;
    push_edges_of(seed);
    while (!queue.empty()) {
      const int64_t e = queue.pop();
      const int64_t a = e / 3, b = a + stride[e % 3];
      const bool a_done = region[size_t(a)] != 0, b_done = region[size_t(b)] != 0;
      if (a_done && b_done) continue;
      const int64_t from = a_done ? a : b, to = a_done ? b : a;
      out[to] = float(out[to] - 2 * M_PI * std::round((double(out[to]) - out[from]) / (2 * M_PI)));
      region[size_t(to)] = region[size_t(from)];
      push_edges_of(to);
    }
  }

  // Each region's absolute 2 pi offset is arbitrary: bring its median into [-pi, pi).
  std::vector<std::vector<float>> values(size_t(regions) + 1);
  for (int64_t p = 0; p < nv; ++p)
    if (region[size_t(p)]) values[size_t(region[size_t(p)])].push_back(out[p]);
  std::vector<float> shift(size_t(regions) + 1, 0.0f);
  for (int32_t r = 1; r <= regions; ++r) {
    auto& v = values[size_t(r)];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    shift[size_t(r)] = float(2 * M_PI * std::round(v[v.size() / 2] / (2 * M_PI)));
  }
  parallel_for(nv, [&](int64_t p) {
    if (region[size_t(p)]) out[p] -= shift[size_t(region[size_t(p)])];
  });
  return out;
}

}  // namespace qsmtk
