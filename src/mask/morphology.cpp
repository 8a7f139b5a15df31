#include "qsmtk/mask/morphology.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// 1-D squared distance transform of f (values at spacing h) by the lower envelope of parabolas.
void edt_1d(const float* f, float* d, int64_t n, double h, std::vector<int64_t>& v, std::vector<double>& z) {
  v.resize(size_t(n));
  z.resize(size_t(n) + 1);
  int64_t k = -1;
  const double h2 = h * h;
  for (int64_t q = 0; q < n; ++q) {
    if (f[q] == kInf) continue;
    double s = 0;
    while (k >= 0) {
      const int64_t p = v[k];
      s = ((f[q] + h2 * q * q) - (f[p] + h2 * p * p)) / (2.0 * h2 * double(q - p));
      if (s > z[k]) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -std::numeric_limits<double>::infinity() : s;
    z[k + 1] = std::numeric_limits<double>::infinity();
  }
  if (k < 0) {
    std::fill(d, d + n, kInf);
    return;
  }
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {
    while (z[j + 1] < q) ++j;
    const double dq = double(q - v[j]) * h;
    d[q] = float(dq * dq + f[v[j]]);
  }
}

/// Applies edt_1d along axis `a` of the volume in place.
void edt_axis(Volume& g, int a, double h) {
  const Dims& n = g.dims();
  const int64_t len = n[a];
  const int64_t stride = a == 0 ? 1 : a == 1 ? n[0] : n[0] * n[1];
  const int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2;
  const int64_t sb = b == 0 ? 1 : n[0], sc = c == 1 ? n[0] : n[0] * n[1];
  parallel_for(n[c], [&](int64_t ic) {
    std::vector<float> f(static_cast<size_t>(len)), d(static_cast<size_t>(len));
    std::vector<int64_t> v;
    std::vector<double> z;
    for (int64_t ib = 0; ib < n[b]; ++ib) {
      float* base = g.data() + ib * sb + ic * sc;
      for (int64_t i = 0; i < len; ++i) f[i] = base[i * stride];
      edt_1d(f.data(), d.data(), len, h, v, z);
      for (int64_t i = 0; i < len; ++i) base[i * stride] = d[i];
    }
  });
}

}  // namespace

Volume distance_to_outside_sq(const Mask& inside, bool edge_is_outside) {
  const Dims& n = inside.dims();
  Dims p = n;
  const int64_t pad = edge_is_outside ? 1 : 0;
  for (int d = 0; d < 3; ++d) p[d] += 2 * pad;
  Volume g(Grid{p});
  for (int64_t k = 0; k < p[2]; ++k)
    for (int64_t j = 0; j < p[1]; ++j)
      for (int64_t i = 0; i < p[0]; ++i) {
        const int64_t a = i - pad, b = j - pad, c = k - pad;
        const bool in = a >= 0 && b >= 0 && c >= 0 && a < n[0] && b < n[1] && c < n[2] && inside(a, b, c);
        g(i, j, k) = in ? kInf : 0.0f;
      }
  const Vec3& h = inside.grid().voxel_size;
  for (int a = 0; a < 3; ++a) edt_axis(g, a, h[a]);
  Volume out(inside.grid());
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) out(i, j, k) = g(i + pad, j + pad, k + pad);
  return out;
}

Mask erode(const Mask& m, double r) {
  if (r <= 0) return m;
  const Volume d = distance_to_outside_sq(m, true);
  Mask out(m.grid());
  const float r2 = float(r * r);
  parallel_for(m.size(), [&](int64_t i) { out[i] = d[i] > r2 ? 1 : 0; });
  return out;
}

Mask dilate(const Mask& m, double r) {
  if (r <= 0) return m;
  Mask inv(m.grid());
  for (int64_t i = 0; i < m.size(); ++i) inv[i] = m[i] ? 0 : 1;
  const Volume d = distance_to_outside_sq(inv, false);  // distance to the nearest voxel of m
  Mask out(m.grid());
  const float r2 = float(r * r);
  parallel_for(m.size(), [&](int64_t i) { out[i] = (m[i] || d[i] <= r2) ? 1 : 0; });
  return out;
}

Mask open(const Mask& m, double r) { return dilate(erode(m, r), r); }
Mask close(const Mask& m, double r) { return erode(dilate(m, r), r); }

Mask fill_holes(const Mask& m) {
  const Dims& n = m.dims();
  Mask reached(m.grid());
  std::vector<int64_t> stack;
  auto push = [&](int64_t i, int64_t j, int64_t k) {
    const int64_t q = m.index(i, j, k);
    if (!m[q] && !reached[q]) {
      reached[q] = 1;
      stack.push_back(q);
    }
  };
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i)
        if (i == 0 || j == 0 || k == 0 || i == n[0] - 1 || j == n[1] - 1 || k == n[2] - 1) push(i, j, k);
  while (!stack.empty()) {
    const int64_t q = stack.back();
    stack.pop_back();
    const int64_t i = q % n[0], j = (q / n[0]) % n[1], k = q / (n[0] * n[1]);
    if (i > 0) push(i - 1, j, k);
    if (i + 1 < n[0]) push(i + 1, j, k);
    if (j > 0) push(i, j - 1, k);
    if (j + 1 < n[1]) push(i, j + 1, k);
    if (k > 0) push(i, j, k - 1);
    if (k + 1 < n[2]) push(i, j, k + 1);
  }
  Mask out(m.grid());
  for (int64_t q = 0; q < m.size(); ++q) out[q] = reached[q] ? 0 : 1;
  return out;
}

