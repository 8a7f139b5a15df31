// qsmtk fieldmap: multi-echo GRE (BIDS, NIfTI or DICOM) -> brain mask, total field (Hz) with its
// noise map, R2*/T2*/S0 and optionally SWI, for every acquisition found.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "inputs.h"
#include "method_options.h"
#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/phase/field_map.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string out_dir;
  InputArgs in;
  FieldMapArgs fm;
  bool save_unwrapped = false;
};

Json sidecar(const MultiEchoData& d, const Volume& like, const std::string& units, const std::string& what,
             const Json& methods, const FieldMapResult& r) {
  Json j;
  j["Units"] = units;
  j["Description"] = what;
  j["EchoTime"] = d.echo_times_s;
  j["MagneticFieldStrength"] = d.b0_tesla;
  j["ImagingFrequency"] = d.imaging_frequency_mhz;
  const Vec3 b = b0_direction(like.grid());
  j["B0Direction"] = {b[0], b[1], b[2]};
  j["Methods"] = methods;
  Json t = Json::object();
  for (const auto& [step, s] : r.seconds) t[step] = s;
  j["TimingSeconds"] = t;
  j["Provenance"] = d.provenance;
  j["GeneratedBy"] = qsmtk_generated_by("qsmtk fieldmap");
  std::vector<std::string> warnings = d.warnings;
  warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
  if (!warnings.empty()) j["Warnings"] = warnings;
  return j;
}
}  // namespace

