// Unwrapping, phase offset removal, echo fits and R2* on synthetic fields with known truth.
#include <gtest/gtest.h>

#include <cmath>

#include "qsmtk/phase/echo_fit.h"
#include "qsmtk/phase/offset.h"
#include "qsmtk/phase/phase_scaling.h"
#include "qsmtk/phase/swi.h"
#include "qsmtk/phase/unwrap.h"
#include "qsmtk/relax/r2star.h"
#include "qsmtk/random.h"

using namespace qsmtk;

namespace {

const Grid kGrid = Grid::centred({40, 36, 24}, {1.5, 1.5, 2.0});

Vec3 pos(int64_t i, int64_t j, int64_t k) { return {(i - 19.5) * 1.5, (j - 17.5) * 1.5, (k - 11.5) * 2.0}; }

/// A smooth field (Hz) with a range of several hundred Hz, like a head near a sinus.
double field_hz(const Vec3& p) {
  return 150 * std::exp(-((p[0] - 8) * (p[0] - 8) + p[1] * p[1] + (p[2] + 6) * (p[2] + 6)) / 300.0) + 4 * p[0] -
         2.5 * p[1] + 0.05 * p[2] * p[2];
}
double offset_rad(const Vec3& p) { return 1.2 + 0.04 * p[0] - 0.03 * p[2] + 0.8 * std::sin(p[1] / 20); }

Mask ellipsoid_mask() {
  Mask m(kGrid);
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i) {
        const Vec3 p = pos(i, j, k);
        m(i, j, k) = p[0] * p[0] / (26 * 26) + p[1] * p[1] / (24 * 24) + p[2] * p[2] / (20 * 20) < 1;
      }
  return m;
}

struct Echoes {
  Volume mag, phase;
  std::vector<double> te;
};

Echoes synthesize(const std::vector<double>& te, double noise_sd, bool with_offset, uint64_t seed = 3) {
  Echoes d{Volume(kGrid, int64_t(te.size())), Volume(kGrid, int64_t(te.size())), te};
  for (size_t e = 0; e < te.size(); ++e)
    for (int64_t k = 0; k < 24; ++k)
      for (int64_t j = 0; j < 36; ++j)
        for (int64_t i = 0; i < 40; ++i) {
          const Vec3 p = pos(i, j, k);
          const double m = std::exp(-30 * te[e]);
          const double ph = (with_offset ? offset_rad(p) : 0.0) + 2 * M_PI * field_hz(p) * te[e];
          double a = 0, b = 0;
          if (noise_sd > 0) normal_pair(seed, e, uint64_t(kGrid.voxels() * 0) + uint64_t(i + 40 * (j + 36 * k)), a, b);
          const std::complex<double> s = std::polar(m, ph) + std::complex<double>(noise_sd * a, noise_sd * b);
          d.mag(i, j, k, int64_t(e)) = float(std::abs(s));
          d.phase(i, j, k, int64_t(e)) = float(std::arg(s));
        }
  return d;
}

}  // namespace

TEST(RegionGrowing, CongruentExactAndDeterministic) {
  const Mask mask = ellipsoid_mask();
  Volume truth(kGrid), wrapped(kGrid), mag(kGrid, 1, 1.0f);
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i) {
        truth(i, j, k) = float(2 * M_PI * field_hz(pos(i, j, k)) * 0.02);  // up to ~20 rad
        wrapped(i, j, k) = float(wrap_phase(truth(i, j, k)));
      }
  const Volume u = unwrap_region_growing(wrapped, mask, &mag);
  const Volume again = unwrap_region_growing(wrapped, mask, &mag);
  EXPECT_TRUE(std::equal(u.begin(), u.end(), again.begin()));
  // Differs from the input by exact multiples of 2 pi, and from the truth by one constant one.
  int64_t k0 = INT64_MAX, in = 0;
  for (int64_t q = 0; q < u.voxels(); ++q) {
    const double m = (u[q] - wrapped[q]) / (2 * M_PI);
    ASSERT_NEAR(m, std::round(m), 1e-5);
    if (!mask[q]) {
      EXPECT_EQ(u[q], wrapped[q]);
      continue;
    }
    const int64_t k = std::llround((u[q] - truth[q]) / (2 * M_PI));
    if (k0 == INT64_MAX) k0 = k;
    EXPECT_EQ(k, k0);
    ++in;
  }
  EXPECT_GT(in, 10000);
}

