// qsmtk run: the whole pipeline (field map, background removal, dipole inversion, referencing) for
// one scan or a cohort, BIDS-App style. One failing scan does not stop the others; complete and
// up-to-date outputs are skipped; --jobs runs scans as parallel copies of this program.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include <sys/resource.h>

#include "command.h"
#include "inputs.h"
#include "method_options.h"
#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/strings.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"
#include "qsmtk/pipeline/pipeline.h"
#include "qsmtk/process.h"
#include "qsmtk/version.h"
#include "report_output.h"

namespace qsmtk::app {
namespace {
namespace fs = std::filesystem;

struct Args {
  std::vector<std::string> positional;
  InputArgs in;
  FieldMapArgs fm;
  BackgroundArgs bg;
  InversionArgs inv;
  std::string reference = "brain", csf_mask, b0_dir, preset = "default", only_scan, config;
  bool no_report = false;
  bool force = false, print_config = false;
  int jobs = 1;
  CLI::App* app = nullptr;
  std::string out_dir;  // resolved from the positionals
};

/// A preset sets some options unless they were given (on the command line or in a config file).
/// Sets an option as if it had been given (its checks run, --print-config shows it).
void set_option(CLI::Option* opt, const std::vector<std::string>& values, const std::string& where) {
  try {
    opt->add_result(values);
    opt->run_callback();
  } catch (const CLI::Error& e) {
    throw std::invalid_argument(where + ": " + opt->get_name() + ": " + e.what());
  }
}

/// Settings from a TOML file for every option not given on the command line (which wins).
void apply_config(Args& a) {
  if (a.config.empty()) return;
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(a.config);
  } catch (const std::exception& e) {
    throw std::invalid_argument(a.config + ": not a readable TOML file (" + e.what() + ")");
  }
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    CLI::Option* opt = a.app->get_option_no_throw("--" + item.name);
    if (!opt) opt = a.app->get_option_no_throw(item.name);
    if (!opt || !opt->get_configurable())
      throw std::invalid_argument(a.config + ": unknown setting '" + item.name + "'");
    // Given on the command line (which wins), "" (unset, as --print-config writes it) or the
    // built-in default (so a preset still applies to a file --print-config wrote).
    const bool unset = item.inputs.empty() || (item.inputs.size() == 1 && item.inputs[0].empty());
    const bool is_default = item.inputs.size() == 1 && item.inputs[0] == opt->get_default_str();
    if (opt->count() > 0 || unset || is_default) continue;
    set_option(opt, item.inputs, a.config);
  }
}

void apply_preset(Args& a) {
  for (const PipelinePreset& p : pipeline_presets()) {
    if (p.name != a.preset) continue;
    for (const auto& [option, value] : p.values) {
      CLI::Option* opt = a.app->get_option(option);
      if (opt->count() == 0) set_option(opt, {value}, "preset " + p.name);
    }
    return;
  }
  throw std::invalid_argument("unknown preset '" + a.preset + "'");
}

/// A file's name, size and modification time.
Json file_stamp(const std::string& f) {
  std::error_code ec;
  return {{"File", f},
          {"Bytes", int64_t(fs::file_size(f, ec))},
          {"Modified", int64_t(fs::last_write_time(f, ec).time_since_epoch().count())}};
}

/// Every setting that changes the outputs (the up-to-date check compares it), read from the
/// options themselves after config and preset were applied, so a new option is covered without
/// listing it here. Left out: what selects scans or runs them, and the input files (fingerprinted
/// with their contents' sizes and times in input_fingerprint).
Json settings_json(const Args& a) {
  static const std::set<std::string> not_settings = {"--force", "--jobs", "--participant-label", "--session",
                                                     "--bids",  "--dicom", "--mag",              "--phase",
                                                     "--no-report"};
  Json s = Json::object();
  for (const CLI::Option* opt : a.app->get_options()) {
    const std::string name = opt->get_name(false, true);
    if (!opt->get_configurable() || name.rfind("--", 0) != 0 || not_settings.count(name)) continue;
    s[name] = opt->count() > 0 ? Json(opt->results()) : Json(opt->get_default_str());
  }
  // Files named by settings: their contents count too.
  s["MaskFiles"] = Json::array();
  for (const std::string& f : {a.fm.mask, a.csf_mask})
    if (!f.empty()) s["MaskFiles"].push_back(file_stamp(f));
  return s;
}

