// DICOM export of chi: a synthetic source series made here with DCMTK on an oblique grid, exported
// and read back file by file: identifiers copied, new UIDs, geometry from the affine (RAS -> LPS),
// values within half a storage step, overlay bits on the lesion outlines, and the refusals.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "qsmtk/io/dicom_export.h"
#include "qsmtk/version.h"
#include "test_util.h"

namespace qsmtk {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

Grid oblique_grid() {
  Grid g = Grid::centred({12, 10, 6}, {0.9, 1.1, 2.0}, Mat3::rotation({0.3, -0.5, 1.0}, 0.35));
  // Move it off the origin so positions are not symmetric about zero.
  for (Mat4* a : {&g.sform, &g.qform}) a->m[0][3] += 12.5, a->m[1][3] -= 30.25, a->m[2][3] += 7.0;
  return g;
}

Vec3 lps(const Vec3& ras) { return {-ras[0], -ras[1], ras[2]}; }

// The expected Image Plane geometry, computed here independently: columns along array axis i,
// rows along j reversed (dcm2niix's row flip), slices along k.
Vec3 expected_row_direction(const Grid& g) { return normalized(lps(g.affine().linear().column(0))); }
Vec3 expected_column_direction(const Grid& g) { return -1.0 * normalized(lps(g.affine().linear().column(1))); }
Vec3 expected_position(const Grid& g, int64_t k) {
  return lps(g.affine().apply({0.0, static_cast<double>(g.dims[1] - 1), static_cast<double>(k)}));
}

std::string ds(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.8g", v);
  return b;
}
std::string ds3(const Vec3& v) { return ds(v[0]) + "\\" + ds(v[1]) + "\\" + ds(v[2]); }

const char* kStudyUid = "1.2.826.0.1.3680043.8.498.1001";
const char* kFrameUid = "1.2.826.0.1.3680043.8.498.1002";
const char* kSourceSeriesUid = "1.2.826.0.1.3680043.8.498.1003";

/// A source series of `slices` classic MR images on `grid`'s slices (fewer to make a mismatch),
/// with patient and study attributes; file k gzipped when `gzip_odd` and k is odd.
std::vector<std::string> write_source_series(const std::string& dir, const Grid& grid, int64_t slices,
                                             bool gzip_odd = false) {
  fs::create_directories(dir);
  std::vector<std::string> sop_uids;
  for (int64_t k = 0; k < slices; ++k) {
    DcmFileFormat f;
    DcmDataset& d = *f.getDataset();
    const std::string sop = std::string("1.2.826.0.1.3680043.8.498.2000.") + std::to_string(k + 1);
    sop_uids.push_back(sop);
    d.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    d.putAndInsertString(DCM_SOPClassUID, UID_MRImageStorage);
    d.putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    d.putAndInsertString(DCM_Modality, "MR");
    d.putAndInsertString(DCM_PatientName, "M\xC3\xBCller^Anna");  // UTF-8
    d.putAndInsertString(DCM_PatientID, "QSM-0042");
    d.putAndInsertString(DCM_PatientBirthDate, "19800229");
    d.putAndInsertString(DCM_PatientSex, "F");
    d.putAndInsertString(DCM_PatientAge, "044Y");
    d.putAndInsertString(DCM_StudyInstanceUID, kStudyUid);
    d.putAndInsertString(DCM_StudyID, "S77");
    d.putAndInsertString(DCM_StudyDate, "20240305");
    d.putAndInsertString(DCM_StudyTime, "101500");
    d.putAndInsertString(DCM_AccessionNumber, "ACC123");
    d.putAndInsertString(DCM_ReferringPhysicianName, "Doe^John");
    d.putAndInsertString(DCM_StudyDescription, "MS follow-up");
    d.putAndInsertString(DCM_FrameOfReferenceUID, kFrameUid);
    d.putAndInsertString(DCM_Manufacturer, "ACME");
    d.putAndInsertString(DCM_PatientPosition, "HFS");
    d.putAndInsertString(DCM_ScanningSequence, "GR");
    d.putAndInsertString(DCM_SequenceVariant, "SP");
    d.putAndInsertString(DCM_SeriesInstanceUID, kSourceSeriesUid);
    d.putAndInsertString(DCM_SeriesNumber, "5");
    d.putAndInsertString(DCM_SeriesDescription, "gre_me");
    d.putAndInsertString(DCM_InstanceNumber, std::to_string(k + 1).c_str());
    const Mat3 lin = grid.affine().linear();
    d.putAndInsertString(DCM_ImageOrientationPatient,
                         (ds3(expected_row_direction(grid)) + "\\" + ds3(expected_column_direction(grid))).c_str());
    d.putAndInsertString(DCM_ImagePositionPatient, ds3(expected_position(grid, k)).c_str());
    d.putAndInsertString(DCM_PixelSpacing, (ds(norm(lin.column(1))) + "\\" + ds(norm(lin.column(0)))).c_str());
    d.putAndInsertString(DCM_SliceThickness, ds(norm(lin.column(2))).c_str());
    d.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(grid.dims[1]));
    d.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(grid.dims[0]));
    d.putAndInsertUint16(DCM_SamplesPerPixel, 1);
    d.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    d.putAndInsertUint16(DCM_BitsAllocated, 16);
    d.putAndInsertUint16(DCM_BitsStored, 12);
    d.putAndInsertUint16(DCM_HighBit, 11);
    d.putAndInsertUint16(DCM_PixelRepresentation, 0);
    std::vector<Uint16> zeros(static_cast<size_t>(grid.dims[0] * grid.dims[1]), 100);
    d.putAndInsertUint16Array(DCM_PixelData, zeros.data(), static_cast<unsigned long>(zeros.size()));
    const std::string path = dir + "/IM" + std::to_string(k + 1) + ".dcm";
    EXPECT_TRUE(f.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
    if (gzip_odd && k % 2 == 1) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      gzFile gz = gzopen((path + ".gz").c_str(), "wb");
      gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(gz);
      fs::remove(path);
    }
  }
  std::ofstream(dir + "/README.txt") << "not a DICOM file\n";
  return sop_uids;
}

