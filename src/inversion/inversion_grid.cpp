#include "inversion_grid.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "qsmtk/parallel.h"
#include "qsmtk/physics.h"
#include "../kernels/spectral_sampling.h"

namespace qsmtk::detail {

void check_inversion_input(const InversionInput& in, const std::string& who) {
  require_same_space(in.field.grid(), in.mask.grid(), who + ": field and mask");
  if (in.noise) require_same_space(in.field.grid(), in.noise->grid(), who + ": field and noise map");
  if (in.magnitude) require_same_space(in.field.grid(), in.magnitude->grid(), who + ": field and magnitude");
  if (in.csf) require_same_space(in.field.grid(), in.csf->grid(), who + ": field and CSF mask");
  if (in.field.dims() != in.mask.dims()) throw std::invalid_argument(who + ": a 3-D field is needed");
  int64_t count = 0, bad = 0;
  for (int64_t i = 0; i < in.mask.voxels(); ++i)
    if (in.mask[i]) ++count, bad += !std::isfinite(in.field[i]);
  if (count == 0) throw std::invalid_argument(who + ": the mask is empty");
  if (bad) throw std::invalid_argument(who + ": the field has " + std::to_string(bad) + " NaN/Inf voxels inside the mask");
  const double bn = std::sqrt(in.b0[0] * in.b0[0] + in.b0[1] * in.b0[1] + in.b0[2] * in.b0[2]);
  if (!(std::fabs(bn - 1) < 1e-3)) throw std::invalid_argument(who + ": the B0 direction must be a unit vector");
  if (!(in.radians_per_ppm >= 0)) throw std::invalid_argument(who + ": radians per ppm must be >= 0");
}

double phase_scale(const InversionInput& in) {
  if (in.radians_per_ppm > 0) return in.radians_per_ppm;
  return 2 * M_PI * hz_per_ppm(3.0) * 0.020;  // 16 rad per ppm
}

InversionGrid::InversionGrid(const InversionInput& in, const InversionCommon& c)
    : box_(bounding_box(in.mask, 0)),
      p_(fft_padded_dims(box_.size, fft_pad_fraction(box_.size, c.pad_fraction, 4))),
      h_(in.field.grid().voxel_size),
      np_(voxel_count(p_)),
      ns_(0),
      fft_(p_),
      full_(in.field.grid()),
      full_mask_(in.mask) {
  if (!(c.pad_fraction >= 0 && c.pad_fraction <= 2)) throw std::invalid_argument("pad fraction must be in [0, 2]");
  ns_ = fft_.spectrum_size();
  d_ = dipole_kernel(p_, h_, in.b0, c.kernel);
  field.assign(size_t(np_), 0.0f);
  weight.assign(size_t(np_), 0.0f);
  mask.assign(size_t(np_), 0);
  if (in.noise) {
    std::vector<float> v;
    for (int64_t q = 0; q < in.mask.voxels(); ++q)
      if (in.mask[q] && std::isfinite((*in.noise)[q]) && (*in.noise)[q] > 0) v.push_back((*in.noise)[q]);
    if (!v.empty()) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      noise_median = v[v.size() / 2];
    }
  }
  const Dims& n = box_.size;
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = in.mask.index(box_.lo[0] + i, box_.lo[1] + j, box_.lo[2] + k);
        if (!in.mask[q]) continue;
        const int64_t e = i + p_[0] * (j + p_[1] * k);
        mask[e] = 1;
        field[e] = in.field[q];
        double w = 1;
        if (in.noise && noise_median > 0) {
          const double s = (*in.noise)[q];
          // Noisier than the median: less weight; quieter: no more (as in PDF, docs/accuracy.md).
          w = (std::isfinite(s) && s > 0) ? std::min(1.0, noise_median / s) : 0.0;
        }
        weight[e] = float(w);
      }
  });
  mask_voxels = int64_t(std::count(mask.begin(), mask.end(), uint8_t(1)));
}

