#pragma once
// DICOM export of a chi map for clinical viewing: a derived MR series that joins the study of the
// source DICOMs (patient, study and frame of reference copied, new series and instance UIDs), one
// classic MR Image Storage file per slice, optionally with lesion outlines as an overlay plane.
// DCMTK reads and writes the files; only src/io/dicom_export.cpp includes it.
//
// Storage choices (`qsmtk export-dicom --help` says the same):
// - Pixel values are chi in ppb as signed 16-bit integers with RescaleSlope 1, RescaleIntercept 0
//   and RescaleType PPB: every viewer shows and measures integers in ppb (the unit of qsmtk's
//   tables) and its window/level works in whole ppb, where a fractional slope (ppm) is shown with
//   too few decimals by some viewers and makes window widths like 0.3 awkward. One stored step is
//   1 ppb, so a round trip is exact to 0.5 ppb, far below the noise of any chi map; the range is
//   +-32.767 ppm (values beyond are clipped, non-finite values stored as 0, both counted).
// - Pixel layout: the images have the source series' matrix and orientation (row 0 at the top as
//   the scanner wrote it), so the derived series lies pixel on pixel over the source in a 2-D
//   viewer. Without a matching source series the layout is that of a dcm2niix conversion: columns
//   along the first array axis, rows along the second axis reversed (dcm2niix flips the rows),
//   slices along the third; dcm2niix converts the export back to chi's own grid (a grid of the
//   other handedness than dcm2niix writes comes back with its slices in reverse order).
// - Lesions: an Overlay Plane (PS3.3 C.9.2, group 6000) in the chi images themselves, type G
//   (graphics), drawn as each lesion's outline in the slice (lesion pixels with a 4-neighbour
//   outside the lesion). An overlay keeps the chi pixels untouched, so the reader can measure on
//   the same images, toggle the outlines to read the rim underneath, and needs no second series to
//   keep in sync; burnt-in outlines would corrupt the values and DICOM SEG objects are shown by
//   few clinical viewers.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "qsmtk/linalg.h"
#include "qsmtk/volume.h"

namespace qsmtk {

/// One attribute carried from the source into the export, as its stored string value
/// (multiple values separated by '\', in the source's SpecificCharacterSet).
struct DicomAttribute {
  uint16_t group = 0, element = 0;
  std::string keyword;  // DICOM keyword, e.g. "PatientID"
  std::string value;
};

/// One series of the source folder: the attributes the export copies and its geometry.
struct DicomSourceSeries {
  std::string series_instance_uid;
  int series_number = -1;  // -1 when absent
  std::string description, image_type, sop_class_uid;
  std::string example_file;            // the series' first file; the copied attributes come from it
  std::vector<DicomAttribute> copied;  // patient, study, frame of reference, equipment, acquisition
  // Image Plane geometry in patient coordinates (LPS, mm), when every image of the series has the
  // same matrix, orientation and pixel spacing (else geometry_problem says why not).
  bool has_geometry = false;
  std::string geometry_problem;
  int64_t rows = 0, columns = 0;
  Vec3 row_direction{}, column_direction{};    // ImageOrientationPatient: along a row, down a column
  double row_spacing = 0, column_spacing = 0;  // PixelSpacing: between rows, between columns
  double slice_thickness = 0;                  // 0 when absent
  struct Image {
    std::string sop_class_uid, sop_instance_uid;
    int frame = 0;    // 1-based frame of a multi-frame (enhanced) file; 0 for single-frame files
    Vec3 position{};  // ImagePositionPatient
  };
  std::vector<Image> images;  // every image or frame (all echoes)

  /// The copied attribute's value; "" when the source lacks it.
  std::string attribute(const std::string& keyword) const;
};

struct DicomSource {
  std::string folder;
  std::vector<DicomSourceSeries> series;  // by series number
  int64_t files = 0;                      // DICOM files read
  int64_t skipped = 0;                    // files that are not DICOM images
};

/// Reads every DICOM file under `folder` (recursively, .dcm.gz too) without its pixel data.
/// Throws naming the folder when it holds no DICOM image, or a file when it is unreadable in a way
/// that is not "not DICOM".
DicomSource read_dicom_source(const std::string& folder);

/// Which array axis runs along the columns (0), rows (1) and slices (2) of the exported images,
/// and whether it runs backwards.
struct DicomLayout {
  std::array<int, 3> axis{0, 1, 2};
  std::array<bool, 3> reversed{false, true, false};  // dcm2niix's row flip
};

/// The series of `source` on chi's grid: the same matrix, orientation, pixel spacing and slice
/// positions (up to 0.1 voxel), with the chi axes possibly permuted or reversed.
struct SourceMatch {
  std::vector<int> series;  // indices into source.series; the first gives the series number
  DicomLayout layout;       // maps chi onto the first matching series' pixel layout
  std::string report;       // when nothing matched: each series and why not
};
SourceMatch match_source_series(const Grid& chi_grid, const DicomSource& source);

struct DicomExportOptions {
  std::string series_description = "qsmtk QSM chi (ppb)";
  int series_number = 0;  // 0: the matched source series' number + 1000, else 999
  double window_centre_ppb = 0, window_width_ppb = 300;
  std::string derivation_description;     // how chi was made ("" = a generic sentence)
  std::string overlay_label = "LESIONS";  // OverlayLabel, shown by some viewers
  std::string overlay_description = "qsmtk lesion outlines";
  bool allow_grid_mismatch = false;  // export when no source series is on chi's grid
};

struct DicomExportResult {
  std::string series_instance_uid;
  int series_number = 0;
  std::vector<std::string> files;  // in slice order
  std::vector<int> source_series;  // indices of the matched source series (may be empty)
  DicomLayout layout;
  int64_t nonfinite_voxels = 0, clipped_voxels = 0;
  int64_t overlay_pixels = 0;         // outline pixels drawn
  int64_t replaced_files = 0;         // files of an earlier qsmtk export in out_dir
  std::vector<std::string> warnings;  // also logged
};

/// Writes chi (ppm in, ppb stored) as one MR image per slice into `out_dir` (created), each file
/// atomically. `overlay` (optional, chi's grid): lesion labels, outlined in an overlay plane.
/// `out_dir` must be new, empty or hold only an earlier qsmtk export (replaced), and may not be
/// the source folder or lie inside it. Chi must be on the grid of a source series unless
/// options.allow_grid_mismatch (then a warning). Throws std::runtime_error naming the problem.
DicomExportResult export_chi_dicom(const Volume& chi_ppm, const LabelImage* overlay, const DicomSource& source,
                                   const std::string& out_dir, const DicomExportOptions& options = {});

}  // namespace qsmtk
