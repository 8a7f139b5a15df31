#include "qsmtk/io/dicom_export.h"

// DCMTK stays in this file: the public header and the rest of qsmtk never see it.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <tuple>

#include "qsmtk/io/atomic_file.h"
#include "qsmtk/log.h"
#include "qsmtk/version.h"

namespace qsmtk {
namespace fs = std::filesystem;
namespace {

// What the export carries over from the source series, by module of the MR Image IOD (PS3.3
// A.4). `type2`: the IOD requires the attribute, empty when unknown, so an absent one is written
// empty. Type 1 attributes the source may lack (ScanningSequence, SequenceVariant,
// FrameOfReferenceUID) get defaults in export_chi_dicom.
struct CopiedAttribute {
  DcmTagKey tag;
  const char* keyword;
  bool type2;
};
const CopiedAttribute kCopied[] = {
    // SOP Common (C.12.1): how the copied names are encoded.
    {DCM_SpecificCharacterSet, "SpecificCharacterSet", false},
    // Patient (C.7.1.1), including the de-identification flags of an anonymised source.
    {DCM_PatientName, "PatientName", true},
    {DCM_PatientID, "PatientID", true},
    {DCM_IssuerOfPatientID, "IssuerOfPatientID", false},
    {DCM_PatientBirthDate, "PatientBirthDate", true},
    {DCM_PatientBirthTime, "PatientBirthTime", false},
    {DCM_PatientSex, "PatientSex", true},
    {DCM_PatientIdentityRemoved, "PatientIdentityRemoved", false},
    {DCM_DeidentificationMethod, "DeidentificationMethod", false},
    // General Study (C.7.2.1) and Patient Study (C.7.2.2).
    {DCM_StudyInstanceUID, "StudyInstanceUID", false},
    {DCM_StudyDate, "StudyDate", true},
    {DCM_StudyTime, "StudyTime", true},
    {DCM_ReferringPhysicianName, "ReferringPhysicianName", true},
    {DCM_StudyID, "StudyID", true},
    {DCM_AccessionNumber, "AccessionNumber", true},
    {DCM_StudyDescription, "StudyDescription", false},
    {DCM_PatientAge, "PatientAge", false},
    {DCM_PatientSize, "PatientSize", false},
    {DCM_PatientWeight, "PatientWeight", false},
    // General Series (C.7.3.1): the patient set-up of the acquisition.
    {DCM_PatientPosition, "PatientPosition", true},
    {DCM_BodyPartExamined, "BodyPartExamined", false},
    {DCM_Laterality, "Laterality", false},
    // Frame of Reference (C.7.4.1): chi lives in the scanner coordinates of the source.
    {DCM_FrameOfReferenceUID, "FrameOfReferenceUID", false},
    {DCM_PositionReferenceIndicator, "PositionReferenceIndicator", true},
    // General Equipment (C.7.5.1): the scanner that acquired the data (SoftwareVersions: qsmtk).
    {DCM_Manufacturer, "Manufacturer", true},
    {DCM_ManufacturerModelName, "ManufacturerModelName", false},
    {DCM_DeviceSerialNumber, "DeviceSerialNumber", false},
    {DCM_InstitutionName, "InstitutionName", false},
    {DCM_InstitutionAddress, "InstitutionAddress", false},
    {DCM_InstitutionalDepartmentName, "InstitutionalDepartmentName", false},
    {DCM_StationName, "StationName", false},
    // MR Image (C.8.3.1): the acquisition chi was reconstructed from.
    {DCM_ScanningSequence, "ScanningSequence", false},
    {DCM_SequenceVariant, "SequenceVariant", false},
    {DCM_ScanOptions, "ScanOptions", true},
    {DCM_MRAcquisitionType, "MRAcquisitionType", true},
    {DCM_SequenceName, "SequenceName", false},
    {DCM_RepetitionTime, "RepetitionTime", true},
    {DCM_FlipAngle, "FlipAngle", false},
    {DCM_MagneticFieldStrength, "MagneticFieldStrength", false},
    {DCM_ImagingFrequency, "ImagingFrequency", false},
    {DCM_ImagedNucleus, "ImagedNucleus", false},
};

constexpr const char* kImageType = "DERIVED\\SECONDARY\\QSM";  // also marks our own exports
constexpr const char* kFilePrefix = "CHI_";
constexpr Uint32 kHeaderReadLength = 4096;  // larger values (pixel data) stay on disk

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}
bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

void prepare_dcmtk() {
  static std::once_flag once;
  // Files that are not DICOM are skipped by design; DCMTK's own complaints about them would only
  // be noise (problems reach the user through our exceptions).
  std::call_once(once, [] { OFLog::configure(OFLogger::FATAL_LOG_LEVEL); });
  if (!dcmDataDict.isDictionaryLoaded())
    throw std::runtime_error(
        "DCMTK's data dictionary is not loaded (Debian package libdcmtk17 installs it; or set DCMDICTPATH)");
}

std::string dicom_string(DcmItem& item, const DcmTagKey& tag) {
  OFString v;
  if (item.findAndGetOFStringArray(tag, v).bad()) return "";
  return std::string(v.c_str(), v.length());
}

bool get_doubles(DcmItem* item, const DcmTagKey& tag, int n, double* out) {
  if (!item) return false;
  for (int i = 0; i < n; ++i)
    if (item->findAndGetFloat64(tag, out[i], i).bad() || !std::isfinite(out[i])) return false;
  return true;
}

/// A functional group macro of an enhanced (multi-frame) image: the frame's own, else the shared one.
DcmItem* functional_group(DcmItem* frame, DcmItem* shared, const DcmTagKey& sequence) {
  DcmItem* item = nullptr;
  if (frame && frame->findAndGetSequenceItem(sequence, item, 0).good() && item) return item;
  if (shared && shared->findAndGetSequenceItem(sequence, item, 0).good() && item) return item;
  return nullptr;
}

std::vector<char> gunzip_file(const std::string& path) {
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<char> data;
  char buf[1 << 16];
  int n;
  while ((n = gzread(in, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
  gzclose(in);
  if (n < 0) throw std::runtime_error(path + ": corrupt gzip data");
  return data;
}

/// Loads a DICOM file (Part 10, with the "DICM" preamble; gzipped too) without large values.
/// Returns false for files that are not DICOM; throws for a DICOM file that cannot be parsed.
bool load_dicom_header(const std::string& path, DcmFileFormat& file) {
  OFCondition status;
  if (ends_with(path, ".gz")) {
    const std::vector<char> data = gunzip_file(path);
    if (data.size() < 132 || std::memcmp(data.data() + 128, "DICM", 4) != 0) return false;
    DcmInputBufferStream stream;
    stream.setBuffer(data.data(), static_cast<offile_off_t>(data.size()));
    stream.setEos();
    file.transferInit();
    status = file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    file.transferEnd();
  } else {
    char head[132] = {};
    std::ifstream f(path, std::ios::binary);
    f.read(head, sizeof head);
    if (f.gcount() < 132 || std::memcmp(head + 128, "DICM", 4) != 0) return false;
    status = file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, kHeaderReadLength);
  }
  if (status.bad()) throw std::runtime_error(path + ": unreadable DICOM file: " + status.text());
  return true;
}

Vec3 lps_from_ras(const Vec3& v) { return {-v[0], -v[1], v[2]}; }

double max_abs_difference(const Vec3& a, const Vec3& b) {
  return std::max({std::abs(a[0] - b[0]), std::abs(a[1] - b[1]), std::abs(a[2] - b[2])});
}

// ---- the geometry of chi's images in a layout ----

/// Chi's slices as DICOM images: `origin` is the centre of the first pixel (row 0, column 0) of
/// slice 0 in LPS mm, the steps move one column, one row and one slice.
struct SliceGeometry {
  Dims array_dims{};
  DicomLayout layout;
  int64_t columns = 0, rows = 0, slices = 0;
  Vec3 origin{}, column_step{}, row_step{}, slice_step{};

  Vec3 along_row() const { return normalized(column_step); }  // IOP, first triple
  Vec3 down_column() const { return normalized(row_step); }   // IOP, second triple
  double column_spacing() const { return norm(column_step); }
  double row_spacing() const { return norm(row_step); }
  Vec3 position(int64_t slice) const { return origin + static_cast<double>(slice) * slice_step; }
  /// Index into chi's array of pixel (row, column) of a slice.
  int64_t array_index(int64_t row, int64_t column, int64_t slice) const {
    const int64_t along[3] = {column, row, slice};
    int64_t ijk[3] = {0, 0, 0};
    for (int d = 0; d < 3; ++d) {
      const int a = layout.axis[d];
      ijk[a] = layout.reversed[d] ? array_dims[a] - 1 - along[d] : along[d];
    }
    return ijk[0] + array_dims[0] * (ijk[1] + array_dims[1] * ijk[2]);
  }
};

SliceGeometry slice_geometry(const Grid& grid, const DicomLayout& layout) {
  SliceGeometry g;
  g.array_dims = grid.dims;
  g.layout = layout;
  const Mat4 affine = grid.affine();
  const Mat3 linear = affine.linear();
  Vec3 first{};  // array index of the first pixel
  Vec3 steps[3];
  for (int d = 0; d < 3; ++d) {
    const int a = layout.axis[d];
    first[a] = layout.reversed[d] ? static_cast<double>(grid.dims[a] - 1) : 0.0;
    steps[d] = (layout.reversed[d] ? -1.0 : 1.0) * lps_from_ras(linear.column(a));
  }
  g.columns = grid.dims[layout.axis[0]];
  g.rows = grid.dims[layout.axis[1]];
  g.slices = grid.dims[layout.axis[2]];
  g.origin = lps_from_ras(affine.apply(first));
  g.column_step = steps[0];
  g.row_step = steps[1];
  g.slice_step = steps[2];
  return g;
}

/// Every layout, the dcm2niix one first, then those that keep the axes and reverse others, then
/// permutations.
std::vector<DicomLayout> candidate_layouts() {
  static const std::array<std::array<int, 3>, 6> permutations = {
      {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}}};
  static const int flip_order[8] = {0, 4, 1, 2, 5, 6, 3, 7};  // bit 1: columns, 2: rows, 4: slices
  std::vector<DicomLayout> layouts;
  const DicomLayout standard;
  for (const auto& p : permutations)
    for (int mask : flip_order) {
      DicomLayout l;
      l.axis = p;
      for (int d = 0; d < 3; ++d) l.reversed[d] = standard.reversed[d] != bool(mask & (1 << d));
      layouts.push_back(l);
    }
  return layouts;
}

/// Distinct slice positions of a series (echoes repeat them), ordered along the normal.
std::vector<Vec3> distinct_positions(const DicomSourceSeries& s, double tol_mm) {
  const Vec3 n = cross(s.row_direction, s.column_direction);
  std::vector<Vec3> p;
  for (const auto& im : s.images) p.push_back(im.position);
  std::sort(p.begin(), p.end(), [&](const Vec3& a, const Vec3& b) { return dot(a, n) < dot(b, n); });
  std::vector<Vec3> distinct;
  for (const Vec3& x : p)
    if (distinct.empty() || norm(x - distinct.back()) > tol_mm) distinct.push_back(x);
  return distinct;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string series_name(const DicomSourceSeries& s) {
  std::string name = "series " + (s.series_number >= 0 ? std::to_string(s.series_number) : s.series_instance_uid);
  if (!s.description.empty()) name += " '" + s.description + "'";
  return name;
}

/// Tolerance for positions: a tenth of chi's smallest voxel size.
double position_tolerance(const Grid& grid) {
  const Vec3 v = voxel_size_from_affine(grid);
  return 0.1 * std::min({v[0], v[1], v[2]});
}

// ---- writing ----

void put(DcmItem& item, const DcmTagKey& tag, const std::string& value) {
  const OFCondition c = item.putAndInsertString(tag, value.c_str());
  if (c.bad())
    throw std::runtime_error(std::string("cannot set DICOM attribute ") + DcmTag(tag).getTagName() + ": " + c.text());
}

std::string ds_text(double v) {  // DS: at most 16 characters
  char buf[32];
  for (int digits = 10; digits > 3; --digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strlen(buf) <= 16) break;
  }
  if (std::string(buf) == "-0") return "0";
  return buf;
}
std::string ds_triple(const Vec3& v) { return ds_text(v[0]) + "\\" + ds_text(v[1]) + "\\" + ds_text(v[2]); }

std::string new_uid(const char* root) {
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, root);
  return uid;
}

/// Outline of each label in one slice: labelled pixels with a 4-neighbour (in the slice) of
/// another label or outside the image, bit-packed as the Overlay Data of PS3.5 8.1.2 (row by row,
/// first pixel in the least significant bit).
std::vector<Uint16> outline_bits(const LabelImage& labels, const SliceGeometry& g, int64_t slice, int64_t* count) {
  const int64_t rows = g.rows, columns = g.columns;
  std::vector<Uint16> words(static_cast<size_t>((rows * columns + 15) / 16), 0);
  auto label = [&](int64_t r, int64_t c) -> int32_t {
    if (r < 0 || c < 0 || r >= rows || c >= columns) return 0;
    return labels[g.array_index(r, c, slice)];
  };
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c) {
      const int32_t l = label(r, c);
      if (l == 0) continue;
      if (label(r - 1, c) == l && label(r + 1, c) == l && label(r, c - 1) == l && label(r, c + 1) == l) continue;
      const int64_t bit = r * columns + c;
      words[static_cast<size_t>(bit / 16)] |= static_cast<Uint16>(1u << (bit % 16));
      ++*count;
    }
  return words;
}