TEST(RegionGrowing, NaNsAndDisconnectedRegions) {
  Mask mask(kGrid);
  Volume truth(kGrid), wrapped(kGrid);
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i) {
        mask(i, j, k) = (i < 17 || i > 22);  // two slabs with no edge between them
        truth(i, j, k) = float(0.9 * i + 0.4 * j + (i > 22 ? 30.0 : 0.0));
        wrapped(i, j, k) = float(wrap_phase(truth(i, j, k)));
      }
  for (int64_t j = 10; j < 20; ++j) wrapped(5, j, 12) = NAN;  // a line of NaNs inside a region
  const Volume u = unwrap_region_growing(wrapped, mask);
  for (int64_t side = 0; side < 2; ++side) {
    int64_t k0 = INT64_MAX;
    for (int64_t k = 0; k < 24; ++k)
      for (int64_t j = 0; j < 36; ++j)
        for (int64_t i = side ? 23 : 0; i < (side ? 40 : 17); ++i) {
          if (std::isnan(wrapped(i, j, k))) {
            EXPECT_TRUE(std::isnan(u(i, j, k)));
            continue;
          }
          const int64_t kk = std::llround((u(i, j, k) - truth(i, j, k)) / (2 * M_PI));
          if (k0 == INT64_MAX) k0 = kk;
          ASSERT_EQ(kk, k0) << side << " " << i << " " << j << " " << k;
        }
  }
}

TEST(LaplacianUnwrap, RecoversSmoothPhase) {
  Volume truth(kGrid), wrapped(kGrid);
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i) {
        const Vec3 p = pos(i, j, k);
        truth(i, j, k) = float(6 * std::cos(p[0] / 12) * std::cos(p[1] / 15) + 3 * std::sin(p[2] / 10));
        wrapped(i, j, k) = float(wrap_phase(truth(i, j, k)));
      }
  const Volume u = unwrap_laplacian(wrapped);
  double mt = 0, mu = 0;
  for (int64_t q = 0; q < u.voxels(); ++q) mt += truth[q], mu += u[q];
  mt /= double(u.voxels()), mu /= double(u.voxels());
  double e = 0, t = 0;
  for (int64_t q = 0; q < u.voxels(); ++q) e += std::pow((u[q] - mu) - (truth[q] - mt), 2), t += std::pow(truth[q] - mt, 2);
  EXPECT_LT(std::sqrt(e / t), 0.05);
}

TEST(PhaseOffset, Mcpc3dsRecoversTheReceiverOffset) {
  const Echoes d = synthesize({0.004, 0.009, 0.014}, 0.0, true);
  const Mask mask = ellipsoid_mask();
  const Volume off = estimate_phase_offset(d.phase, d.mag, mask, d.te, PhaseOffsetOptions{2.0, 0, 1});
  double e = 0;
  int64_t n = 0;
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i)
        if (mask(i, j, k)) e += std::pow(wrap_phase(off(i, j, k) - offset_rad(pos(i, j, k))), 2), ++n;
  EXPECT_LT(std::sqrt(e / double(n)), 0.05);
  // After removal, temporal unwrapping + the fit give the true field.
  const Volume corrected = remove_phase_offset(d.phase, off);
  const Volume un = unwrap_echoes(corrected, d.mag, mask, d.te);
  const FieldFit f = fit_field(un, d.mag, d.te, mask);
  double err = 0;
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 36; ++j)
      for (int64_t i = 0; i < 40; ++i)
        if (mask(i, j, k)) err = std::max(err, std::fabs(f.field_hz(i, j, k) - field_hz(pos(i, j, k))));
  EXPECT_LT(err, 1.0);  // Hz, against fields of +-200 Hz
}

TEST(EchoFit, ExactOnNoiseFreeDataForUnevenEchoesOneEchoAndMany) {
  const Mask mask = ellipsoid_mask();
  for (const std::vector<double>& te :
       {std::vector<double>{0.0031}, std::vector<double>{0.003, 0.0041, 0.0077, 0.0123},
        [] {
          std::vector<double> t;
          for (int e = 0; e < 32; ++e) t.push_back(0.002 + 0.0011 * e);
          return t;
        }()}) {
    const Echoes d = synthesize(te, 0.0, false);
    Volume un(kGrid, int64_t(te.size()));
    for (size_t e = 0; e < te.size(); ++e)
      for (int64_t k = 0; k < 24; ++k)
        for (int64_t j = 0; j < 36; ++j)
          for (int64_t i = 0; i < 40; ++i)
            un(i, j, k, int64_t(e)) = float(2 * M_PI * field_hz(pos(i, j, k)) * te[e]);
    for (auto method : {EchoFitMethod::weighted_linear, EchoFitMethod::complex_nonlinear}) {
      const FieldFit f = fit_field(un, d.mag, te, mask, method, 0.01);
      double err = 0;
      for (int64_t k = 0; k < 24; ++k)
        for (int64_t j = 0; j < 36; ++j)
          for (int64_t i = 0; i < 40; ++i)
            if (mask(i, j, k)) err = std::max(err, std::fabs(f.field_hz(i, j, k) - field_hz(pos(i, j, k))));
      EXPECT_LT(err, 2e-3 * 200) << te.size() << " echoes";
    }
  }
}

