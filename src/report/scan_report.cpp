// The per-scan QC report page (see report/report.h): viewer, stage figures, charts, tables and
// provenance, all inlined so the file works offline and can be mailed or archived alone.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "analysis/sorted_statistics.h"
#include "qsmtk/crop.h"
#include "qsmtk/io/json.h"
#include "qsmtk/report/report.h"
#include "qsmtk/version.h"
#include "report/embedded_volume.h"
#include "report/figures.h"
#include "report/html.h"
#include "report/viewer_assets.h"

namespace qsmtk {
namespace {
using namespace report;

/// The p-th percentile (0..1) of a volume's finite values inside `mask` (all finite when empty).
double percentile_in(const Volume& v, const Mask& mask, double p) {
  std::vector<double> x;
  for (int64_t n = 0; n < v.voxels(); ++n)
    if ((mask.empty() || mask[n]) && std::isfinite(v[n])) x.push_back(v[n]);
  std::sort(x.begin(), x.end());
  return x.empty() ? 0.0 : detail::percentile_sorted(x, p);
}

/// Lesion edges (voxels of a lesion with a 6-neighbour outside it): 1, or 2 for a PRL.
Volume lesion_outlines(const LabelImage& lesions, const std::set<int32_t>& prls) {
  Volume out(lesions.grid());
  const Dims& n = lesions.dims();
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int32_t l = lesions(i, j, k);
        if (!l) continue;
        bool edge = false;
        const int64_t idx[3] = {i, j, k};
        for (int a = 0; a < 3 && !edge; ++a)
          for (int d : {-1, 1}) {
            int64_t q[3] = {i, j, k};
            q[a] = idx[a] + d;
            if (q[a] < 0 || q[a] >= n[a] || lesions(q[0], q[1], q[2]) != l) edge = true;
          }
        if (edge) out(i, j, k) = prls.count(l) ? 2.0f : 1.0f;
      }
  return out;
}

/// The viewer's volumes, cropped to the brain (plus a margin) to keep the page small: each volume
/// once under "volumes" (gzipped NIfTI, base64), and the layers of each view referring to them.
Json viewer_spec(const ScanReport& r) {
  Box box;
  box.size = r.chi.dims();
  if (!r.brain_mask.empty()) {
    int64_t any = 0;
    for (uint8_t m : r.brain_mask) any += m;
    if (any) box = bounding_box(r.brain_mask, 6);
  }
  const Mask mask = r.brain_mask.empty() ? Mask() : crop(r.brain_mask, box);
  auto cropped = [&](const Volume& v) { return crop(v, box); };
  Json volumes = Json::object();
  // Stored with a step well below what a colour map can show, so the noise in low bits does not
  // bloat the page.
  auto add_volume = [&](const std::string& id, const Volume& v, StoredType type, double slope) {
    volumes[id] = base64(nifti_gz(v, type, slope, 0.0, id));
  };
  auto layer = [](const std::string& id, const std::string& colormap, double lo, double hi, double opacity = 1.0) {
    return Json{{"volume", id}, {"colormap", colormap}, {"cal_min", lo}, {"cal_max", hi}, {"opacity", opacity}};
  };

  Volume chi_ppb = cropped(r.chi);
  for (float& x : chi_ppb) x *= 1000.0f;
  const double w = std::max({std::fabs(percentile_in(chi_ppb, mask, 0.02)), std::fabs(percentile_in(chi_ppb, mask, 0.98)), 1.0});
  add_volume("chi (ppb)", chi_ppb, StoredType::int16, 1.0);
  Json left = Json::array({layer("chi (ppb)", "gray", -w, w)});
  if (!r.lesions.empty()) {
    add_volume("lesions", cropped(lesion_outlines(r.lesions, r.prl_ids)), StoredType::uint8, 1.0);
    Json v = layer("lesions", "gray", 0, 2);
    v["labels"] = {{"R", {0, 0, 255}}, {"G", {0, 220, 40}}, {"B", {0, 40, 40}}, {"A", {0, 255, 255}},
                   {"I", {0, 1, 2}}, {"labels", {"", "lesion", "PRL"}}};
    left.push_back(v);
  }

  Json right = Json::array();
  auto add_choice = [&](const std::string& title, Json layers) { right.push_back({{"title", title}, {"layers", layers}}); };
  if (!r.magnitude.empty()) {
    const Volume m = cropped(r.magnitude);
    const double hi = std::max(percentile_in(m, Mask(), 0.995), 1e-12);
    add_volume("magnitude", m, StoredType::uint8, hi / 255.0);
    add_choice("Magnitude (first echo)", Json::array({layer("magnitude", "gray", 0, hi)}));
    if (!mask.empty()) {
      Volume mv(mask.grid());
      for (int64_t n = 0; n < mv.voxels(); ++n) mv[n] = mask[n];
      add_volume("brain mask", mv, StoredType::uint8, 1.0);
      add_choice("Brain mask over magnitude",
                 Json::array({layer("magnitude", "gray", 0, hi), layer("brain mask", "red", 0, 1, 0.35)}));
    }
  }
  auto field = [&](const std::string& title, const Volume& f) {
    if (f.empty()) return;
    const Volume c = cropped(f);
    const double hi = std::max({std::fabs(percentile_in(c, mask, 0.01)), std::fabs(percentile_in(c, mask, 0.99)), 1e-3});
    add_volume(title, c, StoredType::int16, hi / 1000.0);
    add_choice(title, Json::array({layer(title, "blue2red", -hi, hi)}));
  };
  field("Local field (Hz)", r.local_field_hz);
  field("Total field (Hz)", r.total_field_hz);
  if (!r.r2star.empty()) {
    const Volume c = cropped(r.r2star);
    const double hi = std::max(percentile_in(c, mask, 0.99), 1.0);
    add_volume("R2* (1/s)", c, StoredType::int16, hi / 500.0);
    add_choice("R2* (1/s)", Json::array({layer("R2* (1/s)", "hot", 0, hi)}));
  }
  if (right.empty()) add_choice("chi (ppb)", Json::array({left[0]}));
  return {{"volumes", volumes}, {"left", left}, {"right", right}};
}

std::string html_table(const ReportTable& t) {
  std::ostringstream s;
  s << "<h3>" << escape_html(t.title) << "</h3><div style='overflow-x:auto'><table id='" << escape_html(t.id)
    << "'><thead><tr>";
  for (const auto& c : t.table.columns) s << "<th>" << escape_html(c) << "</th>";
  s << "</tr></thead><tbody>";
  for (size_t i = 0; i < t.table.rows.size(); ++i) {
    s << (t.highlighted_rows.count(i) ? "<tr class='prl'>" : "<tr>");
    for (const auto& c : t.table.rows[i]) s << "<td>" << escape_html(c) << "</td>";
    s << "</tr>";
  }
  s << "</tbody></table></div>";
  return s.str();
}

/// Bars from a table's label and value columns (e.g. lesion_id / delta_chi_ppb), when it has them.
std::string table_chart(const ReportTable& t, const std::string& label_col, const std::string& value_col,
                        const std::string& axis) {
  const auto& c = t.table.columns;
  const auto li = std::find(c.begin(), c.end(), label_col), vi = std::find(c.begin(), c.end(), value_col);
  if (li == c.end() || vi == c.end() || t.table.rows.empty()) return "";
  std::vector<Bar> bars;
  for (size_t i = 0; i < t.table.rows.size(); ++i) {
    const auto& row = t.table.rows[i];
    Bar b;
    b.label = row[size_t(li - c.begin())];
    try {
      b.value = std::stod(row[size_t(vi - c.begin())]);
    } catch (const std::exception&) {
      b.value = NAN;
    }
    b.highlight = t.highlighted_rows.count(i) > 0;
    bars.push_back(b);
  }
  return "<figure>" + bar_chart_svg(bars, axis) + "<figcaption>" + escape_html(t.title + ": " + axis) +
         (t.highlighted_rows.empty() ? "" : " (red: PRL)") + "</figcaption></figure>";
}

std::string methods_line(const Json& p) {
  std::ostringstream s;
  auto method = [&](const char* key) -> std::string {
    if (!p.contains(key) || !p[key].is_object()) return "";
    for (const char* k : {"Method", "method"})
      if (p[key].contains(k) && p[key][k].is_string()) return p[key][k].get<std::string>();
    return "";
  };
  const std::string bg = method("BackgroundRemoval"), inv = method("Inversion");
  if (!bg.empty()) s << "background removal " << bg;
  if (!inv.empty()) s << (bg.empty() ? "" : ", ") << "inversion " << inv;
  if (p.contains("Reference") && p["Reference"].contains("Region"))
    s << ", reference " << p["Reference"]["Region"].get<std::string>();
  if (p.contains("MagneticFieldStrength") && p["MagneticFieldStrength"].is_number())
    s << ", " << format_number(p["MagneticFieldStrength"].get<double>()) << " T";
  return s.str();
}

}  // namespace

