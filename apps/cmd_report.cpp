// qsmtk report: QC reports for the scans of a `qsmtk run` output folder (one self-contained HTML
// page per scan and a cohort index), optionally with lesion and region tables.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "command.h"
#include "inputs.h"
#include "lesion_options.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/phase/phase_scaling.h"
#include "report_output.h"

namespace qsmtk::app {
namespace fs = std::filesystem;
namespace {

struct Args {
  std::string out_dir, lesions, labels, lut, reference = "none";
  std::vector<std::string> participants;
  std::string session;
  LesionArgs lesion;
};

/// {label}, {subject} and {session} in a path template, from a scan label like sub-01_ses-2.
std::string expand(const std::string& pattern, const std::string& label) {
  std::smatch m;
  std::string subject, session;
  if (std::regex_search(label, m, std::regex("sub-([A-Za-z0-9]+)"))) subject = m[1];
  if (std::regex_search(label, m, std::regex("ses-([A-Za-z0-9]+)"))) session = m[1];
  std::string s = pattern;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{label}", label}, {"{subject}", subject},
                                   {"{session}", session}})
    for (size_t pos; (pos = s.find(key)) != std::string::npos;) s.replace(pos, key.size(), value);
  return s;
}

/// A map of the scan if the run wrote it, else an empty volume.
Volume optional_map(const std::string& prefix, const std::string& suffix, const Grid& grid) {
  const std::string path = prefix + suffix;
  if (!fs::exists(path)) return {};
  Volume v = read_nifti(path);
  if (v.frames() > 1) v = v.extract_frame(0);
  if (!v.grid().same_space(grid)) {
    log::warn(path + ": not on the chi map's grid; left out of the report");
    return {};
  }
  return v;
}

/// The first echo's magnitude and phase (radians) from the inputs the sidecar lists, when they are
/// still where the run read them.
void first_echo(const Json& side, const Grid& grid, ScanReport& r) {
  if (!side.contains("Inputs") || !side["Inputs"].contains("Files")) return;
  const Json& files = side["Inputs"]["Files"];
  if (files.size() < 2) return;
  const std::string mag = files[0].value("File", ""), phase = files[1].value("File", "");
  if (!fs::exists(mag) || !fs::exists(phase)) {
    log::info("the scan's input files are not at " + mag + ": the report shows no magnitude or phase");
    return;
  }
  Volume m = read_nifti(mag), p = read_nifti(phase);
  m = m.frames() > 1 ? m.extract_frame(0) : m;
  p = p.frames() > 1 ? p.extract_frame(0) : p;
  if (!m.grid().same_space(grid) || !p.grid().same_space(grid)) return;
  std::string manufacturer;
  if (side["Inputs"].contains("Metadata") && !side["Inputs"]["Metadata"].empty())
    manufacturer = side["Inputs"]["Metadata"][0].value("Manufacturer", "");
  apply_phase_scaling(p, detect_phase_scaling(p, manufacturer));
  r.magnitude = std::move(m);
  r.wrapped_phase = std::move(p);
}

}  // namespace

/// Loads a scan of a qsmtk run output from its chi map's path (and its siblings).
ScanReport load_scan_report(const std::string& chi_path) {
  ScanReport r;
  const std::string prefix = chi_path.substr(0, chi_path.size() - std::string("_Chimap.nii.gz").size());
  r.title = fs::path(prefix).filename().string();
  r.chi = read_nifti(chi_path);
  if (r.chi.frames() != 1) throw std::runtime_error(chi_path + ": expected a 3-D chi map");
  const Json side = fs::exists(sidecar_path(chi_path)) ? read_json(sidecar_path(chi_path)) : Json::object();
  r.provenance_json = side.dump();
  if (side.contains("EchoTime")) r.echo_times_s = side["EchoTime"].get<std::vector<double>>();
  if (side.contains("Warnings")) r.warnings = side["Warnings"].get<std::vector<std::string>>();
  const Grid& g = r.chi.grid();
  if (fs::exists(prefix + "_desc-brain_mask.nii.gz")) {
    r.brain_mask = read_nifti_mask(prefix + "_desc-brain_mask.nii.gz");
    if (!r.brain_mask.grid().same_space(g)) r.brain_mask = Mask();
  }
  r.total_field_hz = optional_map(prefix, "_desc-total_fieldmap.nii.gz", g);
  r.local_field_hz = optional_map(prefix, "_desc-local_fieldmap.nii.gz", g);
  r.r2star = optional_map(prefix, "_R2starmap.nii.gz", g);
  first_echo(side, g, r);
  r.subtitle = side.contains("GeneratedBy") ? "reconstructed by qsmtk run" : "";
  return r;
}

