// Real scanner data from ../shared/data (QSMTK_REAL_DATA): vendor phase scaling to exact radian
// values, DICOM sorting and conversion (classic = enhanced), masks and unwrapping on real phase.
// Skipped, saying so, when the data are absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qsmtk/io/dicom.h"
#include "qsmtk/io/multi_echo.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/phase/phase_scaling.h"
#include "qsmtk/phase/unwrap.h"
#include "qsmtk/process.h"

using namespace qsmtk;
namespace fs = std::filesystem;

namespace {

std::string data_dir(const std::string& sub) {
  const char* d = std::getenv("QSMTK_REAL_DATA");
  if (!d || !fs::is_directory(fs::path(d) / sub)) return "";
  return (fs::path(d) / sub).string();
}

#define REQUIRE_DATA(var, sub)                                                        \
  const std::string var = data_dir(sub);                                              \
  if (var.empty()) GTEST_SKIP() << "real scanner data not found (QSMTK_REAL_DATA/" sub ")"; \
  if (!program_available("dcm2niix") && std::string(sub).find("dicom") != std::string::npos) \
    GTEST_SKIP() << "dcm2niix is not installed";

struct WorkDir {
  std::string path;
  WorkDir() { path = make_temp_dir(fs::temp_directory_path().string(), "qsmtk-real-"); }
  ~WorkDir() { fs::remove_all(path); }
};

}  // namespace

TEST(RealData, SiemensSixEchoDicomUnsorted12Bit) {
  REQUIRE_DATA(dir, "siemens-6echo-phantom-dicom");
  log::set_level(log::Level::quiet);
  WorkDir w;
  const DicomConversion c = convert_dicom(dir, w.path);
  ASSERT_EQ(c.scans.size(), 1u);
  EXPECT_EQ(c.dcm2niix_version.substr(0, 2), "v1");
  const MultiEchoData d = load_multi_echo(c.scans[0]);
  ASSERT_EQ(d.phase.frames(), 6);
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(d.echo_times_s[size_t(e)], 0.0025 + 0.003 * e, 1e-9);
  EXPECT_DOUBLE_EQ(d.imaging_frequency_mhz, 123.259);
  EXPECT_EQ(d.manufacturer, "Siemens");
  EXPECT_EQ(d.provenance["PhaseScaling"]["Units"].get<std::string>(), "siemens12");
  // Stored 0..4095 -> (v - 2048) pi / 2048, at voxels whose stored values were read independently.
  EXPECT_NEAR(d.phase(64, 38, 5, 0), (858.0 - 2048) * M_PI / 2048, 1e-6);
  EXPECT_NEAR(d.phase(70, 30, 4, 0), (1002.0 - 2048) * M_PI / 2048, 1e-6);
  EXPECT_NEAR(d.phase(64, 38, 5, 5), (3093.0 - 2048) * M_PI / 2048, 1e-6);
  EXPECT_NEAR(d.phase(50, 45, 7, 5), (1827.0 - 2048) * M_PI / 2048, 1e-6);

  // The field map: unwrapped phase is congruent with the wrapped one, and the field from each
  // pair of consecutive echoes agrees with the full fit in the phantom.
  const FieldMapResult r = map_field(d.magnitude, d.phase, d.echo_times_s);
  int64_t in = 0;
  for (int64_t q = 0; q < r.mask.voxels(); ++q) in += r.mask[q];
  EXPECT_GT(in, 15000);
  const Volume corrected = [&] {
    Volume v(d.phase.grid(), 6);
    for (int64_t e = 0; e < 6; ++e)
      for (int64_t q = 0; q < v.voxels(); ++q) v.frame(e)[q] = float(wrap_phase(d.phase.frame(e)[q] - r.phase_offset[q]));
    return v;
  }();
  for (int64_t e = 0; e < 6; ++e)
    for (int64_t q = 0; q < r.mask.voxels(); ++q)
      if (r.mask[q]) {
        const double m = (r.unwrapped.frame(e)[q] - corrected.frame(e)[q]) / (2 * M_PI);
        ASSERT_NEAR(m, std::round(m), 1e-4);
      }
  for (int64_t e = 0; e + 1 < 6; ++e) {
    std::vector<double> diff;
    for (int64_t q = 0; q < r.mask.voxels(); ++q)
      if (r.mask[q] && r.fit.noise_hz[q] < 5) {
        const double pair = (r.unwrapped.frame(e + 1)[q] - r.unwrapped.frame(e)[q]) /
                            (2 * M_PI * (d.echo_times_s[size_t(e + 1)] - d.echo_times_s[size_t(e)]));
        diff.push_back(std::fabs(pair - r.fit.field_hz[q]));
      }
    ASSERT_GT(diff.size(), 1000u);
    std::nth_element(diff.begin(), diff.begin() + diff.size() / 2, diff.end());
    EXPECT_LT(diff[diff.size() / 2], 3.0) << "echoes " << e + 1 << "," << e + 2;  // Hz
  }
}

