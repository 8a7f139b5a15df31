// qsmtk simulate: the built-in head phantom (or a user's chi map) as a BIDS MEGRE dataset
// with ground truth in derivatives/truth.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/log.h"
#include "qsmtk/sim/phantom.h"
#include "qsmtk/sim/simulation_io.h"
#include "qsmtk/strings.h"

namespace qsmtk::app {
namespace {
/// A whole number from a token of a list option, or a clear error naming the option.
int32_t parse_lesion_id(const std::string& token, const std::string& what) {
  size_t used = 0;
  long id = 0;
  try {
    id = std::stol(token, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != token.size() || id < 1 || id > 100000)
    throw std::invalid_argument(what + ": '" + token + "' is not a lesion id (a whole number from 1)");
  return int32_t(id);
}

/// "3:10,5:-4.5" -> {3: 10, 5: -4.5}.
std::map<int32_t, double> parse_lesion_changes(const std::string& text, const std::string& what) {
  std::map<int32_t, double> out;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos)
      throw std::invalid_argument(what + ": '" + item + "' is not ID:PPB (e.g. 3:10 or 5:-4.5)");
    const int32_t id = parse_lesion_id(item.substr(0, colon), what);
    const auto ppb = parse_numbers(item.substr(colon + 1), what);
    if (ppb.size() != 1) throw std::invalid_argument(what + ": '" + item + "' is not ID:PPB (e.g. 3:10 or 5:-4.5)");
    if (!out.emplace(id, ppb[0]).second)
      throw std::invalid_argument(what + ": lesion " + std::to_string(id) + " is given twice");
  }
  if (out.empty()) throw std::invalid_argument(what + ": give ID:PPB pairs, e.g. 3:10,5:-4.5");
  return out;
}

std::vector<int32_t> parse_lesion_ids(const std::string& text, const std::string& what) {
  std::vector<int32_t> out;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    const int32_t id = parse_lesion_id(item, what);
    if (std::find(out.begin(), out.end(), id) != out.end())
      throw std::invalid_argument(what + ": lesion " + std::to_string(id) + " is given twice");
    out.push_back(id);
  }
  if (out.empty()) throw std::invalid_argument(what + ": give lesion ids, e.g. 1,4");
  return out;
}

struct Args {
  std::string out_dir, case_name = "std", size = "default", subject = "01", session;
  uint64_t seed = 1;
  std::string from_chi, mask, echo_times_ms, voxel_size, rotation;
  std::string head_motion, lesion_change_ppb, lesion_rim_lost;  // follow-up session
  double field_strength = 0, snr = 0, pad_fraction = 0.1, r2star = 25;
  int lesions = 16, supersampling = 2;
  bool no_noise = false, no_phase_offset = false;
};
}  // namespace

