// NIfTI reading (every supported datatype, scaling, NIfTI-1 and -2, gz or not) against files
// written by nifticlib itself; writing and reading back with orientation preserved; bad files.
#include <gtest/gtest.h>
#include <nifti2_io.h>

#include <cstdio>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "test_util.h"

using namespace qsmtk;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::error_of;

/// Writes `values` as a NIfTI-1 or NIfTI-2 file with a header built by nifticlib's own
/// conversion and plain znz writes (independent of qsmtk's writer).
template <typename T>
void write_reference(const std::string& path, int datatype, const std::vector<T>& values, const int64_t dims[8],
                     double slope, double inter, int nifti_type, const Mat4* sform = nullptr,
                     bool big_endian = false) {
  nifti_image* nim = nifti_make_new_nim(dims, datatype, 0);
  ASSERT_NE(nim, nullptr);
  nim->scl_slope = slope;
  nim->scl_inter = inter;
  nim->pixdim[1] = nim->dx = 0.5;
  nim->pixdim[2] = nim->dy = 0.75;
  nim->pixdim[3] = nim->dz = 2.0;
  if (sform) {
    nim->sform_code = 1;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) nim->sto_xyz.m[i][j] = sform->m[i][j];
  }
  const bool v2 = nifti_type == NIFTI_FTYPE_NIFTI2_1;
  nim->nifti_type = nifti_type;
  nim->iname_offset = v2 ? 544 : 352;
  const bool gz = path.size() > 3 && path.substr(path.size() - 3) == ".gz";
  znzFile fp = znzopen(path.c_str(), "wb", gz ? 1 : 0);
  ASSERT_FALSE(znz_isnull(fp));
  if (v2) {
    nifti_2_header h;
    ASSERT_EQ(nifti_convert_nim2n2hdr(nim, &h), 0);
    if (big_endian) swap_nifti_header(&h, 2);
    znzwrite(&h, sizeof h, 1, fp);
  } else {
    nifti_1_header h;
    ASSERT_EQ(nifti_convert_nim2n1hdr(nim, &h), 0);
    if (big_endian) swap_nifti_header(&h, 1);
    znzwrite(&h, sizeof h, 1, fp);
  }
  const char ext[4] = {0, 0, 0, 0};
  znzwrite(ext, 1, 4, fp);
  std::vector<T> data = values;
  if (big_endian && sizeof(T) > 1) nifti_swap_Nbytes(int64_t(data.size()), int(sizeof(T)), data.data());
  znzwrite(data.data(), sizeof(T), data.size(), fp);
  znzclose(fp);
  nifti_image_free(nim);
}

template <typename T>
void check_datatype(const TempDir& dir, int datatype, const std::string& ext, int nifti_type) {
  const int64_t dims[8] = {3, 4, 3, 2, 1, 1, 1, 1};
  std::vector<T> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = T(i * 5 + 1);
  const std::string path = dir.file("t" + std::to_string(datatype) + "_" + std::to_string(nifti_type) + ext);
  write_reference(path, datatype, v, dims, 0.5, -3.0, nifti_type);
  NiftiHeader h;
  const Volume img = read_nifti(path, &h);
  EXPECT_EQ(h.datatype, datatype);
  EXPECT_EQ(h.version, nifti_type == NIFTI_FTYPE_NIFTI2_1 ? 2 : 1);
  EXPECT_EQ(img.dims(), (Dims{4, 3, 2}));
  EXPECT_EQ(img.frames(), 1);
  EXPECT_DOUBLE_EQ(img.grid().voxel_size[1], 0.75);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_FLOAT_EQ(img[i], float(0.5 * double(v[i]) - 3.0)) << i;
}

}  // namespace

TEST(NiftiRead, EveryDatatypeWithScalingBothVersionsGzOrNot) {
  TempDir dir;
  for (const std::string ext : {".nii", ".nii.gz"})
    for (int type : {NIFTI_FTYPE_NIFTI1_1, NIFTI_FTYPE_NIFTI2_1}) {
      check_datatype<uint8_t>(dir, NIFTI_TYPE_UINT8, ext, type);
      check_datatype<int8_t>(dir, NIFTI_TYPE_INT8, ext, type);
      check_datatype<int16_t>(dir, NIFTI_TYPE_INT16, ext, type);
      check_datatype<uint16_t>(dir, NIFTI_TYPE_UINT16, ext, type);
      check_datatype<int32_t>(dir, NIFTI_TYPE_INT32, ext, type);
      check_datatype<uint32_t>(dir, NIFTI_TYPE_UINT32, ext, type);
      check_datatype<float>(dir, NIFTI_TYPE_FLOAT32, ext, type);
      check_datatype<double>(dir, NIFTI_TYPE_FLOAT64, ext, type);
    }
}