Volume synthetic_chi(const Grid& grid) {
  Volume chi(grid);
  for (int64_t k = 0; k < grid.dims[2]; ++k)
    for (int64_t j = 0; j < grid.dims[1]; ++j)
      for (int64_t i = 0; i < grid.dims[0]; ++i)
        chi(i, j, k) = float(0.25 * std::sin(0.7 * i + 0.3 * j) * std::cos(0.9 * k) + 0.01 * i - 0.0313 * j);
  return chi;
}

LabelImage two_lesions(const Grid& grid) {
  LabelImage l(grid);
  for (int64_t k = 1; k <= 3; ++k)
    for (int64_t j = 2; j <= 5; ++j)
      for (int64_t i = 3; i <= 7; ++i) l(i, j, k) = 4;
  for (int64_t k = 4; k <= 5; ++k)
    for (int64_t j = 7; j <= 9; ++j)  // touches the image edge (j = 9)
      for (int64_t i = 0; i <= 1; ++i) l(i, j, k) = 9;
  return l;
}

struct ReadBack {
  std::map<std::string, std::string> text;  // keyword -> value
  std::vector<Sint16> pixels;
  std::vector<Uint16> overlay;
  std::vector<std::string> source_refs;
  double slope = 0, intercept = 0;
  Vec3 position{}, row_direction{}, column_direction{};
  double pixel_spacing[2] = {0, 0};
  Uint16 rows = 0, columns = 0;
  std::string meta_sop_uid;
};