Command simulate_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "simulate";
  c.summary = "Simulate the built-in head phantom as a BIDS multi-echo GRE dataset with ground truth";
  c.description =
      "Writes OUT_DIR as a BIDS dataset (sub-<label>/anat/*_echo-<n>_part-<mag|phase>_MEGRE.nii.gz with sidecars "
      "holding EchoTime in s, MagneticFieldStrength and ImagingFrequency) and the ground truth in "
      "OUT_DIR/derivatives/truth: _Chimap (ppm, relative to CSF), _desc-paramagnetic/_desc-diamagnetic_Chimap, "
      "_R2starmap (1/s), _desc-brain_mask, _desc-total_fieldmap and _desc-local_fieldmap (Hz), _dseg + .tsv "
      "(deep grey matter with true mean chi), _desc-lesions_dseg + .tsv (radius, core and rim chi, rim coverage, "
      "PRL flag) and _desc-tissue_dseg + .tsv.\n\n"
      "The head is analytic and sampled on a grid twice as fine as the output (--supersampling); the complex "
      "signal is averaged down, so the data are not an inverse crime. Cases: std (1 mm isotropic, 3 T), oblique "
      "(slices tilted 25 deg about x and 10 deg about y), aniso (0.75x0.75x1.5 mm), lowsnr (a third of std's SNR), "
      "7t (0.8 mm, shorter echoes). --size small doubles the voxel size for quick tests. With --from-chi, a chi map "
      "(ppm) is forward-simulated on its own grid and affine instead.\n\n"
      "Follow-up sessions: a second run with the same --seed and another --session simulates the same subject "
      "again. --head-motion moves the whole head (anatomy, lesions, texture) rigidly inside the fixed scanner: "
      "the grid, affine and B0 stay, the field is computed after the motion, and the receiver phase offset (a "
      "property of the coils) stays in the scanner frame. The rotation is R = Rz * Ry * Rx (about x first), in "
      "degrees, and the shift in mm, both in the phantom frame (array axes, origin at the centre of the field of "
      "view); a head point p moves to R p + t. The truth then holds _desc-headmotion_xfm.json with RotationDeg, "
      "TranslationMm and WorldMatrix: the 4x4 row-major matrix M (world mm of the NIfTI affine, RAS) such that a "
      "head point at world x in the session without motion is at M x in this one; lesion centres in the lesion "
      "table are the moved ones. --lesion-change-ppb adds iron (paramagnetic chi, in ppb; negative removes it) "
      "to the whole lesion, core and rim; --lesion-rim-lost removes a lesion's iron rim: its type becomes "
      "rim_lost, rim_coverage 0, prl 0 and rim_chi_ppm equals core_chi_ppm. Lesion tables (core and rim chi, "
      "true mean chi, delta chi) show the changes. New lesions: a larger --lesions adds lesions and keeps "
      "lesions 1..N as they were. None of these changes alters the random numbers of the seed.";
  c.references = {
      "Marques JP, Bowtell R. Application of a Fourier-based method for rapid calculation of field inhomogeneity "
      "due to spatial variation of magnetic susceptibility. Concepts Magn Reson B 2005;25:65-78.",
      "Marques JP et al. QSM reconstruction challenge 2.0: a realistic in silico head phantom. MRM 2021;86:526-542.",
      "Shin HG et al. chi-separation: magnetic susceptibility source separation toward iron and myelin mapping in "
      "the brain. NeuroImage 2021;240:118371."};
  c.declare = [a](CLI::App& app) {
    app.add_option("OUT_DIR", a->out_dir, "Output BIDS folder (created; other subjects in it are kept)")->required();
    app.add_option("--case", a->case_name, "Acquisition case")
        ->check(CLI::IsMember({"std", "oblique", "aniso", "lowsnr", "7t"}))
        ->capture_default_str();
    app.add_option("--size", a->size, "Phantom size: default (1 mm class) or small (voxels twice as large)")
        ->check(CLI::IsMember({"small", "default"}))
        ->capture_default_str();
    app.add_option("--seed", a->seed, "Seed for lesions, texture, phase offset and noise")->capture_default_str();
    app.add_option("--subject", a->subject, "BIDS subject label")->capture_default_str();
    app.add_option("--session", a->session, "BIDS session label (none by default)");
    app.add_option("--field-strength", a->field_strength, "B0 in tesla (default: the case's, 3 or 7)")
        ->check(CLI::Range(0.1, 21.0));
    app.add_option("--echo-times-ms", a->echo_times_ms,
                   "Echo times in ms, comma separated (default 5,11,17,23,29 at 3 T; 3,7,11,15,19 at 7 T)");
    app.add_option("--snr", a->snr, "Mean brain magnitude at the first echo over the noise SD (default: 100; lowsnr 33)")
        ->check(CLI::PositiveNumber);
    app.add_option("--voxel-size", a->voxel_size, "Output voxel size in mm, e.g. 1.2,1.2,2 (overrides the case's)");
    app.add_option("--rotation-deg", a->rotation,
                   "Head orientation: rotation of the slices about x, then y, then z, in degrees, e.g. 20,10,0 "
                   "(any B0 direction; written as an oblique affine; overrides the case's)");
    app.add_option("--lesions", a->lesions,
                   "Number of MS lesions (lesions 1..N are the same for any larger count: new lesions for a "
                   "follow-up)")
        ->check(CLI::Range(0, 40))
        ->capture_default_str();
    app.add_option("--head-motion", a->head_motion,
                   "Follow-up: rigid head motion rx,ry,rz,tx,ty,tz: degrees about x, y, z (R = Rz*Ry*Rx, about x "
                   "first) and mm, phantom (array) frame; the truth gets _desc-headmotion_xfm.json");
    app.add_option("--lesion-change-ppb", a->lesion_change_ppb,
                   "Follow-up: add PPB (ppb, may be negative) to the paramagnetic chi of lesion ID, core and rim: "
                   "ID:PPB[,ID:PPB...]");
    app.add_option("--lesion-rim-lost", a->lesion_rim_lost,
                   "Follow-up: these lesions (prl or partial_rim) lose their iron rim (type rim_lost, coverage 0, "
                   "prl 0): ID[,ID...]");
    app.add_flag("--no-noise", a->no_noise, "Noise-free signal");
    app.add_flag("--no-phase-offset", a->no_phase_offset, "No receiver phase offset");
    app.add_option("--supersampling", a->supersampling, "Fine grid factor per axis (>= 2)")
        ->check(CLI::Range(2, 4))
        ->capture_default_str();
    app.add_option("--pad-fraction", a->pad_fraction,
                   "Zero padding per side of the fine FFT grid, as a fraction of the field of view")
        ->check(CLI::Range(0.0, 2.0))
        ->capture_default_str();
    app.add_option("--from-chi", a->from_chi, "Forward-simulate this chi map (ppm) instead of the phantom")
        ->check(CLI::ExistingFile);
    app.add_option("--mask", a->mask, "With --from-chi: tissue mask (default: voxels where chi != 0)")
        ->check(CLI::ExistingFile);
    app.add_option("--r2star", a->r2star, "With --from-chi: tissue R2* in 1/s")->capture_default_str();
  };
  c.run = [a]() {
    check_output_folder(a->out_dir);
    SimulationOptions o;
    o.acquisition = simulation_case(a->case_name, a->size);
    if (a->field_strength > 0) {
      o.acquisition.b0_tesla = a->field_strength;
      o.acquisition.echo_times_s = default_echo_times(a->field_strength);
    }
    if (!a->echo_times_ms.empty()) {
      o.acquisition.echo_times_s.clear();
      for (double ms : parse_numbers(a->echo_times_ms, "--echo-times-ms")) {
        if (!(ms > 0.1 && ms < 500))
          throw std::invalid_argument("--echo-times-ms: " + std::to_string(ms) + " is not an echo time in ms");
        o.acquisition.echo_times_s.push_back(ms / 1000);
      }
    }
    if (a->snr > 0) o.acquisition.snr = a->snr;
    if (!a->voxel_size.empty()) {
      const auto v = parse_numbers(a->voxel_size, "--voxel-size");
      if (v.size() != 3 && v.size() != 1) throw std::invalid_argument("--voxel-size: give 1 or 3 values in mm");
      for (int d = 0; d < 3; ++d) o.acquisition.voxel_mm[d] = v[v.size() == 3 ? d : 0];
    }
    if (!a->rotation.empty()) {
      const auto r = parse_numbers(a->rotation, "--rotation-deg");
      if (r.size() != 3) throw std::invalid_argument("--rotation-deg: give 3 angles in degrees (about x, y, z)");
      const double d = M_PI / 180;
      o.acquisition.rotation = Mat3::rotation({1, 0, 0}, r[0] * d) * Mat3::rotation({0, 1, 0}, r[1] * d) *
                               Mat3::rotation({0, 0, 1}, r[2] * d);
    }
    o.seed = a->seed;
    o.lesion_count = a->lesions;
    o.noise = !a->no_noise;
    o.phase_offset = !a->no_phase_offset;
    o.supersampling = a->supersampling;
    o.pad_fraction = a->pad_fraction;
    if (!a->head_motion.empty()) {
      const auto m = parse_numbers(a->head_motion, "--head-motion");
      if (m.size() != 6)
        throw std::invalid_argument("--head-motion: give 6 numbers rx,ry,rz (degrees),tx,ty,tz (mm)");
      o.follow_up.head_motion.rotation_deg = {m[0], m[1], m[2]};
      o.follow_up.head_motion.translation_mm = {m[3], m[4], m[5]};
    }
    if (!a->lesion_change_ppb.empty())
      o.follow_up.lesion_change_ppb = parse_lesion_changes(a->lesion_change_ppb, "--lesion-change-ppb");
    if (!a->lesion_rim_lost.empty())
      o.follow_up.lesions_rim_lost = parse_lesion_ids(a->lesion_rim_lost, "--lesion-rim-lost");
    if (!a->from_chi.empty() && o.follow_up.any())
      throw std::invalid_argument(
          "--head-motion, --lesion-change-ppb and --lesion-rim-lost apply to the built-in phantom, not to --from-chi");

    Simulation s;
    std::string source;
    if (!a->from_chi.empty()) {
      const Volume chi = read_nifti(a->from_chi);
      Mask mask;
      if (!a->mask.empty()) mask = read_nifti_mask(a->mask);
      o.acquisition.name = "from-chi";
      s = simulate_from_chi(chi, a->mask.empty() ? nullptr : &mask, o, a->r2star);
      source = "qsmtk simulate --from-chi " + a->from_chi;
    } else {
      s = simulate_phantom(o);
      source = "qsmtk built-in head phantom";
    }
    BidsEntities e;
    e.subject = a->subject;
    e.session = a->session;
    log::Progress writing("Writing BIDS dataset and truth", 1);
    const SimulationPaths p = write_simulation(s, a->out_dir, e, source);
    writing.finish();
    std::printf("Simulated %s (%s), %zu echoes, noise SD %.4g\n", o.acquisition.name.c_str(),
                s.chi.grid().describe().c_str(), p.magnitude.size(), s.noise_sd);
    std::printf("  data:  %s\n", a->out_dir.c_str());
    std::printf("  truth: %s\n", p.truth_dir.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
