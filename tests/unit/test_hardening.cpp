// The checks made before any work (issue 10): output folders and files, the memory guard and the
// pipeline's memory estimate, finite and non-empty data. tests/cli/bad_input.sh covers the same
// from the command line, file by file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "qsmtk/io/multi_echo.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/memory.h"
#include "qsmtk/pipeline/pipeline.h"
#include "qsmtk/sim/phantom.h"
#include "qsmtk/strings.h"
#include "test_util.h"

using namespace qsmtk;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

TEST(OutputCheck, AcceptsNewAndExistingFoldersAndCreatesNothing) {
  TempDir dir;
  check_output_folder(dir.path.string());
  check_output_folder(dir.file("a/b/c"));
  EXPECT_FALSE(fs::exists(dir.file("a")));
  check_output_file(dir.file("x/chi.nii.gz"));
  EXPECT_FALSE(fs::exists(dir.file("x")));
  EXPECT_TRUE(fs::is_empty(dir.path)) << "the probe file must be removed";
}

TEST(OutputCheck, RefusesTheInputFolderAndTheFolderOfInputFiles) {
  TempDir dir;
  fs::create_directories(dir.file("bids/derivatives"));
  std::ofstream(dir.file("bids/mag.nii.gz")) << "x";
  EXPECT_NE(error_of([&] { check_output_folder(dir.file("bids"), {dir.file("bids")}); }).find("is the input folder"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_output_folder(dir.file("bids/"), {dir.file("bids/mag.nii.gz")}); })
                .find("holds the input"),
            std::string::npos);
  check_output_folder(dir.file("bids/derivatives/qsmtk"), {dir.file("bids")});  // BIDS derivatives: fine
  EXPECT_NE(error_of([&] { check_output_file(dir.file("bids/mag.nii.gz"), {dir.file("bids/mag.nii.gz")}); })
                .find("would overwrite the input"),
            std::string::npos);
}

TEST(OutputCheck, RefusesFilesWhereFoldersGoAndFoldersWhereFilesGo) {
  TempDir dir;
  std::ofstream(dir.file("afile")) << "x";
  EXPECT_NE(error_of([&] { check_output_folder(dir.file("afile")); }).find("exists and is not a folder"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_output_folder(dir.file("afile/sub")); }).find("is not a folder"), std::string::npos);
  EXPECT_NE(error_of([&] { check_output_file(dir.path.string()); }).find("is a folder"), std::string::npos);
}

