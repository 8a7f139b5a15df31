// Deformable-surface brain extraction after Smith (2002), BET.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {

struct Mesh {
  std::vector<Vec3> v;
  std::vector<std::array<int, 3>> f;
  std::vector<std::vector<int>> neighbours;
};

/// Unit icosphere with `levels` subdivisions.
Mesh icosphere(int levels) {
  Mesh m;
  const double t = (1.0 + std::sqrt(5.0)) / 2.0;
  m.v = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0}, {0, -1, t}, {0, 1, t},
         {0, -1, -t}, {0, 1, -t}, {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
  for (Vec3& p : m.v) p = normalized(p);
  m.f = {{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
         {11, 10, 2}, {10, 7, 6}, {7, 1, 8}, {3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8},
         {3, 8, 9}, {4, 9, 5}, {2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1}};
  for (int l = 0; l < levels; ++l) {
    std::map<std::pair<int, int>, int> mid;
    auto midpoint = [&](int a, int b) {
      const auto key = std::minmax(a, b);
      auto it = mid.find(key);
      if (it != mid.end()) return it->second;
      m.v.push_back(normalized(0.5 * (m.v[a] + m.v[b])));
      return mid[key] = int(m.v.size()) - 1;
    };
    std::vector<std::array<int, 3>> faces;
    for (const auto& tri : m.f) {
      const int a = midpoint(tri[0], tri[1]), b = midpoint(tri[1], tri[2]), c = midpoint(tri[2], tri[0]);
      faces.push_back({tri[0], a, c});
      faces.push_back({tri[1], b, a});
      faces.push_back({tri[2], c, b});
      faces.push_back({a, b, c});
    }
    m.f = std::move(faces);
  }
  m.neighbours.assign(m.v.size(), {});
  for (const auto& tri : m.f)
    for (int e = 0; e < 3; ++e) {
      auto& n = m.neighbours[tri[e]];
      for (int o : {tri[(e + 1) % 3], tri[(e + 2) % 3]})
        if (std::find(n.begin(), n.end(), o) == n.end()) n.push_back(o);
    }
  return m;
}

/// Trilinear sample at physical position p (mm, array frame, voxel centres at i*h); 0 outside.
float sample(const Volume& img, const Vec3& p) {
  const Vec3& h = img.grid().voxel_size;
  const double x = p[0] / h[0], y = p[1] / h[1], z = p[2] / h[2];
  const int64_t i = int64_t(std::floor(x)), j = int64_t(std::floor(y)), k = int64_t(std::floor(z));
  if (i < 0 || j < 0 || k < 0 || i + 1 >= img.nx() || j + 1 >= img.ny() || k + 1 >= img.nz()) return 0.0f;
  const double a = x - i, b = y - j, c = z - k;
  auto at = [&](int64_t di, int64_t dj, int64_t dk) { return double(img(i + di, j + dj, k + dk)); };
  return float((1 - c) * ((1 - b) * ((1 - a) * at(0, 0, 0) + a * at(1, 0, 0)) + b * ((1 - a) * at(0, 1, 0) + a * at(1, 1, 0))) +
               c * ((1 - b) * ((1 - a) * at(0, 0, 1) + a * at(1, 0, 1)) + b * ((1 - a) * at(0, 1, 1) + a * at(1, 1, 1))));
}

double percentile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

/// Marks the voxels the closed surface passes through, then fills its inside.
Mask rasterise(const Mesh& m, const Grid& g) {
  Mask surface(g);
  const Vec3& h = g.voxel_size;
  const double step = 0.4 * std::min({h[0], h[1], h[2]});
  auto mark = [&](const Vec3& p) {
    const int64_t i = std::llround(p[0] / h[0]), j = std::llround(p[1] / h[1]), k = std::llround(p[2] / h[2]);
    if (i >= 0 && j >= 0 && k >= 0 && i < g.dims[0] && j < g.dims[1] && k < g.dims[2]) surface(i, j, k) = 1;
  };
  for (const auto& tri : m.f) {
    const Vec3 a = m.v[tri[0]], b = m.v[tri[1]], c = m.v[tri[2]];
    const int n = 1 + int(std::max({norm(b - a), norm(c - a), norm(c - b)}) / step);
    for (int u = 0; u <= n; ++u)
      for (int w = 0; w <= n - u; ++w) {
        const double s = double(u) / n, t = double(w) / n;
        mark(a + s * (b - a) + t * (c - a));
      }
  }
  return fill_holes(surface);
}

}  // namespace

namespace {
Mask bet_from(const Volume& image, const BetOptions& o, const Vec3* centre);
}

