#include "qsmtk/kernels/gaussian.h"

#include <cmath>
#include <vector>

#include "qsmtk/parallel.h"

namespace qsmtk {

void gaussian_smooth(Volume& v, double sigma_mm) {
  if (sigma_mm <= 0) return;
  const Dims& n = v.dims();
  const Vec3& h = v.grid().voxel_size;
  for (int64_t t = 0; t < v.frames(); ++t) {
    float* f = v.frame(t);
    for (int a = 0; a < 3; ++a) {
      const double s = sigma_mm / h[a];
      const int r = std::max(1, int(std::ceil(3 * s)));
      std::vector<float> w(size_t(2 * r + 1));
      double sum = 0;
      for (int i = -r; i <= r; ++i) sum += w[size_t(i + r)] = float(std::exp(-0.5 * i * i / (s * s)));
      for (float& x : w) x = float(x / sum);
      const int64_t len = n[a];
      const int64_t stride = a == 0 ? 1 : a == 1 ? n[0] : n[0] * n[1];
      const int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2;
      const int64_t sb = b == 0 ? 1 : n[0], sc = c == 1 ? n[0] : n[0] * n[1];
      parallel_for(n[c], [&](int64_t ic) {
        std::vector<float> line(static_cast<size_t>(len));
        for (int64_t ib = 0; ib < n[b]; ++ib) {
          float* base = f + ib * sb + ic * sc;
          for (int64_t i = 0; i < len; ++i) line[size_t(i)] = base[i * stride];
          for (int64_t i = 0; i < len; ++i) {
            double acc = 0;
            const int64_t lo = std::max<int64_t>(-r, -i), hi = std::min<int64_t>(r, len - 1 - i);
            for (int64_t o = lo; o <= hi; ++o) acc += w[size_t(o + r)] * line[size_t(i + o)];
            base[i * stride] = float(acc);
          }
        }
      });
    }
  }
}

}  // namespace qsmtk