TEST(EchoFit, ComplexFitShrugsOffASingleEchoWrapError) {
  const std::vector<double> te{0.004, 0.008, 0.012, 0.016, 0.020};
  const Mask mask = ellipsoid_mask();
  const Echoes d = synthesize(te, 0.0, false);
  Volume un(kGrid, 5);
  for (int64_t e = 0; e < 5; ++e)
    for (int64_t q = 0; q < kGrid.voxels(); ++q) {
      const int64_t i = q % 40, j = (q / 40) % 36, k = q / 1440;
      un[q + e * kGrid.voxels()] = float(2 * M_PI * field_hz(pos(i, j, k)) * te[e] + (e == 3 ? 2 * M_PI : 0.0));
    }
  const FieldFit lin = fit_field(un, d.mag, te, mask, EchoFitMethod::weighted_linear, 0.01);
  const FieldFit cpx = fit_field(un, d.mag, te, mask, EchoFitMethod::complex_nonlinear, 0.01);
  int64_t checked = 0;
  for (int64_t q = 0; q < kGrid.voxels(); ++q) {
    if (!mask[q]) continue;
    const double truth = field_hz(pos(q % 40, (q / 40) % 36, q / 1440));
    ASSERT_GT(std::fabs(lin.field_hz[q] - truth), 5.0);
    ASSERT_LT(std::fabs(cpx.field_hz[q] - truth), 0.01);
    ++checked;
  }
  EXPECT_GT(checked, 10000);
}

TEST(EchoFit, NoiseMapPredictsTheFieldError) {
  // The estimated noise SD and the Cramer-Rao field SD agree with what the noise does.
  const std::vector<double> te{0.005, 0.011, 0.017, 0.023};
  const double sigma = 0.02;
  const Echoes d = synthesize(te, sigma, false, 11);
  Mask small(kGrid);  // a central region, the rest is "background" for the estimate
  for (int64_t k = 8; k < 16; ++k)
    for (int64_t j = 12; j < 24; ++j)
      for (int64_t i = 14; i < 26; ++i) small(i, j, k) = 1;
  Volume bg_mag(kGrid, 4);  // pure noise outside, signal inside
  for (int64_t e = 0; e < 4; ++e)
    for (int64_t q = 0; q < kGrid.voxels(); ++q) {
      double a, b;
      normal_pair(99, uint64_t(e), uint64_t(q), a, b);
      bg_mag[q + e * kGrid.voxels()] = small[q] ? d.mag[q + e * kGrid.voxels()] : float(sigma * std::hypot(a, b));
    }
  EXPECT_NEAR(estimate_noise_sd(bg_mag, small), sigma, 0.1 * sigma);
  const Volume un = unwrap_echoes(d.phase, d.mag, small, te);
  const FieldFit f = fit_field(un, d.mag, te, small, EchoFitMethod::weighted_linear, sigma);
  double se = 0, sp = 0;
  int64_t n = 0;
  for (int64_t q = 0; q < kGrid.voxels(); ++q)
    if (small[q]) {
      const int64_t i = q % 40, j = (q / 40) % 36, k = q / 1440;
      se += std::pow(f.field_hz[q] - field_hz(pos(i, j, k)), 2);
      sp += f.noise_hz[q] * f.noise_hz[q];
      ++n;
    }
  EXPECT_NEAR(std::sqrt(se / double(n)) / std::sqrt(sp / double(n)), 1.0, 0.1);
}

