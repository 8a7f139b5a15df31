#include <gtest/gtest.h>

#include "qsmtk/metrics.h"
#include "test_util.h"

using namespace qsmtk;

namespace {
struct Maps {
  Grid g = Grid::centred({24, 20, 16}, {1, 1, 1});
  Volume truth{g};
  Mask mask{g};
  LabelImage labels{g};
  int64_t n1 = 0, n2 = 0, nmask = 0;
  Maps() {
    for (int64_t k = 0; k < 16; ++k)
      for (int64_t j = 0; j < 20; ++j)
        for (int64_t i = 0; i < 24; ++i) {
          const bool in = (i - 11.5) * (i - 11.5) / 100 + (j - 9.5) * (j - 9.5) / 64 + (k - 7.5) * (k - 7.5) / 36 < 1;
          mask(i, j, k) = in;
          truth(i, j, k) = float(0.05 * std::sin(0.5 * i) * std::cos(0.4 * j) + 0.01 * k + 0.01 * std::cos(0.9 * j + 0.5 * k));
          if (!in) continue;
          ++nmask;
          if (i < 10 && in) labels(i, j, k) = 1, ++n1;
          else if (i > 14 && in) labels(i, j, k) = 2, ++n2;
        }
  }
};
}  // namespace

TEST(Metrics, IdenticalAndOffsetMapsScorePerfectly) {
  Maps m;
  Volume shifted = m.truth;
  for (float& v : shifted) v += 0.3f;  // QSM is relative: a constant does not count
  const Comparison c = compare_maps(m.truth, shifted, m.mask);
  EXPECT_NEAR(c.nrmse_pct, 0.0, 1e-3);
  EXPECT_NEAR(c.hfen_pct, 0.0, 1e-3);
  EXPECT_NEAR(c.ssim, 1.0, 1e-5);
  EXPECT_EQ(c.mask_voxels, m.nmask);
}

TEST(Metrics, ScaledMapHasExactRelativeErrors) {
  Maps m;
  Volume half = m.truth;
  for (float& v : half) v *= 0.5f;
  const Comparison c = compare_maps(m.truth, half, m.mask);
  EXPECT_NEAR(c.nrmse_pct, 50.0, 1e-3);
  EXPECT_NEAR(c.hfen_pct, 50.0, 1e-2);  // linear filter: the same ratio
  EXPECT_LT(c.ssim, 0.99);
  EXPECT_GT(c.ssim, 0.5);
}

TEST(Metrics, NoiseLowersSsimAndRaisesErrors) {
  Maps m;
  Volume noisy = m.truth;
  const auto r = test::random_vector(noisy.size(), 3);
  for (int64_t i = 0; i < noisy.size(); ++i) noisy[i] += 0.02f * r[i];
  const Comparison c = compare_maps(m.truth, noisy, m.mask);
  EXPECT_GT(c.nrmse_pct, 5.0);
  EXPECT_GT(c.hfen_pct, 1.0);
  EXPECT_LT(c.ssim, 0.95);
}

namespace {
/// Direct (slow) spatial filtering with a (2r+1)^3 kernel, zero outside the volume.
std::vector<double> direct_filter(const std::vector<double>& x, const Dims& n, int r, const std::vector<double>& w) {
  std::vector<double> out(x.size());
  const int s = 2 * r + 1;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        double acc = 0;
        for (int c = -r; c <= r; ++c)
          for (int b = -r; b <= r; ++b)
            for (int a = -r; a <= r; ++a) {
              const int64_t ii = i + a, jj = j + b, kk = k + c;
              if (ii < 0 || jj < 0 || kk < 0 || ii >= n[0] || jj >= n[1] || kk >= n[2]) continue;
              acc += w[(a + r) + s * ((b + r) + s * (c + r))] * x[ii + n[0] * (jj + n[1] * kk)];
            }
        out[i + n[0] * (j + n[1] * k)] = acc;
      }
  return out;
}

std::vector<double> demeaned(const Volume& v, const Mask& m) {
  double s = 0, c = 0;
  for (int64_t i = 0; i < v.size(); ++i)
    if (m[i]) s += v[i], c += 1;
  std::vector<double> r(v.size(), 0.0);
  for (int64_t i = 0; i < v.size(); ++i)
    if (m[i]) r[i] = v[i] - s / c;
  return r;
}
}  // namespace

