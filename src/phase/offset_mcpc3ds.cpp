// MCPC-3D-S receiver phase offset estimation (Eckstein et al., MRM 2018).
#include <cmath>
#include <complex>
#include <stdexcept>

#include "qsmtk/kernels/gaussian.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/offset.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {

Volume smooth_phase(const Volume& phase, const Volume& weight, double sigma_mm) {
  const Grid& g = phase.grid();
  Volume re(g), im(g);
  parallel_for(phase.voxels(), [&](int64_t q) {
    const float w = std::isfinite(weight[q]) && std::isfinite(phase[q]) ? weight[q] : 0.0f;
    re[q] = w * std::cos(phase[q]);
    im[q] = w * std::sin(phase[q]);
  });
  gaussian_smooth(re, sigma_mm);
  gaussian_smooth(im, sigma_mm);
  Volume out(g);
  parallel_for(phase.voxels(), [&](int64_t q) { out[q] = std::atan2(im[q], re[q]); });
  return out;
}

Volume estimate_phase_offset(const Volume& phase, const Volume& magnitude, const Mask& mask, const std::vector<double>& te,
                             const PhaseOffsetOptions& o) {
  const int64_t ne = phase.frames();
  if (ne < 2) throw std::invalid_argument("phase offset estimation needs at least two echoes");
  if (o.echo_a < 0 || o.echo_b >= ne || o.echo_a == o.echo_b) throw std::invalid_argument("phase offset: bad echo pair");
  const int64_t a = o.echo_a, b = o.echo_b;
  const Grid& g = phase.grid();
  const int64_t nv = phase.voxels();
  Volume diff(g), weight(g);
  parallel_for(nv, [&](int64_t q) {
    diff[q] = float(wrap_phase(double(phase.frame(b)[q]) - phase.frame(a)[q]));
    weight[q] = magnitude.frame(a)[q] * magnitude.frame(b)[q];
  });
  const Volume mag_a = magnitude.extract_frame(a);
  const Volume diff_unwrapped = unwrap_region_growing(diff, mask, &mag_a);
  Volume offset(g);
  const double ratio = te[a] / (te[b] - te[a]);
  parallel_for(nv, [&](int64_t q) {
    offset[q] = mask[q] ? float(wrap_phase(phase.frame(a)[q] - ratio * diff_unwrapped[q])) : 0.0f;
  });
  Volume w = mag_a;
  parallel_for(nv, [&](int64_t q) {
    if (!mask[q]) w[q] = 0.0f;
  });
  return smooth_phase(offset, w, o.smoothing_mm);
}

Volume remove_phase_offset(const Volume& phase, const Volume& offset) {
  Volume out(phase.grid(), phase.frames());
  const int64_t nv = phase.voxels();
  for (int64_t e = 0; e < phase.frames(); ++e)
    parallel_for(nv, [&](int64_t q) { out.frame(e)[q] = float(wrap_phase(double(phase.frame(e)[q]) - offset[q])); });
  return out;
}

}  // namespace qsmtk
