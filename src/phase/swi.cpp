#include "qsmtk/phase/swi.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/kernels/gaussian.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {
namespace {

/// Phase mask: 1 for phase of the diamagnetic sign, falling linearly to 0 at |phase| = pi for
/// the paramagnetic sign (positive phase under phase = +2 pi f TE).
float phase_mask(float phase, bool paramagnetic_dark) {
  const float p = paramagnetic_dark ? phase : -phase;
  return p > 0 ? std::max(0.0f, 1.0f - p / float(M_PI)) : 1.0f;
}

SwiImages finish(const Volume& mag, const Volume& hp_phase, const Mask& mask, const SwiOptions& o) {
  SwiImages out{Volume(mag.grid()), Volume(mag.grid()), hp_phase};
  parallel_for(mag.voxels(), [&](int64_t q) {
    const float f = mask[q] ? std::pow(phase_mask(hp_phase[q], o.paramagnetic_dark), float(o.mask_power)) : 1.0f;
    out.swi[q] = mag[q] * f;
  });
  const Dims& n = mag.dims();
  const int half = std::max(0, int(std::lround(o.minip_mm / mag.grid().voxel_size[2] / 2)));
  parallel_for(n[2], [&](int64_t k) {
    const int64_t k0 = std::max<int64_t>(0, k - half), k1 = std::min<int64_t>(n[2] - 1, k + half);
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        float m = INFINITY;
        for (int64_t kk = k0; kk <= k1; ++kk) m = std::min(m, out.swi(i, j, kk));
        out.minip(i, j, k) = m;
      }
  });
  return out;
}

}  // namespace

SwiImages swi_homodyne(const Volume& magnitude, const Volume& phase, const Mask& mask, int echo, const SwiOptions& o) {
  if (echo < 0 || echo >= phase.frames()) throw std::invalid_argument("SWI: echo out of range");
  const Grid& g = phase.grid();
  const Volume mag = magnitude.extract_frame(echo);
  Volume re(g), im(g);
  parallel_for(mag.voxels(), [&](int64_t q) {
    const float p = phase.frame(echo)[q];
    re[q] = mag[q] * std::cos(p);
    im[q] = mag[q] * std::sin(p);
  });
  Volume lre = re, lim = im;
  gaussian_smooth(lre, o.highpass_sigma_mm);
  gaussian_smooth(lim, o.highpass_sigma_mm);
  Volume hp(g);
  // arg(S conj(LP(S)))
  parallel_for(mag.voxels(), [&](int64_t q) {
    hp[q] = std::atan2(im[q] * lre[q] - re[q] * lim[q], re[q] * lre[q] + im[q] * lim[q]);
  });
  return finish(mag, hp, mask, o);
}

SwiImages swi_multi_echo(const Volume& magnitude, const Volume& field_hz, const Mask& mask,
                         const std::vector<double>& te, const SwiOptions& o, double reference_te) {
  const Grid& g = field_hz.grid();
  if (reference_te <= 0) {
    for (double t : te) reference_te += t / double(te.size());
  }
  Volume rss(g);
  parallel_for(rss.voxels(), [&](int64_t q) {
    double s = 0;
    for (int64_t e = 0; e < magnitude.frames(); ++e) s += double(magnitude.frame(e)[q]) * magnitude.frame(e)[q];
    rss[q] = float(std::sqrt(s));
  });
  // High-pass the field within the mask: subtract its normalised Gaussian-smoothed version.
  Volume f(g), w(g);
  parallel_for(g.voxels(), [&](int64_t q) {
    const bool in = mask[q] && std::isfinite(field_hz[q]);
    f[q] = in ? field_hz[q] : 0.0f;
    w[q] = in ? 1.0f : 0.0f;
  });
  Volume fs = f, ws = w;
  gaussian_smooth(fs, o.highpass_sigma_mm);
  gaussian_smooth(ws, o.highpass_sigma_mm);
  Volume hp(g);
  parallel_for(g.voxels(), [&](int64_t q) {
    hp[q] = (mask[q] && ws[q] > 0) ? float(wrap_phase(2 * M_PI * reference_te * (f[q] - fs[q] / ws[q]))) : 0.0f;
  });
  return finish(rss, hp, mask, o);
}

}  // namespace qsmtk