const SpectralKernel& InversionGrid::laplacian_symbol() {
  if (lap_.empty()) {
    const Dims p = p_;
    const Vec3 h = h_;
    lap_ = sample_even_kernel(p_, [p, h](const std::array<int64_t, 3>& m) {
      double s = 0;
      for (int d = 0; d < 3; ++d) {
        const double t = 2 * std::sin(M_PI * double(m[d]) / double(p[d])) / h[d];
        s += t * t;
      }
      return s;
    });
  }
  return lap_;
}

void InversionGrid::forward(const float* in) {
  std::copy(in, in + np_, fft_.real());
  fft_.forward();
}

void InversionGrid::backward(float* out) {
  fft_.backward();
  const float s = 1.0f / float(np_);
  const float* r = fft_.real();
  parallel_for(np_, [&](int64_t i) { out[i] = r[i] * s; });
}

void InversionGrid::convolve(const float* in, const SpectralKernel& k, float* out) {
  forward(in);
  std::complex<float>* s = fft_.spectrum();
  parallel_for(ns_, [&](int64_t i) { s[i] *= k[i]; });
  backward(out);
}

void InversionGrid::weighted_dipole(const float* x, float* y) {
  forward(x);
  std::complex<float>* sp = fft_.spectrum();
  parallel_for(ns_, [&](int64_t i) { sp[i] *= d_[i]; });
  fft_.backward();
  const float* r = fft_.real();
  const float s = 1.0f / float(np_);
  parallel_for(np_, [&](int64_t i) { y[i] = r[i] * weight[i] * s; });
}

void InversionGrid::weighted_dipole_adjoint(const float* y, float* x) {
  float* r = fft_.real();
  parallel_for(np_, [&](int64_t i) { r[i] = weight[i] * y[i]; });
  fft_.forward();
  std::complex<float>* sp = fft_.spectrum();
  parallel_for(ns_, [&](int64_t i) { sp[i] *= d_[i]; });
  backward(x);
}

void InversionGrid::gradient(const float* x, float* gx, float* gy, float* gz) const {
  for_each_gradient(x, [&](int64_t i, float a, float b, float c) { gx[i] = a, gy[i] = b, gz[i] = c; });
}

namespace {

/// out = scale * backward divergence of the vector field get(d, i), d = 0..2 (periodic).
template <typename Get>
void scaled_divergence(const Dims& p, const Vec3& h, Get get, float* out, float scale) {
  const int64_t nx = p[0], ny = p[1], nz = p[2];
  const float ix = float(scale / h[0]), iy = float(scale / h[1]), iz = float(scale / h[2]);
  parallel_for(nz, [&](int64_t k) {
    const int64_t k0 = k == 0 ? nz - 1 : k - 1;
    for (int64_t j = 0; j < ny; ++j) {
      const int64_t j0 = j == 0 ? ny - 1 : j - 1;
      const int64_t row = nx * (j + ny * k), rowy = nx * (j0 + ny * k), rowz = nx * (j + ny * k0);
      const auto at = [&](int64_t i, int64_t i0) {
        out[row + i] = (get(0, row + i) - get(0, row + i0)) * ix + (get(1, row + i) - get(1, rowy + i)) * iy +
                       (get(2, row + i) - get(2, rowz + i)) * iz;
      };
      at(0, nx - 1);  // the wrapping first voxel; the rest of the row vectorises
#pragma omp simd
      for (int64_t i = 1; i < nx; ++i) at(i, i - 1);
    }
  });
}

}  // namespace

void InversionGrid::divergence(const float* gx, const float* gy, const float* gz, float* out) const {
  const float* b[3] = {gx, gy, gz};
  scaled_divergence(p_, h_, [&](int d, int64_t i) { return b[d][i]; }, out, 1.0f);
}

