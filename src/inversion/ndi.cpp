// NDI, nonlinear dipole inversion: Polak D, Chatnuntawech I, Yoon J, et al. NMR Biomed
// 2020;33:e4271. Gradient descent on E(chi) = sum W^2 (1 - cos(s (D chi - f))) / s^2 +
// alpha/2 ||chi||^2 (the paper's ||W(e^{iD chi} - e^{i phi})||^2 + alpha ||chi||^2 in ppm units,
// s = phase per ppm), regularised mainly by stopping early. chi is kept in k-space, so an
// iteration costs one FFT pair: D chi back to image space, the residual forward.
#include <cmath>
#include <memory>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

InversionResult ndi(const InversionInput& in, const NdiOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "NDI");
  if (!(o.step > 0) || !(o.alpha >= 0) || o.max_iterations < 1)
    throw std::invalid_argument("NDI: step must be > 0, alpha >= 0, iterations >= 1");
  detail::InversionGrid g(in, c);
  const int64_t np = g.size(), ns = g.spectrum_size();
  const SpectralKernel& d = g.dipole();
  const float s = float(detail::phase_scale(in)), tau = float(o.step), alpha = float(o.alpha);
  const float inv_np = 1.0f / float(np);
  RealFFT3& fft = g.fft();
  AlignedVector<std::complex<float>> chi_k(static_cast<size_t>(ns), {0.0f, 0.0f});
  std::shared_ptr<log::Progress> progress;
  if (c.progress) progress = std::make_shared<log::Progress>("NDI", o.max_iterations);
  InversionResult res;
  res.method = "ndi";
  res.lambda = o.alpha;
  res.lambda_name = "alpha";
  std::complex<float>* sp = fft.spectrum();
  float* r = fft.real();
  for (int it = 1; it <= o.max_iterations; ++it) {
    parallel_for(ns, [&](int64_t i) { sp[i] = chi_k[i] * (d[i] * inv_np); });
    fft.backward();  // D chi
    parallel_for(np, [&](int64_t i) {
      const float w2 = g.weight[i] * g.weight[i];
      r[i] = detail::nonlinear_data_gradient(r[i], g.field[i], w2, s);
    });
    fft.forward();
    // chi -= tau (D^T residual + alpha chi); track the size of the step relative to chi.
    const double change = deterministic_sum(ns, [&](int64_t i) {
      const std::complex<float> step = tau * (d[i] * sp[i] + alpha * chi_k[i]);
      chi_k[i] -= step;
      return double(std::norm(step));
    });
    const double norm = deterministic_sum(ns, [&](int64_t i) { return double(std::norm(chi_k[i])); });
    res.iterations = it;
    res.relative_change = norm > 0 ? std::sqrt(change / norm) : 0.0;
    if (progress) progress->update(it);
    if (res.relative_change <= o.tolerance) break;
  }
  if (progress) progress->finish();
  parallel_for(ns, [&](int64_t i) { sp[i] = chi_k[i] * inv_np; });
  fft.backward();
  res.chi = g.to_full(fft.real());
  return res;
}

}  // namespace qsmtk
