#include "qsmtk/kernels/gradient.h"

#include "qsmtk/parallel.h"

namespace qsmtk {

void gradient_forward(const float* x, float* gx, float* gy, float* gz, const Dims& n, const Vec3& h) {
  const int64_t sx = 1, sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        gx[p] = i + 1 < n[0] ? (x[p + sx] - x[p]) * ix : 0.0f;
        gy[p] = j + 1 < n[1] ? (x[p + sy] - x[p]) * iy : 0.0f;
        gz[p] = k + 1 < n[2] ? (x[p + sz] - x[p]) * iz : 0.0f;
      }
  });
}

void gradient_backward(const float* x, float* gx, float* gy, float* gz, const Dims& n, const Vec3& h) {
  const int64_t sx = 1, sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        gx[p] = i > 0 ? (x[p] - x[p - sx]) * ix : 0.0f;
        gy[p] = j > 0 ? (x[p] - x[p - sy]) * iy : 0.0f;
        gz[p] = k > 0 ? (x[p] - x[p - sz]) * iz : 0.0f;
      }
  });
}

void divergence_backward(const float* gx, const float* gy, const float* gz, float* out, const Dims& n,
                         const Vec3& h) {
  const int64_t sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  // Row i of -G_f^T (forward differences, last row 0): g[i] - g[i-1] with g[-1] = 0 and the
  // last entry g[N-1] left out (the gradient there is defined as 0).
  auto term = [](const float* g, int64_t p, int64_t stride, int64_t i, int64_t len) {
    const float cur = i + 1 < len ? g[p] : 0.0f;
    const float prev = i > 0 ? g[p - stride] : 0.0f;
    return cur - prev;
  };
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        out[p] = term(gx, p, 1, i, n[0]) * ix + term(gy, p, sy, j, n[1]) * iy + term(gz, p, sz, k, n[2]) * iz;
      }
  });
}

void divergence_forward(const float* gx, const float* gy, const float* gz, float* out, const Dims& n,
                        const Vec3& h) {
  const int64_t sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  // Row i of -G_b^T (backward differences, first row 0): g[i+1] - g[i] with g[N] = 0 and the
  // first entry g[0] left out.
  auto term = [](const float* g, int64_t p, int64_t stride, int64_t i, int64_t len) {
    const float next = i + 1 < len ? g[p + stride] : 0.0f;
    const float cur = i > 0 ? g[p] : 0.0f;
    return next - cur;
  };
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        out[p] = term(gx, p, 1, i, n[0]) * ix + term(gy, p, sy, j, n[1]) * iy + term(gz, p, sz, k, n[2]) * iz;
      }
  });
}

}  // namespace qsmtk