std::string scan_report_html(const ScanReport& r) {
  if (r.chi.empty() || r.chi.frames() != 1) throw std::invalid_argument("report: needs a 3-D chi map");
  auto check = [&](bool empty, const Grid& g, const char* what) {
    if (!empty && !g.same_space(r.chi.grid()))
      throw std::invalid_argument(std::string("report: the ") + what + " is not on the chi map's grid");
  };
  check(r.brain_mask.empty(), r.brain_mask.grid(), "brain mask");
  check(r.magnitude.empty(), r.magnitude.grid(), "magnitude");
  check(r.wrapped_phase.empty(), r.wrapped_phase.grid(), "phase");
  check(r.unwrapped_phase.empty(), r.unwrapped_phase.grid(), "unwrapped phase");
  check(r.total_field_hz.empty(), r.total_field_hz.grid(), "total field");
  check(r.local_field_hz.empty(), r.local_field_hz.grid(), "local field");
  check(r.r2star.empty(), r.r2star.grid(), "R2* map");
  check(r.lesions.empty(), r.lesions.grid(), "lesion image");

  const ScanSummary sum = summarise(r);
  Json provenance = Json::object();
  if (!r.provenance_json.empty()) provenance = Json::parse(r.provenance_json, nullptr, false);
  if (provenance.is_discarded()) provenance = Json::object();
  std::ostringstream s;
  s << "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
    << "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    << "<meta name='generator' content='qsmtk " << escape_html(std::string(version()) + " (" + git_revision() + ")") << "'>"
    << "<title>" << escape_html(r.title) << " - qsmtk QC report</title><style>" << report_css() << "</style></head>\n"
    << "<body data-viewer='loading'>\n<h1>" << escape_html(r.title) << "</h1><p class='subtitle'>"
    << escape_html(r.subtitle) << (r.subtitle.empty() ? "" : " &middot; ") << "qsmtk " << escape_html(std::string(version()) + " (" + git_revision() + ")")
    << " &middot; " << escape_html(methods_line(provenance)) << "</p>\n";

  // QC summary.
  s << "<h2>Quality control</h2>";
  if (r.warnings.empty())
    s << "<p class='ok'>No warnings.</p>";
  else {
    s << "<ul class='warnings'>";
    for (const auto& w : r.warnings) s << "<li>" << escape_html(w) << "</li>";
    s << "</ul>";
  }
  s << "<table id='summary'><tbody>"
    << "<tr><td>brain mask volume</td><td>" << format_number(sum.brain_volume_ml, 4) << " ml</td></tr>"
    << "<tr><td>chi in the brain: median (P5, P95)</td><td>" << format_number(sum.chi_median_ppb) << " ("
    << format_number(sum.chi_p05_ppb) << ", " << format_number(sum.chi_p95_ppb) << ") ppb</td></tr>";
  if (sum.lesions >= 0)
    s << "<tr><td>lesions / paramagnetic rim lesions</td><td>" << sum.lesions << " / " << sum.prls << "</td></tr>";
  s << "</tbody></table>\n";

  // Viewer.
  s << "<h2>Viewer</h2><p id='viewer-status'>Loading the viewer (NiiVue " << niivue_version()
    << ", WebGL2)...</p><div class='viewers'><div class='viewer'><p class='caption'>chi (ppb)"
    << (r.lesions.empty() ? "" : "; lesion outlines green, PRLs red")
    << "</p><div class='canvas-box'><canvas id='viewer-left'></canvas></div><p class='caption' id='viewer-location'></p></div>"
    << "<div class='viewer'><p class='caption'><select id='viewer-select' aria-label='map'></select></p>"
    << "<div class='canvas-box'><canvas id='viewer-right'></canvas></div></div></div>\n";

  // Pipeline stages.
  const std::vector<Figure> figures = stage_figures(r);
  if (!figures.empty()) {
    s << "<h2>Pipeline stages</h2>";
    for (const Figure& f : figures)
      s << "<figure><img alt='" << escape_html(f.title) << "' src='data:image/png;base64," << base64(f.png)
        << "'><figcaption>" << escape_html(f.title) << (f.caption.empty() ? "" : ": ") << escape_html(f.caption)
        << "</figcaption></figure>\n";
  }

  // Charts.
  s << "<h2>Distributions</h2><div class='charts'>";
  {
    const std::vector<double> chi = brain_chi_ppb(r);
    const double lo = chi.empty() ? -100 : detail::percentile_sorted(chi, 0.005),
                 hi = chi.empty() ? 100 : detail::percentile_sorted(chi, 0.995);
    s << "<figure>" << histogram_svg(chi, lo, hi > lo ? hi : lo + 1, 60, "chi in the brain (ppb)")
      << "<figcaption>chi histogram inside the brain mask (0.5th to 99.5th percentile)</figcaption></figure>";
  }
  for (const ReportTable& t : r.tables) {
    s << table_chart(t, "lesion_id", "delta_chi_ppb", "delta chi against NAWM (ppb)");
    s << table_chart(t, "name", "mean_chi_ppb", "mean chi (ppb)");
  }
  s << "</div>\n";

  // Tables.
  if (!r.tables.empty()) {
    s << "<h2>Tables</h2>";
    for (const ReportTable& t : r.tables) s << html_table(t);
  }

  // Provenance.
  s << "<h2>Provenance</h2><details><summary>Every method, parameter and input (the chi map's sidecar)</summary><pre>"
    << escape_html(provenance.dump(2)) << "</pre></details>"
    << "<p class='subtitle'>Viewer: NiiVue " << niivue_version()
    << " (BSD-2-Clause, niivue.com), embedded in this file.</p>\n";

  // Data and scripts last, so the page's text shows before they are parsed. "</" cannot occur
  // inside base64 or the escaped JSON, which keeps the script element closed where it should be.
  std::string spec = viewer_spec(r).dump();
  for (size_t pos = 0; (pos = spec.find("</", pos)) != std::string::npos;) spec.replace(pos, 2, "<\\/");
  s << "<script type='application/json' id='qsmtk-volumes'>" << spec << "</script>\n<script>" << niivue_js()
    << "</script>\n<script>" << report_js() << "</script>\n</body></html>\n";
  return s.str();
}

}  // namespace qsmtk
