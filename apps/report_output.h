#pragma once
// Writing QC reports into a qsmtk derivatives folder, shared by `qsmtk report` and `qsmtk run`:
// OUT/<label>_report.html (self-contained), OUT/<label>_report.json (its summary, which the
// cohort index reads, so scans skipped by a later run stay listed) and OUT/index.html.
#include <string>

#include "qsmtk/report/report.h"

namespace qsmtk::app {

/// Writes the scan's page and summary; returns the page's path.
std::string write_scan_report(const ScanReport& report, const std::string& out_dir, const std::string& label);
/// Rebuilds OUT/index.html from every OUT/*_report.json; returns its path ("" when there is none).
std::string write_cohort_index(const std::string& out_dir);

}  // namespace qsmtk::app
