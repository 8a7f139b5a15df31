// Resampling through affines and a world transform (see resample.h).
#include "qsmtk/resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {

/// Target voxel index -> source voxel index (continuous).
Mat4 target_to_source_voxels(const Grid& source, const Grid& target, const Mat4* world_transform) {
  const Mat4 target_world = world_transform ? *world_transform * target.affine() : target.affine();
  return source.affine().inverse() * target_world;
}

template <typename T>
Image<T> nearest(const Image<T>& src, const Grid& target, const Mat4* world_transform) {
  if (src.frames() != 1) throw std::invalid_argument("resample_nearest: needs a 3-D image");
  const Mat4 m = target_to_source_voxels(src.grid(), target, world_transform);
  Image<T> out(target);
  const Dims& n = target.dims;
  const Dims& s = src.dims();
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const Vec3 p = m.apply({double(i), double(j), double(k)});
        const int64_t a = int64_t(std::floor(p[0] + 0.5 + 1e-6)), b = int64_t(std::floor(p[1] + 0.5 + 1e-6)),
                      c = int64_t(std::floor(p[2] + 0.5 + 1e-6));
        if (a < 0 || b < 0 || c < 0 || a >= s[0] || b >= s[1] || c >= s[2]) continue;
        out(i, j, k) = src(a, b, c);
      }
  });
  return out;
}

}  // namespace

LabelImage resample_nearest(const LabelImage& source, const Grid& target, const Mat4* world_transform) {
  return nearest(source, target, world_transform);
}
Volume resample_nearest(const Volume& source, const Grid& target, const Mat4* world_transform) {
  return nearest(source, target, world_transform);
}
Mask resample_nearest(const Mask& source, const Grid& target, const Mat4* world_transform) {
  return nearest(source, target, world_transform);
}

Volume resample_linear(const Volume& src, const Grid& target, const Mat4* world_transform, float outside) {
  if (src.frames() != 1) throw std::invalid_argument("resample_linear: needs a 3-D volume");
  const Mat4 m = target_to_source_voxels(src.grid(), target, world_transform);
  Volume out(target, 1, outside);
  const Dims& n = target.dims;
  const Dims& s = src.dims();
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        Vec3 p = m.apply({double(i), double(j), double(k)});
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          if (p[a] < -0.5 || p[a] > double(s[a]) - 0.5) inside = false;
          p[a] = std::clamp(p[a], 0.0, double(s[a] - 1));  // the half-voxel border takes the edge value
        }
        if (!inside) continue;
        int64_t i0[3];
        double w[3];
        for (int a = 0; a < 3; ++a) {
          i0[a] = std::min<int64_t>(int64_t(std::floor(p[a])), std::max<int64_t>(s[a] - 2, 0));
          w[a] = s[a] > 1 ? p[a] - double(i0[a]) : 0.0;
        }
        const int64_t i1 = std::min<int64_t>(i0[0] + 1, s[0] - 1), j1 = std::min<int64_t>(i0[1] + 1, s[1] - 1),
                      k1 = std::min<int64_t>(i0[2] + 1, s[2] - 1);
        auto lerp = [](double a, double b, double t) { return a + (b - a) * t; };
        const double c00 = lerp(src(i0[0], i0[1], i0[2]), src(i1, i0[1], i0[2]), w[0]);
        const double c10 = lerp(src(i0[0], j1, i0[2]), src(i1, j1, i0[2]), w[0]);
        const double c01 = lerp(src(i0[0], i0[1], k1), src(i1, i0[1], k1), w[0]);
        const double c11 = lerp(src(i0[0], j1, k1), src(i1, j1, k1), w[0]);
        out(i, j, k) = float(lerp(lerp(c00, c10, w[1]), lerp(c01, c11, w[1]), w[2]));
      }
  });
  return out;
}

}  // namespace qsmtk
