// MEDI, morphology enabled dipole inversion with the nonlinear data term: Liu T, Liu J, de
// Rochefort L, et al. MRM 2011;66:777-783; Liu J, Liu T, de Rochefort L, et al. NeuroImage
// 2012;59:2560-2568; Liu T, Wisnieff C, Lou M, et al. MRM 2013;69:467-476. MEDI+0: Liu Z,
// Spincemaille P, Yao Y, Zhang Y, Wang Y. MRM 2018;79:2795-2803.
//   min_chi lambda sum W^2 (1 - cos(s (D chi - f))) / s^2 + ||M_G grad chi||_1
//           + lambda_csf ||M_csf (chi - mean_csf chi)||^2
// M_G is 0 on the gradients where the magnitude has an edge (the largest edge_fraction of the
// magnitude's gradient components in the mask), so edges seen in the magnitude are not smoothed.
// Gauss-Newton with the L1 term made quadratic by lagged diffusivity, each step solved by CG.
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/cg.h"

namespace qsmtk {

namespace {
constexpr float kTvSmoothing = 1e-6f;  // (ppm/mm)^2 added under |M_G grad chi|^2

/// 1 where the magnitude's gradient component is not among the largest `edge_fraction` of those
/// in the mask; all 1 without a magnitude.
AlignedVector<uint8_t> gradient_mask(detail::InversionGrid& g, const Volume* magnitude, double edge_fraction) {
  const int64_t np = g.size();
  AlignedVector<uint8_t> m(static_cast<size_t>(3 * np), 1);
  if (!magnitude || edge_fraction <= 0) return m;
  AlignedVector<float> mag = g.to_padded(*magnitude), gr(static_cast<size_t>(3 * np));
  parallel_for(np, [&](int64_t i) { mag[i] = g.mask[i] ? mag[i] : 0.0f; });
  g.gradient(mag.data(), gr.data(), gr.data() + np, gr.data() + 2 * np);
  std::vector<float> values;
  values.reserve(size_t(3 * g.mask_voxels));
  for (int64_t i = 0; i < np; ++i)
    if (g.mask[i])
      for (int c = 0; c < 3; ++c) values.push_back(std::fabs(gr[i + c * np]));
  if (values.empty()) return m;
  const size_t k = std::min(values.size() - 1, size_t(double(values.size()) * (1.0 - std::min(1.0, edge_fraction))));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  const float level = values[k];
  parallel_for(3 * np, [&](int64_t i) { m[i] = std::fabs(gr[i]) <= level ? 1 : 0; });
  return m;
}
}  // namespace

InversionResult medi(const InversionInput& in, const MediOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "MEDI");
  if (!(o.lambda > 0) || !(o.edge_fraction >= 0 && o.edge_fraction < 1) || !(o.lambda_csf >= 0) ||
      o.gauss_newton_iterations < 1 || o.cg_iterations < 1)
    throw std::invalid_argument("MEDI: lambda > 0, edge fraction in [0, 1), lambda_csf >= 0, iterations >= 1");
  if (o.lambda_csf > 0 && !in.csf) throw std::invalid_argument("MEDI+0: lambda_csf needs a CSF mask");
  if (!in.magnitude) log::warn("MEDI: no magnitude given; the gradient is regularised everywhere (no edge mask)");
  detail::InversionGrid g(in, c);
  const int64_t np = g.size();
  const SpectralKernel& d = g.dipole();
  const float s = float(detail::phase_scale(in)), lambda = float(o.lambda), lambda_csf = float(o.lambda_csf);
  const AlignedVector<uint8_t> mg = gradient_mask(g, in.magnitude, o.edge_fraction);
  AlignedVector<uint8_t> csf;
  int64_t csf_voxels = 0;
  if (lambda_csf > 0) {
    Volume v(in.csf->grid());
    for (int64_t q = 0; q < v.size(); ++q) v[q] = (*in.csf)[q] && in.mask[q] ? 1.0f : 0.0f;
    const AlignedVector<float> p = g.to_padded(v);
    csf.assign(size_t(np), 0);
    for (int64_t i = 0; i < np; ++i) csf[i] = p[i] > 0.5f, csf_voxels += csf[i];
    if (csf_voxels == 0) throw std::invalid_argument("MEDI+0: the CSF mask has no voxel inside the brain mask");
  }
  auto csf_mean = [&](const float* x) {
    return deterministic_sum(np, [&](int64_t i) { return csf[i] ? double(x[i]) : 0.0; }) / double(csf_voxels);
  };

