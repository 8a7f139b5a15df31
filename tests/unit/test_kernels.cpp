// Each operator against a slow direct reference, and adjoint identities to float precision.
#include <gtest/gtest.h>

#include "qsmtk/convolution.h"
#include "qsmtk/kernels/dipole.h"
#include "qsmtk/kernels/gradient.h"
#include "qsmtk/kernels/laplacian.h"
#include "qsmtk/kernels/smv.h"
#include "test_util.h"

using namespace qsmtk;
using test::inner;
using test::random_vector;

namespace {
const Vec3 kObliqueB = normalized(Vec3{0.3, -0.45, 0.84});
const Vec3 kAniso{0.8, 1.1, 1.5};

/// The dipole kernel averaged over both signs of Nyquist components: the exact real operator.
double dipole_reference(const std::array<int64_t, 3>& m, const Dims& n, const Vec3& h, const Vec3& b,
                        DipoleKernelType type) {
  double s = 0;
  int c = 0;
  for (int f = 0; f < 8; ++f) {
    std::array<int64_t, 3> mm = m;
    bool skip = false;
    for (int d = 0; d < 3; ++d)
      if (f & (1 << d)) {
        if (!(n[d] % 2 == 0 && std::abs(m[d]) == n[d] / 2)) skip = true;
        mm[d] = -m[d];
      }
    if (skip) continue;
    s += dipole_kernel_value(mm, n, h, b, type);
    ++c;
  }
  return s / c;
}

double adjoint_mismatch(const std::vector<float>& x, const std::vector<float>& ax, const std::vector<float>& y,
                        const std::vector<float>& aty) {
  const int64_t nx = int64_t(x.size()), ny = int64_t(y.size());
  const double lhs = inner(ax.data(), y.data(), ny), rhs = inner(x.data(), aty.data(), nx);
  return std::abs(lhs - rhs) / (test::norm2(ax.data(), ny) * test::norm2(y.data(), ny));
}
}  // namespace

class DipoleVsDirect : public ::testing::TestWithParam<std::tuple<Dims, DipoleKernelType>> {};

TEST_P(DipoleVsDirect, MatchesNaiveDftOnObliqueAnisotropicGrid) {
  const auto [n, type] = GetParam();
  const auto x = random_vector(voxel_count(n), 5);
  Convolver conv(n, n);  // circular: the reference is the exact circulant operator
  const SpectralKernel d = dipole_kernel(n, kAniso, kObliqueB, type);
  std::vector<float> got(x.size());
  conv.apply(x.data(), d, got.data());
  double imag = 0;
  const auto ref = test::naive_dft_convolve(
      x, n, [&](const std::array<int64_t, 3>& m) { return dipole_reference(m, n, kAniso, kObliqueB, type); }, &imag);
  EXPECT_LT(imag, 1e-12) << "the sampled kernel must be even so the operator is real";
  EXPECT_LT(test::relative_max_error(got.data(), ref), 2e-6);
}

INSTANTIATE_TEST_SUITE_P(Grids, DipoleVsDirect,
                         ::testing::Values(std::make_tuple(Dims{8, 6, 4}, DipoleKernelType::continuous),
                                           std::make_tuple(Dims{7, 5, 9}, DipoleKernelType::continuous),
                                           std::make_tuple(Dims{8, 6, 4}, DipoleKernelType::discrete),
                                           std::make_tuple(Dims{5, 7, 6}, DipoleKernelType::discrete)));

