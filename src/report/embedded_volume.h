#pragma once
// Volumes for the report's viewer: gzipped NIfTI-1 in memory, base64 for a JSON island in the
// page (browsers refuse to fetch files next to a page opened from disk, so the page carries them).
#include <string>
#include <string_view>

#include "qsmtk/volume.h"

namespace qsmtk::report {

enum class StoredType { uint8, int16 };

/// `v` (3-D) as a gzipped NIfTI-1 file: stored = round((value - inter) / slope), clamped to the
/// type's range; scl_slope/scl_inter let a reader recover the value; sform from the grid.
std::string nifti_gz(const Volume& v, StoredType type, double slope = 1.0, double inter = 0.0,
                     const std::string& description = "");
std::string gzip(std::string_view bytes, int level = 6);
std::string base64(std::string_view bytes);

}  // namespace qsmtk::report