TEST(OutputCheck, RefusesFoldersThatCannotBeWritten) {
  TempDir dir;
  fs::create_directories(dir.file("ro"));
  fs::permissions(dir.file("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  if (geteuid() != 0) {  // root writes anyway; tests/cli/bad_input.sh runs these as 'nobody'
    EXPECT_NE(error_of([&] { check_output_folder(dir.file("ro")); }).find("not writable"), std::string::npos);
    EXPECT_NE(error_of([&] { check_output_folder(dir.file("ro/new")); }).find("to be created in"), std::string::npos);
  }
  fs::permissions(dir.file("ro"), fs::perms::owner_all);
  if (fs::is_directory("/sys/kernel") && access("/sys", W_OK) != 0) {  // read-only even for root
    EXPECT_NE(error_of([] { check_output_folder("/sys/qsmtk-test"); }).find("not writable"), std::string::npos);
  }
}

TEST(MemoryGuard, AvailableMemoryIsKnownAndTheLimitCaps) {
#if defined(__linux__)
  const int64_t available = available_memory_bytes();
  EXPECT_GT(available, int64_t(64) << 20);
  EXPECT_LT(available, int64_t(1) << 50);
#endif
  set_memory_limit_bytes(int64_t(100) << 20);
  EXPECT_LE(memory_budget_bytes(), int64_t(100) << 20);
  require_memory(int64_t(50) << 20, "small");
  const std::string msg = error_of([] { require_memory(int64_t(3) << 30, "big.nii.gz"); });
  EXPECT_NE(msg.find("big.nii.gz: needs about 3 GiB of memory, but only 0.1 GiB are allowed (--memory-limit)"),
            std::string::npos)
      << msg;
  set_memory_limit_bytes(0);
  EXPECT_EQ(memory_budget_bytes(), available_memory_bytes() < 0 ? -1 : memory_budget_bytes());
}

TEST(MemoryGuard, ReadingRefusesAnImageThatCannotFit) {
  TempDir dir;
  const std::string path = dir.file("v.nii.gz");
  write_nifti(path, Volume(Grid{{64, 64, 64}, {1, 1, 1}}));  // 1 MiB of float32
  set_memory_limit_bytes(int64_t(1) << 20);                 // less than stored bytes + float copy
  const std::string msg = error_of([&] { read_nifti(path); });
  set_memory_limit_bytes(0);
  EXPECT_NE(msg.find("v.nii.gz (64x64x64 at 1x1x1 mm): needs about"), std::string::npos) << msg;
  EXPECT_EQ(read_nifti(path).voxels(), 64 * 64 * 64);
}

TEST(MemoryGuard, PipelineEstimateGrowsWithSizeEchoesAndMethod) {
  PipelineOptions o;
  const int64_t base = estimate_pipeline_peak_bytes(192 * 224 * 160, 5, o);
  // The default pipeline at the default size peaked at 946 MiB (docs/benchmarks.md): the
  // estimate errs high, within reason.
  EXPECT_GT(base, int64_t(946) << 20);
  EXPECT_LT(base, int64_t(1400) << 20);
  EXPECT_GT(estimate_pipeline_peak_bytes(2 * 192 * 224 * 160, 5, o), base);
  EXPECT_GT(estimate_pipeline_peak_bytes(192 * 224 * 160, 10, o), base);
  // TKD pads its box by half of every side: 1405 MiB when the box is the whole grid.
  o.inversion = InversionMethod::tkd;
  EXPECT_GT(estimate_pipeline_peak_bytes(192 * 224 * 160, 5, o), int64_t(1405) << 20);
}

TEST(MemoryGuard, SimulationEstimateAndRefusal) {
  SimulationOptions o;
  o.acquisition = simulation_case("std", "default");
  const Grid g = Grid::centred({192, 224, 160}, {1, 1, 1});
  // Measured peaks (docs/benchmarks.md): 2519 MiB at the default size (x2); the small size
  // (96x112x80) 332 MiB at x2 and 2169 MiB at x4. The estimate errs high, within reason.
  const int64_t def = estimate_simulation_peak_bytes(g, o);
  EXPECT_GT(def, int64_t(2519) << 20);
  EXPECT_LT(def, int64_t(2519 * 3 / 2) << 20);
  const Grid small = Grid::centred({96, 112, 80}, {2, 2, 2});
  const int64_t x2 = estimate_simulation_peak_bytes(small, o);
  o.supersampling = 4;
  const int64_t x4 = estimate_simulation_peak_bytes(small, o);
  EXPECT_GT(x2, int64_t(332) << 20);
  EXPECT_LT(x2, int64_t(332 * 2) << 20);
  EXPECT_GT(x4, int64_t(2169) << 20);
  EXPECT_LT(x4, int64_t(2169 * 3 / 2) << 20);
  // simulate_phantom refuses before painting anything.
  o.acquisition = simulation_case("std", "small");
  set_memory_limit_bytes(int64_t(100) << 20);
  const std::string msg = error_of([&] { simulate_phantom(o); });
  set_memory_limit_bytes(0);
  EXPECT_NE(msg.find("the simulation (96x112x80 at 2x2x2 mm, 5 echoes, supersampled x4): needs about"),
            std::string::npos)
      << msg;
}

TEST(Inputs, WholeNumbersMustFillTheText) {
  int32_t v = -7;
  EXPECT_TRUE(parse_int("12", v));
  EXPECT_EQ(v, 12);
  EXPECT_TRUE(parse_int("-3", v));
  EXPECT_EQ(v, -3);
  for (const char* bad : {"", "12a", "1.5", "x", "2147483648", "99999999999999999999"}) {
    v = 5;
    EXPECT_FALSE(parse_int(bad, v)) << bad;
    EXPECT_EQ(v, 5) << bad;  // left as it was
  }
}

TEST(Inputs, ArraysWithNaNOrNoSignalAreRefused) {
  const Grid g{{8, 8, 8}, {1, 1, 1}};
  Volume mag(g, 2), phase(g, 2);
  for (float& v : mag) v = 1;
  LoadOptions o;
  o.echo_times_s = {0.005, 0.01};
  o.b0_tesla = 3;
  Volume bad = phase;
  bad[bad.grid().voxels() + 3 + 8 * 2] = std::numeric_limits<float>::quiet_NaN();  // echo 2, voxel (3,2,0)
  std::string msg = error_of([&] { multi_echo_from_images(mag, bad, o, 0, "arrays"); });
  EXPECT_NE(msg.find("arrays phase: 1 voxel value(s) are NaN or Inf (first at voxel 3,2,0, volume 1)"), std::string::npos)
      << msg;
  Volume zero(g, 2);
  msg = error_of([&] { multi_echo_from_images(zero, phase, o, 0, "arrays"); });
  EXPECT_NE(msg.find("zero (or negative) everywhere"), std::string::npos) << msg;
  EXPECT_NO_THROW(multi_echo_from_images(mag, phase, o, 0, "arrays"));
}

TEST(Inputs, SidecarFieldStrengthAndFrequencyMustAgree) {
  ScanFiles scan;
  scan.echoes.push_back({"m.nii", "p.nii", "", ""});
  scan.metadata.push_back({{"EchoTime", 0.005}, {"MagneticFieldStrength", 3.0}, {"ImagingFrequency", 123.2}});
  EXPECT_NEAR(acquisition_parameters(scan, {}, 1).imaging_frequency_mhz, 123.2, 1e-9);  // 2.89 T Siemens "3 T"
  scan.metadata[0]["ImagingFrequency"] = 63.9;
  EXPECT_NE(error_of([&] { acquisition_parameters(scan, {}, 1); }).find("disagree"), std::string::npos);
  scan.metadata[0]["ImagingFrequency"] = 1e6;
  EXPECT_NE(error_of([&] { acquisition_parameters(scan, {}, 1); }).find("implausible"), std::string::npos);
  LoadOptions o;
  o.b0_tesla = 1.5;  // the option wins over both
  EXPECT_NEAR(acquisition_parameters(scan, o, 1).b0_tesla, 1.5, 1e-12);
}
