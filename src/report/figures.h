#pragma once
// Slice strips of a scan's pipeline stages for the report (PNG), drawn by report/render.h.
#include <string>
#include <vector>

#include "qsmtk/report/report.h"

namespace qsmtk::report {

struct Figure {
  std::string title, caption;
  std::string png;  // encoded PNG bytes
};

/// Chi (ppb) inside the brain mask (the nonzero voxels without one), finite values, sorted: the
/// summary, the warnings and the histogram all read this.
std::vector<double> brain_chi_ppb(const ScanReport& r);

/// One strip per stage that the report has: brain mask over magnitude, wrapped phase, total
/// field, local field, chi (with lesion outlines, PRLs in red), R2*.
std::vector<Figure> stage_figures(const ScanReport& r);

}  // namespace qsmtk::report