void InversionGrid::gradient_adjoint(const float* g, float* out, float scale) const {
  const int64_t n = np_;
  scaled_divergence(p_, h_, [&](int d, int64_t i) { return g[d * n + i]; }, out, -scale);
}

void InversionGrid::weighted_gradient_adjoint(const float* w, const float* y, float* out) const {
  const int64_t n = np_;
  scaled_divergence(p_, h_, [&](int d, int64_t i) { return w[d * n + i] * y[d * n + i]; }, out, -1.0f);
}

void InversionGrid::gradient_adjoint_of_difference(const float* a, const float* b, float* out, float scale) const {
  const int64_t n = np_;
  scaled_divergence(p_, h_, [&](int d, int64_t i) { return a[d * n + i] - b[d * n + i]; }, out, -scale);
}

void InversionGrid::weighted_gradient_normal(const float* x, const float* c, float* out) const {
  // out(i) = sum_d [c_d(i) (x(i) - x(i + e_d)) + c_d(i - e_d) (x(i) - x(i - e_d))] / h_d^2.
  const int64_t nx = p_[0], ny = p_[1], nz = p_[2], n = np_;
  const float sx = float(1 / (h_[0] * h_[0])), sy = float(1 / (h_[1] * h_[1])), sz = float(1 / (h_[2] * h_[2]));
  const float *cx = c, *cy = c + n, *cz = c + 2 * n;
  parallel_for(nz, [&](int64_t k) {
    const int64_t kp = k + 1 == nz ? 0 : k + 1, km = k == 0 ? nz - 1 : k - 1;
    for (int64_t j = 0; j < ny; ++j) {
      const int64_t jp = j + 1 == ny ? 0 : j + 1, jm = j == 0 ? ny - 1 : j - 1;
      const int64_t row = nx * (j + ny * k), ryp = nx * (jp + ny * k), rym = nx * (jm + ny * k),
                    rzp = nx * (j + ny * kp), rzm = nx * (j + ny * km);
      const auto at = [&](int64_t i, int64_t ip, int64_t im) {
        const float v = x[row + i];
        out[row + i] = (cx[row + i] * (v - x[row + ip]) + cx[row + im] * (v - x[row + im])) * sx +
                       (cy[row + i] * (v - x[ryp + i]) + cy[rym + i] * (v - x[rym + i])) * sy +
                       (cz[row + i] * (v - x[rzp + i]) + cz[rzm + i] * (v - x[rzm + i])) * sz;
      };
      at(0, nx > 1 ? 1 : 0, nx - 1);
#pragma omp simd
      for (int64_t i = 1; i < nx - 1; ++i) at(i, i + 1, i - 1);
      if (nx > 1) at(nx - 1, 0, nx - 2);
    }
  });
}

Volume InversionGrid::to_full(const float* chi) const {
  Volume out(full_);
  const Dims& n = box_.size;
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = full_mask_.index(box_.lo[0] + i, box_.lo[1] + j, box_.lo[2] + k);
        if (full_mask_[q]) out[q] = chi[i + p_[0] * (j + p_[1] * k)];
      }
  });
  return out;
}

AlignedVector<float> InversionGrid::to_padded(const Volume& v) const {
  AlignedVector<float> out(size_t(np_), 0.0f);
  const Dims& n = box_.size;
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i)
        out[i + p_[0] * (j + p_[1] * k)] = v(box_.lo[0] + i, box_.lo[1] + j, box_.lo[2] + k);
  });
  return out;
}

double weighted_residual(InversionGrid& g, const float* chi) {
  AlignedVector<float> dchi(size_t(g.size()));
  g.convolve(chi, g.dipole(), dchi.data());
  const double s = deterministic_sum(g.size(), [&](int64_t i) {
    const double r = double(g.weight[i]) * (double(dchi[i]) - double(g.field[i]));
    return r * r;
  });
  return std::sqrt(s / double(std::max<int64_t>(1, g.mask_voxels)));
}

}  // namespace qsmtk::detail