Mask bet(const Volume& image, const BetOptions& o) {
  // Robust centre (as FSL's -R): re-run from the centroid of the previous result, so a neck or
  // face in the field of view does not pull the start away from the brain.
  Mask m = bet_from(image, o, nullptr);
  const Vec3& h = image.grid().voxel_size;
  for (int pass = 1; pass < o.centre_passes; ++pass) {
    Vec3 c{0, 0, 0};
    double n = 0;
    for (int64_t k = 0; k < m.nz(); ++k)
      for (int64_t j = 0; j < m.ny(); ++j)
        for (int64_t i = 0; i < m.nx(); ++i)
          if (m(i, j, k)) c = c + Vec3{i * h[0], j * h[1], k * h[2]}, n += 1;
    if (n == 0) break;
    c = (1.0 / n) * c;
    m = bet_from(image, o, &c);
  }
  return m;
}

namespace {
Mask bet_from(const Volume& image, const BetOptions& o, const Vec3* centre) {
  const Grid& g = image.grid();
  const Vec3& h = g.voxel_size;
  const int64_t n = image.voxels();
  std::vector<float> values;
  values.reserve(size_t(n));
  for (int64_t q = 0; q < n; ++q)
    if (std::isfinite(image[q])) values.push_back(image[q]);
  const double t2 = percentile(values, 0.02), t98 = percentile(values, 0.98);
  const double t = t2 + 0.1 * (t98 - t2);  // brain/background threshold

  // Centre of gravity and equivalent-sphere radius of the voxels above t.
  Vec3 cog{0, 0, 0};
  double wsum = 0;
  int64_t above = 0;
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i) {
        const double v = image(i, j, k);
        if (!(v > t)) continue;
        const double w = std::min(v, t98);
        cog = cog + w * Vec3{i * h[0], j * h[1], k * h[2]};
        wsum += w;
        ++above;
      }
  if (above == 0) throw std::invalid_argument("brain extraction: the image has no voxels above background");
  cog = centre ? *centre : (1.0 / wsum) * cog;
  const double radius = std::cbrt(3.0 * double(above) * h[0] * h[1] * h[2] / (4.0 * M_PI));
  std::vector<float> inner;
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i)
        if (norm(Vec3{i * h[0], j * h[1], k * h[2]} - cog) < radius && image(i, j, k) > t) inner.push_back(image(i, j, k));
  const double tm = percentile(inner, 0.5);

  Mesh m = icosphere(o.subdivisions);
  for (Vec3& p : m.v) p = cog + 0.5 * radius * p;

  const double rmin = 3.33, rmax = 10.0;
  const double E = 0.5 * (1 / rmin + 1 / rmax), F = 6.0 / (1 / rmin - 1 / rmax);
  const double d1 = 20.0, d2 = 10.0, ds = std::min({h[0], h[1], h[2]});
  const size_t nv = m.v.size();
  std::vector<Vec3> normals(nv), update(nv);
  for (int it = 0; it < o.iterations; ++it) {
    // Vertex normals from the adjacent faces (outward for the sphere's orientation).
    std::fill(normals.begin(), normals.end(), Vec3{0, 0, 0});
    for (const auto& tri : m.f) {
      const Vec3 fn = cross(m.v[tri[1]] - m.v[tri[0]], m.v[tri[2]] - m.v[tri[0]]);
      for (int c : tri) normals[c] = normals[c] + fn;
    }
    double lsum = 0;
    for (size_t i = 0; i < nv; ++i) {
      const double len = norm(normals[i]);
      normals[i] = len > 0 ? (1.0 / len) * normals[i] : Vec3{0, 0, 1};
      for (int j : m.neighbours[i]) lsum += norm(m.v[j] - m.v[i]);
    }
    const double l = lsum / double(nv * 6);  // mean edge length (each vertex ~6 neighbours)
    parallel_for(int64_t(nv), [&](int64_t i) {
      const Vec3& p = m.v[i];
      const Vec3& nrm = normals[i];
      Vec3 mean{0, 0, 0};
      for (int j : m.neighbours[i]) mean = mean + m.v[j];
      const Vec3 s = (1.0 / double(m.neighbours[i].size())) * mean - p;
      const Vec3 sn = dot(s, nrm) * nrm, st = s - sn;
      const double rinv = 2.0 * std::fabs(dot(s, nrm)) / (l * l);  // 1 / local radius of curvature
      const double f2 = 0.5 * (1 + std::tanh(F * (rinv - E)));
      double imin = tm, imax = t;
      for (double d = 0; d <= d1; d += ds) {
        const double v = sample(image, p - d * nrm);
        imin = std::min(imin, v);
        if (d <= d2) imax = std::max(imax, v);
      }
      imin = std::max(t2, imin);
      imax = std::min(tm, imax);
      const double tl = (imax - t2) * o.fractional_threshold + t2;
      const double f3 = imax - t2 > 0 ? 2.0 * (imin - tl) / (imax - t2) : 0.0;
      update[i] = 0.5 * st + f2 * sn + (0.05 * f3 * l) * nrm;
    });
    for (size_t i = 0; i < nv; ++i) m.v[i] = m.v[i] + update[i];
  }
  return rasterise(m, g);
}
}  // namespace

}  // namespace qsmtk