Command fieldmap_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "fieldmap";
  c.summary = "Multi-echo GRE to brain mask, total field map (Hz) with noise map, R2*/T2*/S0 and SWI";
  c.description =
      "For every acquisition found (a BIDS dataset's MEGRE scans, a DICOM folder's multi-echo series, or the given "
      "NIfTI files): converts phase to radians (Siemens 12-bit and signed, Philips milliradians, radians, or any "
      "range rescaled with a warning), computes a brain mask (BET-style surface on the first echo, outer CSF removed "
      "by its slow decay, sinuses and bone by their fast decay) unless --mask is given, removes the receiver phase "
      "offset (MCPC-3D-S), unwraps (quality-guided region growing, 'romeo', or 'laplacian'), fits the field over "
      "echoes (weighted linear or nonlinear complex) with a noise map (Cramer-Rao SD in Hz), drops edge voxels whose "
      "field is unreliable (noise above twice the median; not with --mask), fits R2* (3+ echoes) and optionally "
      "makes SWI.\n\n"
      "Writes OUT_DIR as a BIDS derivatives dataset: <prefix>_desc-brain_mask, _desc-total_fieldmap (Hz), "
      "_desc-totalnoise_fieldmap (Hz), _R2starmap (1/s), _T2starmap (s), _S0map, with --swi _swi and "
      "_desc-minip_swi, with --save-unwrapped _desc-unwrapped_phase (4-D, rad); each with a JSON sidecar holding "
      "units, methods, echo times, field strength, B0 direction, inputs and timings. One failing acquisition does "
      "not stop the others; the exit code is 1 if any failed.";
  c.references = {
      "Dymerska B et al. Phase unwrapping with a rapid opensource minimum spanning tree algorithm (ROMEO). MRM "
      "2021;85:2294-2308.",
      "Eckstein K et al. Computationally efficient combination of multi-channel phase data from multi-echo "
      "acquisitions (ASPIRE/MCPC-3D-S). MRM 2018;79:2996-3006.",
      "Schofield MA, Zhu Y. Fast phase unwrapping algorithm for interferometric applications. Opt Lett "
      "2003;28:1194-1196.",
      "Smith SM. Fast robust automated brain extraction (BET). Hum Brain Mapp 2002;17:143-155.",
      "Liu T et al. Nonlinear formulation of the magnetic field to source relationship for robust quantitative "
      "susceptibility mapping. MRM 2013;69:467-476.",
      "Pei M et al. Algorithm for fast monoexponential fitting based on auto-regression on linear operations (ARLO). "
      "MRM 2015;73:843-850.",
      "Haacke EM et al. Susceptibility weighted imaging (SWI). MRM 2004;52:612-618; Eckstein K et al. CLEAR-SWI. "
      "NeuroImage 2021;237:118175."};
  c.declare = [a](CLI::App& app) {
    app.add_option("OUT_DIR", a->out_dir, "Output folder (a BIDS derivatives dataset)")->required();
    declare_inputs(app, a->in);
    declare_fieldmap_options(app, a->fm);
    app.add_flag("--save-unwrapped", a->save_unwrapped, "Also write the unwrapped phase (4-D, radians)");
  };
  c.run = [a]() {
    namespace fs = std::filesystem;
    check_output_folder(a->out_dir, input_paths(a->in));
    const std::vector<InputScan> scans = find_inputs(a->in, a->out_dir);
    Mask user;
    if (!a->fm.mask.empty()) user = read_nifti_mask(a->fm.mask);
    const FieldMapOptions o = fieldmap_options(a->fm, a->fm.mask.empty() ? nullptr : &user);
    int failed = 0;
    for (const InputScan& scan : scans) {
      try {
        log::info("== " + scan.label);
        const MultiEchoData d = scan.load(a->in);
        const FieldMapResult r = map_field(d.magnitude, d.phase, d.echo_times_s, o);
        const Json methods = fieldmap_json(a->fm, r);
        const std::string dir = scan.files.entities.anat_dir(a->out_dir);
        make_directories(dir);
        if (!fs::exists(fs::path(a->out_dir) / "dataset_description.json"))
          write_dataset_description(a->out_dir, "qsmtk field maps", true, "qsmtk fieldmap");
        const std::string p = (fs::path(dir) / scan.label).string();
        const Volume& like = r.fit.field_hz;
        auto save = [&](const std::string& suffix, const Volume& v, const std::string& units, const std::string& what) {
          write_nifti(p + suffix, v, what);
          write_json(sidecar_path(p + suffix), sidecar(d, like, units, what, methods, r));
        };
        write_nifti(p + "_desc-brain_mask.nii.gz", r.mask, "brain mask");
        write_json(p + "_desc-brain_mask.json", sidecar(d, like, "", "brain mask used for the field map", methods, r));
        save("_desc-total_fieldmap.nii.gz", r.fit.field_hz, "Hz", "total field (echo-combined, unwrapped)");
        save("_desc-totalnoise_fieldmap.nii.gz", r.fit.noise_hz, "Hz", "standard deviation of the total field");
        if (!r.r2star.r2star.empty()) {
          save("_R2starmap.nii.gz", r.r2star.r2star, "1/s", "R2*");
          save("_T2starmap.nii.gz", r.r2star.t2star, "s", "T2*");
          save("_S0map.nii.gz", r.r2star.s0, "arbitrary", "signal at TE = 0");
        }
        if (!r.swi.swi.empty()) {
          save("_swi.nii.gz", r.swi.swi, "arbitrary", "susceptibility-weighted image");
          save("_desc-minip_swi.nii.gz", r.swi.minip, "arbitrary", "minimum-intensity projection of the SWI");
        }
        if (a->save_unwrapped) save("_desc-unwrapped_phase.nii.gz", r.unwrapped, "rad", "unwrapped phase, offset removed");
        double total = 0;
        for (const auto& [step, s] : r.seconds) total += s;
        std::printf("%s: field map in %.1f s -> %s_desc-total_fieldmap.nii.gz\n", scan.label.c_str(), total, p.c_str());
      } catch (const std::exception& e) {
        ++failed;
        std::fprintf(stderr, "qsmtk fieldmap: error: %s: %s\n", scan.label.c_str(), e.what());
      }
    }
    if (scans.size() > 1) std::printf("%zu acquisitions, %d failed\n", scans.size(), failed);
    return failed ? 1 : 0;
  };
  return c;
}

}  // namespace qsmtk::app