TEST(NiftiRead, KeepsNaNAndInfAndReadsBigEndian) {
  // nifticlib's own loader zeroes non-finite floats; qsmtk must see them to report them.
  TempDir dir;
  const int64_t dims[8] = {3, 2, 2, 2, 1, 1, 1, 1};
  const std::vector<float> v{1.5f, NAN, -2.0f, INFINITY, 0.0f, -INFINITY, 7.0f, 3.25f};
  for (bool big : {false, true})
    for (const std::string ext : {".nii", ".nii.gz"}) {
      const std::string path = dir.file(std::string(big ? "be" : "le") + ext);
      write_reference(path, NIFTI_TYPE_FLOAT32, v, dims, 1.0, 0.0, NIFTI_FTYPE_NIFTI1_1, nullptr, big);
      const Volume img = read_nifti(path);
      EXPECT_EQ(img[0], 1.5f) << path;
      EXPECT_TRUE(std::isnan(img[1])) << path;
      EXPECT_EQ(img[3], INFINITY) << path;
      EXPECT_EQ(img[5], -INFINITY) << path;
      EXPECT_EQ(img[7], 3.25f) << path;
    }
  const std::vector<int16_t> w{-4096, -1, 0, 1, 100, 2000, 4094, 7};
  write_reference(dir.file("be16.nii"), NIFTI_TYPE_INT16, w, dims, 2.0, 1.0, NIFTI_FTYPE_NIFTI2_1, nullptr, true);
  const Volume img = read_nifti(dir.file("be16.nii"));
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(img[i], 2.0f * w[i] + 1.0f);
}

TEST(NiftiRead, ZeroSlopeMeansNoScaling) {
  TempDir dir;
  const int64_t dims[8] = {3, 2, 2, 2, 1, 1, 1, 1};
  const std::vector<int16_t> v{-4096, -1, 0, 1, 100, 2000, 4094, 7};
  write_reference(dir.file("a.nii"), NIFTI_TYPE_INT16, v, dims, 0.0, 5.0, NIFTI_FTYPE_NIFTI1_1);
  const Volume img = read_nifti(dir.file("a.nii"));
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(img[i], float(v[i]));
}

TEST(NiftiRead, FourDimensionalFrames) {
  TempDir dir;
  const int64_t dims[8] = {4, 3, 2, 2, 5, 1, 1, 1};
  std::vector<float> v(60);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
  write_reference(dir.file("e.nii.gz"), NIFTI_TYPE_FLOAT32, v, dims, 1.0, 0.0, NIFTI_FTYPE_NIFTI1_1);
  const Volume img = read_nifti(dir.file("e.nii.gz"));
  EXPECT_EQ(img.frames(), 5);
  EXPECT_EQ(img(2, 1, 1, 3), float(2 + 3 * (1 + 2 * 1) + 12 * 3));
  EXPECT_EQ(img.extract_frame(4)[0], 48.0f);
}

TEST(NiftiWrite, RoundTripPreservesValuesOrientationAndCodes) {
  TempDir dir;
  const Mat3 r = Mat3::rotation({1, 0.2, 0}, 0.35);
  Grid g = Grid::centred({7, 6, 5}, {0.8, 0.9, 1.7}, r);
  g.sform_code = 2;  // aligned anat
  g.qform_code = 1;
  g.qform = Mat4::from(r * Mat3::diagonal({0.8, 0.9, 1.7}), {1, 2, 3});
  Volume v(g, 2);
  for (int64_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(0.37 * double(i)) * 1000);
  for (const std::string ext : {".nii", ".nii.gz"}) {
    const std::string path = dir.file("rt" + ext);
    write_nifti(path, v, "round trip");
    NiftiHeader h;
    const Volume back = read_nifti(path, &h);
    EXPECT_EQ(h.datatype, NIFTI_TYPE_FLOAT32);
    EXPECT_EQ(h.description, "round trip");
    EXPECT_EQ(back.frames(), 2);
    for (int64_t i = 0; i < v.size(); ++i) ASSERT_EQ(back[i], v[i]);
    EXPECT_EQ(back.grid().sform_code, 2);
    EXPECT_EQ(back.grid().qform_code, 1);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        EXPECT_NEAR(back.grid().sform.m[i][j], g.sform.m[i][j], 1e-5);
        EXPECT_NEAR(back.grid().qform.m[i][j], g.qform.m[i][j], 1e-5);
      }
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(back.grid().voxel_size[d], g.voxel_size[d], 1e-6);
    EXPECT_TRUE(back.grid().same_space(g, 1e-4));
  }
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.path().filename().string()[0] == '.' ? 100 : 1;
  EXPECT_EQ(files, 2);
}