/// The inputs as they stand: each image's size and time (for DICOM, every file of the source
/// folder, since the converted files are new on every run) and its sidecar metadata. A changed
/// input makes a scan out of date.
Json input_fingerprint(const InputScan& scan, const std::string& dicom_dir) {
  Json j;
  if (scan.files.source == "dicom") {
    // (file_time_type's epoch is the library's own: counts may be negative.)
    int64_t files = 0, bytes = 0, newest = std::numeric_limits<int64_t>::min();
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dicom_dir, ec)) {
      if (!e.is_regular_file(ec)) continue;
      ++files, bytes += int64_t(e.file_size(ec));
      newest = std::max<int64_t>(newest, e.last_write_time(ec).time_since_epoch().count());
    }
    j["Dicom"] = {{"Folder", fs::absolute(dicom_dir).string()}, {"Files", files}, {"Bytes", bytes}, {"Newest", newest}};
    j["Series"] = Json::array();
    for (const EchoFiles& e : scan.files.echoes)
      for (const std::string& f : {e.magnitude, e.phase, e.real, e.imaginary})
        if (!f.empty()) j["Series"].push_back(fs::path(f).filename().string());
  } else {
    j["Files"] = Json::array();
    for (const EchoFiles& e : scan.files.echoes)
      for (const std::string& f : {e.magnitude, e.phase, e.real, e.imaginary})
        if (!f.empty()) j["Files"].push_back(file_stamp(f));
  }
  j["Metadata"] = scan.files.metadata;
  return j;
}

struct ScanPaths {
  std::string dir, prefix, chi, log;
};

ScanPaths scan_paths(const InputScan& scan, const std::string& out_dir) {
  ScanPaths p;
  p.dir = scan.files.entities.anat_dir(out_dir);
  p.prefix = (fs::path(p.dir) / scan.label).string();
  p.chi = p.prefix + "_Chimap.nii.gz";
  p.log = (fs::path(out_dir) / "logs" / (scan.label + ".log")).string();
  return p;
}

/// The chi map is written last, after its sidecar, which records the settings, the inputs and
/// every output: a scan is up to date when it matches and every output is there.
bool up_to_date(const ScanPaths& p, const Json& fingerprint) {
  const std::string side = sidecar_path(p.chi);
  if (!fs::exists(side) || !fs::exists(p.chi)) return false;
  try {
    const Json j = read_json(side);
    if (!j.contains("QsmtkRun") || j["QsmtkRun"].value("Fingerprint", Json()) != fingerprint) return false;
    for (const auto& f : j.at("QsmtkRun").at("Outputs"))
      if (!fs::exists(fs::path(p.dir) / f.get<std::string>())) return false;
    return true;
  } catch (const std::exception&) {
    return false;  // unreadable: redo
  }
}

/// This process's peak resident memory so far (MiB): the scan's own peak when it runs alone or
/// under --jobs, the highest of the scans so far in a sequential cohort run.
double peak_memory_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

/// How many of `jobs` scans can run at once in the memory there is: each is taken at the size of
/// the largest (scans whose headers cannot be read are left for their own process to report).
int jobs_that_fit(const std::vector<InputScan>& scans, const std::vector<size_t>& todo, const Args& a, int jobs) {
  PipelineOptions o;
  o.inversion = parse_inversion_method(a.inv.method);
  o.fieldmap.swi = a.fm.swi;
  int64_t largest = 0;
  for (size_t i : todo) {
    try {
      const auto [grid, echoes] = scans[i].size();
      largest = std::max(largest, estimate_pipeline_peak_bytes(grid.voxels(), echoes, o));
    } catch (const std::exception&) {
    }
  }
  const int64_t budget = memory_budget_bytes();
  if (largest <= 0 || budget < 0 || largest * jobs <= budget) return jobs;
  const int fit = int(std::max<int64_t>(1, budget / largest));
  log::warn("running " + std::to_string(fit) + " scan(s) at a time instead of " + std::to_string(jobs) +
            ": each needs up to " + gib_text(largest) + " and " + gib_text(budget) + " are available");
  return fit;
}