TEST(DipoleKernel, KnownValues) {
  const Dims n{16, 16, 16};
  const Vec3 h{1, 1, 1}, z{0, 0, 1};
  EXPECT_EQ(dipole_kernel_value({0, 0, 0}, n, h, z, DipoleKernelType::continuous), 0.0);
  EXPECT_NEAR(dipole_kernel_value({0, 0, 3}, n, h, z, DipoleKernelType::continuous), -2.0 / 3.0, 1e-15);
  EXPECT_NEAR(dipole_kernel_value({3, 0, 0}, n, h, z, DipoleKernelType::continuous), 1.0 / 3.0, 1e-15);
  // Magic angle: (k.b)^2/|k|^2 = 1/3.
  EXPECT_NEAR(dipole_kernel_value({1, 1, 1}, n, h, z, DipoleKernelType::continuous), 0.0, 1e-15);
  // Anisotropic voxels: k is physical, so m = (1, 0, 1) with hz = 2 hx has kz = kx / 2.
  EXPECT_NEAR(dipole_kernel_value({1, 0, 1}, n, {1, 1, 2}, z, DipoleKernelType::continuous), 1.0 / 3.0 - 0.2, 1e-15);
  // The discrete kernel tends to the continuous one at low frequency.
  const double c = dipole_kernel_value({1, 2, 1}, {256, 256, 256}, h, kObliqueB, DipoleKernelType::continuous);
  const double d = dipole_kernel_value({1, 2, 1}, {256, 256, 256}, h, kObliqueB, DipoleKernelType::discrete);
  EXPECT_NEAR(c, d, 1e-3);
  // With B0 along an axis the discrete kernel is 1/3 - (second difference along z) / (7-point
  // Laplacian): check against the Laplacian's own symbol.
  const Dims g{10, 8, 6};
  const Vec3 hh{0.9, 1.1, 1.7};
  const SpectralKernel lap = laplacian_kernel(g, hh, LaplacianType::discrete);
  const SpectralKernel dis = dipole_kernel(g, hh, z, DipoleKernelType::discrete);
  for (int64_t iz = 0; iz < g[2]; ++iz)
    for (int64_t iy = 0; iy < g[1]; ++iy)
      for (int64_t ix = 0; ix <= g[0] / 2; ++ix) {
        const size_t q = size_t(ix + (g[0] / 2 + 1) * (iy + g[1] * iz));
        if (q == 0) continue;
        const double dzz = (2 * std::cos(2 * M_PI * iz / double(g[2])) - 2) / (hh[2] * hh[2]);
        EXPECT_NEAR(dis[q], 1.0 / 3.0 - dzz / lap[q], 1e-6);
      }
}

TEST(DipoleConvolution, PaddedOperatorIsSelfAdjoint) {
  const Dims n{20, 17, 12};
  for (auto type : {DipoleKernelType::continuous, DipoleKernelType::discrete}) {
    Convolver conv(n, fft_padded_dims(n, {5, 4, 3}));
    const SpectralKernel d = dipole_kernel(conv.fft_dims(), kAniso, kObliqueB, type);
    const auto x = random_vector(voxel_count(n), 1), y = random_vector(voxel_count(n), 2);
    std::vector<float> ax(x.size()), ay(y.size());
    conv.apply(x.data(), d, ax.data());
    conv.apply(y.data(), d, ay.data());
    EXPECT_LT(adjoint_mismatch(x, ax, y, ay), 1e-6);
  }
}

TEST(DipoleConvolution, ConvolverReusesPlanAcrossCalls) {
  const Dims n{16, 12, 10};
  Convolver conv(n, fft_padded_dims(n, {4, 4, 4}));
  const SpectralKernel d = dipole_kernel(conv.fft_dims(), {1, 1, 1}, {0, 0, 1});
  const auto x = random_vector(voxel_count(n), 9);
  std::vector<float> a(x.size()), b(x.size());
  conv.apply(x.data(), d, a.data());
  conv.apply(x.data(), d, b.data());  // same buffers, same plan: identical result
  EXPECT_EQ(a, b);
  std::vector<float> in_place = x;
  conv.apply(in_place.data(), d, in_place.data());
  EXPECT_EQ(in_place, a);
}