bool is_qsmtk_export(const std::string& path) {
  DcmFileFormat file;
  try {
    if (!load_dicom_header(path, file)) return false;
  } catch (const std::exception&) {
    return false;
  }
  DcmDataset& ds = *file.getDataset();
  return dicom_string(ds, DCM_SoftwareVersions).rfind("qsmtk", 0) == 0 && dicom_string(ds, DCM_ImageType) == kImageType;
}

bool is_inside(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin(), o = outer.begin();
  for (; o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

/// Refuses an output folder that is (or lies in) the source, or holds anything but an earlier
/// qsmtk export; returns the earlier export's files (and our leftover temporary files).
std::vector<fs::path> check_output_folder(const std::string& out_dir, const std::string& source_dir) {
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(fs::absolute(out_dir), ec);
  const fs::path src = fs::weakly_canonical(fs::absolute(source_dir), ec);
  if (out == src)
    throw std::runtime_error(out_dir +
                             ": is the source DICOM folder; the export needs a folder of its own "
                             "(source DICOMs are never overwritten)");
  if (is_inside(out, src))
    throw std::runtime_error(out_dir + ": lies inside the source DICOM folder " + source_dir +
                             "; choose a folder outside it");
  std::vector<fs::path> earlier;
  if (!fs::exists(out)) return earlier;
  if (!fs::is_directory(out)) throw std::runtime_error(out_dir + ": exists and is not a folder");
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    const bool our_temp = name.rfind(std::string(".") + kFilePrefix, 0) == 0 && name.find(".tmp-") != std::string::npos;
    if (e.is_regular_file() && (our_temp || is_qsmtk_export(e.path().string()))) {
      earlier.push_back(e.path());
      continue;
    }
    throw std::runtime_error(out_dir + ": not empty, and " + name +
                             " is not part of an earlier qsmtk DICOM export; choose a new or empty folder");
  }
  return earlier;
}

}  // namespace

