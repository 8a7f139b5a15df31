// Weighted total variation (tv) and its nonlinear variant (nltv) by ADMM with the variable split
// of FANSI: Milovic C, Bilgic B, Zhao B, Acosta-Cabronero J, Tejos C. "Fast nonlinear
// susceptibility inversion with variational regularization", MRM 2018;80:814-821; Bilgic B et
// al., MRM 2014;72:1444-1459 (linear). z1 = grad chi and z2 = D chi make every sub-step closed
// form: the chi-step is diagonal in k-space (periodic differences), the z-steps are elementwise.
//   tv:   min_chi 1/2 ||W (D chi - f)||^2 + lambda ||grad chi||_1
//   nltv: min_chi sum W^2 (1 - cos(s (D chi - f))) / s^2 + lambda ||grad chi||_1
// with s the phase per ppm (radians_per_ppm); the nonlinear term equals the linear one for small
// phase errors and is robust where the field is large or noisy (vessels, edges).
#include <cmath>
#include <memory>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/admm.h"

namespace qsmtk {

InversionResult tv(const InversionInput& in, const TvOptions& o, bool nonlinear, const InversionCommon& c) {
  const std::string name = nonlinear ? "nltv" : "tv";
  detail::check_inversion_input(in, name);
  if (!(o.lambda > 0) || !(o.mu_data > 0) || o.mu_gradient < 0 || o.max_iterations < 1 || o.newton_steps < 1)
    throw std::invalid_argument(name + ": lambda, mu and iteration counts must be positive");
  detail::InversionGrid g(in, c);
  const int64_t np = g.size(), ns = g.spectrum_size();
  const float mu1 = float(o.mu_gradient > 0 ? o.mu_gradient : 100 * o.lambda), mu2 = float(o.mu_data);
  const float shrink = float(o.lambda) / mu1;
  const float s = float(detail::phase_scale(in));
  const SpectralKernel& d = g.dipole();
  const SpectralKernel& lap = g.laplacian_symbol();
  const float inv_np = 1.0f / float(np);
  // 1 / (mu1 |G|^2 + mu2 D^2), with the FFT's 1/N folded in; 0 at k = 0 (the mean is undetermined).
  SpectralKernel inv_denominator(static_cast<size_t>(ns));
  parallel_for(ns, [&](int64_t i) {
    const float den = mu1 * lap[i] + mu2 * d[i] * d[i];
    inv_denominator[i] = den > 0 ? inv_np / den : 0.0f;
  });
  // Two transforms: the gradient part of the x-step's right-hand side in `fft` (then x), the data
  // part in `data_fft` (then D x, which the z-step reads).
  RealFFT3& fft = g.fft();
  RealFFT3 data_fft(g.dims());
  const float* dx = data_fft.real();

  AdmmSplitting split;
  split.n = np;
  split.m = 4 * np;
  split.solve_x = [&](const float* z, const float* u) {
    // chi_k = (mu1 F(grad^T (z - u)) + mu2 D F(z_d - u_d)) / (mu1 |G|^2 + mu2 D^2).
    g.gradient_adjoint_of_difference(z, u, fft.real(), mu1);
    float* r = data_fft.real();
    parallel_for(np, [&](int64_t i) { r[i] = z[i + 3 * np] - u[i + 3 * np]; });
    fft.forward();
    data_fft.forward();
    std::complex<float>* sp = fft.spectrum();
    std::complex<float>* sd = data_fft.spectrum();
    parallel_for(ns, [&](int64_t i) {
      const std::complex<float> chi_k = (sp[i] + mu2 * d[i] * sd[i]) * inv_denominator[i];
      sp[i] = chi_k;
      sd[i] = chi_k * d[i];
    });
    fft.backward();
    data_fft.backward();
    return static_cast<const float*>(fft.real());
  };
  split.update_z_and_dual = [&](const float* x, float* z, float* u) {
    // Gradient block: isotropic soft threshold. Data block: voxel by voxel (Newton for nltv).
    g.for_each_gradient(x, [&](int64_t i, float gx, float gy, float gz) {
      detail::shrink_gradient_split(gx, gy, gz, z, u, i, np, shrink);
      const float w2 = g.weight[i] * g.weight[i], y = dx[i] + u[i + 3 * np], field = g.field[i];
      float zd = (w2 * field + mu2 * y) / (w2 + mu2);
      if (nonlinear && w2 > 0) {
        // Newton on w2 (1 - cos(s (z - f))) / s^2 + mu2/2 (z - y)^2 from the linear solution.
        for (int it = 0; it < o.newton_steps; ++it) {
          const float e = s * (zd - field);
          const float grad = detail::nonlinear_data_gradient(zd, field, w2, s) + mu2 * (zd - y);
          const float hess = mu2 + w2 * std::max(0.0f, std::cos(e));
          zd -= grad / hess;
        }
      }
      z[i + 3 * np] = zd;
      u[i + 3 * np] = y - zd;
    });
  };
  AdmmOptions ao;
  ao.tolerance = o.tolerance;
  ao.max_iterations = o.max_iterations;
  std::shared_ptr<log::Progress> progress;
  if (c.progress) progress = std::make_shared<log::Progress>(nonlinear ? "nonlinear TV (ADMM)" : "TV (ADMM)", o.max_iterations);
  ao.on_iteration = [&](int it, double) {
    if (progress) progress->update(it);
    return true;
  };
  AlignedVector<float> chi(static_cast<size_t>(np), 0.0f);
  const AdmmResult r = admm(split, chi.data(), ao);
  if (progress) progress->finish();
  InversionResult res;
  res.chi = g.to_full(chi.data());
  res.method = name;
  res.iterations = r.iterations;
  res.relative_change = r.relative_change;
  res.lambda = o.lambda;
  res.lambda_name = "lambda (TV)";
  return res;
}

}  // namespace qsmtk
