// TGV-QSM (Langkammer C et al., NeuroImage 2015;111:622-630): second-order total generalised
// variation (Bredies K et al., SIAM J Imaging Sci 2010;3:492-526) with the data term in the
// Laplacian domain, which removes harmonic (background) fields without an FFT:
//   min_{chi, w} alpha1 ||grad chi - w||_1 + alpha0 ||E w||_1 + 1/2 ||M (lap f - A chi)||^2,
// A = (1/3) lap - d_b^2, M the eroded mask. Solved by the Chambolle-Pock primal-dual algorithm
// (J Math Imaging Vis 2011;40:120-145) on the mask's bounding box with a margin, where chi is free,
// warm-started from a closed-form Tikhonov solution: the Laplacian data term weights frequency k
// by |k|^4, so from zero the low frequencies of chi take thousands of iterations; the closed form
// gives them at once, and the TGV iterations then remove its noise and streaks (mostly high
// frequencies, which converge fast).
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include "inversion_grid.h"
#include "qsmtk/crop.h"
#include "qsmtk/kernels/gradient.h"
#include "qsmtk/kernels/laplacian.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "tgv_operators.h"

namespace qsmtk {
namespace detail {

namespace {

// Value of x at (i, j, k), 0 outside the grid (at the box's faces).
struct ZeroExtended {
  const float* x;
  const Dims& n;
  float operator()(int64_t i, int64_t j, int64_t k) const {
    if (i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2]) return 0.0f;
    return x[i + n[0] * (j + n[1] * k)];
  }
};
// The same without the checks, for voxels whose neighbours are all inside.
struct Interior {
  const float* x;
  int64_t sy, sz;
  float operator()(int64_t i, int64_t j, int64_t k) const { return x[i + sy * j + sz * k]; }
};

// Backward difference along an axis (0 on its first index) and the forward one of its negative
// adjoint (the rows of divergence_forward in kernels/gradient.cpp).
inline float backward_difference(const float* x, int64_t p, int64_t stride, int64_t index, float inv_h) {
  return index > 0 ? (x[p] - x[p - stride]) * inv_h : 0.0f;
}
inline float adjoint_difference(const float* g, int64_t p, int64_t stride, int64_t index, int64_t len, float inv_h) {
  const float next = index + 1 < len ? g[p + stride] : 0.0f;
  const float cur = index > 0 ? g[p] : 0.0f;
  return (next - cur) * inv_h;
}

}  // namespace

void symmetric_gradient(const ConstVectorField& w, const SymmetricTensorField& e, const Dims& n, const Vec3& h) {
  const int64_t sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        e[0][p] = backward_difference(w[0], p, 1, i, ix);
        e[1][p] = backward_difference(w[1], p, sy, j, iy);
        e[2][p] = backward_difference(w[2], p, sz, k, iz);
        e[3][p] = 0.5f * (backward_difference(w[0], p, sy, j, iy) + backward_difference(w[1], p, 1, i, ix));
        e[4][p] = 0.5f * (backward_difference(w[0], p, sz, k, iz) + backward_difference(w[2], p, 1, i, ix));
        e[5][p] = 0.5f * (backward_difference(w[1], p, sz, k, iz) + backward_difference(w[2], p, sy, j, iy));
      }
  });
}

void symmetric_divergence(const ConstSymmetricTensorField& e, const VectorField& out, const Dims& n, const Vec3& h) {
  const int64_t sy = n[0], sz = n[0] * n[1];
  const float ix = float(1 / h[0]), iy = float(1 / h[1]), iz = float(1 / h[2]);
  // (E^T e)_a = sum_b D_b^T e_ab with the full symmetric tensor: the factor 1/2 of E and the
  // weight 2 of the off-diagonal components cancel.
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + sy * j + sz * k;
        const float dx_xx = adjoint_difference(e[0], p, 1, i, n[0], ix);
        const float dy_yy = adjoint_difference(e[1], p, sy, j, n[1], iy);
        const float dz_zz = adjoint_difference(e[2], p, sz, k, n[2], iz);
        const float dx_xy = adjoint_difference(e[3], p, 1, i, n[0], ix);
        const float dy_xy = adjoint_difference(e[3], p, sy, j, n[1], iy);
        const float dx_xz = adjoint_difference(e[4], p, 1, i, n[0], ix);
        const float dz_xz = adjoint_difference(e[4], p, sz, k, n[2], iz);
        const float dy_yz = adjoint_difference(e[5], p, sy, j, n[1], iy);
        const float dz_yz = adjoint_difference(e[5], p, sz, k, n[2], iz);
        out[0][p] = dx_xx + dy_xy + dz_xz;
        out[1][p] = dx_xy + dy_yy + dz_yz;
        out[2][p] = dx_xz + dy_yz + dz_zz;
      }
  });
}