TEST(RealData, SiemensPhaseDifferenceSignedScaling) {
  REQUIRE_DATA(dir, "siemens-phasediff-dicom");
  // The reference NIfTI from dcm2niix stores -4096..4094 (RescaleSlope 2, Intercept -4096).
  Volume ref = read_nifti((fs::path(dir) / "ref" / "Si_4_gre_field_ph_e2_ph.nii").string());
  const PhaseScaling s = detect_phase_scaling(ref, "Siemens");
  EXPECT_EQ(s.units, PhaseUnits::siemens_signed);
  EXPECT_EQ(s.min, -4096);
  EXPECT_EQ(s.max, 4094);
  Volume rad = ref;
  apply_phase_scaling(rad, s);
  EXPECT_NEAR(rad(32, 32, 18), 278.0 * M_PI / 4096, 1e-6);
  EXPECT_NEAR(rad(20, 40, 10), 690.0 * M_PI / 4096, 1e-6);
  // Our conversion of the DICOMs gives the reference's values (phase only: no acquisition).
  WorkDir w;
  const DicomConversion c = convert_dicom(dir, w.path);
  EXPECT_TRUE(c.scans.empty());
  ASSERT_EQ(c.converted.size(), 1u);
  const Volume ours = read_nifti(c.converted[0]);
  ASSERT_EQ(ours.dims(), ref.dims());
  for (int64_t q = 0; q < ref.size(); ++q) ASSERT_EQ(ours[q], ref[q]);
}

TEST(RealData, PhilipsClassicAndEnhancedAgree) {
  REQUIRE_DATA(dir, "philips-2echo-brain-dicom");
  log::set_level(log::Level::quiet);
  WorkDir w1, w2;
  const DicomConversion classic = convert_dicom((fs::path(dir) / "classic").string(), w1.path);
  const DicomConversion enhanced = convert_dicom((fs::path(dir) / "enhanced").string(), w2.path);
  ASSERT_EQ(classic.scans.size(), 1u);
  ASSERT_EQ(enhanced.scans.size(), 1u);
  const MultiEchoData a = load_multi_echo(classic.scans[0]), b = load_multi_echo(enhanced.scans[0]);
  EXPECT_EQ(a.echo_times_s, (std::vector<double>{0.0023, 0.0046}));
  EXPECT_EQ(b.echo_times_s, a.echo_times_s);
  EXPECT_EQ(a.manufacturer, "Philips");
  EXPECT_DOUBLE_EQ(a.imaging_frequency_mhz, 127.749);
  ASSERT_EQ(a.phase.dims(), b.phase.dims());
  EXPECT_TRUE(a.phase.grid().same_space(b.phase.grid(), 0.01));
  for (int64_t q = 0; q < a.phase.size(); ++q) {
    ASSERT_EQ(a.phase[q], b.phase[q]);
    ASSERT_EQ(a.magnitude[q], b.magnitude[q]);
  }
  // dcm2niix writes Philips phase (stored milliradian steps) with a scaling to radians.
  EXPECT_EQ(a.provenance["PhaseScaling"]["Units"].get<std::string>(), "radians");
  EXPECT_NEAR(a.phase(40, 40, 26, 1), 2.6847596168518066, 1e-6);
  EXPECT_NEAR(a.phase(30, 50, 20, 1), 2.8336024284362793, 1e-6);

  // The brain mask holds the brain and no background.
  const Mask m = brain_mask(a.magnitude, a.echo_times_s);
  const Volume first = a.magnitude.extract_frame(0);
  std::vector<float> v(first.begin(), first.end());
  std::sort(v.begin(), v.end());
  const double t2 = v[v.size() * 2 / 100], t98 = v[v.size() * 98 / 100], background = t2 + 0.1 * (t98 - t2);
  int64_t in = 0, dark = 0;
  Vec3 c{0, 0, 0};
  for (int64_t k = 0; k < m.nz(); ++k)
    for (int64_t j = 0; j < m.ny(); ++j)
      for (int64_t i = 0; i < m.nx(); ++i)
        if (m(i, j, k)) {
          ++in;
          dark += first(i, j, k) < background;
          c = c + Vec3{double(i), double(j), double(k)};
        }
  const double litres = double(in) * 27e-6;
  EXPECT_GT(litres, 1.2);
  EXPECT_LT(litres, 2.4);
  EXPECT_LT(double(dark) / double(in), 0.01);
  c = (1.0 / double(in)) * c;
  int64_t central = 0, central_in = 0;  // bright voxels within 25 mm of the centre are all in
  for (int64_t k = 0; k < m.nz(); ++k)
    for (int64_t j = 0; j < m.ny(); ++j)
      for (int64_t i = 0; i < m.nx(); ++i)
        if (norm(Vec3{double(i), double(j), double(k)} - c) * 3 < 25 && first(i, j, k) > background)
          ++central, central_in += m(i, j, k);
  EXPECT_GT(central, 500);
  EXPECT_EQ(central_in, central);
}