TEST(SmvKernel, BallIsIsotropicOnAnisotropicVoxels) {
  // Partial-volume weights: sum 1 and the same second moment along every axis (what makes
  // harmonic fields keep their value), close to the ball's r^2/5; a binary ball misses by ~10%.
  const Vec3 h{1.25, 1.25, 2.0};
  const double r = 4.0;
  const auto ball = ball_voxels(h, r);
  double sum = 0, m[3] = {0, 0, 0};
  for (const auto& v : ball) {
    sum += v.weight;
    for (int d = 0; d < 3; ++d) m[d] += v.weight * (v.offset[d] * h[d]) * (v.offset[d] * h[d]);
    EXPECT_GT(v.weight, 0);
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(m[d] / (r * r / 5), 1.0, 0.1) << "axis " << d;
  EXPECT_LT(std::fabs(m[0] - m[2]) / m[0], 2e-3);
  EXPECT_LT(std::fabs(m[0] - m[1]) / m[0], 2e-3);
  double binary[3] = {0, 0, 0};
  for (int k = -2; k <= 2; ++k)
    for (int j = -3; j <= 3; ++j)
      for (int i = -3; i <= 3; ++i)
        if (std::pow(i * h[0], 2) + std::pow(j * h[1], 2) + std::pow(k * h[2], 2) <= r * r) {
          binary[0] += std::pow(i * h[0], 2), binary[2] += std::pow(k * h[2], 2);
        }
  EXPECT_GT(std::fabs(binary[0] - binary[2]) / binary[0], 0.05);  // the defect this fixes
  EXPECT_THROW(smv_kernel({16, 16, 16}, {1, 1, 1}, 0.5), std::invalid_argument);
}

TEST(SmvKernel, MatchesDirectConvolutionCircularAndPadded) {
  const Dims n{14, 11, 9};
  const Vec3 h{0.9, 1.2, 1.6};
  const double r = 3.0;
  const auto ball = ball_voxels(h, r);
  const auto x = random_vector(voxel_count(n), 4);
  for (bool padded : {false, true}) {
    const Dims f = padded ? fft_padded_dims(n, {4, 3, 2}) : n;
    Convolver conv(n, f);
    const SpectralKernel s = smv_kernel(conv.fft_dims(), h, r);
    std::vector<float> got(x.size());
    conv.apply(x.data(), s, got.data());
    // Direct: weighted mean over the ball, wrapping (circular) or with zeros outside (padded).
    std::vector<double> ref(x.size());
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          double acc = 0;
          for (const auto& v : ball) {
            int64_t a = i + v.offset[0], b = j + v.offset[1], c = k + v.offset[2];
            if (padded) {
              if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2]) continue;
            } else {
              a = (a + n[0]) % n[0], b = (b + n[1]) % n[1], c = (c + n[2]) % n[2];
            }
            acc += v.weight * x[a + n[0] * (b + n[1] * c)];
          }
          ref[i + n[0] * (j + n[1] * k)] = acc;
        }
    EXPECT_LT(test::relative_max_error(got.data(), ref), 2e-6) << (padded ? "padded" : "circular");
  }
}

TEST(SmvKernel, IsSelfAdjointAndPreservesConstants) {
  const Dims n{16, 16, 12};
  Convolver conv(n, n);
  const SpectralKernel s = smv_kernel(n, {1, 1, 1.5}, 4.0);
  EXPECT_NEAR(s[0], 1.0, 1e-6);  // normalised: the DC gain is 1
  const auto x = random_vector(voxel_count(n), 12), y = random_vector(voxel_count(n), 13);
  std::vector<float> ax(x.size()), ay(y.size());
  conv.apply(x.data(), s, ax.data());
  conv.apply(y.data(), s, ay.data());
  EXPECT_LT(adjoint_mismatch(x, ax, y, ay), 1e-6);
}

TEST(Laplacian, DiscreteFftKernelEqualsPeriodicStencil) {
  const Dims n{12, 9, 10};
  const Vec3 h{0.7, 1.0, 1.8};
  const auto x = random_vector(voxel_count(n), 21);
  Convolver conv(n, n);
  std::vector<float> fft_lap(x.size()), fd_lap(x.size());
  conv.apply(x.data(), laplacian_kernel(n, h, LaplacianType::discrete), fft_lap.data());
  laplacian_fd(x.data(), fd_lap.data(), n, h, Boundary::periodic);
  const std::vector<double> ref(fd_lap.begin(), fd_lap.end());
  EXPECT_LT(test::relative_max_error(fft_lap.data(), ref), 2e-6);
}

TEST(Laplacian, ContinuousKernelIsExactForBandLimitedData) {
  const Dims n{32, 24, 20};
  const Vec3 h{0.8, 1.0, 1.5};
  std::vector<float> x(static_cast<size_t>(voxel_count(n)));
  std::vector<double> ref(x.size());
  // u = sin(2 pi 3 i / nx) cos(2 pi 2 j / ny) cos(2 pi k / nz); Laplacian = -4 pi^2 |k|^2 u.
  const double kx = 3 / (n[0] * h[0]), ky = 2 / (n[1] * h[1]), kz = 1 / (n[2] * h[2]);
  const double eig = -4 * M_PI * M_PI * (kx * kx + ky * ky + kz * kz);
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const double u = std::sin(2 * M_PI * 3 * i / n[0]) * std::cos(2 * M_PI * 2 * j / n[1]) *
                         std::cos(2 * M_PI * k / n[2]);
        x[i + n[0] * (j + n[1] * k)] = float(u);
        ref[i + n[0] * (j + n[1] * k)] = eig * u;
      }
  Convolver conv(n, n);
  std::vector<float> got(x.size());
  conv.apply(x.data(), laplacian_kernel(n, h, LaplacianType::continuous), got.data());
  EXPECT_LT(test::relative_max_error(got.data(), ref), 1e-5);
}