void dipole_laplacian(const float* chi, float* out, const Dims& n, const Vec3& h, const Vec3& b) {
  // Second differences along each axis d with weight 1/3 - b_d^2 (the Laplacian's third minus
  // b_d^2 of d_b^2), and central mixed differences for the cross terms 2 b_d b_e d_d d_e.
  double second[3], mixed[3];
  const int pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (int d = 0; d < 3; ++d) second[d] = (1.0 / 3.0 - b[d] * b[d]) / (h[d] * h[d]);
  for (int m = 0; m < 3; ++m) {
    const int d = pairs[m][0], e = pairs[m][1];
    mixed[m] = -2 * b[d] * b[e] / (4 * h[d] * h[e]);
  }
  const float cx = float(second[0]), cy = float(second[1]), cz = float(second[2]);
  const float mxy = float(mixed[0]), mxz = float(mixed[1]), myz = float(mixed[2]);
  auto stencil = [&](const auto& x, int64_t i, int64_t j, int64_t k) {
    const float c = x(i, j, k);
    float s = cx * (x(i + 1, j, k) - 2 * c + x(i - 1, j, k)) + cy * (x(i, j + 1, k) - 2 * c + x(i, j - 1, k)) +
              cz * (x(i, j, k + 1) - 2 * c + x(i, j, k - 1));
    s += mxy * (x(i + 1, j + 1, k) - x(i + 1, j - 1, k) - x(i - 1, j + 1, k) + x(i - 1, j - 1, k));
    s += mxz * (x(i + 1, j, k + 1) - x(i + 1, j, k - 1) - x(i - 1, j, k + 1) + x(i - 1, j, k - 1));
    s += myz * (x(i, j + 1, k + 1) - x(i, j + 1, k - 1) - x(i, j - 1, k + 1) + x(i, j - 1, k - 1));
    return s;
  };
  const ZeroExtended edge{chi, n};
  const Interior inside{chi, n[0], n[0] * n[1]};
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j) {
      const int64_t row = n[0] * (j + n[1] * k);
      if (k == 0 || j == 0 || k + 1 == n[2] || j + 1 == n[1]) {
        for (int64_t i = 0; i < n[0]; ++i) out[row + i] = stencil(edge, i, j, k);
        continue;
      }
      out[row] = stencil(edge, 0, j, k);
      for (int64_t i = 1; i + 1 < n[0]; ++i) out[row + i] = stencil(inside, i, j, k);
      if (n[0] > 1) out[row + n[0] - 1] = stencil(edge, n[0] - 1, j, k);
    }
  });
}

}  // namespace detail