TEST(RealData, RomeoPatchRescaledPhaseAndUnwrapping) {
  REQUIRE_DATA(dir, "romeo-small-invivo");
  log::set_level(log::Level::quiet);
  const ScanFiles s = scan_from_files({(fs::path(dir) / "Mag.nii").string()}, {(fs::path(dir) / "Phase.nii").string()});
  LoadOptions o;
  o.echo_times_s = {0.004, 0.008, 0.012};  // the data's own tests use these
  o.b0_tesla = 7;
  const MultiEchoData d = load_multi_echo(s, o);
  EXPECT_EQ(d.provenance["PhaseScaling"]["Units"].get<std::string>(), "rescale");
  ASSERT_EQ(d.warnings.size(), 1u);
  const double lo = -0.0036743774290988462, hi = 0.0036743768713945746;
  EXPECT_NEAR(d.provenance["PhaseScaling"]["StoredMin"].get<double>(), lo, 1e-9);
  EXPECT_NEAR(d.phase(25, 25, 20, 0), (-0.0006469419744560834 - lo) / (hi - lo) * 2 * M_PI - M_PI, 1e-5);
  EXPECT_NEAR(d.phase(10, 40, 5, 2), (0.0028973291828130743 - lo) / (hi - lo) * 2 * M_PI - M_PI, 1e-5);
  // Region growing on real in-vivo phase: congruent everywhere in the mask.
  const Mask all(d.phase.grid(), 1, 1);
  const Volume p0 = d.phase.extract_frame(2), m0 = d.magnitude.extract_frame(2);
  const Volume u = unwrap_region_growing(p0, all, &m0);
  for (int64_t q = 0; q < u.voxels(); ++q) {
    const double k = (u[q] - p0[q]) / (2 * M_PI);
    ASSERT_NEAR(k, std::round(k), 1e-4);
  }
  // NaNs in real phase stay NaN and do not stop the unwrapping of the rest.
  const Volume nan = read_nifti((fs::path(dir) / "phase_with_nan.nii").string());
  const Volume f0 = nan.extract_frame(0);
  const Volume un = unwrap_region_growing(f0, Mask(f0.grid(), 1, 1));
  int64_t nans = 0;
  for (int64_t q = 0; q < f0.voxels(); ++q) {
    if (std::isnan(f0[q])) {
      ++nans;
      EXPECT_TRUE(std::isnan(un[q]));
    } else {
      const double k = (un[q] - f0[q]) / (2 * M_PI);
      ASSERT_NEAR(k, std::round(k), 1e-4);
    }
  }
  EXPECT_EQ(nans, 640);
}
