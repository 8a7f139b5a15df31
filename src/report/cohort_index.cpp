// The cohort index page: one row per scan, links to the scan reports, and the distribution of
// each summary number over the cohort (see report/report.h).
#include <cmath>
#include <sstream>

#include "qsmtk/report/report.h"
#include "qsmtk/version.h"
#include "report/html.h"
#include "report/viewer_assets.h"

namespace qsmtk {

std::string cohort_index_html(const std::vector<CohortEntry>& scans, const std::string& title) {
  using namespace report;
  std::ostringstream s;
  s << "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>" << escape_html(title)
    << "</title><style>" << report_css() << "</style></head><body>\n<h1>" << escape_html(title)
    << "</h1><p class='subtitle'>" << scans.size() << " scan(s) &middot; qsmtk " << escape_html(version()) << " ("
    << escape_html(git_revision()) << ")</p>\n";
  s << "<table id='scans'><thead><tr><th>scan</th><th>brain volume (ml)</th><th>median chi (ppb)</th>"
    << "<th>P5 chi (ppb)</th><th>P95 chi (ppb)</th><th>lesions</th><th>PRLs</th><th>warnings</th></tr></thead><tbody>";
  for (const CohortEntry& e : scans) {
    const ScanSummary& m = e.summary;
    s << "<tr" << (m.warnings ? " class='prl'" : "") << "><td><a href='" << escape_html(e.href) << "'>"
      << escape_html(e.label) << "</a></td><td>" << format_number(m.brain_volume_ml, 4) << "</td><td>"
      << format_number(m.chi_median_ppb) << "</td><td>" << format_number(m.chi_p05_ppb) << "</td><td>"
      << format_number(m.chi_p95_ppb) << "</td><td>" << (m.lesions >= 0 ? std::to_string(m.lesions) : "-")
      << "</td><td>" << (m.prls >= 0 ? std::to_string(m.prls) : "-") << "</td><td>" << m.warnings << "</td></tr>";
  }
  s << "</tbody></table>\n<h2>Cohort distributions</h2><p class='subtitle'>One dot per scan; click one to open its "
       "report.</p><div class='charts'>";
  std::vector<std::string> labels, hrefs;
  for (const CohortEntry& e : scans) labels.push_back(e.label), hrefs.push_back(e.href);
  auto strip = [&](const std::string& name, auto get) {
    std::vector<double> v;
    for (const CohortEntry& e : scans) v.push_back(get(e.summary));
    s << "<figure>" << strip_plot_svg(v, labels, hrefs, name) << "</figure>";
  };
  strip("brain mask volume (ml)", [](const ScanSummary& m) { return m.brain_volume_ml; });
  strip("median chi in the brain (ppb)", [](const ScanSummary& m) { return m.chi_median_ppb; });
  strip("P95 chi in the brain (ppb)", [](const ScanSummary& m) { return m.chi_p95_ppb; });
  strip("PRLs", [](const ScanSummary& m) { return m.prls >= 0 ? double(m.prls) : NAN; });
  s << "</div></body></html>\n";
  return s.str();
}

}  // namespace qsmtk
