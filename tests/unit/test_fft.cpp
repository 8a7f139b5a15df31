#include <gtest/gtest.h>

#include "qsmtk/fft.h"
#include "test_util.h"

using namespace qsmtk;

TEST(FftSizes, FriendlySizesHaveOnlySmallPrimeFactors) {
  EXPECT_EQ(fft_friendly_size(1), 1);
  EXPECT_EQ(fft_friendly_size(11), 12);
  EXPECT_EQ(fft_friendly_size(97), 100);
  EXPECT_EQ(fft_friendly_size(192), 192);  // the default phantom grid is kept
  EXPECT_EQ(fft_friendly_size(224), 224);
  EXPECT_EQ(fft_friendly_size(160), 160);
  EXPECT_EQ(fft_friendly_size(256), 256);
  EXPECT_EQ(fft_friendly_size(261), 288);  // measured faster than 270 or 280
  for (int64_t n = 1; n < 2000; n += 7) {
    int64_t m = fft_friendly_size(n);
    EXPECT_GE(m, n);
    EXPECT_LE(m, n + n / 4 + 1);
    for (int64_t p : {2, 3, 5, 7})
      while (m % p == 0) m /= p;
    EXPECT_EQ(m, 1) << n;
  }
}

TEST(FftSizes, PaddingCoversRequestedWidth) {
  const Dims d = fft_padded_dims({100, 37, 61}, {10, 5, 0});
  EXPECT_GE(d[0], 120);
  EXPECT_GE(d[1], 47);
  EXPECT_GE(d[2], 61);
  const Dims p = fft_pad_fraction({100, 40, 10}, 0.25, 4);
  EXPECT_EQ(p, (Dims{25, 10, 4}));
}

TEST(RealFFT3, RoundTripScalesByN) {
  for (const Dims& n : {Dims{8, 6, 5}, Dims{7, 9, 4}, Dims{1, 12, 3}}) {
    RealFFT3 f(n);
    const auto x = test::random_vector(f.real_size(), 3);
    std::copy(x.begin(), x.end(), f.real());
    f.forward();
    // The input survives the forward transform (out of place r2c).
    for (int64_t i = 0; i < f.real_size(); ++i) ASSERT_EQ(f.real()[i], x[i]);
    f.backward();
    for (int64_t i = 0; i < f.real_size(); ++i) EXPECT_NEAR(f.real()[i] / f.real_size(), x[i], 1e-5);
  }
}

TEST(RealFFT3, MatchesNaiveDftIncludingLayout) {
  const Dims n{6, 5, 4};
  RealFFT3 f(n);
  const auto x = test::random_vector(f.real_size(), 11);
  std::copy(x.begin(), x.end(), f.real());
  f.forward();
  // Compare every stored bin with the direct sum; x fastest, kx = 0..nx/2.
  const Dims s = f.spectrum_dims();
  ASSERT_EQ(s, (Dims{4, 5, 4}));
  for (int64_t c = 0; c < s[2]; ++c)
    for (int64_t b = 0; b < s[1]; ++b)
      for (int64_t a = 0; a < s[0]; ++a) {
        std::complex<double> ref = 0;
        for (int64_t k = 0; k < n[2]; ++k)
          for (int64_t j = 0; j < n[1]; ++j)
            for (int64_t i = 0; i < n[0]; ++i)
              ref += double(x[i + n[0] * (j + n[1] * k)]) *
                     std::polar(1.0, -2 * M_PI * (double(a * i) / n[0] + double(b * j) / n[1] + double(c * k) / n[2]));
        const std::complex<float> got = f.spectrum()[a + s[0] * (b + s[1] * c)];
        EXPECT_NEAR(got.real(), ref.real(), 2e-5);
        EXPECT_NEAR(got.imag(), ref.imag(), 2e-5);
      }
}

TEST(RealFFT3, FrequencyIndexAndNyquist) {
  EXPECT_EQ(frequency_index(0, 8), 0);
  EXPECT_EQ(frequency_index(3, 8), 3);
  EXPECT_EQ(frequency_index(4, 8), -4);
  EXPECT_EQ(frequency_index(7, 8), -1);
  EXPECT_EQ(frequency_index(3, 7), 3);
  EXPECT_EQ(frequency_index(4, 7), -3);
  EXPECT_TRUE(is_nyquist(4, 8));
  EXPECT_FALSE(is_nyquist(3, 7));
}