/// Runs the pipeline on one scan and writes its outputs; returns the seconds taken.
double process_scan(const InputScan& scan, const Args& a, const Json& fingerprint) {
  const auto t0 = std::chrono::steady_clock::now();
  const ScanPaths p = scan_paths(scan, a.out_dir);
  log::info("== " + scan.label);
  Mask user_mask, csf;
  if (!a.fm.mask.empty()) user_mask = read_nifti_mask(a.fm.mask);
  if (!a.csf_mask.empty()) csf = read_nifti_mask(a.csf_mask);
  PipelineOptions o;
  o.fieldmap = fieldmap_options(a.fm, a.fm.mask.empty() ? nullptr : &user_mask);
  o.background = parse_background_method(a.bg.method);
  o.background_options = background_options(a.bg);
  o.inversion = parse_inversion_method(a.inv.method);
  o.inversion_options = inversion_options(a.inv);
  o.reference = parse_reference_region(a.reference);
  o.csf_mask = a.csf_mask.empty() ? nullptr : &csf;
  const auto [grid, echoes] = scan.size();
  const int64_t estimate = estimate_pipeline_peak_bytes(grid.voxels(), echoes, o);
  require_memory(estimate, "the scan (" + std::to_string(echoes) + " echoes of " + grid.describe() + ", " + a.inv.method + ")");
  const MultiEchoData d = scan.load(a.in);
  if (!a.b0_dir.empty()) o.b0_direction = resolve_b0(d.phase.grid(), a.b0_dir);
  const PipelineResult r = run_pipeline(d, o);

  make_directories(p.dir);
  Json side;
  side["GeneratedBy"] = qsmtk_generated_by("qsmtk run");
  side["Inputs"] = input_fingerprint(scan, a.in.dicom);
  side.update(pipeline_record(d, a.fm, o, r, a.preset, a.csf_mask));
  std::vector<std::string> warnings = d.warnings;
  warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());

  std::vector<std::string> outputs;
  std::vector<std::function<void()>> tasks;
  auto save = [&](const std::string& suffix, const auto& image, const std::string& units, const std::string& what) {
    outputs.push_back(scan.label + suffix);
    tasks.push_back([&, suffix, units, what] {
      write_nifti(p.prefix + suffix, image, what);
      Json j = side;
      j["Units"] = units;
      j["Description"] = what;
      write_json(sidecar_path(p.prefix + suffix), j);
    });
  };
  save("_desc-brain_mask.nii.gz", r.local.mask, "", "brain mask the reconstruction used");
  save("_desc-total_fieldmap.nii.gz", r.fieldmap.fit.field_hz, "Hz", "total field (unwrapped, echo-combined)");
  save("_desc-totalnoise_fieldmap.nii.gz", r.fieldmap.fit.noise_hz, "Hz", "standard deviation of the total field");
  save("_desc-local_fieldmap.nii.gz", r.local.field, "Hz", "local field (background removed)");
  if (!r.fieldmap.r2star.r2star.empty()) {
    save("_R2starmap.nii.gz", r.fieldmap.r2star.r2star, "1/s", "R2*");
    save("_T2starmap.nii.gz", r.fieldmap.r2star.t2star, "s", "T2*");
  }
  if (!r.fieldmap.swi.swi.empty()) {
    save("_swi.nii.gz", r.fieldmap.swi.swi, "arbitrary", "susceptibility-weighted image");
    save("_desc-minip_swi.nii.gz", r.fieldmap.swi.minip, "arbitrary", "minimum-intensity projection of the SWI");
  }
  if (!r.csf.empty()) save("_desc-csf_mask.nii.gz", r.csf, "", "CSF mask (reference region and MEDI+0)");
  // The earlier run's record of its outputs, then its chi map and sidecar go first: from here
  // until the new pair is written the scan is incomplete, also if interrupted.
  std::vector<std::string> earlier_outputs;
  try {
    if (fs::exists(sidecar_path(p.chi))) {
      // Kept in a variable: a range-for over a member of a temporary reads freed memory (ASan).
      const Json earlier = read_json(sidecar_path(p.chi));
      for (const auto& f : earlier.at("QsmtkRun").at("Outputs")) earlier_outputs.push_back(f.get<std::string>());
    }
  } catch (const std::exception&) {
    // no readable record of earlier outputs: nothing to remove
  }
  {
    std::error_code ec;
    fs::remove(p.chi, ec);
    fs::remove(sidecar_path(p.chi), ec);
  }
  run_tasks(tasks);
  // Outputs of an earlier run that this one does not make (e.g. a CSF mask no longer used) go.
  for (const std::string& name : earlier_outputs) {
    if (std::find(outputs.begin(), outputs.end(), name) != outputs.end() || name == scan.label + "_Chimap.nii.gz")
      continue;
    std::error_code ec;
    fs::remove(fs::path(p.dir) / name, ec);
    fs::remove(sidecar_path((fs::path(p.dir) / name).string()), ec);
  }
  // The chi sidecar, then the chi map last: the pair marks the scan complete (up_to_date), and
  // a chi map never exists without its sidecar, even when a signal ends the run in between.
  outputs.push_back(scan.label + "_Chimap.nii.gz");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  side["TimingSeconds"]["total"] = seconds;
  side["Units"] = "ppm";
  side["Description"] = "magnetic susceptibility relative to the reference region";
  side["QsmtkRun"] = {{"Fingerprint", fingerprint}, {"Outputs", outputs}, {"ProcessPeakMemoryMiB", peak_memory_mib()},
                       {"EstimatedPeakMemoryMiB", std::round(double(estimate) / (1 << 20))}};
  write_json(sidecar_path(p.chi), side);
  write_nifti(p.chi, r.chi, "susceptibility (ppm)");
  if (!a.no_report) {
    // The QC report from what is in memory; a failure here leaves the scan's outputs complete.
    try {
      ScanReport rep;
      rep.title = scan.label;
      rep.subtitle = "reconstructed by qsmtk run";
      rep.chi = r.chi;
      rep.brain_mask = r.local.mask;
      rep.magnitude = d.magnitude.extract_frame(0);
      rep.wrapped_phase = d.phase.extract_frame(0);
      if (!r.fieldmap.unwrapped.empty()) rep.unwrapped_phase = r.fieldmap.unwrapped.extract_frame(0);
      rep.total_field_hz = r.fieldmap.fit.field_hz;
      rep.local_field_hz = r.local.field;
      rep.r2star = r.fieldmap.r2star.r2star;
      rep.echo_times_s = d.echo_times_s;
      rep.provenance_json = side.dump();
      rep.warnings = warnings;
      const auto automatic = qc_warnings(rep);
      rep.warnings.insert(rep.warnings.end(), automatic.begin(), automatic.end());
      for (const auto& w : automatic) log::warn(scan.label + ": " + w);
      write_scan_report(rep, a.out_dir, scan.label);
    } catch (const std::exception& e) {
      log::warn(scan.label + ": the QC report was not written: " + e.what());
    }
  }
  return seconds;
}

