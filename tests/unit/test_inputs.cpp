// BIDS discovery and sidecar inheritance; what the multi-echo loader accepts and refuses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qsmtk/io/bids.h"
#include "qsmtk/io/multi_echo.h"
#include "qsmtk/io/nifti.h"
#include "test_util.h"

using namespace qsmtk;
using test::error_of;
namespace fs = std::filesystem;

namespace {

struct Dataset {
  test::TempDir dir;
  fs::path root = dir.path;
  std::string path(const std::string& rel) const { return (root / rel).string(); }
  void image(const std::string& rel, const Grid& g, float value, int64_t frames = 1) {
    fs::create_directories(fs::path(path(rel)).parent_path());
    Volume v(g, frames, value);
    for (int64_t q = 0; q < v.size(); ++q) v[q] = value + 0.001f * float(q % 7);
    write_nifti(path(rel), v);
  }
  void json(const std::string& rel, const Json& j) {
    fs::create_directories(fs::path(path(rel)).parent_path());
    write_json(path(rel), j);
  }
};

const Grid kG = Grid::centred({6, 5, 4}, {2, 2, 2});


}  // namespace

TEST(BidsNames, ParsesEntitiesSuffixAndExtension) {
  const auto n = parse_bids_name("/x/sub-01_ses-a_acq-fast_run-2_echo-3_part-phase_MEGRE.nii.gz");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->suffix, "MEGRE");
  EXPECT_EQ(n->extension, ".nii.gz");
  EXPECT_EQ(n->get("ses"), "a");
  EXPECT_EQ(n->get("echo"), "3");
  EXPECT_EQ(n->get("part"), "phase");
  EXPECT_EQ(n->get("task"), "");
  EXPECT_FALSE(parse_bids_name("my scan.nii.gz"));
  EXPECT_FALSE(parse_bids_name("sub-_MEGRE.nii.gz"));
  EXPECT_FALSE(parse_bids_name("sub-01_MEGRE.txt"));
}

TEST(BidsDiscovery, SessionsRunsAcqAndInheritedSidecars) {
  Dataset d;
  d.json("dataset_description.json", {{"Name", "t"}, {"BIDSVersion", "1.9.0"}});
  // Field strength at the top, echo times per echo at subject level, an override deeper down.
  d.json("MEGRE.json", {{"MagneticFieldStrength", 3}, {"Manufacturer", "Siemens"}});
  for (const std::string ses : {"a", "b"})
    for (int e = 1; e <= 3; ++e) {
      const std::string base = "sub-01/ses-" + ses + "/anat/sub-01_ses-" + ses + "_echo-" + std::to_string(e);
      d.image(base + "_part-mag_MEGRE.nii.gz", kG, 1.0f);
      d.image(base + "_part-phase_MEGRE.nii.gz", kG, 0.5f);
      d.json("sub-01/sub-01_echo-" + std::to_string(e) + "_MEGRE.json", {{"EchoTime", 0.004 * e}});
    }
  d.json("sub-01/ses-b/anat/sub-01_ses-b_echo-2_part-phase_MEGRE.json", {{"EchoTime", 0.0085}});
  for (int e = 1; e <= 2; ++e) {
    const std::string base = "sub-02/anat/sub-02_acq-fast_run-1_echo-" + std::to_string(e);
    d.image(base + "_part-real_MEGRE.nii.gz", kG, 1.0f);
    d.image(base + "_part-imag_MEGRE.nii.gz", kG, 1.0f);
    d.json(base + "_part-real_MEGRE.json", {{"EchoTime", 0.005 * e}});
  }
  d.image("derivatives/x/sub-01/anat/sub-01_echo-1_part-mag_MEGRE.nii.gz", kG, 1.0f);  // ignored

  const auto scans = find_megre_scans(d.root.string());
  ASSERT_EQ(scans.size(), 3u);
  for (const auto& s : scans)
    for (const auto& m : s.metadata) ASSERT_TRUE(m.contains("EchoTime")) << s.entities.prefix() << ": " << m.dump();
  EXPECT_EQ(scans[0].entities.prefix(), "sub-01_ses-a");
  EXPECT_EQ(scans[1].entities.prefix(), "sub-01_ses-b");
  EXPECT_EQ(scans[2].entities.prefix(), "sub-02_acq-fast_run-1");
  ASSERT_EQ(scans[1].echoes.size(), 3u);
  EXPECT_DOUBLE_EQ(scans[0].metadata[1]["EchoTime"].get<double>(), 0.008);
  EXPECT_DOUBLE_EQ(scans[1].metadata[1]["EchoTime"].get<double>(), 0.0085);  // deeper file wins
  EXPECT_EQ(scans[1].metadata[2]["MagneticFieldStrength"].get<int>(), 3);     // from the root
  EXPECT_EQ(find_megre_scans(d.root.string(), {"sub-02"}).size(), 1u);
  EXPECT_EQ(find_megre_scans(d.root.string(), {"03"}).size(), 0u);

  const MultiEchoData m = load_multi_echo(scans[1]);
  EXPECT_EQ(m.phase.frames(), 3);
  EXPECT_EQ(m.echo_times_s, (std::vector<double>{0.004, 0.0085, 0.012}));
  EXPECT_DOUBLE_EQ(m.b0_tesla, 3.0);
  EXPECT_NEAR(m.imaging_frequency_mhz, 127.732, 1e-3);
  // Real/imaginary input becomes magnitude and phase.
  LoadOptions o;
  o.b0_tesla = 7;
  const MultiEchoData c = load_multi_echo(scans[2], o);
  EXPECT_NEAR(c.magnitude[0], std::sqrt(2.0f), 1e-5);
  EXPECT_NEAR(c.phase[0], M_PI / 4, 1e-5);
}