Command report_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "report";
  c.summary = "QC reports (self-contained HTML) for the scans of a qsmtk run output, and a cohort index";
  c.description =
      "Reads every scan that `qsmtk run` wrote into OUT_DIR (its _Chimap.nii.gz and the maps beside it; the "
      "first echo's magnitude and phase from the input files its sidecar lists, when they are still there) and "
      "writes OUT_DIR/<scan>_report.html: one HTML file that works offline, with an interactive NiiVue viewer "
      "(chi in ppb with lesion outlines and PRLs, next to magnitude, mask, total and local field or R2*, "
      "crosshairs synced), slice strips of each pipeline stage (PNG), a chi histogram, lesion and region charts "
      "and tables, automatic QC warnings (mask at the field of view's edge, brain volume, extreme chi, field "
      "jumps that suggest unwrapping errors, and the run's own warnings) and the provenance. OUT_DIR/index.html "
      "lists every scan with a report and plots the cohort's numbers. `qsmtk run` writes the same reports at the "
      "end of each scan unless --no-report.\n\n"
      "--lesions and --labels take a path or a template with {label} (e.g. sub-01_ses-2), {subject} and "
      "{session}: with lesions, the report adds the `qsmtk lesions` table and marks the PRLs; with labels, the "
      "`qsmtk roistats` table.";
  c.declare = [a](CLI::App& app) {
    app.add_option("OUT_DIR", a->out_dir, "Output folder of qsmtk run")->required()->check(CLI::ExistingDirectory);
    app.add_option("--participant-label", a->participants, "Only these participants (without sub-)");
    app.add_option("--session", a->session, "Only this session (without ses-)");
    app.add_option("--lesions", a->lesions, "Lesion image per scan: path or template with {label}, {subject}, {session}");
    app.add_option("--labels", a->labels, "Region labels per scan: path or template (as --lesions)");
    app.add_option("--lut", a->lut, "Label names for --labels: BIDS TSV or FreeSurferColorLUT.txt")->check(CLI::ExistingFile);
    app.add_option("--reference", a->reference, "Region reference for --labels: brain, csf, none or a label name")
        ->capture_default_str();
    declare_lesion_options(app, a->lesion);
  };
  c.run = [a]() {
    check_output_folder(a->out_dir);
    std::vector<std::string> chi_maps;
    for (const auto& e : fs::recursive_directory_iterator(a->out_dir)) {
      const std::string name = e.path().filename().string();
      if (!e.is_regular_file() || !name.ends_with("_Chimap.nii.gz") || !name.starts_with("sub-")) continue;
      const std::string label = name.substr(0, name.size() - std::string("_Chimap.nii.gz").size());
      if (label.find("_desc-") != std::string::npos) continue;  // e.g. chi-separation parts
      bool wanted = a->participants.empty();
      for (const auto& p : a->participants) wanted |= label.starts_with("sub-" + p + "_") || label == "sub-" + p;
      if (!a->session.empty()) wanted &= label.find("_ses-" + a->session) != std::string::npos;
      if (wanted) chi_maps.push_back(e.path().string());
    }
    std::sort(chi_maps.begin(), chi_maps.end());
    if (chi_maps.empty()) throw std::runtime_error(a->out_dir + ": no chi maps (sub-*_Chimap.nii.gz) of qsmtk run found");
    int failed = 0;
    for (const std::string& chi_path : chi_maps) {
      try {
        ScanReport r = load_scan_report(chi_path);
        const std::string label = r.title;
        if (!a->lesions.empty()) {
          const std::string path = expand(a->lesions, label);
          r.lesions = read_lesion_labels(path, r.chi.grid(), a->lesion);
          const LesionAnalysis la =
              analyse_lesions(r.chi, r.lesions, a->lesion.analysis, r.brain_mask.empty() ? nullptr : &r.brain_mask);
          ReportTable t{"lesions", "Lesions (" + path + ")", lesion_table(la), {}};
          for (size_t i = 0; i < la.lesions.size(); ++i)
            if (la.lesions[i].prl) r.prl_ids.insert(la.lesions[i].id), t.highlighted_rows.insert(i);
          r.tables.push_back(std::move(t));
        }
        if (!a->labels.empty()) {
          const std::string path = expand(a->labels, label);
          LabelImage labels = read_nifti_labels(path);
          if (!labels.grid().same_space(r.chi.grid())) labels = resample_nearest(labels, r.chi.grid());
          RoiStatsOptions o;
          set_roi_reference(o, a->reference);
          const RoiStatsResult rs = roi_stats(r.chi, labels, read_label_names(path, a->lut), o,
                                              r.brain_mask.empty() ? nullptr : &r.brain_mask);
          Table t;
          t.columns = {"label", "name", "voxels", "mean_chi_ppb", "median_chi_ppb", "sd_chi_ppb"};
          for (const RegionStats& s : rs.regions)
            t.rows.push_back({std::to_string(s.label), s.name, std::to_string(s.voxels), tsv_number(s.mean_chi_ppb),
                              tsv_number(s.median_chi_ppb), tsv_number(s.sd_chi_ppb)});
          r.tables.push_back({"regions", "Regions (" + path + ", reference " + rs.reference_description + ")", t, {}});
        }
        const auto automatic = qc_warnings(r);
        r.warnings.insert(r.warnings.end(), automatic.begin(), automatic.end());
        std::printf("%s -> %s\n", label.c_str(), write_scan_report(r, a->out_dir, label).c_str());
      } catch (const std::exception& e) {
        log::error(chi_path + ": " + e.what());
        ++failed;
      }
    }
    const std::string index = write_cohort_index(a->out_dir);
    if (!index.empty()) std::printf("index -> %s\n", index.c_str());
    return failed ? 1 : 0;
  };
  return c;
}

}  // namespace qsmtk::app