ReadBack read_back(const std::string& path) {
  DcmFileFormat f;
  EXPECT_TRUE(f.loadFile(path.c_str()).good()) << path;
  DcmDataset& d = *f.getDataset();
  ReadBack r;
  const std::pair<DcmTagKey, const char*> keys[] = {{DCM_SpecificCharacterSet, "SpecificCharacterSet"},
                                                    {DCM_PatientName, "PatientName"},
                                                    {DCM_PatientID, "PatientID"},
                                                    {DCM_PatientBirthDate, "PatientBirthDate"},
                                                    {DCM_PatientSex, "PatientSex"},
                                                    {DCM_PatientAge, "PatientAge"},
                                                    {DCM_StudyInstanceUID, "StudyInstanceUID"},
                                                    {DCM_StudyID, "StudyID"},
                                                    {DCM_StudyDate, "StudyDate"},
                                                    {DCM_StudyTime, "StudyTime"},
                                                    {DCM_AccessionNumber, "AccessionNumber"},
                                                    {DCM_ReferringPhysicianName, "ReferringPhysicianName"},
                                                    {DCM_StudyDescription, "StudyDescription"},
                                                    {DCM_FrameOfReferenceUID, "FrameOfReferenceUID"},
                                                    {DCM_Manufacturer, "Manufacturer"},
                                                    {DCM_PatientPosition, "PatientPosition"},
                                                    {DCM_SeriesInstanceUID, "SeriesInstanceUID"},
                                                    {DCM_SOPInstanceUID, "SOPInstanceUID"},
                                                    {DCM_SOPClassUID, "SOPClassUID"},
                                                    {DCM_Modality, "Modality"},
                                                    {DCM_ImageType, "ImageType"},
                                                    {DCM_SeriesNumber, "SeriesNumber"},
                                                    {DCM_InstanceNumber, "InstanceNumber"},
                                                    {DCM_SoftwareVersions, "SoftwareVersions"},
                                                    {DCM_SeriesDescription, "SeriesDescription"},
                                                    {DCM_DerivationDescription, "DerivationDescription"},
                                                    {DCM_WindowCenter, "WindowCenter"},
                                                    {DCM_WindowWidth, "WindowWidth"},
                                                    {DCM_InstanceCreationDate, "InstanceCreationDate"},
                                                    {DCM_SpacingBetweenSlices, "SpacingBetweenSlices"},
                                                    {DCM_SliceThickness, "SliceThickness"},
                                                    {DcmTagKey(0x6000, 0x0040), "OverlayType"},
                                                    {DcmTagKey(0x6000, 0x1500), "OverlayLabel"},
                                                    {DcmTagKey(0x6000, 0x0050), "OverlayOrigin"}};
  for (const auto& [tag, name] : keys) {
    OFString v;
    if (d.findAndGetOFStringArray(tag, v).good()) r.text[name] = v.c_str();
  }
  OFString meta;
  f.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, meta);
  r.meta_sop_uid = meta.c_str();
  d.findAndGetFloat64(DCM_RescaleSlope, r.slope);
  d.findAndGetFloat64(DCM_RescaleIntercept, r.intercept);
  for (int a = 0; a < 3; ++a) {
    d.findAndGetFloat64(DCM_ImagePositionPatient, r.position[a], a);
    d.findAndGetFloat64(DCM_ImageOrientationPatient, r.row_direction[a], a);
    d.findAndGetFloat64(DCM_ImageOrientationPatient, r.column_direction[a], a + 3);
  }
  d.findAndGetFloat64(DCM_PixelSpacing, r.pixel_spacing[0], 0);
  d.findAndGetFloat64(DCM_PixelSpacing, r.pixel_spacing[1], 1);
  d.findAndGetUint16(DCM_Rows, r.rows);
  d.findAndGetUint16(DCM_Columns, r.columns);
  const Uint16* px = nullptr;
  unsigned long n = 0;
  if (d.findAndGetUint16Array(DCM_PixelData, px, &n).good())
    for (unsigned long i = 0; i < n; ++i) r.pixels.push_back(static_cast<Sint16>(px[i]));
  const Uint16* ov = nullptr;
  if (d.findAndGetUint16Array(DcmTagKey(0x6000, 0x3000), ov, &n).good()) r.overlay.assign(ov, ov + n);
  DcmItem* item = nullptr;
  for (int i = 0; d.findAndGetSequenceItem(DCM_SourceImageSequence, item, i).good(); ++i) {
    OFString uid;
    item->findAndGetOFString(DCM_ReferencedSOPInstanceUID, uid);
    r.source_refs.push_back(uid.c_str());
  }
  return r;
}

/// In-slice outline of a label image, as a reader of the overlay expects it.
bool on_outline(const LabelImage& l, int64_t i, int64_t j, int64_t k) {
  const int32_t v = l(i, j, k);
  if (v == 0) return false;
  auto at = [&](int64_t a, int64_t b) { return a < 0 || b < 0 || a >= l.nx() || b >= l.ny() ? 0 : l(a, b, k); };
  return at(i - 1, j) != v || at(i + 1, j) != v || at(i, j - 1) != v || at(i, j + 1) != v;
}

