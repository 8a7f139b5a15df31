#pragma once
// Shared by the SMV-based methods: work on the mask's bounding box, FFT grid padded by the radius.
#include <cmath>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/convolution.h"
#include "qsmtk/crop.h"
#include "qsmtk/kernels/smv.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"

namespace qsmtk::detail {

inline int64_t radius_voxels(const Vec3& h, double r) {
  return int64_t(std::ceil(r / std::min({h[0], h[1], h[2]})));
}

/// The voxels whose SMV ball lies entirely inside the mask: (S * mask) == 1, in the spectrum
/// domain of `conv` (mask_spectrum is the FFT of the padded mask).
inline Mask smv_erode(Convolver& conv, const std::complex<float>* mask_spectrum, const SpectralKernel& s,
                      const Grid& grid) {
  RealFFT3& f = conv.fft();
  std::complex<float>* spec = f.spectrum();
  const float scale = 1.0f / float(f.real_size());
  parallel_for(f.spectrum_size(), [&](int64_t i) { spec[i] = mask_spectrum[i] * (s[i] * scale); });
  f.backward();
  Volume v(grid);
  conv.crop(v.data());
  Mask m(grid);
  parallel_for(v.size(), [&](int64_t i) { m[i] = v[i] > 1.0f - 1e-4f ? 1 : 0; });
  return m;
}

/// The common set-up of the SMV methods: the mask's bounding box with room for the largest
/// kernel (radius_mm), the field there (0 off the mask), a convolver padded by that radius and
/// the mask's spectrum for the erosions.
struct SmvProblem {
  Box box;
  Mask mask;
  Volume field;
  Convolver conv;
  AlignedVector<std::complex<float>> mask_spectrum;

  SmvProblem(const Volume& total, const Mask& full_mask, double radius_mm)
      : box(bounding_box(full_mask, radius_voxels(total.grid().voxel_size, radius_mm) + 1)),
        mask(crop(full_mask, box)),
        field(crop(total, box)),
        conv(box.size, fft_padded_dims(box.size, padding(total.grid().voxel_size, radius_mm))) {
    parallel_for(field.size(), [&](int64_t i) { field[i] = mask[i] ? field[i] : 0.0f; });
    Volume mf(mask.grid());
    parallel_for(mask.size(), [&](int64_t i) { mf[i] = mask[i]; });
    conv.pad(mf.data());
    conv.fft().forward();
    mask_spectrum.assign(conv.fft().spectrum(), conv.fft().spectrum() + conv.fft().spectrum_size());
  }
  /// The voxels whose ball (kernel s) lies inside the mask.
  Mask eroded(const SpectralKernel& s) { return smv_erode(conv, mask_spectrum.data(), s, mask.grid()); }
  /// A result on the box back into the full grid.
  LocalField result(const Volume& local, const Mask& valid, const Grid& full, const std::string& method, int iterations = 0,
                    double residual = 0) const {
    LocalField out{Volume(full), Mask(full), iterations, residual, method};
    paste(local, box, out.field);
    paste(valid, box, out.mask);
    return out;
  }

 private:
  static Dims padding(const Vec3& h, double r) {
    const int64_t rv = radius_voxels(h, r) + 1;
    return {rv, rv, rv};
  }
};

}  // namespace qsmtk::detail
