// PDF: Liu T, Khalidov I, de Rochefort L, et al. NMR Biomed 2011;24:1129-1136.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/cg.h"

namespace qsmtk {

LocalField pdf(const Volume& total, const Mask& mask, const Vec3& b0, const Volume* noise, const PdfOptions& o) {
  require_same_space(total.grid(), mask.grid(), "PDF: field and mask");
  if (noise) require_same_space(total.grid(), noise->grid(), "PDF: field and noise map");
  const Dims& n = total.dims();
  const Vec3& h = total.grid().voxel_size;
  const Dims p = fft_padded_dims(n, fft_pad_fraction(n, o.pad_fraction));
  RealFFT3 fft(p);
  const SpectralKernel d = dipole_kernel(p, h, b0, o.kernel);
  const int64_t np = fft.real_size(), ns = fft.spectrum_size();
  auto at = [&](int64_t i, int64_t j, int64_t k) { return i + p[0] * (j + p[1] * k); };

  // On the padded grid: w2 = (weight^2 inside the mask, 0 elsewhere), outside = 1 off the mask.
  double wscale = 1;
  if (noise) {
    std::vector<float> v;
    for (int64_t q = 0; q < mask.voxels(); ++q)
      if (mask[q] && std::isfinite((*noise)[q]) && (*noise)[q] > 0) v.push_back((*noise)[q]);
    if (!v.empty()) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      wscale = v[v.size() / 2];  // weights relative to the median noise
    }
  }
  AlignedVector<float> w2(size_t(np), 0.0f), outside(size_t(np), 1.0f), f(size_t(np), 0.0f);
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = mask.index(i, j, k), e = at(i, j, k);
        if (!mask[q]) continue;
        double w = 1;
        if (noise) {
          const double s = (*noise)[q];
          // Noisier than the median: less weight. Quieter: no more (up-weighting the quietest
          // voxels, as 1/noise does, cost 3-4 points of NRMSE on every phantom case).
          w = (std::isfinite(s) && s > 0) ? std::min(1.0, wscale / s) : 0.0;
        }
        w2[e] = float(w * w);
        outside[e] = 0.0f;
        f[e] = std::isfinite(total[q]) ? total[q] : 0.0f;
      }
  });
  const float scale = 1.0f / float(np);
  auto dipole = [&](const float* in, float* out) {
    std::copy(in, in + np, fft.real());
    fft.forward();
    std::complex<float>* s = fft.spectrum();
    parallel_for(ns, [&](int64_t i) { s[i] *= d[i] * scale; });
    fft.backward();
    std::copy(fft.real(), fft.real() + np, out);
  };
  const size_t len = static_cast<size_t>(np);
  AlignedVector<float> tmp(len);
  // Normal equations: E D W^2 M D E x = E D W^2 M f (E: outside the mask; D symmetric).
  auto normal = [&](const float* in, float* out) {
    parallel_for(np, [&](int64_t i) { tmp[i] = outside[i] * in[i]; });
    dipole(tmp.data(), tmp.data());
    parallel_for(np, [&](int64_t i) { tmp[i] *= w2[i]; });
    dipole(tmp.data(), out);
    parallel_for(np, [&](int64_t i) { out[i] *= outside[i]; });
  };
  AlignedVector<float> b(len), x(len, 0.0f);
  parallel_for(np, [&](int64_t i) { tmp[i] = w2[i] * f[i]; });
  dipole(tmp.data(), b.data());
  parallel_for(np, [&](int64_t i) { b[i] *= outside[i]; });
  const CgOptions co = cg_options_with_progress("PDF", o.tolerance, o.max_iterations);
  const CgResult r = conjugate_gradient(normal, b.data(), x.data(), np, co);
  parallel_for(np, [&](int64_t i) { tmp[i] = outside[i] * x[i]; });
  dipole(tmp.data(), tmp.data());  // the background field

  LocalField out{Volume(total.grid()), mask, r.iterations, r.relative_residual, "pdf"};
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = mask.index(i, j, k);
        if (mask[q]) out.field[q] = f[at(i, j, k)] - tmp[at(i, j, k)];
      }
  });
  return out;
}

}  // namespace qsmtk
