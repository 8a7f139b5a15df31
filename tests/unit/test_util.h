#pragma once
// Helpers shared by the unit tests: random volumes, inner products, a slow DFT reference.
#include <gtest/gtest.h>
#include <unistd.h>

#include <complex>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "qsmtk/random.h"
#include "qsmtk/volume.h"

namespace qsmtk::test {

/// The message of the exception f throws ("" when it throws none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// A fresh folder per test (named after it), removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("qsmtk-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::vector<float> random_vector(int64_t n, uint64_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = float(2 * uniform01(seed, 7, uint64_t(i)) - 1);
  return v;
}

inline double inner(const float* a, const float* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
  return s;
}

inline double norm2(const float* a, int64_t n) { return std::sqrt(inner(a, a, n)); }

/// Slow, exact (double) circular convolution through a naive DFT: out = IDFT(K(m) DFT(x)),
/// with K given as a function of the signed frequency index m. O(N^2): tiny grids only.
template <typename K>
std::vector<double> naive_dft_convolve(const std::vector<float>& x, const Dims& n, K&& kernel,
                                       double* max_imag = nullptr) {
  const int64_t total = voxel_count(n);
  std::vector<std::complex<double>> spec(static_cast<size_t>(total));
  auto idx = [&](int64_t i, int64_t j, int64_t k) { return i + n[0] * (j + n[1] * k); };
  for (int64_t c = 0; c < n[2]; ++c)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t a = 0; a < n[0]; ++a) {
        std::complex<double> s = 0;
        for (int64_t k = 0; k < n[2]; ++k)
          for (int64_t j = 0; j < n[1]; ++j)
            for (int64_t i = 0; i < n[0]; ++i) {
              const double ph = -2 * M_PI * (double(a * i) / n[0] + double(b * j) / n[1] + double(c * k) / n[2]);
              s += double(x[idx(i, j, k)]) * std::polar(1.0, ph);
            }
        const std::array<int64_t, 3> m{a <= (n[0] - 1) / 2 ? a : a - n[0], b <= (n[1] - 1) / 2 ? b : b - n[1],
                                       c <= (n[2] - 1) / 2 ? c : c - n[2]};
        spec[idx(a, b, c)] = s * kernel(m);
      }
  std::vector<double> out(static_cast<size_t>(total));
  double imag = 0;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        std::complex<double> s = 0;
        for (int64_t c = 0; c < n[2]; ++c)
          for (int64_t b = 0; b < n[1]; ++b)
            for (int64_t a = 0; a < n[0]; ++a) {
              const double ph = 2 * M_PI * (double(a * i) / n[0] + double(b * j) / n[1] + double(c * k) / n[2]);
              s += spec[idx(a, b, c)] * std::polar(1.0, ph);
            }
        s /= double(total);
        out[idx(i, j, k)] = s.real();
        imag = std::max(imag, std::abs(s.imag()));
      }
  if (max_imag) *max_imag = imag;
  return out;
}

/// max |a - b| / max |b|
inline double relative_max_error(const float* a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) num = std::max(num, std::abs(a[i] - b[i])), den = std::max(den, std::abs(b[i]));
  return num / den;
}

}  // namespace qsmtk::test