namespace {

using detail::ConstSymmetricTensorField;
using detail::ConstVectorField;
using detail::SymmetricTensorField;
using detail::VectorField;
using Field = AlignedVector<float>;

// chi is free this many voxels beyond the mask: the Laplacian data term at the mask's edge
// involves chi just outside it, and the stencils need a neighbour more.
constexpr int64_t kBoxMargin = 4;
constexpr int kCheckInterval = 50;  // iterations between tests of the relative change
constexpr int kPowerIterations = 30;
// Power iteration approaches ||K||^2 from below; the margin keeps tau sigma ||K||^2 < 1.
constexpr double kNormSafety = 1.2;
// Primal/dual step ratio relative to field_rms / alpha1. From a closed-form start chi must move
// little: larger primal steps first throw it far off (small std phantom, true field, 200 iterations:
// NRMSE 58% at 1, 49% at 0.1, 36% at 0.01, from a TKD start at 38%).
constexpr double kStepBalance = 0.01;

std::vector<Field> fields(int count, int64_t n) {
  return std::vector<Field>(static_cast<size_t>(count), Field(static_cast<size_t>(n), 0.0f));
}
template <size_t N>
std::array<float*, N> pointers(std::vector<Field>& f, size_t first = 0) {
  std::array<float*, N> r;
  for (size_t d = 0; d < N; ++d) r[d] = f[first + d].data();
  return r;
}
template <size_t N>
std::array<const float*, N> const_pointers(std::vector<Field>& f, size_t first = 0) {
  std::array<const float*, N> r;
  for (size_t d = 0; d < N; ++d) r[d] = f[first + d].data();
  return r;
}

// Mask eroded by `steps` voxels (6-neighbourhood; outside the box counts as outside).
std::vector<uint8_t> erode_voxels(std::vector<uint8_t> m, const Dims& n, int steps) {
  const int64_t sy = n[0], sz = n[0] * n[1];
  std::vector<uint8_t> next(m.size());
  for (int s = 0; s < steps; ++s) {
    parallel_for(n[2], [&](int64_t k) {
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          const int64_t p = i + sy * j + sz * k;
          next[p] = m[p] && i > 0 && j > 0 && k > 0 && i + 1 < n[0] && j + 1 < n[1] && k + 1 < n[2] && m[p - 1] &&
                    m[p + 1] && m[p - sy] && m[p + sy] && m[p - sz] && m[p + sz];
        }
    });
    m.swap(next);
  }
  return m;
}

// The variables of the saddle-point problem on the box, and the operator
// K (chi, w) = (grad chi - w, E w, M A chi) with its adjoint.
struct TgvProblem {
  Dims n;
  Vec3 h, b;
  int64_t voxels;
  std::vector<uint8_t> data_mask;  // M
  Field laplacian_field;           // M lap f

  // ||K||^2 by power iteration on K^T K from a fixed start (deterministic).
  double operator_norm_sq() {
    auto chi = fields(1, voxels), w = fields(3, voxels), p = fields(3, voxels), q = fields(6, voxels),
         r = fields(1, voxels);
    for (int64_t v = 0; v < voxels; ++v) chi[0][v] = float((v * 7919) % 101) / 101.0f - 0.5f;
    double norm_sq = 0;
    for (int it = 0; it < kPowerIterations; ++it) {
      const double x_norm = std::sqrt(squared_norm(chi) + squared_norm(w));
      for (auto* f : {&chi, &w})
        for (Field& a : *f)
          for (float& v : a) v = float(v / x_norm);
      apply(chi[0].data(), const_pointers<3>(w), pointers<3>(p), pointers<6>(q), r[0].data());
      norm_sq = squared_norm(p) + tensor_squared_norm(q) + squared_norm(r);  // ||K x||^2, ||x|| = 1
      apply_adjoint(const_pointers<3>(p), const_pointers<6>(q), r[0].data(), chi[0].data(), pointers<3>(w));
    }
    return norm_sq;
  }

  void apply(const float* chi, const ConstVectorField& w, const VectorField& p, const SymmetricTensorField& q,
             float* r) const {
    gradient_forward(chi, p[0], p[1], p[2], n, h);
    parallel_for(voxels, [&](int64_t v) {
      for (int d = 0; d < 3; ++d) p[d][v] -= w[d][v];
    });
    detail::symmetric_gradient(w, q, n, h);
    detail::dipole_laplacian(chi, r, n, h, b);
    parallel_for(voxels, [&](int64_t v) { r[v] = data_mask[v] ? r[v] : 0.0f; });
  }

  void apply_adjoint(const ConstVectorField& p, const ConstSymmetricTensorField& q, const float* r, float* chi,
                     const VectorField& w) const {
    Field masked_r(static_cast<size_t>(voxels)), laplacian_r(static_cast<size_t>(voxels));
    parallel_for(voxels, [&](int64_t v) { masked_r[v] = data_mask[v] ? r[v] : 0.0f; });
    divergence_backward(p[0], p[1], p[2], chi, n, h);
    detail::dipole_laplacian(masked_r.data(), laplacian_r.data(), n, h, b);
    detail::symmetric_divergence(q, w, n, h);
    parallel_for(voxels, [&](int64_t v) {
      chi[v] = laplacian_r[v] - chi[v];
      for (int d = 0; d < 3; ++d) w[d][v] = -p[d][v] - w[d][v];
    });
  }