TEST(BidsDiscovery, IncompleteAcquisitionsAreNamed) {
  Dataset d;
  d.image("sub-01/anat/sub-01_echo-1_part-mag_MEGRE.nii.gz", kG, 1.0f);
  d.image("sub-01/anat/sub-01_echo-1_part-phase_MEGRE.nii.gz", kG, 1.0f);
  d.image("sub-01/anat/sub-01_echo-2_part-mag_MEGRE.nii.gz", kG, 1.0f);
  const std::string msg = error_of([&] { find_megre_scans(d.root.string()); });
  EXPECT_NE(msg.find("sub-01_echo-2_part-mag_MEGRE.nii.gz: echo 2 needs part-mag and part-phase"), std::string::npos)
      << msg;
  d.image("sub-01/anat/sub-01_echo-2_part-phase_MEGRE.nii.gz", kG, 1.0f);
  d.image("sub-01/anat/sub-01_echo-4_part-phase_MEGRE.nii.gz", kG, 1.0f);
  d.image("sub-01/anat/sub-01_echo-4_part-mag_MEGRE.nii.gz", kG, 1.0f);
  EXPECT_NE(error_of([&] { find_megre_scans(d.root.string()); }).find("echo 4 follows echo 2"), std::string::npos);
  // An index entity is digits only: "echo-3a" is not echo 3 (std::stoi alone would read it so).
  d.image("sub-01/anat/sub-01_echo-3a_part-mag_MEGRE.nii.gz", kG, 1.0f);
  EXPECT_NE(error_of([&] { find_megre_scans(d.root.string()); }).find("echo entity '3a' is not a positive whole number"),
            std::string::npos);
}

TEST(MultiEchoLoader, RefusesMismatchesAndBadMetadataWithClearMessages) {
  Dataset d;
  const Grid other = Grid::centred({6, 5, 4}, {2, 2, 2.5});
  d.image("m1.nii.gz", kG, 1.0f);
  d.image("p1.nii.gz", kG, 0.3f);
  d.image("p_other.nii.gz", other, 0.3f);
  d.image("m4d.nii.gz", kG, 1.0f, 3);
  d.image("p4d.nii.gz", kG, 0.3f, 2);
  LoadOptions o;
  o.echo_times_s = {0.005};
  o.b0_tesla = 3;
  auto load = [&](std::vector<std::string> m, std::vector<std::string> p, const LoadOptions& opt) {
    for (auto& f : m) f = d.path(f);
    for (auto& f : p) f = d.path(f);
    return load_multi_echo(scan_from_files(m, p), opt);
  };
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p_other.nii.gz"}, o); }).find("m1.nii.gz and"), std::string::npos);
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p_other.nii.gz"}, o); }).find("p_other.nii.gz"), std::string::npos);
  EXPECT_NE(error_of([&] { load({"m4d.nii.gz"}, {"p4d.nii.gz"}, o); }).find("has 3 echoes but"), std::string::npos);
  EXPECT_NE(error_of([&] { load({"m1.nii.gz", "m1.nii.gz"}, {"p1.nii.gz"}, o); }).find("2 magnitude files but 1 phase"),
            std::string::npos);
  LoadOptions no_te = o;
  no_te.echo_times_s.clear();
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p1.nii.gz"}, no_te); }).find("p1.nii.gz: no EchoTime"), std::string::npos);
  LoadOptions ms = o;
  ms.echo_times_s = {5.0};
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p1.nii.gz"}, ms); }).find("given in ms where seconds are expected"),
            std::string::npos);
  LoadOptions no_b0 = o;
  no_b0.b0_tesla = 0;
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p1.nii.gz"}, no_b0); }).find("no MagneticFieldStrength"),
            std::string::npos);
  LoadOptions bipolar = o;
  bipolar.readout = "bipolar";
  EXPECT_NE(error_of([&] { load({"m1.nii.gz"}, {"p1.nii.gz"}, bipolar); }).find("bipolar readouts are not supported"),
            std::string::npos);
  LoadOptions dec = o;
  dec.echo_times_s = {0.005, 0.004, 0.006};
  EXPECT_NE(error_of([&] { load({"m4d.nii.gz"}, {"m4d.nii.gz"}, dec); }).find("echo times must increase"),
            std::string::npos);
  // A 4-D file with its echo times: fine, and the phase range (0.3..0.306) is rescaled with a warning.
  LoadOptions three = o;
  three.echo_times_s = {0.004, 0.008, 0.012};
  const MultiEchoData ok = load({"m4d.nii.gz"}, {"m4d.nii.gz"}, three);
  EXPECT_EQ(ok.phase.frames(), 3);
  ASSERT_EQ(ok.warnings.size(), 1u);
  EXPECT_NE(ok.warnings[0].find("mapped linearly"), std::string::npos);
  EXPECT_EQ(ok.provenance["PhaseScaling"]["Units"].get<std::string>(), "rescale");
}

TEST(EchoTimes, UnitsAreExplicitOrUnambiguous) {
  EXPECT_EQ(parse_echo_times("5,10,15ms"), (std::vector<double>{0.005, 0.010, 0.015}));
  EXPECT_EQ(parse_echo_times("0.005, 0.01 s"), (std::vector<double>{0.005, 0.01}));
  EXPECT_EQ(parse_echo_times("4 8 12"), (std::vector<double>{0.004, 0.008, 0.012}));
  EXPECT_EQ(parse_echo_times("0.004,0.008"), (std::vector<double>{0.004, 0.008}));
  EXPECT_THROW(parse_echo_times("0.5,1.5"), std::invalid_argument);  // ambiguous
  EXPECT_THROW(parse_echo_times("5,x"), std::invalid_argument);
  EXPECT_THROW(parse_echo_times(""), std::invalid_argument);
}