std::string DicomSourceSeries::attribute(const std::string& keyword) const {
  for (const DicomAttribute& a : copied)
    if (a.keyword == keyword) return a.value;
  return "";
}

DicomSource read_dicom_source(const std::string& folder) {
  prepare_dcmtk();
  if (!fs::is_directory(folder)) throw std::runtime_error(folder + ": not a folder");
  std::vector<std::string> paths;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());

  DicomSource source;
  source.folder = folder;
  std::map<std::string, DicomSourceSeries> by_uid;
  for (const std::string& path : paths) {
    DcmFileFormat file;
    if (!load_dicom_header(path, file)) {
      ++source.skipped;
      continue;
    }
    DcmDataset& ds = *file.getDataset();
    const std::string uid = dicom_string(ds, DCM_SeriesInstanceUID);
    if (uid.empty() || !ds.tagExists(DCM_Rows)) {  // DICOMDIR, reports, presentation states
      ++source.skipped;
      continue;
    }
    ++source.files;
    DicomSourceSeries& s = by_uid[uid];
    if (s.series_instance_uid.empty()) {
      s.series_instance_uid = uid;
      Sint32 number = -1;
      if (ds.findAndGetSint32(DCM_SeriesNumber, number).good()) s.series_number = number;
      s.description = dicom_string(ds, DCM_SeriesDescription);
      s.image_type = dicom_string(ds, DCM_ImageType);
      s.sop_class_uid = dicom_string(ds, DCM_SOPClassUID);
      s.example_file = path;
      for (const CopiedAttribute& a : kCopied)
        if (ds.tagExists(a.tag))
          s.copied.push_back({a.tag.getGroup(), a.tag.getElement(), a.keyword, dicom_string(ds, a.tag)});
      s.has_geometry = true;
    }

    // Image Plane geometry: top level for classic images, functional groups for enhanced ones.
    const std::string sop_class = dicom_string(ds, DCM_SOPClassUID),
                      sop_instance = dicom_string(ds, DCM_SOPInstanceUID);
    Uint16 rows = 0, columns = 0;
    ds.findAndGetUint16(DCM_Rows, rows);
    ds.findAndGetUint16(DCM_Columns, columns);
    DcmItem* shared = nullptr;
    ds.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0);
    DcmSequenceOfItems* per_frame = nullptr;
    ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame);
    const unsigned long frames = per_frame ? per_frame->card() : 1;
    for (unsigned long f = 0; f < frames && s.has_geometry; ++f) {
      DcmItem* frame = per_frame ? per_frame->getItem(f) : nullptr;
      DcmItem* plane_position = per_frame ? functional_group(frame, shared, DCM_PlanePositionSequence) : &ds;
      DcmItem* plane_orientation = per_frame ? functional_group(frame, shared, DCM_PlaneOrientationSequence) : &ds;
      DcmItem* pixel_measures = per_frame ? functional_group(frame, shared, DCM_PixelMeasuresSequence) : &ds;
      double ipp[3], iop[6], spacing[2], thickness = 0;
      if (!get_doubles(plane_position, DCM_ImagePositionPatient, 3, ipp) ||
          !get_doubles(plane_orientation, DCM_ImageOrientationPatient, 6, iop) ||
          !get_doubles(pixel_measures, DCM_PixelSpacing, 2, spacing)) {
        s.has_geometry = false;
        s.geometry_problem = path + " lacks ImagePositionPatient, ImageOrientationPatient or PixelSpacing";
        break;
      }
      get_doubles(pixel_measures, DCM_SliceThickness, 1, &thickness);
      const Vec3 along_row{iop[0], iop[1], iop[2]}, down_column{iop[3], iop[4], iop[5]};
      if (s.images.empty()) {
        s.rows = rows;
        s.columns = columns;
        s.row_direction = along_row;
        s.column_direction = down_column;
        s.row_spacing = spacing[0];
        s.column_spacing = spacing[1];
        s.slice_thickness = thickness;
      } else if (s.rows != rows || s.columns != columns || max_abs_difference(s.row_direction, along_row) > 1e-4 ||
                 max_abs_difference(s.column_direction, down_column) > 1e-4 ||
                 std::abs(s.row_spacing - spacing[0]) > 1e-4 || std::abs(s.column_spacing - spacing[1]) > 1e-4) {
        s.has_geometry = false;
        s.geometry_problem = "its images differ in matrix, orientation or pixel spacing (" + path + ")";
        break;
      }
      s.images.push_back({sop_class, sop_instance, per_frame ? static_cast<int>(f + 1) : 0, {ipp[0], ipp[1], ipp[2]}});
    }
  }
  if (by_uid.empty())
    throw std::runtime_error(folder + ": no DICOM images found (" + std::to_string(source.skipped) +
                             " other files; DICOM files need the Part 10 'DICM' preamble)");
  for (auto& [uid, s] : by_uid) source.series.push_back(std::move(s));
  std::sort(source.series.begin(), source.series.end(), [](const DicomSourceSeries& a, const DicomSourceSeries& b) {
    return std::tie(a.series_number, a.series_instance_uid) < std::tie(b.series_number, b.series_instance_uid);
  });
  return source;
}