TEST(Metrics, HfenAndSsimMatchDirectReference) {
  Maps m;
  Volume test = m.truth;
  const auto noise = test::random_vector(test.size(), 17);
  for (int64_t i = 0; i < test.size(); ++i) test[i] = 0.8f * test[i] + 0.01f * noise[i];
  const Comparison c = compare_maps(m.truth, test, m.mask);
  const Dims n = m.g.dims;
  const auto t = demeaned(m.truth, m.mask), x = demeaned(test, m.mask);

  // HFEN: LoG 15^3, sigma 1.5, zero-sum.
  const int r = 7, s = 15;
  const double sg = 1.5;
  std::vector<double> g(s * s * s), log(s * s * s);
  double gs = 0, ls = 0;
  for (int cc = -r; cc <= r; ++cc)
    for (int b = -r; b <= r; ++b)
      for (int a = -r; a <= r; ++a) gs += g[(a + r) + s * ((b + r) + s * (cc + r))] = std::exp(-(a * a + b * b + cc * cc) / (2 * sg * sg));
  for (int cc = -r; cc <= r; ++cc)
    for (int b = -r; b <= r; ++b)
      for (int a = -r; a <= r; ++a) {
        const size_t q = (a + r) + s * ((b + r) + s * (cc + r));
        ls += log[q] = g[q] / gs * (a * a + b * b + cc * cc - 3 * sg * sg) / std::pow(sg, 4);
      }
  for (double& v : log) v -= ls / log.size();
  const auto lt = direct_filter(t, n, r, log), lx = direct_filter(x, n, r, log);
  double num = 0, den = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (m.mask[i]) num += (lx[i] - lt[i]) * (lx[i] - lt[i]), den += lt[i] * lt[i];
  EXPECT_NEAR(c.hfen_pct, 100 * std::sqrt(num / den), 1e-3 * c.hfen_pct);

  // SSIM: Gaussian window 11^3, sigma 1.5, L = truth range in the mask.
  const int rw = 5, sw = 11;
  std::vector<double> w(sw * sw * sw);
  double ws = 0;
  for (int cc = -rw; cc <= rw; ++cc)
    for (int b = -rw; b <= rw; ++b)
      for (int a = -rw; a <= rw; ++a) ws += w[(a + rw) + sw * ((b + rw) + sw * (cc + rw))] = std::exp(-(a * a + b * b + cc * cc) / 4.5);
  for (double& v : w) v /= ws;
  std::vector<double> tt(t.size()), xx(t.size()), tx(t.size());
  double lo = 1e9, hi = -1e9;
  for (size_t i = 0; i < t.size(); ++i) {
    tt[i] = t[i] * t[i], xx[i] = x[i] * x[i], tx[i] = t[i] * x[i];
    if (m.mask[i]) lo = std::min(lo, t[i]), hi = std::max(hi, t[i]);
  }
  const auto mt = direct_filter(t, n, rw, w), mx = direct_filter(x, n, rw, w), stt = direct_filter(tt, n, rw, w),
             sxx = direct_filter(xx, n, rw, w), stx = direct_filter(tx, n, rw, w);
  const double c1 = std::pow(0.01 * (hi - lo), 2), c2 = std::pow(0.03 * (hi - lo), 2);
  double ssim = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (m.mask[i])
      ssim += ((2 * mt[i] * mx[i] + c1) * (2 * (stx[i] - mt[i] * mx[i]) + c2)) /
              ((mt[i] * mt[i] + mx[i] * mx[i] + c1) * (stt[i] - mt[i] * mt[i] + sxx[i] - mx[i] * mx[i] + c2));
  EXPECT_NEAR(c.ssim, ssim / double(m.nmask), 1e-4);
}

TEST(Metrics, RegionErrorsAfterDemeaning) {
  Maps m;
  Volume test = m.truth;
  for (int64_t i = 0; i < test.size(); ++i)
    if (m.labels[i] == 1) test[i] += 0.010f;  // +10 ppb in region 1 only
  const Comparison c = compare_maps(m.truth, test, m.mask, &m.labels, {{1, "one"}, {2, "two"}});
  ASSERT_EQ(c.roi.size(), 2u);
  // Demeaning moves every voxel of the test map by 10 ppb * n1 / nmask.
  const double shift = 10.0 * double(m.n1) / double(m.nmask);
  EXPECT_EQ(c.roi[0].name, "one");
  EXPECT_EQ(c.roi[0].voxels, m.n1);
  EXPECT_NEAR(c.roi[0].error_ppb, 10.0 - shift, 1e-3);
  EXPECT_NEAR(c.roi[1].error_ppb, -shift, 1e-3);
}

TEST(Metrics, RefusesMismatchedGridsEmptyMasksAndNaN) {
  Maps m;
  const Volume other(Grid::centred({24, 20, 15}, {1, 1, 1}));
  EXPECT_THROW(compare_maps(m.truth, other, m.mask), std::invalid_argument);
  const Mask empty(m.g);
  EXPECT_THROW(compare_maps(m.truth, m.truth, empty), std::invalid_argument);
  Volume bad = m.truth;
  bad(12, 10, 8) = NAN;
  EXPECT_THROW(compare_maps(m.truth, bad, m.mask), std::invalid_argument);
}
