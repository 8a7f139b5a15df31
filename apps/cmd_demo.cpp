// qsmtk demo: simulate the built-in phantom, reconstruct it with the default pipeline of this
// release and print the accuracy against the truth and where everything is.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lesion_options.h"
#include "report_output.h"
#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/inversion/inversion.h"
#include "method_options.h"
#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/metrics.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/pipeline/pipeline.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"
#include "qsmtk/sim/simulation_io.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string out_dir = "qsmtk-demo", size = "default", case_name = "std";
  uint64_t seed = 1;
};
}  // namespace

Command demo_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "demo";
  c.summary = "Simulate the built-in phantom, reconstruct it and report the accuracy against the truth";
  c.description =
      "Writes OUT_DIR/bids (the simulated BIDS dataset, ground truth in OUT_DIR/bids/derivatives/truth) and "
      "OUT_DIR/derivatives/qsmtk (the reconstruction: brain mask, total and local field maps and chi, with JSON "
      "sidecars and accuracy.json). The pipeline runs on the simulated scan: field mapping (mask, phase offset, "
      "unwrapping, echo fit), background removal (the default method, PDF weighted by the field's noise map) and the "
      "default dipole inversion (MEDI with the first echo's magnitude edges and noise weights). Each step's error "
      "against the truth is printed.";
  c.declare = [a](CLI::App& app) {
    app.add_option("OUT_DIR", a->out_dir, "Output folder")->capture_default_str();
    app.add_option("--size", a->size, "Phantom size")->check(CLI::IsMember({"small", "default"}))->capture_default_str();
    app.add_option("--case", a->case_name, "Simulation case")
        ->check(CLI::IsMember({"std", "oblique", "aniso", "lowsnr", "7t"}))
        ->capture_default_str();
    app.add_option("--seed", a->seed, "Phantom seed")->capture_default_str();
  };
  c.run = [a]() {
    check_output_folder(a->out_dir);
    namespace fs = std::filesystem;
    const auto t0 = std::chrono::steady_clock::now();
    SimulationOptions o;
    o.acquisition = simulation_case(a->case_name, a->size);
    o.seed = a->seed;
    const Simulation s = simulate_phantom(o);
    BidsEntities e;
    e.subject = "01";
    const std::string bids = (fs::path(a->out_dir) / "bids").string();
    const SimulationPaths p = write_simulation(s, bids, e, "qsmtk built-in head phantom (qsmtk demo)");

    // The default pipeline of `qsmtk run`, on the simulated scan in memory.
    MultiEchoData scan;
    scan.magnitude = s.magnitude;
    scan.phase = s.phase;
    scan.echo_times_s = o.acquisition.echo_times_s;
    scan.b0_tesla = o.acquisition.b0_tesla;
    PipelineOptions pipeline_options;
    pipeline_options.b0_direction = s.b0_direction;
    const PipelineResult result = run_pipeline(scan, pipeline_options);
    const FieldMapResult& fm = result.fieldmap;
    const LocalField& local = result.local;
    const InversionResult& inversion = result.inversion;
    const Volume& chi = result.chi;
    const Mask inner = erode(fm.mask, 2.0);
    double bias = 0, field_se = 0;
    int64_t field_n = 0;
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (inner[q] && s.brain_mask[q]) bias += fm.fit.field_hz[q] - s.total_field_hz[q], ++field_n;
    bias /= double(std::max<int64_t>(field_n, 1));
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (inner[q] && s.brain_mask[q]) field_se += std::pow(fm.fit.field_hz[q] - s.total_field_hz[q] - bias, 2);
    double fm_seconds = 0;
    for (const auto& [step, sec] : fm.seconds) fm_seconds += sec;
    Mask scored(fm.mask.grid());  // where both the reconstruction and the truth have brain
    for (int64_t q = 0; q < scored.voxels(); ++q) scored[q] = local.mask[q] && s.brain_mask[q];
    const double local_nrmse = nrmse_percent(s.local_field_hz, local.field, scored);

    const std::string deriv = (fs::path(a->out_dir) / "derivatives" / "qsmtk").string();
    write_dataset_description(deriv, "qsmtk demo reconstruction", true, "qsmtk demo");
    const std::string anat = e.anat_dir(deriv);
    make_directories(anat);
    const std::string prefix = (fs::path(anat) / e.prefix()).string();
    const std::string chi_path = prefix + "_Chimap.nii.gz";
    Json side;
    side["Inputs"] = {p.magnitude, p.phase};
    side["EchoTime"] = o.acquisition.echo_times_s;
    side["MagneticFieldStrength"] = o.acquisition.b0_tesla;
    side["B0Direction"] = {s.b0_direction[0], s.b0_direction[1], s.b0_direction[2]};
    side["FieldMap"] = {{"Mask", "bet+csf"}, {"PhaseOffset", "mcpc3ds"}, {"Unwrap", "romeo"}, {"EchoFit", "linear"}};
    side["BackgroundRemoval"] = {{"Method", to_string(kDefaultBackgroundMethod)}, {"Iterations", local.iterations},
                                 {"NoiseWeighted", true}};
    side["Inversion"] = inversion_json(pipeline_options.inversion, pipeline_options.inversion_options, inversion);
    side["GeneratedBy"] = qsmtk_generated_by("qsmtk demo");
    auto save = [&](const std::string& path, const auto& image, const std::string& units, const std::string& what) {
      write_nifti(path, image, what);
      Json j = side;
      j["Units"] = units;
      j["Description"] = what;
      write_json(sidecar_path(path), j);
    };
    save(prefix + "_desc-brain_mask.nii.gz", fm.mask, "", "brain mask (field mapping)");
    save(prefix + "_desc-total_fieldmap.nii.gz", fm.fit.field_hz, "Hz", "total field");
    save(prefix + "_desc-local_fieldmap.nii.gz", local.field, "Hz", "local field (background removed)");
    side["Reference"] = {{"Region", to_string(result.reference.region)}, {"OffsetPpm", result.reference.offset_ppm}};
    save(chi_path, chi, "ppm", "susceptibility");

    std::map<int32_t, std::string> names;
    for (const auto& r : s.deep_grey) names[r.index] = r.name;
    const Comparison cmp = compare_maps(s.chi, chi, scored, &s.deep_grey_labels, names);
    const std::string acc_path = (fs::path(anat) / (e.prefix() + "_accuracy.json")).string();
    write_json(acc_path, comparison_json(cmp));
    // The QC report, with the phantom's lesions and nuclei measured on the reconstruction.
    ScanReport rep;
    rep.title = "qsmtk demo: " + e.prefix();
    rep.subtitle = "simulated phantom '" + o.acquisition.name + "' reconstructed by the default pipeline";
    rep.chi = chi;
    rep.brain_mask = local.mask;
    rep.magnitude = s.magnitude.extract_frame(0);
    rep.wrapped_phase = s.phase.extract_frame(0);
    if (!fm.unwrapped.empty()) rep.unwrapped_phase = fm.unwrapped.extract_frame(0);
    rep.total_field_hz = fm.fit.field_hz;
    rep.local_field_hz = local.field;
    rep.r2star = fm.r2star.r2star;
    rep.echo_times_s = o.acquisition.echo_times_s;
    rep.provenance_json = side.dump();
    rep.lesions = s.lesion_labels;
    const LesionAnalysis lesions = analyse_lesions(chi, s.lesion_labels, {}, &local.mask);
    ReportTable lesion_rows{"lesions", "Lesions (the phantom's lesion labels, measured on the reconstruction)",
                            lesion_table(lesions), {}};
    for (size_t i = 0; i < lesions.lesions.size(); ++i)
      if (lesions.lesions[i].prl) rep.prl_ids.insert(lesions.lesions[i].id), lesion_rows.highlighted_rows.insert(i);
    rep.tables.push_back(lesion_rows);
    Table nuclei;
    nuclei.columns = {"name", "mean_chi_ppb", "true_chi_ppb", "error_ppb"};
    for (const auto& r : cmp.roi)
      nuclei.rows.push_back({r.name, tsv_number(r.test_mean_ppm * 1000), tsv_number(r.true_mean_ppm * 1000), tsv_number(r.error_ppb)});
    rep.tables.push_back({"regions", "Deep grey matter against the truth (each map's mean removed)", nuclei, {}});
    rep.warnings = qc_warnings(rep);
    const std::string report_path = write_scan_report(rep, deriv, e.prefix());
    write_cohort_index(deriv);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::printf("\nqsmtk demo: phantom '%s' (%s), %zu lesions, %zu echoes at %.1f T, in %.0f s\n",
                o.acquisition.name.c_str(), s.chi.grid().describe().c_str(), s.lesions.size(),
                o.acquisition.echo_times_s.size(), o.acquisition.b0_tesla, secs);
    std::printf("Field mapping from the scan (%.1f s): brain mask Dice %.3f, total field RMS error %.2f Hz (noise %.2f Hz)\n",
                fm_seconds, dice(fm.mask, s.brain_mask), std::sqrt(field_se / double(std::max<int64_t>(field_n, 1))),
                [&] {
                  double sn = 0;
                  for (int64_t q = 0; q < s.chi.voxels(); ++q)
                    if (inner[q] && s.brain_mask[q]) sn += double(fm.fit.noise_hz[q]) * fm.fit.noise_hz[q];
                  return std::sqrt(sn / double(std::max<int64_t>(field_n, 1)));
                }());
    std::printf("Background removal (%s): local field NRMSE %.1f %% against the true local field\n",
                to_string(kDefaultBackgroundMethod).c_str(), local_nrmse);
    std::printf("Susceptibility (%s) against the true chi, in the brain mask:\n", inversion.method.c_str());
    std::printf("  NRMSE %.1f %%   HFEN %.1f %%   SSIM %.3f\n", cmp.nrmse_pct, cmp.hfen_pct, cmp.ssim);
    double mae = 0;
    for (const auto& r : cmp.roi) mae += std::fabs(r.error_ppb) / double(cmp.roi.size());
    std::printf("  deep grey matter mean absolute error %.1f ppb over %zu nuclei\n", mae, cmp.roi.size());
    std::printf("Outputs:\n");
    std::printf("  simulated scan (BIDS):  %s\n", bids.c_str());
    std::printf("  ground truth:           %s\n", p.truth_dir.c_str());
    std::printf("  reconstruction:         %s\n", chi_path.c_str());
    std::printf("  accuracy:               %s\n", acc_path.c_str());
    std::printf("  QC report:              %s (open it in a browser; it works offline)\n", report_path.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
