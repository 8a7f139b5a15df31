// qsmtk export-dicom: a chi map (and optionally lesion or PRL outlines) as a derived MR series in
// the study of its source DICOMs, for clinical viewers and PACS.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "command.h"
#include "lesion_options.h"
#include "qsmtk/io/dicom_export.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/log.h"
#include "qsmtk/strings.h"
#include "qsmtk/version.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string chi, source, out, lesions, lesions_table, series_description = "qsmtk QSM chi (ppb)", window = "0,300";
  int series_number = 0;
  bool allow_grid_mismatch = false;
};

std::string json_text(const Json& j, const char* object, const char* key) {
  if (!j.contains(object) || !j[object].is_object() || !j[object].contains(key) || !j[object][key].is_string())
    return "";
  return j[object][key].get<std::string>();
}

/// DerivationDescription from chi's sidecar: who made it and with which methods ("" without one).
std::string derivation_from_sidecar(const std::string& chi_path) {
  const std::string side_path = sidecar_path(chi_path);
  if (!std::filesystem::exists(side_path)) return "";
  const Json side = read_json(side_path);
  if (side.contains("Units") && side["Units"] != "ppm")
    throw std::runtime_error(side_path + ": Units is " + side["Units"].dump() + "; the export needs chi in ppm");
  std::string made_by = json_text(side, "GeneratedBy", "Name");
  if (!made_by.empty()) made_by += " " + json_text(side, "GeneratedBy", "Version");
  std::string text = "Quantitative susceptibility mapping" + (made_by.empty() ? "" : " by " + made_by);
  std::vector<std::string> steps;
  if (const std::string m = json_text(side, "BackgroundRemoval", "Method"); !m.empty())
    steps.push_back("background field removal " + m);
  if (const std::string m = json_text(side, "Inversion", "Method"); !m.empty())
    steps.push_back("dipole inversion " + m);
  if (const std::string m = json_text(side, "Reference", "Region"); !m.empty())
    steps.push_back("chi referenced to " + m);
  for (size_t i = 0; i < steps.size(); ++i) text += (i == 0 ? ": " : ", ") + steps[i];
  return text + "; exported by qsmtk " + version();
}

/// The lesions to outline: every lesion, or with a table only those it flags as PRL (prl = 1).
/// Sets the overlay's label and description.
LabelImage overlay_labels(const Args& a, const Grid& chi_grid, DicomExportOptions& options) {
  LabelImage labels = read_lesion_labels(a.lesions, chi_grid, LesionArgs{});
  std::set<int32_t> present;
  for (int32_t l : labels)
    if (l != 0) present.insert(l);
  if (a.lesions_table.empty()) {
    options.overlay_label = "LESIONS";
    options.overlay_description = "qsmtk: outlines of " + std::to_string(present.size()) + " lesions";
    return labels;
  }
  const Table t = read_tsv(a.lesions_table);
  const std::string id_column = t.has_column("lesion_id") ? "lesion_id" : "index";
  if (!t.has_column(id_column) || !t.has_column("prl"))
    throw std::runtime_error(a.lesions_table +
                             ": needs the columns lesion_id (or index) and prl, as qsmtk lesions writes");
  const size_t ci = t.column(id_column), cp = t.column("prl");
  std::set<int32_t> prls;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    int32_t id = 0;
    try {
      id = std::stoi(t.rows[r][ci]);
    } catch (const std::exception&) {
      throw std::runtime_error(a.lesions_table + ": row " + std::to_string(r + 2) + ": lesion id '" + t.rows[r][ci] +
                               "' is not a number");
    }
    if (!present.count(id))
      throw std::runtime_error(a.lesions_table + ": lesion " + std::to_string(id) + " is not in " + a.lesions +
                               " (is the table from this lesion image?)");
    if (t.rows[r][cp] == "1") prls.insert(id);
  }
  for (int32_t& l : labels)
    if (!prls.count(l)) l = 0;
  options.overlay_label = "PRL";
  options.overlay_description = "qsmtk: outlines of " + std::to_string(prls.size()) + " paramagnetic rim lesions";
  if (prls.empty()) log::info(a.lesions_table + ": no lesion is a PRL; the export has no overlay");
  return labels;
}
}  // namespace

