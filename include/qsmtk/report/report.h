#pragma once
// The QC report: one self-contained HTML file per scan that works offline (NiiVue viewer,
// volumes, figures, charts, tables and provenance inlined), and a cohort index page.
// In-memory only: callers hand over volumes and tables; writing the file is theirs.
//
// Usage:
//   ScanReport r;  r.title = "sub-01";  r.chi = chi_ppm;  r.brain_mask = mask;  ...  // all optional but chi
//   r.warnings = qc_warnings(r);                      // plus any the pipeline raised
//   const std::string html = scan_report_html(r);
//   CohortEntry e{"sub-01", "sub-01_report.html", summarise(r)};
//   const std::string index = cohort_index_html({e, ...}, "qsmtk cohort");
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "qsmtk/io/tsv.h"
#include "qsmtk/volume.h"

namespace qsmtk {

struct ReportTable {
  std::string id;        // HTML id (e.g. "lesions"), used by tests
  std::string title;
  Table table;
  std::set<size_t> highlighted_rows;  // e.g. PRLs
};

struct ScanReport {
  std::string title;                    // e.g. "sub-01 ses-1"
  std::string subtitle;                 // e.g. input and date
  Volume chi;                           // ppm (required)
  Mask brain_mask;                      // the reconstruction's mask
  Volume magnitude;                     // first echo
  Volume wrapped_phase;                 // first echo, radians
  Volume unwrapped_phase;               // first echo, radians, after unwrapping (and offset removal)
  Volume total_field_hz, local_field_hz, r2star;
  LabelImage lesions;                   // lesion labels on chi's grid
  std::set<int32_t> prl_ids;            // lesions flagged as PRL
  std::vector<ReportTable> tables;      // lesion and region tables, shown as given
  std::vector<double> echo_times_s;     // for the residual-wrap check
  std::string provenance_json;          // the chi map's sidecar (JSON text)
  std::vector<std::string> warnings;    // shown in the QC summary
};

/// Automatic checks (one line each): the mask touching the field of view's edge, an implausible
/// brain volume, extreme chi values, field jumps between neighbours that suggest unwrapping errors.
std::vector<std::string> qc_warnings(const ScanReport& r);

struct ScanSummary {
  double brain_volume_ml = 0;
  double chi_median_ppb = 0, chi_p05_ppb = 0, chi_p95_ppb = 0;  // inside the mask
  int lesions = -1, prls = -1;                                   // -1: no lesion image
  int warnings = 0;
};
ScanSummary summarise(const ScanReport& r);

/// The page. Throws std::invalid_argument without a chi map or on mismatched grids.
std::string scan_report_html(const ScanReport& r);

struct CohortEntry {
  std::string label, href;
  ScanSummary summary;
};
/// An index of the scans with their numbers and cohort distributions (inline SVG).
std::string cohort_index_html(const std::vector<CohortEntry>& scans, const std::string& title);

}  // namespace qsmtk