TEST(NiftiWrite, MasksAndLabels) {
  TempDir dir;
  const Grid g = Grid::centred({4, 4, 4}, {1, 1, 1});
  Mask m(g);
  LabelImage small(g), big(g);
  for (int64_t i = 0; i < m.size(); ++i) {
    m[i] = i % 3 == 0;
    small[i] = int32_t(i % 20) - 3;
    big[i] = int32_t(i) * 1000;
  }
  write_nifti(dir.file("m.nii.gz"), m);
  write_nifti(dir.file("s.nii.gz"), small);
  write_nifti(dir.file("b.nii.gz"), big);
  EXPECT_EQ(read_nifti_header(dir.file("m.nii.gz")).datatype, NIFTI_TYPE_UINT8);
  EXPECT_EQ(read_nifti_header(dir.file("s.nii.gz")).datatype, NIFTI_TYPE_INT16);
  EXPECT_EQ(read_nifti_header(dir.file("b.nii.gz")).datatype, NIFTI_TYPE_INT32);
  const Mask mb = read_nifti_mask(dir.file("m.nii.gz"));
  const LabelImage sb = read_nifti_labels(dir.file("s.nii.gz")), bb = read_nifti_labels(dir.file("b.nii.gz"));
  for (int64_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(mb[i], m[i]);
    EXPECT_EQ(sb[i], small[i]);
    EXPECT_EQ(bb[i], big[i]);
  }
  Volume frac(g, 1, 0.5f);
  write_nifti(dir.file("f.nii"), frac);
  EXPECT_THROW(read_nifti_labels(dir.file("f.nii")), std::runtime_error);
}