LabelImage connected_components(const Mask& m, int connectivity, int32_t* count_out, std::vector<int64_t>* sizes_out) {
  if (connectivity != 6 && connectivity != 18 && connectivity != 26)
    throw std::invalid_argument("connectivity must be 6, 18 or 26");
  std::vector<std::array<int, 3>> offsets;
  for (int c = -1; c <= 1; ++c)
    for (int b = -1; b <= 1; ++b)
      for (int a = -1; a <= 1; ++a) {
        const int manhattan = std::abs(a) + std::abs(b) + std::abs(c);
        if (manhattan == 0 || (connectivity == 6 && manhattan > 1) || (connectivity == 18 && manhattan > 2)) continue;
        offsets.push_back({a, b, c});
      }
  const Dims& n = m.dims();
  LabelImage labels(m.grid());
  std::vector<int64_t> sizes, first;
  std::vector<int64_t> stack;
  int32_t next = 0;
  for (int64_t q0 = 0; q0 < m.size(); ++q0) {
    if (!m[q0] || labels[q0]) continue;
    ++next;
    int64_t size = 0;
    labels[q0] = next;
    stack.push_back(q0);
    while (!stack.empty()) {
      const int64_t q = stack.back();
      stack.pop_back();
      ++size;
      const int64_t i = q % n[0], j = (q / n[0]) % n[1], k = q / (n[0] * n[1]);
      for (const auto& o : offsets) {
        const int64_t a = i + o[0], b = j + o[1], c = k + o[2];
        if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2]) continue;
        const int64_t p = a + n[0] * (b + n[1] * c);
        if (m[p] && !labels[p]) {
          labels[p] = next;
          stack.push_back(p);
        }
      }
    }
    sizes.push_back(size);
    first.push_back(q0);
  }
  // Relabel by decreasing size (ties: first voxel in memory order), so label 1 is the largest.
  std::vector<int32_t> order(static_cast<size_t>(next));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return sizes[a] > sizes[b]; });
  std::vector<int32_t> relabel(size_t(next) + 1, 0);
  for (int32_t r = 0; r < next; ++r) relabel[order[r] + 1] = r + 1;
  for (int32_t& l : labels) l = relabel[l];
  if (count_out) *count_out = next;
  if (sizes_out) {
    sizes_out->clear();
    for (int32_t r = 0; r < next; ++r) sizes_out->push_back(sizes[order[r]]);
  }
  return labels;
}

Mask peel_from_edge(const Mask& m, const Mask& flagged, double seed_depth_mm) {
  require_same_space(m.grid(), flagged.grid(), "peel: mask and flags");
  const Volume depth2 = distance_to_outside_sq(m, true);
  const float seed2 = float(seed_depth_mm * seed_depth_mm);
  const Dims& n = m.dims();
  Mask removed(m.grid());
  std::vector<int64_t> stack;
  auto grow = [&](int64_t q) {
    if (m[q] && flagged[q] && !removed[q]) {
      removed[q] = 1;
      stack.push_back(q);
    }
  };
  for (int64_t q = 0; q < m.voxels(); ++q)
    if (depth2[q] <= seed2) grow(q);
  while (!stack.empty()) {
    const int64_t q = stack.back();
    stack.pop_back();
    const int64_t i = q % n[0], j = (q / n[0]) % n[1], k = q / (n[0] * n[1]);
    if (i > 0) grow(q - 1);
    if (i + 1 < n[0]) grow(q + 1);
    if (j > 0) grow(q - n[0]);
    if (j + 1 < n[1]) grow(q + n[0]);
    if (k > 0) grow(q - n[0] * n[1]);
    if (k + 1 < n[2]) grow(q + n[0] * n[1]);
  }
  Mask out(m.grid());
  for (int64_t q = 0; q < m.voxels(); ++q) out[q] = (m[q] && !removed[q]) ? 1 : 0;
  return out;
}

Mask largest_component(const Mask& m, int connectivity) {
  int32_t n = 0;
  const LabelImage l = connected_components(m, connectivity, &n);
  Mask out(m.grid());
  for (int64_t q = 0; q < m.size(); ++q) out[q] = l[q] == 1 ? 1 : 0;
  return out;
}

int64_t count(const Mask& m) {
  int64_t c = 0;
  for (uint8_t v : m) c += v ? 1 : 0;
  return c;
}

double dice(const Mask& a, const Mask& b) {
  require_same_space(a.grid(), b.grid(), "Dice");
  int64_t both = 0, na = 0, nb = 0;
  for (int64_t q = 0; q < a.size(); ++q) {
    na += a[q] ? 1 : 0;
    nb += b[q] ? 1 : 0;
    both += (a[q] && b[q]) ? 1 : 0;
  }
  return na + nb == 0 ? 1.0 : 2.0 * double(both) / double(na + nb);
}

}  // namespace qsmtk