TEST(DicomExport, RoundTripKeepsIdentifiersGeometryValuesAndOverlay) {
  TempDir tmp;
  const Grid grid = oblique_grid();
  const std::vector<std::string> source_sops = write_source_series(tmp.file("src"), grid, grid.dims[2], true);
  const DicomSource source = read_dicom_source(tmp.file("src"));
  ASSERT_EQ(source.series.size(), 1u);
  EXPECT_EQ(source.files, grid.dims[2]);
  EXPECT_EQ(source.skipped, 1);  // README.txt
  EXPECT_EQ(source.series[0].images.size(), size_t(grid.dims[2]));

  const Volume chi = synthetic_chi(grid);
  const LabelImage lesions = two_lesions(grid);
  DicomExportOptions options;
  options.derivation_description = "QSM test: PDF + MEDI";
  const DicomExportResult r = export_chi_dicom(chi, &lesions, source, tmp.file("out"), options);
  ASSERT_EQ(r.files.size(), size_t(grid.dims[2]));
  EXPECT_EQ(r.series_number, 1005);
  EXPECT_EQ(r.nonfinite_voxels + r.clipped_voxels, 0);
  EXPECT_TRUE(r.warnings.empty());

  std::set<std::string> sop_uids;
  const Vec3 row_dir = expected_row_direction(grid), col_dir = expected_column_direction(grid);
  const Mat3 lin = grid.affine().linear();
  int64_t outline_pixels = 0;
  double worst_value_error = 0;
  for (int64_t k = 0; k < grid.dims[2]; ++k) {
    const ReadBack b = read_back(r.files[size_t(k)]);
    // Identifiers copied from the source.
    EXPECT_EQ(b.text.at("SpecificCharacterSet"), "ISO_IR 192");
    EXPECT_EQ(b.text.at("PatientName"), "M\xC3\xBCller^Anna");
    EXPECT_EQ(b.text.at("PatientID"), "QSM-0042");
    EXPECT_EQ(b.text.at("PatientBirthDate"), "19800229");
    EXPECT_EQ(b.text.at("PatientSex"), "F");
    EXPECT_EQ(b.text.at("PatientAge"), "044Y");
    EXPECT_EQ(b.text.at("StudyInstanceUID"), kStudyUid);
    EXPECT_EQ(b.text.at("StudyID"), "S77");
    EXPECT_EQ(b.text.at("StudyDate"), "20240305");
    EXPECT_EQ(b.text.at("StudyTime"), "101500");
    EXPECT_EQ(b.text.at("AccessionNumber"), "ACC123");
    EXPECT_EQ(b.text.at("ReferringPhysicianName"), "Doe^John");
    EXPECT_EQ(b.text.at("StudyDescription"), "MS follow-up");
    EXPECT_EQ(b.text.at("FrameOfReferenceUID"), kFrameUid);
    EXPECT_EQ(b.text.at("Manufacturer"), "ACME");
    EXPECT_EQ(b.text.at("PatientPosition"), "HFS");
    // A new series of derived MR images.
    EXPECT_EQ(b.text.at("SeriesInstanceUID"), r.series_instance_uid);
    EXPECT_NE(b.text.at("SeriesInstanceUID"), kSourceSeriesUid);
    EXPECT_EQ(b.text.at("SOPClassUID"), UID_MRImageStorage);
    EXPECT_EQ(b.meta_sop_uid, b.text.at("SOPInstanceUID"));
    EXPECT_TRUE(sop_uids.insert(b.text.at("SOPInstanceUID")).second);
    EXPECT_EQ(b.text.at("Modality"), "MR");
    EXPECT_EQ(b.text.at("ImageType"), "DERIVED\\SECONDARY\\QSM");
    EXPECT_EQ(b.text.at("SeriesNumber"), "1005");
    EXPECT_EQ(b.text.at("InstanceNumber"), std::to_string(k + 1));
    EXPECT_EQ(b.text.at("SeriesDescription"), "qsmtk QSM chi (ppb)");
    EXPECT_EQ(b.text.at("DerivationDescription"), "QSM test: PDF + MEDI");
    EXPECT_EQ(b.text.at("SoftwareVersions").rfind(std::string("qsmtk ") + version(), 0), 0u);
    EXPECT_EQ(b.text.at("WindowCenter"), "0");
    EXPECT_EQ(b.text.at("WindowWidth"), "300");
    EXPECT_EQ(b.text.at("InstanceCreationDate").size(), 8u);
    ASSERT_EQ(b.source_refs.size(), 1u);
    EXPECT_EQ(b.source_refs[0], source_sops[size_t(k)]);
    // Geometry: the affine in LPS; PixelSpacing is row spacing (along j) then column spacing (i).
    ASSERT_EQ(b.rows, grid.dims[1]);
    ASSERT_EQ(b.columns, grid.dims[0]);
    EXPECT_LT(norm(b.position - expected_position(grid, k)), 1e-3) << "slice " << k;
    EXPECT_LT(norm(b.row_direction - row_dir), 1e-6);
    EXPECT_LT(norm(b.column_direction - col_dir), 1e-6);
    EXPECT_NEAR(b.pixel_spacing[0], norm(lin.column(1)), 1e-6);
    EXPECT_NEAR(b.pixel_spacing[1], norm(lin.column(0)), 1e-6);
    EXPECT_NEAR(std::stod(b.text.at("SpacingBetweenSlices")), 2.0, 1e-6);
    // Values: stored * slope + intercept is chi in ppb within half a step (0.5 ppb).
    EXPECT_EQ(b.slope, 1.0);
    EXPECT_EQ(b.intercept, 0.0);
    ASSERT_EQ(b.pixels.size(), size_t(grid.dims[0] * grid.dims[1]));
    ASSERT_EQ(b.overlay.size(), size_t((grid.dims[0] * grid.dims[1] + 15) / 16));
    EXPECT_EQ(b.text.at("OverlayType"), "G");
    EXPECT_EQ(b.text.at("OverlayLabel"), "LESIONS");
    EXPECT_EQ(b.text.at("OverlayOrigin"), "1\\1");
    for (int64_t row = 0; row < b.rows; ++row)
      for (int64_t col = 0; col < b.columns; ++col) {
        const int64_t i = col, j = grid.dims[1] - 1 - row, n = row * b.columns + col;
        const double ppb = b.pixels[size_t(n)] * b.slope + b.intercept;
        worst_value_error = std::max(worst_value_error, std::abs(ppb - 1000.0 * chi(i, j, k)));
        const bool bit = (b.overlay[size_t(n / 16)] >> (n % 16)) & 1;
        EXPECT_EQ(bit, on_outline(lesions, i, j, k)) << "row " << row << " column " << col << " slice " << k;
        outline_pixels += bit;
      }
  }
  EXPECT_LE(worst_value_error, 0.5 + 1e-4);
  EXPECT_EQ(outline_pixels, r.overlay_pixels);
  EXPECT_GT(outline_pixels, 20);
}

