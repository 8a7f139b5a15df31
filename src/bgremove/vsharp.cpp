// V-SHARP: Li W, Wu B, Liu C. NeuroImage 2011;55:1645-1656; Wu B et al. MRM 2012;67:137-147.
#include <algorithm>
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "smv_common.h"

namespace qsmtk {

LocalField vsharp(const Volume& total, const Mask& mask, const VsharpOptions& o) {
  require_same_space(total.grid(), mask.grid(), "V-SHARP: field and mask");
  const Vec3& h = total.grid().voxel_size;
  const double hmax = std::max({h[0], h[1], h[2]});
  const double rmin = o.min_radius_mm > 0 ? o.min_radius_mm : 2 * hmax;
  const double step = o.step_mm > 0 ? o.step_mm : hmax;
  if (!(o.max_radius_mm >= rmin) || !(o.threshold > 0 && o.threshold < 1))
    throw std::invalid_argument("V-SHARP: need max radius >= min radius and threshold in (0, 1)");
  std::vector<double> radii;
  for (double r = o.max_radius_mm; r >= rmin - 1e-9; r -= step) radii.push_back(r);
  if (radii.back() > rmin + 1e-9) radii.push_back(rmin);

  detail::SmvProblem p(total, mask, radii.front());
  RealFFT3& fft = p.conv.fft();
  const int64_t ns = fft.spectrum_size();
  const Mask& m = p.mask;
  p.conv.pad(p.field.data());
  fft.forward();
  const AlignedVector<std::complex<float>> field_spectrum(fft.spectrum(), fft.spectrum() + ns);

  Volume high_passed(m.grid()), local(m.grid());
  Mask assigned(m.grid());
  SpectralKernel inverse;
  const float scale = 1.0f / float(fft.real_size());
  log::Progress progress("V-SHARP kernels", int64_t(radii.size()));
  for (size_t k = 0; k < radii.size(); ++k) {
    const SpectralKernel s = smv_kernel(fft, h, radii[k]);
    const Mask eroded = p.eroded(s);
    if (k == 0) {  // the largest kernel deconvolves
      inverse.resize(s.size());
      parallel_for(ns, [&](int64_t i) {
        const float hp = 1.0f - s[i];
        inverse[i] = std::fabs(hp) >= o.threshold ? 1.0f / hp : 0.0f;
      });
    }
    std::complex<float>* spec = fft.spectrum();
    parallel_for(ns, [&](int64_t i) { spec[i] = field_spectrum[i] * ((1.0f - s[i]) * scale); });
    fft.backward();
    p.conv.crop(high_passed.data());
    parallel_for(local.size(), [&](int64_t i) {
      if (eroded[i] && !assigned[i]) local[i] = high_passed[i], assigned[i] = 1;
    });
    progress.update(int64_t(k + 1));
  }
  p.conv.apply(local.data(), inverse, local.data());
  parallel_for(local.size(), [&](int64_t i) { local[i] = assigned[i] ? local[i] : 0.0f; });

  return p.result(local, assigned, total.grid(), "vsharp", int(radii.size()));
}

}  // namespace qsmtk