  AlignedVector<float> chi(static_cast<size_t>(np), 0.0f), dchi(static_cast<size_t>(np)), b(static_cast<size_t>(np)),
      w2(static_cast<size_t>(np)), coefficient(static_cast<size_t>(3 * np));
  parallel_for(np, [&](int64_t i) { w2[i] = g.weight[i] * g.weight[i]; });
  // The dipole with the FFT's 1/N folded in, and D pointwise(D x) computed in place in the FFT's
  // buffers (no copies between the transforms): both the CG operator and the Gauss-Newton
  // gradient are of this form.
  RealFFT3& fft = g.fft();
  SpectralKernel d_scaled(d.size());
  const float inv_np = 1.0f / float(np);
  parallel_for(int64_t(d.size()), [&](int64_t i) { d_scaled[i] = d[i] * inv_np; });
  auto dipole_sandwich = [&](const float* x, auto&& pointwise) -> const float* {
    std::copy(x, x + np, fft.real());
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) {
        float* r = fft.real();
        parallel_for(np, [&](int64_t i) { r[i] = pointwise(i, r[i]); });
      }
      fft.forward();
      std::complex<float>* sp = fft.spectrum();
      parallel_for(g.spectrum_size(), [&](int64_t i) { sp[i] *= d_scaled[i]; });
      fft.backward();
    }
    return fft.real();
  };
  const LinearOperator A = [&](const float* x, float* out) {
    // Regulariser's quadratic form grad^T M_G P M_G grad x (P the lagged diffusivity), then the
    // data term's D W^2 D x.
    g.weighted_gradient_normal(x, coefficient.data(), out);
    const float* data = dipole_sandwich(x, [&](int64_t i, float v) { return w2[i] * v; });
    const double mean = lambda_csf > 0 ? csf_mean(x) : 0.0;
    parallel_for(np, [&](int64_t i) {
      out[i] += lambda * data[i];
      if (lambda_csf > 0 && csf[i]) out[i] += lambda_csf * (x[i] - float(mean));
    });
  };

  std::shared_ptr<log::Progress> progress;
  if (c.progress) progress = std::make_shared<log::Progress>("MEDI", o.gauss_newton_iterations);
  InversionResult res;
  res.method = "medi";
  res.lambda = o.lambda;
  res.lambda_name = "lambda (data)";
  for (int it = 1; it <= o.gauss_newton_iterations; ++it) {
    g.for_each_gradient(chi.data(), [&](int64_t i, float gx, float gy, float gz) {
      const bool mx = mg[i], my = mg[i + np], mz = mg[i + 2 * np];
      const float m2 = (mx ? gx * gx : 0.0f) + (my ? gy * gy : 0.0f) + (mz ? gz * gz : 0.0f);
      const float p = 1.0f / std::sqrt(m2 + kTvSmoothing);
      coefficient[i] = mx ? p : 0.0f, coefficient[i + np] = my ? p : 0.0f, coefficient[i + 2 * np] = mz ? p : 0.0f;
    });
    // b = -(gradient of the energy at chi).
    g.weighted_gradient_normal(chi.data(), coefficient.data(), b.data());
    const float* data = dipole_sandwich(chi.data(), [&](int64_t i, float v) {
      return detail::nonlinear_data_gradient(v, g.field[i], w2[i], s);
    });
    const double mean = lambda_csf > 0 ? csf_mean(chi.data()) : 0.0;
    parallel_for(np, [&](int64_t i) {
      float v = b[i] + lambda * data[i];
      if (lambda_csf > 0 && csf[i]) v += lambda_csf * (chi[i] - float(mean));
      b[i] = -v;
    });
    std::fill(dchi.begin(), dchi.end(), 0.0f);
    CgOptions co;
    co.tolerance = o.cg_tolerance;
    co.max_iterations = o.cg_iterations;
    conjugate_gradient(A, b.data(), dchi.data(), np, co);
    const double step = deterministic_sum(np, [&](int64_t i) {
      chi[i] += dchi[i];
      return double(dchi[i]) * dchi[i];
    });
    const double norm = deterministic_sum(np, [&](int64_t i) { return double(chi[i]) * chi[i]; });
    res.iterations = it;
    res.relative_change = norm > 0 ? std::sqrt(step / norm) : 0.0;
    if (progress) progress->update(it);
    if (res.relative_change <= o.tolerance) break;
  }
  if (progress) progress->finish();
  res.chi = g.to_full(chi.data());
  return res;
}

}  // namespace qsmtk