TEST(Laplacian, NeumannStencilEqualsDivergenceOfGradient) {
  const Dims n{9, 8, 7};
  const Vec3 h{0.8, 1.0, 1.5};
  const auto x = random_vector(voxel_count(n), 31);
  const int64_t N = voxel_count(n);
  std::vector<float> gx(N), gy(N), gz(N), div(N), lap(N);
  gradient_forward(x.data(), gx.data(), gy.data(), gz.data(), n, h);
  divergence_backward(gx.data(), gy.data(), gz.data(), div.data(), n, h);
  laplacian_fd(x.data(), lap.data(), n, h, Boundary::neumann);
  const std::vector<double> ref(lap.begin(), lap.end());
  EXPECT_LT(test::relative_max_error(div.data(), ref), 1e-5);
}

TEST(Gradient, ForwardAndBackwardDifferencesOfARamp) {
  const Dims n{6, 5, 4};
  const Vec3 h{0.5, 1.0, 2.0};
  std::vector<float> x(static_cast<size_t>(voxel_count(n)));
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) x[i + n[0] * (j + n[1] * k)] = float(3 * i * h[0] - 2 * j * h[1] + 0.5 * k * h[2]);
  const int64_t N = voxel_count(n);
  std::vector<float> fx(N), fy(N), fz(N), bx(N), by(N), bz(N);
  gradient_forward(x.data(), fx.data(), fy.data(), fz.data(), n, h);
  gradient_backward(x.data(), bx.data(), by.data(), bz.data(), n, h);
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t p = i + n[0] * (j + n[1] * k);
        EXPECT_NEAR(fx[p], i + 1 < n[0] ? 3.0 : 0.0, 1e-5);
        EXPECT_NEAR(fy[p], j + 1 < n[1] ? -2.0 : 0.0, 1e-5);
        EXPECT_NEAR(fz[p], k + 1 < n[2] ? 0.5 : 0.0, 1e-5);
        EXPECT_NEAR(bx[p], i > 0 ? 3.0 : 0.0, 1e-5);
        EXPECT_NEAR(by[p], j > 0 ? -2.0 : 0.0, 1e-5);
        EXPECT_NEAR(bz[p], k > 0 ? 0.5 : 0.0, 1e-5);
      }
}

TEST(Gradient, DivergencesAreNegativeAdjoints) {
  const Dims n{11, 7, 9};
  const Vec3 h{0.8, 1.0, 1.5};
  const int64_t N = voxel_count(n);
  const auto x = random_vector(N, 41);
  const auto g = random_vector(3 * N, 42);
  std::vector<float> gx(N), gy(N), gz(N), div(N);
  for (bool forward : {true, false}) {
    if (forward) {
      gradient_forward(x.data(), gx.data(), gy.data(), gz.data(), n, h);
      divergence_backward(g.data(), g.data() + N, g.data() + 2 * N, div.data(), n, h);
    } else {
      gradient_backward(x.data(), gx.data(), gy.data(), gz.data(), n, h);
      divergence_forward(g.data(), g.data() + N, g.data() + 2 * N, div.data(), n, h);
    }
    const double lhs = inner(gx.data(), g.data(), N) + inner(gy.data(), g.data() + N, N) +
                       inner(gz.data(), g.data() + 2 * N, N);
    const double rhs = -inner(x.data(), div.data(), N);
    EXPECT_LT(std::abs(lhs - rhs) / std::abs(lhs), 1e-5) << (forward ? "forward" : "backward");
  }
}

TEST(Laplacian, OperatorsAreSelfAdjoint) {
  const Dims n{13, 10, 8};
  const Vec3 h{0.7, 1.0, 1.8};
  const int64_t N = voxel_count(n);
  const auto x = random_vector(N, 51), y = random_vector(N, 52);
  std::vector<float> ax(N), ay(N);
  for (auto b : {Boundary::periodic, Boundary::neumann}) {
    laplacian_fd(x.data(), ax.data(), n, h, b);
    laplacian_fd(y.data(), ay.data(), n, h, b);
    EXPECT_LT(adjoint_mismatch(x, ax, y, ay), 1e-6);
  }
  for (auto type : {LaplacianType::continuous, LaplacianType::discrete}) {
    Convolver conv(n, fft_padded_dims(n, {3, 3, 3}));
    const SpectralKernel k = laplacian_kernel(conv.fft_dims(), h, type);
    conv.apply(x.data(), k, ax.data());
    conv.apply(y.data(), k, ay.data());
    EXPECT_LT(adjoint_mismatch(x, ax, y, ay), 1e-6);
  }
}