TEST(R2Star, FitsExponentialsAndRefusesWhatTheyCannotFit) {
  const std::vector<double> te{0.005, 0.011, 0.017, 0.023, 0.029};
  const Grid g = Grid::centred({4, 4, 4}, {1, 1, 1});
  Volume mag(g, 5);
  for (int64_t q = 0; q < g.voxels(); ++q)
    for (int64_t e = 0; e < 5; ++e) mag[q + e * g.voxels()] = float((1 + q) * std::exp(-(10.0 + 2.0 * q) * te[e]));
  const Mask all(g, 1, 1);
  for (auto m : {R2StarMethod::loglinear, R2StarMethod::arlo, R2StarMethod::nonlinear}) {
    const R2StarMaps r = fit_r2star(mag, te, all, m);
    for (int64_t q = 0; q < g.voxels(); ++q) {
      const double truth = 10.0 + 2.0 * q;
      EXPECT_NEAR(r.r2star[q], truth, (m == R2StarMethod::arlo ? 5e-3 : 1e-4) * truth) << int(m);
      EXPECT_NEAR(r.t2star[q], 1 / truth, 5e-3 / truth);
      EXPECT_NEAR(r.s0[q], 1.0 + q, 5e-3 * (1.0 + q));
    }
  }
  EXPECT_THROW(fit_r2star(mag, {0.005, 0.011, 0.018, 0.023, 0.029}, all, R2StarMethod::arlo), std::invalid_argument);
  EXPECT_THROW(fit_r2star(mag.extract_frame(0), {0.005}, all), std::invalid_argument);
}

TEST(PhaseScaling, EveryStoredForm) {
  const Grid g = Grid::centred({8, 8, 2}, {1, 1, 1});
  auto make = [&](double lo, double hi, bool integers) {
    Volume v(g);
    for (int64_t q = 0; q < v.size(); ++q) {
      double x = lo + (hi - lo) * double(q) / double(v.size() - 1);
      v[q] = float(integers ? std::round(x) : x);
    }
    return v;
  };
  struct Case {
    double lo, hi;
    bool integers;
    std::string manufacturer;
    PhaseUnits expect;
    double value, radians;
  };
  const Case cases[] = {
      {-3.14, 3.14, false, "", PhaseUnits::radians, 1.0, 1.0},
      {0, 4095, true, "Siemens", PhaseUnits::siemens_12bit, 3072, M_PI / 2},
      {-4096, 4094, true, "Siemens", PhaseUnits::siemens_signed, -2048, -M_PI / 2},
      {-3142, 3141.9, false, "Philips", PhaseUnits::milliradians, 1500, 1.5},
      {-0.00367, 0.00367, false, "", PhaseUnits::rescale, 0.0, 0.0},
  };
  for (const Case& c : cases) {
    Volume v = make(c.lo, c.hi, c.integers);
    const PhaseScaling s = detect_phase_scaling(v, c.manufacturer);
    EXPECT_EQ(s.units, c.expect) << c.lo << ".." << c.hi;
    Volume probe(g, 1, float(c.value));
    probe[0] = float(c.lo), probe[1] = float(c.hi);
    apply_phase_scaling(probe, s);
    EXPECT_NEAR(probe[5], c.radians, 1e-6);
    EXPECT_GE(probe[0], -M_PI - 1e-6);
    EXPECT_LE(probe[1], M_PI + 1e-6);
  }
  Volume odd = make(0, 100, false);
  EXPECT_EQ(parse_phase_units("siemens12"), PhaseUnits::siemens_12bit);
  EXPECT_EQ(detect_phase_scaling(odd, "", PhaseUnits::radians).units, PhaseUnits::radians);
  EXPECT_THROW(parse_phase_units("degrees"), std::invalid_argument);
}

TEST(Swi, DarkensParamagneticVeinsAndProjectsMinimum) {
  const Grid g = Grid::centred({32, 32, 16}, {1, 1, 1});
  Volume mag(g, 1, 1.0f), phase(g);
  Mask all(g, 1, 1);
  for (int64_t k = 0; k < 16; ++k)
    for (int64_t j = 0; j < 32; ++j)
      for (int64_t i = 0; i < 32; ++i) {
        const bool vein = std::hypot(i - 15.5, j - 15.5) < 1.6 && k > 3 && k < 12;
        phase(i, j, k) = float((vein ? 1.2 : 0.0) + 0.05 * i);  // vein: positive phase; smooth ramp elsewhere
      }
  SwiOptions o;
  o.minip_mm = 4;
  const SwiImages s = swi_homodyne(mag, phase, all, 0, o);
  EXPECT_LT(s.swi(15, 15, 8), 0.5);       // the vein is dark
  EXPECT_GT(s.swi(5, 5, 8), 0.95);        // the ramp is removed by the high-pass filter
  EXPECT_LE(s.minip(15, 15, 12), s.swi(15, 15, 11) + 1e-6);  // minIP reaches into the slab
  SwiOptions flip = o;
  flip.paramagnetic_dark = false;
  EXPECT_GT(swi_homodyne(mag, phase, all, 0, flip).swi(15, 15, 8), 0.95);
}