/// Why a child failed, for the summary: the last error line it wrote to its log (after `from`,
/// the log's size when it started), or the signal that killed it.
std::string child_failure(const std::string& log_path, std::uintmax_t from, int rc) {
  std::ifstream f(log_path);
  f.seekg(std::streamoff(from));
  std::string line, found;
  while (std::getline(f, line))
    if (line.find("error:") != std::string::npos) found = line;
  if (!found.empty()) return found;
  if (rc > 128) return "killed by signal " + std::to_string(rc - 128) + " (see " + log_path + ")";
  return "failed (see " + log_path + ")";
}

/// Arguments for a child that processes one scan: ours without --jobs/--threads/--config values.
std::vector<std::string> child_arguments(const std::string& label, int threads) {
  std::vector<std::string> out{"/proc/self/exe"};
  const std::vector<std::string>& argv = invocation();
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s == "--jobs" || s == "-j" || s == "--threads" || s == "--only-scan") {
      ++i;
      continue;
    }
    if (s.rfind("--jobs=", 0) == 0 || s.rfind("--threads=", 0) == 0 || s.rfind("--only-scan=", 0) == 0 ||
        (s.size() > 2 && s.rfind("-j", 0) == 0 && std::isdigit(static_cast<unsigned char>(s[2]))))
      continue;
    out.push_back(s);
  }
  for (const std::string& s : {std::string("--only-scan"), label, std::string("--jobs"), std::string("1"),
                               std::string("--threads"), std::to_string(threads)})
    out.push_back(s);
  return out;
}

