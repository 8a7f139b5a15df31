#include "qsmtk/dct.h"

#include <fftw3.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "qsmtk/fft.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

struct RealDCT3::Impl {
  Dims dims{};
  float* buf = nullptr;
  fftwf_plan fwd = nullptr, bwd = nullptr;
  ~Impl() {
    if (fwd) fftwf_destroy_plan(fwd);
    if (bwd) fftwf_destroy_plan(bwd);
    fftwf_free(buf);
  }
};

RealDCT3::RealDCT3(const Dims& dims, TrigBoundary boundary) : impl_(std::make_unique<Impl>()) {
  // Plans share FFTW's planner set up by the FFT engine (threads, thread safety).
  { RealFFT3 warm({1, 1, 1}); }
  impl_->dims = dims;
  impl_->buf = fftwf_alloc_real(size_t(voxel_count(dims)));
  if (!impl_->buf) throw std::bad_alloc();
  const int n[3] = {int(dims[2]), int(dims[1]), int(dims[0])};
  const bool dct = boundary == TrigBoundary::neumann;
  const fftwf_r2r_kind fk = dct ? FFTW_REDFT10 : FFTW_RODFT10, bk = dct ? FFTW_REDFT01 : FFTW_RODFT01;
  const fftwf_r2r_kind f[3] = {fk, fk, fk};
  const fftwf_r2r_kind b[3] = {bk, bk, bk};
  fftwf_plan_with_nthreads(threads());
  impl_->fwd = fftwf_plan_r2r(3, n, impl_->buf, impl_->buf, f, FFTW_ESTIMATE);
  impl_->bwd = fftwf_plan_r2r(3, n, impl_->buf, impl_->buf, b, FFTW_ESTIMATE);
  if (!impl_->fwd || !impl_->bwd) throw std::runtime_error("FFTW could not create a DCT plan");
  std::memset(impl_->buf, 0, sizeof(float) * voxel_count(dims));
}

RealDCT3::~RealDCT3() = default;
float* RealDCT3::data() { return impl_->buf; }
void RealDCT3::forward() { fftwf_execute(impl_->fwd); }
void RealDCT3::backward() { fftwf_execute(impl_->bwd); }
const Dims& RealDCT3::dims() const { return impl_->dims; }

Volume solve_poisson_neumann(const Volume& f) {
  const Dims& n = f.dims();
  const Vec3& h = f.grid().voxel_size;
  RealDCT3 dct(n);
  float* b = dct.data();
  std::copy(f.data(), f.data() + f.voxels(), b);
  dct.forward();
  // Eigenvalues of the Neumann 7-point Laplacian: sum_d (2 cos(pi k_d / N_d) - 2) / h_d^2.
  std::vector<double> ev[3];
  for (int d = 0; d < 3; ++d) {
    ev[d].resize(size_t(n[d]));
    for (int64_t k = 0; k < n[d]; ++k) ev[d][k] = (2 * std::cos(M_PI * double(k) / double(n[d])) - 2) / (h[d] * h[d]);
  }
  const double scale = 1.0 / (8.0 * double(voxel_count(n)));
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = i + n[0] * (j + n[1] * k);
        const double e = ev[0][i] + ev[1][j] + ev[2][k];
        b[q] = (i == 0 && j == 0 && k == 0) ? 0.0f : float(b[q] * scale / e);
      }
  });
  dct.backward();
  Volume u(f.grid());
  std::copy(b, b + f.voxels(), u.data());
  return u;
}

PoissonSolver::PoissonSolver(const Dims& n, const Vec3& h, TrigBoundary boundary) : transform_(n, boundary) {
  // Eigenvalues of -L: sum_d (2 - 2 cos(pi m_d / N_d)) / h_d^2 with m = 0..N-1 (Neumann, DCT-II:
  // mirror about the half-sample edge) or m = 1..N (Dirichlet, DST-II: antisymmetric about it).
  const int shift = boundary == TrigBoundary::dirichlet ? 1 : 0;
  std::vector<double> ev[3];
  for (int d = 0; d < 3; ++d) {
    ev[d].resize(size_t(n[d]));
    for (int64_t k = 0; k < n[d]; ++k)
      ev[d][k] = (2 - 2 * std::cos(M_PI * double(k + shift) / double(n[d]))) / (h[d] * h[d]);
  }
  const double scale = 1.0 / (8.0 * double(voxel_count(n)));
  inverse_eigen_.resize(size_t(voxel_count(n)));
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const double e = ev[0][i] + ev[1][j] + ev[2][k];
        inverse_eigen_[size_t(i + n[0] * (j + n[1] * k))] = e > 0 ? float(scale / e) : 0.0f;
      }
}

void PoissonSolver::solve(const float* f, float* u) {
  const int64_t n = voxel_count(transform_.dims());
  float* b = transform_.data();
  std::copy(f, f + n, b);
  transform_.forward();
  parallel_for(n, [&](int64_t q) { b[q] *= inverse_eigen_[size_t(q)]; });
  transform_.backward();
  std::copy(b, b + n, u);
}

}  // namespace qsmtk