TEST(DicomExport, ChiWithReversedAxesIsWrittenInTheSourceLayout) {
  TempDir tmp;
  const Grid grid = oblique_grid();
  write_source_series(tmp.file("src"), grid, grid.dims[2]);
  const DicomSource source = read_dicom_source(tmp.file("src"));
  const Volume chi = synthetic_chi(grid);
  // The same image with i and k stored backwards (a reoriented copy): the affine follows.
  Grid flipped_grid = grid;
  const Mat4 a = grid.affine();
  Mat3 lin = a.linear();
  for (int r = 0; r < 3; ++r) lin.m[r][0] = -lin.m[r][0], lin.m[r][2] = -lin.m[r][2];
  const Vec3 origin = a.apply({double(grid.dims[0] - 1), 0.0, double(grid.dims[2] - 1)});
  flipped_grid.sform = flipped_grid.qform = Mat4::from(lin, origin);
  Volume flipped(flipped_grid);
  for (int64_t k = 0; k < grid.dims[2]; ++k)
    for (int64_t j = 0; j < grid.dims[1]; ++j)
      for (int64_t i = 0; i < grid.dims[0]; ++i) flipped(grid.dims[0] - 1 - i, j, grid.dims[2] - 1 - k) = chi(i, j, k);

  const DicomExportResult plain = export_chi_dicom(chi, nullptr, source, tmp.file("plain"));
  const DicomExportResult reoriented = export_chi_dicom(flipped, nullptr, source, tmp.file("flipped"));
  EXPECT_TRUE(reoriented.warnings.empty());
  EXPECT_EQ(reoriented.layout.axis, (std::array<int, 3>{0, 1, 2}));
  EXPECT_EQ(reoriented.layout.reversed, (std::array<bool, 3>{true, true, false}));  // slices: either order matches
  std::map<long, std::vector<Sint16>> by_position;  // slices keyed by their position along the normal
  const Vec3 normal = cross(expected_row_direction(grid), expected_column_direction(grid));
  for (const std::string& f : plain.files) {
    const ReadBack b = read_back(f);
    by_position[std::lround(dot(b.position, normal) * 100)] = b.pixels;
  }
  for (const std::string& f : reoriented.files) {
    const ReadBack b = read_back(f);
    EXPECT_LT(norm(b.row_direction - expected_row_direction(grid)), 1e-6);
    ASSERT_TRUE(by_position.count(std::lround(dot(b.position, normal) * 100)));
    EXPECT_EQ(b.pixels, by_position[std::lround(dot(b.position, normal) * 100)]);
  }
}