  double squared_norm(const std::vector<Field>& f) const {
    double s = 0;
    for (const Field& a : f) s += deterministic_sum(voxels, [&](int64_t v) { return double(a[v]) * a[v]; });
    return s;
  }
  double tensor_squared_norm(const std::vector<Field>& q) const {
    double s = 0;
    for (int c = 0; c < 6; ++c)
      s += (c < 3 ? 1 : 2) * deterministic_sum(voxels, [&](int64_t v) { return double(q[c][v]) * q[c][v]; });
    return s;
  }
};

}  // namespace

InversionResult tgv(const InversionInput& in, const TgvOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "TGV");
  if (!(o.alpha1 > 0) || !(o.alpha0 > 0)) throw std::invalid_argument("TGV alpha1 and alpha0 must be > 0");
  if (o.max_iterations < 1) throw std::invalid_argument("TGV needs at least one iteration");
  if (!(o.tolerance >= 0)) throw std::invalid_argument("TGV tolerance must be >= 0");
  if (o.erode_voxels < 0) throw std::invalid_argument("TGV erosion must be >= 0 voxels");

  const Box box = bounding_box(in.mask, kBoxMargin);
  const Volume field = crop(in.field, box);
  const Mask mask = crop(in.mask, box);
  TgvProblem k{box.size, in.field.grid().voxel_size, in.b0, field.voxels(), {}, {}};
  const int64_t nv = k.voxels;

  Field masked_field(static_cast<size_t>(nv));
  for (int64_t v = 0; v < nv; ++v) masked_field[v] = mask[v] ? field[v] : 0.0f;
  k.data_mask = erode_voxels(std::vector<uint8_t>(mask.begin(), mask.end()), k.n, o.erode_voxels);
  if (std::none_of(k.data_mask.begin(), k.data_mask.end(), [](uint8_t m) { return m != 0; }))
    throw std::invalid_argument("TGV: the mask eroded by " + std::to_string(o.erode_voxels) + " voxels is empty");
  k.laplacian_field.assign(static_cast<size_t>(nv), 0.0f);
  laplacian_fd(masked_field.data(), k.laplacian_field.data(), k.n, k.h, Boundary::neumann);
  for (int64_t v = 0; v < nv; ++v)
    if (!k.data_mask[v]) k.laplacian_field[v] = 0.0f;

  // tau sigma ||K||^2 < 1 leaves tau / sigma free: tau = step balance, sigma = step / balance,
  // balance scaled by the primal size (chi, about the field's) over the dual one (|p| <= alpha1).
  const double field_rms = std::sqrt(
      deterministic_sum(nv, [&](int64_t v) { return mask[v] ? double(field[v]) * field[v] : 0.0; }) /
      double(std::count_if(mask.begin(), mask.end(), [](uint8_t m) { return m != 0; })));
  const double balance = kStepBalance * std::max(1.0, field_rms / o.alpha1);
  const double step = 1 / std::sqrt(kNormSafety * k.operator_norm_sq());
  const float tau = float(step * balance), sigma = float(step / balance);
  const float alpha1 = float(o.alpha1), alpha0 = float(o.alpha0);

  // Primal (chi, w) with their over-relaxed copies, duals (p, q, r), scratch for the operators.
  auto chi = fields(2, nv), w = fields(6, nv), p = fields(3, nv), q = fields(6, nv), r = fields(1, nv),
       scratch = fields(6, nv), chi_checked = fields(1, nv);
  float* x = chi[0].data();
  float* x_bar = chi[1].data();
  const VectorField w_now = pointers<3>(w), w_bar = pointers<3>(w, 3);
  const VectorField t3 = pointers<3>(scratch);
  const SymmetricTensorField t6 = pointers<6>(scratch);

  auto masked_sq_norm = [&](auto&& f) {
    return deterministic_sum(nv, [&](int64_t v) { return mask[v] ? double(f(v)) * f(v) : 0.0; });
  };

  // Warm start: chi from gradient-regularised Tikhonov (closed form; TKD's truncation biases
  // chi low and the small steps keep that bias), w = grad chi (no first-order cost at first).
  InversionCommon start_common = c;
  start_common.progress = false;
  const Volume start = crop(tikhonov(in, TikhonovOptions{}, start_common).chi, box);
  for (int64_t v = 0; v < nv; ++v) x[v] = x_bar[v] = start[v];
  gradient_forward(x, w_now[0], w_now[1], w_now[2], k.n, k.h);
  for (int d = 0; d < 3; ++d) std::copy(w[d].begin(), w[d].end(), w[3 + d].begin());
  std::copy(chi[0].begin(), chi[0].end(), chi_checked[0].begin());

  std::optional<log::Progress> progress;
  if (c.progress) progress.emplace("TGV", o.max_iterations);
  int iterations = 0;
  double relative_change = 1;
  for (int it = 1; it <= o.max_iterations; ++it) {
    // Dual ascent: p onto |p| <= alpha1, q onto |q|_F <= alpha0 (isotropic L1 norms), and the
    // proximal map of the conjugate of 1/2 ||z - M lap f||^2.
    gradient_forward(x_bar, t3[0], t3[1], t3[2], k.n, k.h);
    parallel_for(nv, [&](int64_t v) {
      float a[3], len = 0;
      for (int d = 0; d < 3; ++d) a[d] = p[d][v] + sigma * (t3[d][v] - w_bar[d][v]), len += a[d] * a[d];
      const float shrink = std::max(1.0f, std::sqrt(len) / alpha1);
      for (int d = 0; d < 3; ++d) p[d][v] = a[d] / shrink;
    });
    detail::symmetric_gradient({w_bar[0], w_bar[1], w_bar[2]}, t6, k.n, k.h);
    parallel_for(nv, [&](int64_t v) {
      float a[6], len = 0;
      for (int e = 0; e < 6; ++e) a[e] = q[e][v] + sigma * t6[e][v], len += (e < 3 ? 1 : 2) * a[e] * a[e];
      const float shrink = std::max(1.0f, std::sqrt(len) / alpha0);
      for (int e = 0; e < 6; ++e) q[e][v] = a[e] / shrink;
    });
    detail::dipole_laplacian(x_bar, t6[0], k.n, k.h, k.b);
    parallel_for(nv, [&](int64_t v) {
      r[0][v] = k.data_mask[v] ? (r[0][v] + sigma * (t6[0][v] - k.laplacian_field[v])) / (1 + sigma) : 0.0f;
    });

    // Primal descent x -= tau K^T y (no constraint on chi or w), then x_bar = 2 x_new - x_old.
    divergence_backward(p[0].data(), p[1].data(), p[2].data(), t6[0], k.n, k.h);
    detail::dipole_laplacian(r[0].data(), t6[1], k.n, k.h, k.b);
    parallel_for(nv, [&](int64_t v) {
      const float u = tau * (t6[0][v] - t6[1][v]);
      x_bar[v] = x[v] + 2 * u;
      x[v] += u;
    });
    detail::symmetric_divergence(const_pointers<6>(q), t3, k.n, k.h);
    parallel_for(nv, [&](int64_t v) {
      for (int d = 0; d < 3; ++d) {
        const float u = tau * (p[d][v] + t3[d][v]);
        w_bar[d][v] = w_now[d][v] + 2 * u;
        w_now[d][v] += u;
      }
    });

    iterations = it;
    if (progress) progress->update(it);
    if (it % kCheckInterval == 0) {
      const float* previous = chi_checked[0].data();
      const double change = masked_sq_norm([&](int64_t v) { return x[v] - previous[v]; });
      const double size = masked_sq_norm([&](int64_t v) { return x[v]; });
      relative_change = size > 0 ? std::sqrt(change / size) : 0.0;
      std::copy(chi[0].begin(), chi[0].end(), chi_checked[0].begin());
      if (relative_change < o.tolerance) break;
    }
  }
  if (progress) progress->finish();

  Volume chi_box(field.grid());
  for (int64_t v = 0; v < nv; ++v) chi_box[v] = mask[v] ? x[v] : 0.0f;
  InversionResult res;
  res.chi = Volume(in.field.grid());
  paste(chi_box, box, res.chi);
  res.method = "tgv";
  res.iterations = iterations;
  res.lambda = o.alpha1;
  res.lambda_name = "alpha1";
  res.relative_change = relative_change;
  return res;
}

}  // namespace qsmtk
