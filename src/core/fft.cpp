#include "qsmtk/fft.h"

#include "qsmtk/aligned.h"

#include <fftw3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {
std::once_flag g_fftw_init;
std::mutex g_plan_mutex;
FftPlanner g_planner = FftPlanner::estimate;

void init_fftw() {
  std::call_once(g_fftw_init, [] {
    fftwf_init_threads();
    fftwf_make_planner_thread_safe();
    if (const char* p = std::getenv("QSMTK_FFT_PLANNER"); p && std::string(p) == "measure")
      g_planner = FftPlanner::measure;
  });
}

/// Relative cost per element of an FFT of length m, or 0 when m is not 2,3,5,7-smooth. Fitted
/// to FFTW (estimate planner) timings here: powers of 3, 5 and 7 and odd lengths cost more per
/// element than powers of 2 (docs/benchmarks.md).
double length_cost(int64_t m) {
  int64_t r = m;
  int e[4] = {0, 0, 0, 0};
  const int64_t primes[4] = {2, 3, 5, 7};
  for (int p = 0; p < 4; ++p)
    while (r % primes[p] == 0) r /= primes[p], ++e[p];
  if (r != 1) return 0;
  return 1.0 + 0.06 * e[1] + 0.08 * e[2] + 0.12 * e[3] + (m % 2 ? 0.3 : 0.0);
}
}  // namespace

int64_t fft_friendly_size(int64_t n) {
  if (n <= 1) return 1;
  // The cheapest smooth length up to 25% above n: the smallest is not always the fastest
  // (288 beats 270 and 280).
  int64_t best = 0;
  double best_cost = 0;
  for (int64_t m = n; m <= n + n / 4 + 1 || best == 0; ++m) {
    const double c = length_cost(m);
    if (c == 0) continue;
    if (best == 0 || double(m) * c < best_cost) best = m, best_cost = double(m) * c;
  }
  return best;
}

Dims fft_padded_dims(const Dims& dims, const Dims& pad) {
  Dims r{};
  for (int d = 0; d < 3; ++d) r[d] = fft_friendly_size(dims[d] + 2 * pad[d]);
  return r;
}

Dims fft_pad_fraction(const Dims& dims, double fraction, int64_t min_voxels) {
  Dims r{};
  for (int d = 0; d < 3; ++d)
    r[d] = std::max<int64_t>(min_voxels, static_cast<int64_t>(std::ceil(fraction * dims[d])));
  return r;
}

void set_fft_planner(FftPlanner planner) {
  init_fftw();
  g_planner = planner;
}

struct RealFFT3::Impl {
  Dims dims{};
  int64_t n_real = 0, n_spec = 0;
  float* real = nullptr;
  fftwf_complex* spec = nullptr;
  fftwf_plan fwd = nullptr, bwd = nullptr;

  ~Impl() {
    std::lock_guard<std::mutex> lock(g_plan_mutex);
    if (fwd) fftwf_destroy_plan(fwd);
    if (bwd) fftwf_destroy_plan(bwd);
    fftwf_free(real);
    fftwf_free(spec);
  }
};

RealFFT3::RealFFT3(const Dims& dims) : impl_(std::make_unique<Impl>()) {
  init_fftw();
  for (int64_t d : dims)
    if (d < 1 || d > (int64_t(1) << 30)) throw std::invalid_argument("FFT grid dimension out of range");
  Impl& p = *impl_;
  p.dims = dims;
  p.n_real = voxel_count(dims);
  p.n_spec = (dims[0] / 2 + 1) * dims[1] * dims[2];
  p.real = fftwf_alloc_real(static_cast<size_t>(p.n_real));
  p.spec = fftwf_alloc_complex(static_cast<size_t>(p.n_spec));
  if (!p.real || !p.spec) throw std::bad_alloc();
  advise_huge_pages(p.real, sizeof(float) * static_cast<size_t>(p.n_real));
  advise_huge_pages(p.spec, sizeof(fftwf_complex) * static_cast<size_t>(p.n_spec));
  // FFTW is row-major with the last index fastest: pass (nz, ny, nx) so x is contiguous.
  const int n[3] = {static_cast<int>(dims[2]), static_cast<int>(dims[1]), static_cast<int>(dims[0])};
  const unsigned flags = (g_planner == FftPlanner::measure ? FFTW_MEASURE : FFTW_ESTIMATE);
  {
    std::lock_guard<std::mutex> lock(g_plan_mutex);
    fftwf_plan_with_nthreads(threads());
    p.fwd = fftwf_plan_dft_r2c(3, n, p.real, p.spec, flags);
    p.bwd = fftwf_plan_dft_c2r(3, n, p.spec, p.real, flags);
  }
  if (!p.fwd || !p.bwd) throw std::runtime_error("FFTW could not create a plan");
  // MEASURE scribbles on the buffers while planning; start from zeros either way.
  std::memset(p.real, 0, sizeof(float) * p.n_real);
  std::memset(p.spec, 0, sizeof(fftwf_complex) * p.n_spec);
}

RealFFT3::~RealFFT3() = default;
RealFFT3::RealFFT3(RealFFT3&&) noexcept = default;
RealFFT3& RealFFT3::operator=(RealFFT3&&) noexcept = default;

const Dims& RealFFT3::dims() const { return impl_->dims; }
Dims RealFFT3::spectrum_dims() const { return {impl_->dims[0] / 2 + 1, impl_->dims[1], impl_->dims[2]}; }
int64_t RealFFT3::real_size() const { return impl_->n_real; }
int64_t RealFFT3::spectrum_size() const { return impl_->n_spec; }
float* RealFFT3::real() { return impl_->real; }
std::complex<float>* RealFFT3::spectrum() { return reinterpret_cast<std::complex<float>*>(impl_->spec); }
namespace {
std::atomic<int64_t> g_transforms{0};
std::atomic<int64_t> g_transformed_voxels{0};
std::atomic<int64_t> g_last_dims[3] = {0, 0, 0};
void count_transform(const Dims& d, int64_t n) {
  g_transforms.fetch_add(1, std::memory_order_relaxed);
  g_transformed_voxels.fetch_add(n, std::memory_order_relaxed);
  for (int i = 0; i < 3; ++i) g_last_dims[i].store(d[i], std::memory_order_relaxed);
}
}  // namespace

void RealFFT3::forward() {
  count_transform(impl_->dims, impl_->n_real);
  fftwf_execute(impl_->fwd);
}
void RealFFT3::backward() {
  count_transform(impl_->dims, impl_->n_real);
  fftwf_execute(impl_->bwd);
}

FftCounters fft_counters() {
  return {g_transforms.load(), g_transformed_voxels.load(), {g_last_dims[0].load(), g_last_dims[1].load(), g_last_dims[2].load()}};
}

}  // namespace qsmtk
