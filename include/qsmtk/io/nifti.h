#pragma once
// NIfTI-1 and NIfTI-2 images (.nii, .nii.gz) through nifticlib, read into float volumes with
// scl_slope/scl_inter applied; written as float32, uint8 or int16/int32 with the grid's
// sform and qform (and their codes) preserved. Writes are atomic.
#include <cstdint>
#include <string>

#include "qsmtk/volume.h"

namespace qsmtk {

/// What a NIfTI header says, for checks and messages before any data is read.
struct NiftiHeader {
  int version = 0;          // 1 or 2
  int datatype = 0;         // NIFTI_TYPE_* code
  std::string datatype_name;
  int ndim = 0;             // dim[0]
  Grid grid;                // dims, voxel size, sform/qform with codes
  int64_t frames = 1;       // 4th dimension (echoes)
  double scl_slope = 1.0, scl_inter = 0.0;  // as applied (slope 0 or non-finite -> 1, 0)
  std::string description;  // descrip field
};

/// Largest image qsmtk will allocate from a header, in voxels (a guard against headers that lie).
constexpr int64_t kMaxNiftiVoxels = int64_t(1) << 31;

/// Reads only the header. Throws std::runtime_error naming the file and the problem.
NiftiHeader read_nifti_header(const std::string& path);
/// Reads a 3-D or 4-D image as float (integer and float64 data converted, scaling applied).
Volume read_nifti(const std::string& path, NiftiHeader* header = nullptr);
/// Reads a mask: voxels != 0 become 1.
Mask read_nifti_mask(const std::string& path);
/// Reads a label image; refuses non-integer values.
LabelImage read_nifti_labels(const std::string& path);

/// Writes float32 (ppm, Hz, ... as the caller documents in the sidecar).
void write_nifti(const std::string& path, const Volume& image, const std::string& description = "");
/// Writes uint8.
void write_nifti(const std::string& path, const Mask& mask, const std::string& description = "");
/// Writes int16 when every label fits, else int32.
void write_nifti(const std::string& path, const LabelImage& labels, const std::string& description = "");

}  // namespace qsmtk
