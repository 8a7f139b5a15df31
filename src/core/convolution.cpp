#include "qsmtk/convolution.h"

#include <cstring>
#include <stdexcept>

#include "qsmtk/parallel.h"

namespace qsmtk {

Convolver::Convolver(const Dims& dims, const Dims& fft_dims) : dims_(dims), fft_(fft_dims) {
  for (int d = 0; d < 3; ++d)
    if (fft_dims[d] < dims[d]) throw std::invalid_argument("FFT grid smaller than the volume");
}

void Convolver::pad(const float* in, float offset) {
  const Dims& p = fft_.dims();
  float* r = fft_.real();
  const int64_t nx = dims_[0], ny = dims_[1], nz = dims_[2];
  parallel_for(p[2], [&](int64_t k) {
    float* slice = r + k * p[0] * p[1];
    if (k >= nz) {
      std::memset(slice, 0, sizeof(float) * p[0] * p[1]);
      return;
    }
    for (int64_t j = 0; j < ny; ++j) {
      const float* src = in + nx * (j + ny * k);
      float* dst = slice + j * p[0];
      if (offset == 0.0f) {
        std::memcpy(dst, src, sizeof(float) * nx);
      } else {
        for (int64_t i = 0; i < nx; ++i) dst[i] = src[i] - offset;
      }
      std::memset(dst + nx, 0, sizeof(float) * (p[0] - nx));
    }
    std::memset(slice + ny * p[0], 0, sizeof(float) * p[0] * (p[1] - ny));
  });
}

void Convolver::crop(float* out, float scale) {
  const Dims& p = fft_.dims();
  const float* r = fft_.real();
  const int64_t nx = dims_[0], ny = dims_[1], nz = dims_[2];
  parallel_for(nz, [&](int64_t k) {
    for (int64_t j = 0; j < ny; ++j) {
      const float* src = r + p[0] * (j + p[1] * k);
      float* dst = out + nx * (j + ny * k);
      for (int64_t i = 0; i < nx; ++i) dst[i] = src[i] * scale;
    }
  });
}

void Convolver::multiply_spectrum(const SpectralKernel& kernel, float scale) {
  if (static_cast<int64_t>(kernel.size()) != fft_.spectrum_size())
    throw std::invalid_argument("kernel does not match the FFT grid");
  std::complex<float>* s = fft_.spectrum();
  const float* k = kernel.data();
  parallel_chunks(fft_.spectrum_size(), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) s[i] *= k[i] * scale;
  });
}

void Convolver::apply(const float* in, const SpectralKernel& kernel, float* out, float offset) {
  pad(in, offset);
  fft_.forward();
  multiply_spectrum(kernel, 1.0f / static_cast<float>(fft_.real_size()));
  fft_.backward();
  crop(out);
}

}  // namespace qsmtk