SourceMatch match_source_series(const Grid& chi_grid, const DicomSource& source) {
  SourceMatch match;
  const double tol_mm = position_tolerance(chi_grid);
  const std::vector<DicomLayout> layouts = candidate_layouts();
  const Dims& d = chi_grid.dims;
  const std::string chi_matrix = std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]);
  for (size_t i = 0; i < source.series.size(); ++i) {
    const DicomSourceSeries& s = source.series[i];
    std::string why;
    if (!s.has_geometry) {
      why = s.geometry_problem;
    } else {
      const std::vector<Vec3> positions = distinct_positions(s, tol_mm);
      const Vec3 normal = cross(s.row_direction, s.column_direction);
      int stage = -1;  // how far the best layout got: matrix, orientation, spacing, slices, positions
      auto fail = [&](int at, const std::string& text) {
        if (at > stage) stage = at, why = text;
      };
      bool matched = false;
      for (const DicomLayout& layout : layouts) {
        const SliceGeometry g = slice_geometry(chi_grid, layout);
        if (g.columns != s.columns || g.rows != s.rows) {
          fail(0, std::to_string(s.columns) + "x" + std::to_string(s.rows) + " images, chi is " + chi_matrix);
          continue;
        }
        if (max_abs_difference(g.along_row(), s.row_direction) > 1e-3 ||
            max_abs_difference(g.down_column(), s.column_direction) > 1e-3) {
          fail(1, "its slice orientation differs from chi's");
          continue;
        }
        if (std::abs(g.row_spacing() - s.row_spacing) > 1e-3 * s.row_spacing + 1e-4 ||
            std::abs(g.column_spacing() - s.column_spacing) > 1e-3 * s.column_spacing + 1e-4) {
          fail(2, "pixel spacing " + number_text(s.row_spacing) + "x" + number_text(s.column_spacing) +
                      " mm, chi's is " + number_text(g.row_spacing()) + "x" + number_text(g.column_spacing()) + " mm");
          continue;
        }
        if (static_cast<int64_t>(positions.size()) != g.slices) {
          fail(3,
               std::to_string(positions.size()) + " slice positions, chi has " + std::to_string(g.slices) + " slices");
          continue;
        }
        std::vector<Vec3> chi_positions;
        for (int64_t k = 0; k < g.slices; ++k) chi_positions.push_back(g.position(k));
        std::sort(chi_positions.begin(), chi_positions.end(),
                  [&](const Vec3& a, const Vec3& b) { return dot(a, normal) < dot(b, normal); });
        double worst = 0;
        for (size_t k = 0; k < positions.size(); ++k) worst = std::max(worst, norm(positions[k] - chi_positions[k]));
        if (worst > tol_mm) {
          fail(4, "slice positions differ from chi's by up to " + number_text(worst) + " mm");
          continue;
        }
        if (match.series.empty()) match.layout = layout;
        matched = true;
        break;
      }
      if (matched) {
        match.series.push_back(static_cast<int>(i));
        continue;
      }
    }
    match.report += (match.report.empty() ? "" : "; ") + series_name(s) + ": " + why;
  }
  if (!match.series.empty()) match.report.clear();
  return match;
}