void resolve_positionals(Args& a) {
  const auto& p = a.positional;
  const bool other_source = !a.in.dicom.empty() || !a.in.magnitude.empty() || !a.in.phase.empty() || !a.in.bids.empty();
  if (other_source) {
    if (p.size() == 2 && !a.in.bids.empty() && p[1] == "participant") {
      a.out_dir = p[0];
    } else if (p.size() != 1) {
      throw std::invalid_argument("with --dicom, --bids or --mag/--phase give only OUT_DIR");
    } else {
      a.out_dir = p[0];
    }
  } else {
    if (p.size() != 3) throw std::invalid_argument("usage: qsmtk run BIDS_DIR OUT_DIR participant (or --dicom DIR OUT_DIR)");
    if (p[2] != "participant")
      throw std::invalid_argument("analysis level '" + p[2] + "': qsmtk run has only the 'participant' level");
    if (!fs::is_directory(p[0])) throw std::invalid_argument(p[0] + ": BIDS_DIR is not a folder");
    a.in.bids = p[0];
    a.out_dir = p[1];
  }
}

}  // namespace

Command run_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "run";
  c.summary = "The whole pipeline, BIDS dataset or DICOM folder to chi maps, for one scan or a cohort";
  c.description =
      "Forms: 'qsmtk run BIDS_DIR OUT_DIR participant [--participant-label L ...] [--session S]' (every MEGRE "
      "acquisition of the chosen participants: sessions, acq and run entities), 'qsmtk run --dicom DICOM_DIR "
      "OUT_DIR' (converted with dcm2niix, then processed the same way) and 'qsmtk run --mag M.nii.gz --phase "
      "P.nii.gz --echo-times 5,10,15ms --field-strength 3 OUT_DIR' for plain files.\n\n"
      "Each scan goes through field mapping (brain mask, receiver phase offset, unwrapping, echo fit with noise map, "
      "R2*), background field removal (default PDF, noise-weighted), dipole inversion (default MEDI) and "
      "referencing (default: the brain mask's mean is 0; csf: a CSF mask, given or from R2*; none). OUT_DIR becomes "
      "a BIDS derivatives dataset with, per scan in anat/: _Chimap (ppm), _desc-brain_mask, _desc-total_fieldmap and "
      "_desc-local_fieldmap (Hz), _desc-totalnoise_fieldmap (Hz), _R2starmap (1/s) and _T2starmap (s) with 3 or "
      "more echoes, _desc-csf_mask when CSF was used; every file has a JSON sidecar with the qsmtk version, "
      "inputs, every method and parameter (automatically chosen ones included), B0 direction, echo times, field "
      "strength, reference and timings. Logs go to OUT_DIR/logs/<scan>.log.\n\n"
      "Settings come from, in rising priority: the built-in defaults, --preset, a TOML --config file (write the full "
      "default one with --print-config) and the command line. A scan whose outputs are complete and were made "
      "from the same inputs and settings is skipped (--force redoes it). One failing scan does not stop the others; "
      "a summary ends the run and the exit code is 1 if any scan failed. --jobs N processes N scans at once as "
      "separate processes, sharing the threads between them. Outputs are written under temporary names and renamed "
      "when complete.";
  c.references = {
      "Gorgolewski KJ et al. BIDS apps: improving ease of use, accessibility, and reproducibility of neuroimaging "
      "data analysis methods. PLoS Comput Biol 2017;13:e1005209.",
      "QSM Consensus Organization Committee. Recommended implementation of quantitative susceptibility mapping for "
      "clinical research in the brain: a consensus of the ISMRM electro-magnetic tissue properties study group. "
      "MRM 2024;91:1834-1862."};
  c.declare = [a](CLI::App& app) {
    a->app = &app;
    app.add_option("ARGS", a->positional, "BIDS_DIR OUT_DIR participant, or OUT_DIR with --dicom/--mag/--phase")
        ->expected(1, 3)
        ->configurable(false);
    declare_inputs(app, a->in);
    declare_fieldmap_options(app, a->fm);
    declare_background_options(app, a->bg);
    declare_inversion_options(app, a->inv);
    declare_b0_option(app, a->b0_dir);
    const std::string g = "Pipeline";
    std::string preset_help = "Settings for common cases:";
    for (const PipelinePreset& p : pipeline_presets()) preset_help += " " + p.name + " (" + p.summary + ");";
    app.add_option("--preset", a->preset, preset_help)
        ->check(CLI::IsMember({"fast", "default", "best"}))
        ->capture_default_str()
        ->group(g);
    app.add_option("--reference", a->reference, "Reference region set to 0: brain (mask mean), csf, or none")
        ->check(CLI::IsMember({"brain", "csf", "none"}))
        ->capture_default_str()
        ->group(g);
    app.add_option("--csf-mask", a->csf_mask, "CSF mask for --reference csf and MEDI+0 (default: from R2*)")
        ->check(CLI::ExistingFile)
        ->group(g);
    app.add_option("--config", a->config, "Read settings from this TOML file (option names without '--')")
        ->check(CLI::ExistingFile)
        ->configurable(false)
        ->group(g);
    app.add_flag("--print-config", a->print_config, "Print the full configuration (TOML) and exit")
        ->configurable(false)
        ->group(g);
    app.add_flag("--force", a->force, "Redo scans whose outputs are complete and up to date")->group(g);
    app.add_flag("--no-report", a->no_report,
                 "Write no QC report (OUT_DIR/<scan>_report.html and index.html; see qsmtk report)")
        ->group(g);
    app.add_option("-j,--jobs", a->jobs, "Scans processed at once (separate processes)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str()
        ->group(g);
    app.add_option("--only-scan", a->only_scan, "Process only this scan (used by --jobs)")->configurable(false)->group("");
  };
  c.run = [a]() {
    apply_config(*a);
    apply_preset(*a);
    if (a->print_config) {
      std::cout << "# qsmtk " << version() << ": settings of 'qsmtk run' (use with --config FILE)\n"
                << a->app->config_to_str(true, true) << "\n";
      return 0;
    }
    resolve_positionals(*a);
    check_output_folder(a->out_dir, input_paths(a->in));
    make_directories((fs::path(a->out_dir) / "logs").string());
    std::vector<InputScan> scans = find_inputs(a->in, a->out_dir);
    if (!a->only_scan.empty()) {
      std::erase_if(scans, [&](const InputScan& s) { return s.label != a->only_scan; });
      if (scans.empty()) throw std::invalid_argument("no scan named " + a->only_scan);
    }
    const Json settings = settings_json(*a);
    struct Outcome {
      std::string status;  // done | skipped | failed
      std::string message;
      double seconds = 0;
    };
    std::vector<Outcome> outcomes(scans.size());
    std::vector<size_t> todo;
    std::vector<Json> fingerprints(scans.size());
    for (size_t i = 0; i < scans.size(); ++i) {
      fingerprints[i] = {{"Settings", settings}, {"Inputs", input_fingerprint(scans[i], a->in.dicom)}, {"Version", version()}};
      if (!a->force && up_to_date(scan_paths(scans[i], a->out_dir), fingerprints[i])) {
        outcomes[i] = {"skipped", "outputs complete and up to date", 0};
        log::info(scans[i].label + ": up to date, skipped (--force redoes it)");
      } else {
        todo.push_back(i);
      }
    }
    const bool child = !a->only_scan.empty();
    int jobs = std::min<int>(a->jobs, int(todo.size()));
    if (jobs > 1) jobs = jobs_that_fit(scans, todo, *a, jobs);
    if (jobs > 1 && scans.front().files.source != "dicom") {
      const int threads_each = std::max(1, threads() / jobs);
      log::info("processing " + std::to_string(todo.size()) + " scans, " + std::to_string(jobs) + " at a time, " +
                std::to_string(threads_each) + " threads each; logs in " + a->out_dir + "/logs");
      {
        // On SIGINT/SIGTERM the children get the signal and clean up; we wait for them, then end.
        DeferTermination defer;
        std::atomic<size_t> next{0};
        std::mutex m;
        std::vector<std::thread> pool;
        for (int w = 0; w < jobs; ++w)
          pool.emplace_back([&] {
            for (size_t k; !termination_signal() && (k = next++) < todo.size();) {
              const size_t i = todo[k];
              const ScanPaths p = scan_paths(scans[i], a->out_dir);
              const auto t0 = std::chrono::steady_clock::now();
              std::error_code ec;
              const std::uintmax_t log_start = fs::exists(p.log) ? fs::file_size(p.log, ec) : 0;
              int rc = 1;
              try {
                rc = run_program(child_arguments(scans[i].label, threads_each), p.log);
              } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(m);
                outcomes[i].message = e.what();
              }
              if (termination_signal()) return;  // interrupted, not failed: no summary
              const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
              std::lock_guard<std::mutex> lock(m);
              outcomes[i].seconds = s;
              outcomes[i].status = rc == 0 ? "done" : "failed";
              if (rc != 0 && outcomes[i].message.empty()) outcomes[i].message = child_failure(p.log, log_start, rc);
              log::info(scans[i].label + (rc == 0 ? ": done" : ": FAILED"));
            }
          });
        for (auto& t : pool) t.join();
      }
      end_if_terminated();
    } else {
      for (size_t i : todo) {
        const ScanPaths p = scan_paths(scans[i], a->out_dir);
        if (!child) log::set_scan_file(p.log);
        try {
          outcomes[i] = {"done", "", process_scan(scans[i], *a, fingerprints[i])};
        } catch (const std::exception& e) {
          outcomes[i] = {"failed", e.what(), 0};
          // The summary below prints it; a child's summary goes to its log.
          log::error_to_files(scans[i].label + ": " + e.what());
        }
        if (!child) log::set_scan_file("");
      }
    }
    int failed = 0;
    // The folder becomes a derivatives dataset with its first results (a failed run leaves only logs).
    const bool any_result = std::any_of(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.status != "failed"; });
    if (!child && any_result && !fs::exists(fs::path(a->out_dir) / "dataset_description.json"))
      write_dataset_description(a->out_dir, "qsmtk", true, "qsmtk run");
    if (!child) std::printf("qsmtk run: %zu scan(s) in %s\n", scans.size(), a->out_dir.c_str());
    for (size_t i = 0; i < scans.size(); ++i) {
      const Outcome& o = outcomes[i];
      failed += o.status == "failed";
      if (child && o.status != "failed") continue;
      if (o.status == "done")
        std::printf("  %-40s done in %.1f s -> %s\n", scans[i].label.c_str(), o.seconds,
                    scan_paths(scans[i], a->out_dir).chi.c_str());
      else if (o.status == "skipped")
        std::printf("  %-40s skipped (%s)\n", scans[i].label.c_str(), o.message.c_str());
      else
        std::fprintf(stderr, "qsmtk run: error: %s: %s\n", scans[i].label.c_str(), o.message.c_str());
    }
    if (!child && !a->no_report) {
      const std::string index = write_cohort_index(a->out_dir);
      if (!index.empty()) std::printf("  QC reports: %s\n", index.c_str());
    }
    if (!child && failed) std::printf("%d of %zu scan(s) failed\n", failed, scans.size());
    return failed ? 1 : 0;
  };
  return c;
}

}  // namespace qsmtk::app