TEST(DicomExport, RefusesAnotherGridAndUnsafeOutputFolders) {
  TempDir tmp;
  const Grid grid = oblique_grid();
  write_source_series(tmp.file("src"), grid, grid.dims[2] - 1);  // one slice short
  const DicomSource source = read_dicom_source(tmp.file("src"));
  const Volume chi = synthetic_chi(grid);
  const std::string e = test::error_of([&] { export_chi_dicom(chi, nullptr, source, tmp.file("out")); });
  EXPECT_NE(e.find("matches no series"), std::string::npos) << e;
  EXPECT_NE(e.find("5 slice positions, chi has 6 slices"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(tmp.file("out")));

  DicomExportOptions allow;
  allow.allow_grid_mismatch = true;
  const DicomExportResult r = export_chi_dicom(chi, nullptr, source, tmp.file("out"), allow);
  EXPECT_EQ(r.series_number, 999);
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(read_back(r.files[0]).text.at("PatientID"), "QSM-0042");
  EXPECT_TRUE(read_back(r.files[0]).source_refs.empty());

  // Never into the source folder or below it; never over foreign files.
  EXPECT_NE(test::error_of([&] {
              export_chi_dicom(chi, nullptr, source, tmp.file("src"), allow);
            }).find("is the source DICOM folder"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              export_chi_dicom(chi, nullptr, source, tmp.file("src/sub"), allow);
            }).find("inside the source DICOM folder"),
            std::string::npos);
  fs::create_directories(tmp.file("other"));
  std::ofstream(tmp.file("other/notes.txt")) << "keep me\n";
  EXPECT_NE(test::error_of([&] {
              export_chi_dicom(chi, nullptr, source, tmp.file("other"), allow);
            }).find("notes.txt is not part of an earlier qsmtk DICOM export"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(tmp.file("other/notes.txt")));

  // An earlier export is replaced as a whole: a new series, no file of the old one left.
  std::ofstream(tmp.file("out/CHI_0099.dcm"), std::ios::app);  // not DICOM: refused ...
  EXPECT_FALSE(test::error_of([&] { export_chi_dicom(chi, nullptr, source, tmp.file("out"), allow); }).empty());
  fs::remove(tmp.file("out/CHI_0099.dcm"));
  fs::copy_file(r.files[0], tmp.file("out/CHI_0099.dcm"));  // ... an old qsmtk file is not
  const DicomExportResult again = export_chi_dicom(chi, nullptr, source, tmp.file("out"), allow);
  EXPECT_EQ(again.replaced_files, grid.dims[2] + 1);
  EXPECT_NE(again.series_instance_uid, r.series_instance_uid);
  EXPECT_FALSE(fs::exists(tmp.file("out/CHI_0099.dcm")));
  int64_t files = 0;
  for (const auto& f : fs::directory_iterator(tmp.file("out"))) {
    ++files;
    EXPECT_EQ(read_back(f.path().string()).text.at("SeriesInstanceUID"), again.series_instance_uid);
  }
  EXPECT_EQ(files, grid.dims[2]);
}

TEST(DicomExport, ClipsOutOfRangeAndStoresNonFiniteAsZero) {
  TempDir tmp;
  const Grid grid = oblique_grid();
  write_source_series(tmp.file("src"), grid, grid.dims[2]);
  Volume chi(grid, 1, 0.0f);
  chi(0, grid.dims[1] - 1, 0) = 40.0f;          // row 0, column 0 of slice 0
  chi(1, grid.dims[1] - 1, 0) = -40.0f;         // column 1
  chi(2, grid.dims[1] - 1, 0) = std::nanf("");  // column 2
  chi(3, grid.dims[1] - 1, 0) = -0.0125f;       // -12.5 ppb rounds away from zero
  const DicomExportResult r = export_chi_dicom(chi, nullptr, read_dicom_source(tmp.file("src")), tmp.file("out"));
  EXPECT_EQ(r.clipped_voxels, 2);
  EXPECT_EQ(r.nonfinite_voxels, 1);
  EXPECT_EQ(r.warnings.size(), 2u);
  const ReadBack b = read_back(r.files[0]);
  EXPECT_EQ(b.pixels[0], 32767);
  EXPECT_EQ(b.pixels[1], -32768);
  EXPECT_EQ(b.pixels[2], 0);
  EXPECT_EQ(b.pixels[3], -13);
  EXPECT_TRUE(b.overlay.empty());
}

}  // namespace
}  // namespace qsmtk