DicomExportResult export_chi_dicom(const Volume& chi_ppm, const LabelImage* overlay, const DicomSource& source,
                                   const std::string& out_dir, const DicomExportOptions& o) {
  prepare_dcmtk();
  if (chi_ppm.frames() != 1) throw std::runtime_error("DICOM export: chi must be a 3-D image");
  if (chi_ppm.empty()) throw std::runtime_error("DICOM export: chi is empty");
  if (overlay) require_same_space(chi_ppm.grid(), overlay->grid(), "DICOM export: the lesion overlay and chi");
  if (source.series.empty()) throw std::runtime_error(source.folder + ": no DICOM series to take the study from");
  if (!(o.window_width_ppb > 0) || !std::isfinite(o.window_centre_ppb))
    throw std::runtime_error("DICOM export: the window width must be positive and the centre finite");
  if (o.series_number < 0) throw std::runtime_error("DICOM export: the series number must not be negative");
  for (const auto& [text, what] :
       {std::pair{o.series_description, "series description"}, std::pair{o.overlay_label, "overlay label"},
        std::pair{o.overlay_description, "overlay description"}})
    if (text.size() > 64)
      throw std::runtime_error(std::string("DICOM export: the ") + what + " is longer than 64 characters");

  const std::vector<fs::path> earlier = check_output_folder(out_dir, source.folder);

  DicomExportResult result;
  auto warn = [&](const std::string& w) {
    log::warn(w);
    result.warnings.push_back(w);
  };

  // Which source series chi was reconstructed from decides the study, the pixel layout and the
  // references; without one, every series must belong to one study.
  const SourceMatch match = match_source_series(chi_ppm.grid(), source);
  if (match.series.empty()) {
    const std::string why = "chi's grid (" + chi_ppm.grid().describe() + ") matches no series of " + source.folder +
                            " (" + match.report + ")";
    if (!o.allow_grid_mismatch) throw std::runtime_error(why);
    warn(why + "; exported in dcm2niix's layout with the study's identifiers");
  }
  const DicomSourceSeries& study_series = source.series[match.series.empty() ? 0 : match.series[0]];
  const std::string study_uid = study_series.attribute("StudyInstanceUID");
  if (study_uid.empty())
    throw std::runtime_error(study_series.example_file + ": has no StudyInstanceUID to join the export to");
  if (match.series.empty())
    for (const DicomSourceSeries& s : source.series)
      if (s.attribute("StudyInstanceUID") != study_uid)
        throw std::runtime_error(source.folder +
                                 ": holds series of more than one study and none is on chi's grid, "
                                 "so the study chi belongs to is unknown");
  std::vector<const DicomSourceSeries*> referenced;  // matched series of the same study
  for (int i : match.series)
    if (source.series[i].attribute("StudyInstanceUID") == study_uid) referenced.push_back(&source.series[i]);
  result.source_series = match.series;
  result.layout = match.series.empty() ? DicomLayout{} : match.layout;

  const SliceGeometry g = slice_geometry(chi_ppm.grid(), result.layout);
  if (g.rows > 65535 || g.columns > 65535) throw std::runtime_error("DICOM export: images over 65535 pixels wide");
  if (std::abs(dot(g.along_row(), g.down_column())) > 1e-4)
    throw std::runtime_error("DICOM export: chi's affine is sheared in the slice plane, which DICOM cannot describe");
  // With a matching source series its own geometry values are written, the numbers of the source
  // rather than their float32 round trip through NIfTI (they agree within the match tolerance).
  const double tol_mm = position_tolerance(chi_ppm.grid());
  Vec3 along_row = g.along_row(), down_column = g.down_column();
  double row_spacing = g.row_spacing(), column_spacing = g.column_spacing();
  std::vector<Vec3> positions;
  for (int64_t s = 0; s < g.slices; ++s) positions.push_back(g.position(s));
  if (!referenced.empty()) {
    const DicomSourceSeries& primary = *referenced[0];
    along_row = primary.row_direction;
    down_column = primary.column_direction;
    row_spacing = primary.row_spacing;
    column_spacing = primary.column_spacing;
    for (Vec3& p : positions)
      for (const auto& im : primary.images)
        if (norm(im.position - p) <= tol_mm) {
          p = im.position;
          break;
        }
  }
  const Vec3 normal = cross(along_row, down_column);
  const double spacing_between_slices = std::abs(dot(g.slice_step, normal));
  if (norm(g.slice_step - dot(g.slice_step, normal) * normal) > 1e-3 * norm(g.slice_step))
    warn(
        "chi's slices are sheared against the slice plane (gantry tilt); each slice's position is exact, "
        "SpacingBetweenSlices is the distance along the normal");

  // Text we add must fit the character set of the copied names.
  std::string charset = study_series.attribute("SpecificCharacterSet");
  bool copied_ascii = true;
  for (const DicomAttribute& a : study_series.copied) copied_ascii = copied_ascii && is_ascii(a.value);
  const bool own_ascii = is_ascii(o.series_description) && is_ascii(o.derivation_description) &&
                         is_ascii(o.overlay_label) && is_ascii(o.overlay_description);
  if (!own_ascii && charset != "ISO_IR 192") {
    if (!charset.empty() || !copied_ascii)
      throw std::runtime_error(
          "DICOM export: non-ASCII text needs a source in UTF-8 (SpecificCharacterSet ISO_IR 192); "
          "the source's is '" +
          charset + "'");
    charset = "ISO_IR 192";
  }

  make_directories(out_dir);

  // Pixel values: ppb as int16 (dicom_export.h: slope 1, clipped to the int16 range).
  std::vector<Sint16> pixels(static_cast<size_t>(chi_ppm.voxels()));
  for (int64_t s = 0, n = 0; s < g.slices; ++s)
    for (int64_t r = 0; r < g.rows; ++r)
      for (int64_t c = 0; c < g.columns; ++c, ++n) {
        const double ppb = 1000.0 * chi_ppm[g.array_index(r, c, s)];
        Sint16 v = 0;
        if (!std::isfinite(ppb))
          ++result.nonfinite_voxels;
        else if (ppb >= 32767.5)
          v = 32767, ++result.clipped_voxels;
        else if (ppb <= -32768.5)
          v = -32768, ++result.clipped_voxels;
        else
          v = static_cast<Sint16>(std::lround(ppb));
        pixels[static_cast<size_t>(n)] = v;
      }
  if (result.nonfinite_voxels) warn(std::to_string(result.nonfinite_voxels) + " non-finite chi voxels stored as 0");
  if (result.clipped_voxels)
    warn(std::to_string(result.clipped_voxels) + " chi voxels beyond +-32.767 ppm clipped to the 16-bit range");
  const bool with_overlay = overlay && std::any_of(overlay->begin(), overlay->end(), [](int32_t l) { return l != 0; });

  OFString today, now;
  DcmDate::getCurrentDate(today);
  DcmTime::getCurrentTime(now, OFTrue /*seconds*/, OFFalse /*fraction*/);
  result.series_instance_uid = new_uid(SITE_SERIES_UID_ROOT);
  result.series_number = o.series_number > 0 ? o.series_number
                         : (!match.series.empty() && study_series.series_number >= 0)
                             ? study_series.series_number + 1000
                             : 999;

  // Attributes every slice shares.
  DcmDataset common;
  for (const CopiedAttribute& a : kCopied) {
    const std::string value = study_series.attribute(a.keyword);
    const bool present = std::any_of(study_series.copied.begin(), study_series.copied.end(),
                                     [&](const DicomAttribute& x) { return x.keyword == a.keyword; });
    if (present || a.type2) put(common, a.tag, value);
  }
  if (!charset.empty()) put(common, DCM_SpecificCharacterSet, charset);
  if (study_series.attribute("FrameOfReferenceUID").empty()) {
    put(common, DCM_FrameOfReferenceUID, new_uid(SITE_INSTANCE_UID_ROOT));
    warn(study_series.example_file +
         ": no FrameOfReferenceUID; the export gets a new one, so viewers will not link "
         "its positions with the source's");
  }
  if (study_series.attribute("ScanningSequence").empty()) put(common, DCM_ScanningSequence, "GR");
  if (study_series.attribute("SequenceVariant").empty()) put(common, DCM_SequenceVariant, "NONE");
  // SOP Common, General Series, General Image.
  put(common, DCM_SOPClassUID, UID_MRImageStorage);
  put(common, DCM_InstanceCreationDate, today.c_str());
  put(common, DCM_InstanceCreationTime, now.c_str());
  put(common, DCM_Modality, "MR");
  put(common, DCM_SeriesInstanceUID, result.series_instance_uid);
  put(common, DCM_SeriesNumber, std::to_string(result.series_number));
  put(common, DCM_SeriesDescription, o.series_description);
  put(common, DCM_SeriesDate, today.c_str());
  put(common, DCM_SeriesTime, now.c_str());
  put(common, DCM_ContentDate, today.c_str());
  put(common, DCM_ContentTime, now.c_str());
  put(common, DCM_SoftwareVersions, std::string("qsmtk ") + version() + "\\" + git_revision());
  put(common, DCM_ImageType, kImageType);
  put(common, DCM_DerivationDescription,
      (o.derivation_description.empty()
           ? std::string("Quantitative susceptibility map (chi) computed by qsmtk ") + version()
           : o.derivation_description)
          .substr(0, 1024));
  put(common, DCM_ImageComments,
      "Magnetic susceptibility chi in ppb (parts per billion): stored value x RescaleSlope + RescaleIntercept. "
      "Positive = paramagnetic (iron), negative = diamagnetic (myelin, calcium). Research software (qsmtk), "
      "not a medical device.");
  put(common, DCM_BurnedInAnnotation, "NO");
  // MR Image: the echo time of an echo-combined map is undefined (Type 2, empty).
  put(common, DCM_EchoTime, "");
  put(common, DCM_EchoTrainLength, "");
  // Image Plane (C.7.6.2).
  put(common, DCM_ImageOrientationPatient, ds_triple(along_row) + "\\" + ds_triple(down_column));
  put(common, DCM_PixelSpacing, ds_text(row_spacing) + "\\" + ds_text(column_spacing));
  put(common, DCM_SliceThickness,
      ds_text(!referenced.empty() && referenced[0]->slice_thickness > 0 ? referenced[0]->slice_thickness
                                                                        : spacing_between_slices));
  put(common, DCM_SpacingBetweenSlices, ds_text(spacing_between_slices));
  // Image Pixel (C.7.6.3) and the rescale and window that make viewers show ppb.
  common.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  put(common, DCM_PhotometricInterpretation, "MONOCHROME2");
  common.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(g.rows));
  common.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(g.columns));
  common.putAndInsertUint16(DCM_BitsAllocated, 16);
  common.putAndInsertUint16(DCM_BitsStored, 16);
  common.putAndInsertUint16(DCM_HighBit, 15);
  common.putAndInsertUint16(DCM_PixelRepresentation, 1);
  put(common, DCM_RescaleIntercept, "0");
  put(common, DCM_RescaleSlope, "1");
  put(common, DCM_RescaleType, "PPB");
  put(common, DCM_WindowCenter, ds_text(o.window_centre_ppb));
  put(common, DCM_WindowWidth, ds_text(o.window_width_ppb));
  put(common, DCM_WindowCenterWidthExplanation, "chi ppb");

  const size_t slice_pixels = static_cast<size_t>(g.rows * g.columns);
  std::set<std::string> written;
  for (int64_t s = 0; s < g.slices; ++s) {
    DcmFileFormat file(&common);
    DcmDataset& ds = *file.getDataset();
    put(ds, DCM_SOPInstanceUID, new_uid(SITE_INSTANCE_UID_ROOT));
    put(ds, DCM_InstanceNumber, std::to_string(s + 1));
    const Vec3& position = positions[static_cast<size_t>(s)];
    put(ds, DCM_ImagePositionPatient, ds_triple(position));
    put(ds, DCM_SliceLocation, ds_text(dot(position, normal)));

    // The source images at this position: SourceImageSequence (General Image) and the Common
    // Instance Reference module's ReferencedSeriesSequence.
    for (const DicomSourceSeries* ref : referenced) {
      std::vector<const DicomSourceSeries::Image*> at;
      for (const auto& im : ref->images)
        if (norm(im.position - position) <= tol_mm && !im.sop_instance_uid.empty()) at.push_back(&im);
      if (at.empty()) continue;
      DcmItem* series_item = nullptr;
      ds.findOrCreateSequenceItem(DCM_ReferencedSeriesSequence, series_item, -2);
      put(*series_item, DCM_SeriesInstanceUID, ref->series_instance_uid);
      std::set<std::string> listed;
      for (const auto* im : at) {
        DcmItem* item = nullptr;
        ds.findOrCreateSequenceItem(DCM_SourceImageSequence, item, -2);
        put(*item, DCM_ReferencedSOPClassUID, im->sop_class_uid);
        put(*item, DCM_ReferencedSOPInstanceUID, im->sop_instance_uid);
        if (im->frame > 0) put(*item, DCM_ReferencedFrameNumber, std::to_string(im->frame));
        DcmItem* purpose = nullptr;
        item->findOrCreateSequenceItem(DCM_PurposeOfReferenceCodeSequence, purpose, -2);
        put(*purpose, DCM_CodeValue, "121322");
        put(*purpose, DCM_CodingSchemeDesignator, "DCM");
        put(*purpose, DCM_CodeMeaning, "Source image for image processing operation");
        if (!listed.insert(im->sop_instance_uid).second) continue;
        DcmItem* instance = nullptr;
        series_item->findOrCreateSequenceItem(DCM_ReferencedInstanceSequence, instance, -2);
        put(*instance, DCM_ReferencedSOPClassUID, im->sop_class_uid);
        put(*instance, DCM_ReferencedSOPInstanceUID, im->sop_instance_uid);
      }
    }

    // Overlay Plane (C.9.2), group 6000: the lesion outlines of this slice.
    if (with_overlay) {
      const std::vector<Uint16> bits = outline_bits(*overlay, g, s, &result.overlay_pixels);
      ds.putAndInsertUint16(DcmTagKey(0x6000, 0x0010), static_cast<Uint16>(g.rows));     // OverlayRows
      ds.putAndInsertUint16(DcmTagKey(0x6000, 0x0011), static_cast<Uint16>(g.columns));  // OverlayColumns
      put(ds, DcmTagKey(0x6000, 0x0022), o.overlay_description);                         // OverlayDescription
      put(ds, DcmTagKey(0x6000, 0x0040), "G");                                           // OverlayType: graphics
      put(ds, DcmTagKey(0x6000, 0x0045), "AUTOMATED");                                   // OverlaySubtype
      put(ds, DcmTagKey(0x6000, 0x0050), "1\\1");                                        // OverlayOrigin (row, column)
      ds.putAndInsertUint16(DcmTagKey(0x6000, 0x0100), 1);                               // OverlayBitsAllocated
      ds.putAndInsertUint16(DcmTagKey(0x6000, 0x0102), 0);                               // OverlayBitPosition
      put(ds, DcmTagKey(0x6000, 0x1500), o.overlay_label);                               // OverlayLabel
      auto* data = new DcmOtherByteOtherWord(DcmTag(0x6000, 0x3000, EVR_OW));            // OverlayData
      data->putUint16Array(bits.data(), static_cast<unsigned long>(bits.size()));
      ds.insert(data, OFTrue);
    }

    const Sint16* slice = pixels.data() + static_cast<size_t>(s) * slice_pixels;
    ds.putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(slice),
                               static_cast<unsigned long>(slice_pixels));

    char name[32];
    std::snprintf(name, sizeof name, "%s%04lld.dcm", kFilePrefix, static_cast<long long>(s + 1));
    const std::string path = (fs::path(out_dir) / name).string();
    AtomicOutput out(path);
    const OFCondition c = file.saveFile(OFFilename(out.temp_path().c_str()), EXS_LittleEndianExplicit,
                                        EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0, 0, EWM_createNewMeta);
    if (c.bad()) throw std::runtime_error(path + ": cannot write: " + c.text());
    out.commit();
    result.files.push_back(path);
    written.insert(fs::path(path).filename().string());
  }
  if (overlay && !with_overlay) warn("the lesion overlay has no lesion voxels; no overlay written");

  // An earlier export in the folder is replaced as a whole: its files that were not rewritten go.
  for (const fs::path& p : earlier) {
    if (!written.count(p.filename().string())) fs::remove(p);
    ++result.replaced_files;
  }
  if (result.replaced_files)
    log::info(out_dir + ": replaced an earlier qsmtk export (" + std::to_string(result.replaced_files) + " files)");
  return result;
}

}  // namespace qsmtk