Command export_dicom_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "export-dicom";
  c.summary = "Chi map (and lesion or PRL outlines) as a DICOM series in the source study, for clinical viewers";
  c.description =
      "Writes chi as a derived MR series (classic MR Image Storage, one file per slice, OUT_DIR/CHI_0001.dcm ...) "
      "that joins the study of the DICOM folder it was reconstructed from: the patient, study, frame of reference, "
      "equipment and acquisition attributes are copied from the source, the series and instance UIDs are new, "
      "ImageType is DERIVED\\SECONDARY\\QSM, and every image references its source images. Chi must be on the "
      "grid of a source series (as `qsmtk run --dicom` leaves it: a dcm2niix conversion); its images then have "
      "that series' matrix, orientation and slice positions and lie pixel on pixel over it. Pixel values are chi "
      "in ppb as 16-bit integers (RescaleSlope 1, RescaleIntercept 0, RescaleType PPB), so viewers show and measure "
      "whole ppb and window in ppb; one step is 1 ppb, the range +-32767 ppb (beyond is clipped, with a warning). "
      "--lesions adds each lesion's outline in the slice as a DICOM overlay plane (group 6000, type G) on the chi "
      "images: toggled in the viewer, the chi values under it untouched; with --lesions-table (from qsmtk lesions, "
      "or a BIDS dseg.tsv with index and prl columns) only the PRLs are outlined. The method in the chi's JSON "
      "sidecar becomes the DerivationDescription. OUT_DIR must be new, empty or an earlier export (replaced), and "
      "never the source folder or inside it.";
  c.declare = [a](CLI::App& app) {
    app.add_option("--chi", a->chi, "Susceptibility map (ppm), reconstructed from the --source series")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--source", a->source,
                   "The DICOM folder chi was reconstructed from (patient and study come from it)")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--out", a->out, "Output folder for the DICOM series")->required();
    app.add_option("--lesions", a->lesions,
                   "Lesion labels or mask (resampled to chi's grid when needed): outlined in an overlay plane")
        ->check(CLI::ExistingFile);
    app.add_option("--lesions-table", a->lesions_table, "Lesion table with a prl column: outline only the PRLs")
        ->check(CLI::ExistingFile)
        ->needs("--lesions");
    app.add_option("--series-description", a->series_description, "SeriesDescription (at most 64 characters)")
        ->capture_default_str();
    app.add_option("--series-number", a->series_number,
                   "SeriesNumber (default: the source series' number + 1000, or 999 when it has none)")
        ->check(CLI::Range(1, 2147483647));
    app.add_option("--window-ppb", a->window, "Default window: centre,width in ppb")->capture_default_str();
    app.add_flag("--allow-grid-mismatch", a->allow_grid_mismatch,
                 "Export even when chi is on the grid of no source series (it takes the study's identifiers and "
                 "frame of reference, so it must still be in that scan's coordinates)");
  };
  c.run = [a]() {
    DicomExportOptions options;
    options.series_description = a->series_description;
    options.series_number = a->series_number;
    options.allow_grid_mismatch = a->allow_grid_mismatch;
    const std::vector<double> window = parse_numbers(a->window, "--window-ppb");
    if (window.size() != 2 || !(window[1] > 0))
      throw std::invalid_argument("--window-ppb: give centre,width in ppb with a positive width, e.g. 0,300");
    options.window_centre_ppb = window[0];
    options.window_width_ppb = window[1];

    const Volume chi = read_nifti(a->chi);
    if (chi.frames() != 1)
      throw std::runtime_error(a->chi + ": has " + std::to_string(chi.frames()) +
                               " volumes; the export needs a 3-D chi map");
    options.derivation_description = derivation_from_sidecar(a->chi);
    const DicomSource source = read_dicom_source(a->source);
    const SourceMatch match = match_source_series(chi.grid(), source);
    if (match.series.empty() && !a->allow_grid_mismatch)
      throw std::runtime_error(a->chi + ": its grid (" + chi.grid().describe() + ") is not that of any series in " +
                               a->source + " (" + match.report +
                               "); export the reconstruction of this source, or pass --allow-grid-mismatch");
    LabelImage labels;
    if (!a->lesions.empty()) {
      labels = overlay_labels(*a, chi.grid(), options);
      if (std::none_of(labels.begin(), labels.end(), [](int32_t l) { return l != 0; })) {
        if (a->lesions_table.empty()) log::info(a->lesions + ": no lesions; the export has no overlay");
        labels = LabelImage();
      }
    }

    const DicomExportResult r = export_chi_dicom(chi, labels.empty() ? nullptr : &labels, source, a->out, options);
    std::string from = "no matching source series";
    if (!r.source_series.empty()) {
      const DicomSourceSeries& s = source.series[r.source_series[0]];
      from = "source series " + std::to_string(s.series_number) +
             (s.description.empty() ? "" : " '" + s.description + "'");
    }
    std::printf("%zu slices -> %s (series %d, from %s%s)\n", r.files.size(), a->out.c_str(), r.series_number,
                from.c_str(), r.overlay_pixels > 0 ? ", with lesion outlines" : "");
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
