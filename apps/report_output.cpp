#include "report_output.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qsmtk/io/json.h"
#include "qsmtk/log.h"

namespace qsmtk::app {
namespace fs = std::filesystem;

std::string write_scan_report(const ScanReport& report, const std::string& out_dir, const std::string& label) {
  const fs::path page = fs::path(out_dir) / (label + "_report.html");
  write_text(page.string(), scan_report_html(report));
  const ScanSummary s = summarise(report);
  Json j = {{"Label", label},
            {"Report", page.filename().string()},
            {"BrainVolumeMl", s.brain_volume_ml},
            {"ChiMedianPpb", s.chi_median_ppb},
            {"ChiP05Ppb", s.chi_p05_ppb},
            {"ChiP95Ppb", s.chi_p95_ppb},
            {"Lesions", s.lesions},
            {"Prls", s.prls},
            {"Warnings", report.warnings}};
  write_json((fs::path(out_dir) / (label + "_report.json")).string(), j);
  return page.string();
}

std::string write_cohort_index(const std::string& out_dir) {
  std::vector<CohortEntry> entries;
  if (!fs::is_directory(out_dir)) return "";
  for (const auto& f : fs::directory_iterator(out_dir)) {
    const std::string name = f.path().filename().string();
    if (!name.ends_with("_report.json")) continue;
    try {
      const Json j = read_json(f.path().string());
      CohortEntry e;
      e.label = j.at("Label").get<std::string>();
      e.href = j.at("Report").get<std::string>();
      auto number = [&](const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN; };
      e.summary.brain_volume_ml = number("BrainVolumeMl");
      e.summary.chi_median_ppb = number("ChiMedianPpb");
      e.summary.chi_p05_ppb = number("ChiP05Ppb");
      e.summary.chi_p95_ppb = number("ChiP95Ppb");
      e.summary.lesions = j.value("Lesions", -1);
      e.summary.prls = j.value("Prls", -1);
      e.summary.warnings = j.contains("Warnings") ? int(j["Warnings"].size()) : 0;
      entries.push_back(e);
    } catch (const std::exception& e) {
      log::warn(f.path().string() + ": not a report summary, left out of the index (" + e.what() + ")");
    }
  }
  if (entries.empty()) return "";
  std::sort(entries.begin(), entries.end(), [](const CohortEntry& a, const CohortEntry& b) { return a.label < b.label; });
  const fs::path index = fs::path(out_dir) / "index.html";
  write_text(index.string(), cohort_index_html(entries, "qsmtk QC: " + fs::path(out_dir).filename().string()));
  return index.string();
}

}  // namespace qsmtk::app