TEST(NiftiRead, BadFilesGiveOneClearMessageNamingTheFile) {
  TempDir dir;
  const Grid g = Grid::centred({16, 16, 16}, {1, 1, 1});
  Volume v(g, 1, 1.0f);
  for (int64_t i = 0; i < v.size(); ++i) v[i] = float(i % 97);
  write_nifti(dir.file("ok.nii"), v);
  write_nifti(dir.file("ok.nii.gz"), v);

  EXPECT_NE(error_of([&] { read_nifti(dir.file("missing.nii")); }).find("missing.nii: no such file"),
            std::string::npos);
  std::ofstream(dir.file("empty.nii")).close();
  EXPECT_NE(error_of([&] { read_nifti(dir.file("empty.nii")); }).find("empty"), std::string::npos);
  std::ofstream(dir.file("text.nii")) << "this is not an image";
  EXPECT_NE(error_of([&] { read_nifti(dir.file("text.nii")); }).find("not a valid NIfTI"), std::string::npos);
  EXPECT_NE(error_of([&] { read_nifti(dir.file("ok.txt")); }).find("no such file"), std::string::npos);

  // Truncated uncompressed file: the header promises more than the file holds.
  fs::copy_file(dir.file("ok.nii"), dir.file("cut.nii"));
  fs::resize_file(dir.file("cut.nii"), fs::file_size(dir.file("cut.nii")) - 1000);
  const std::string cut = error_of([&] { read_nifti(dir.file("cut.nii")); });
  EXPECT_NE(cut.find("cut.nii: file is truncated"), std::string::npos) << cut;

  // Truncated .nii.gz.
  fs::copy_file(dir.file("ok.nii.gz"), dir.file("cut.nii.gz"));
  fs::resize_file(dir.file("cut.nii.gz"), fs::file_size(dir.file("cut.nii.gz")) / 2);
  const std::string cutgz = error_of([&] { read_nifti(dir.file("cut.nii.gz")); });
  EXPECT_NE(cutgz.find("cut.nii.gz"), std::string::npos) << cutgz;
  EXPECT_NE(cutgz.find("truncated or corrupt"), std::string::npos) << cutgz;

  // 2-D and 5-D images.
  const int64_t d2[8] = {2, 8, 8, 1, 1, 1, 1, 1};
  write_reference(dir.file("flat.nii"), NIFTI_TYPE_FLOAT32, std::vector<float>(64, 1.0f), d2, 1, 0, NIFTI_FTYPE_NIFTI1_1);
  EXPECT_NE(error_of([&] { read_nifti(dir.file("flat.nii")); }).find("2-D image"), std::string::npos);
  const int64_t d5[8] = {5, 2, 2, 2, 2, 3, 1, 1};
  write_reference(dir.file("five.nii"), NIFTI_TYPE_FLOAT32, std::vector<float>(48, 1.0f), d5, 1, 0, NIFTI_FTYPE_NIFTI1_1);
  EXPECT_NE(error_of([&] { read_nifti(dir.file("five.nii")); }).find("5-D image"), std::string::npos);

  // A header declaring a huge image is refused before any allocation.
  {
    std::ifstream in(dir.file("ok.nii"), std::ios::binary);
    nifti_1_header h;
    in.read(reinterpret_cast<char*>(&h), sizeof h);
    h.dim[1] = h.dim[2] = h.dim[3] = 30000;
    std::ofstream out(dir.file("huge.nii"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    const char ext[4] = {0, 0, 0, 0};
    out.write(ext, 4);
  }
  const std::string huge = error_of([&] { read_nifti(dir.file("huge.nii")); });
  EXPECT_NE(huge.find("implausibly large"), std::string::npos) << huge;

  // Unsupported datatype.
  const int64_t d3[8] = {3, 2, 2, 2, 1, 1, 1, 1};
  write_reference(dir.file("cplx.nii"), NIFTI_TYPE_COMPLEX64, std::vector<float>(16, 1.0f), d3, 1, 0,
                  NIFTI_FTYPE_NIFTI1_1);
  EXPECT_NE(error_of([&] { read_nifti(dir.file("cplx.nii")); }).find("unsupported NIfTI datatype"), std::string::npos);
}

TEST(NiftiWrite, UnwritableFolderFailsCleanly) {
  const Grid g = Grid::centred({4, 4, 4}, {1, 1, 1});
  const Volume v(g);
  const std::string msg = error_of([&] { write_nifti("/nonexistent-folder/x.nii.gz", v); });
  EXPECT_NE(msg.find("/nonexistent-folder/x.nii.gz"), std::string::npos) << msg;
}

TEST(Sidecars, JsonAndTsv) {
  TempDir dir;
  EXPECT_EQ(sidecar_path("/a/b_MEGRE.nii.gz"), "/a/b_MEGRE.json");
  EXPECT_EQ(sidecar_path("x.nii"), "x.json");
  Json j;
  j["EchoTime"] = 0.005;
  j["Nested"]["List"] = {1, 2, 3};
  write_json(dir.file("s.json"), j);
  const Json back = read_json(dir.file("s.json"));
  EXPECT_DOUBLE_EQ(back["EchoTime"].get<double>(), 0.005);
  EXPECT_EQ(back["Nested"]["List"][2].get<int>(), 3);
  std::ofstream(dir.file("bad.json")) << "{\"EchoTime\": 0.005,";
  const std::string msg = error_of([&] { read_json(dir.file("bad.json")); });
  EXPECT_NE(msg.find("bad.json: invalid JSON"), std::string::npos) << msg;

  Table t{{"index", "name", "chi_ppm"}, {{"1", "Left-Caudate", tsv_number(0.0612)}, {"2", "x", tsv_number(NAN)}}};
  write_tsv(dir.file("t.tsv"), t);
  const Table tb = read_tsv(dir.file("t.tsv"));
  EXPECT_EQ(tb.columns, t.columns);
  EXPECT_EQ(tb.rows, t.rows);
  EXPECT_EQ(tb.rows[1][2], "n/a");
  const auto names = read_label_names(dir.file("t.tsv"));
  EXPECT_EQ(names.at(1), "Left-Caudate");
  std::ofstream(dir.file("labels.tsv")) << "index\tname\n12a\tx\n";
  EXPECT_NE(error_of([&] { read_label_names(dir.file("labels.tsv")); }).find("index '12a' is not an integer"),
            std::string::npos);
  std::ofstream(dir.file("ragged.tsv")) << "a\tb\n1\t2\t3\n";
  EXPECT_NE(error_of([&] { read_tsv(dir.file("ragged.tsv")); }).find("line 2 has 3 columns"), std::string::npos);
}
