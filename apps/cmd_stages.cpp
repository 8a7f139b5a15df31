// Single-stage commands on plain NIfTI files: mask, unwrap, r2star, swi. Each reads magnitude
// (and phase) like `qsmtk fieldmap` does and writes one result with a JSON sidecar.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "inputs.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/phase/offset.h"
#include "qsmtk/relax/r2star.h"

namespace qsmtk::app {
namespace {

/// Magnitude-only input (for mask and r2star): --mag files and echo times.
struct MagArgs {
  std::vector<std::string> magnitude;
  std::string echo_times;
};

Volume read_echoes(const std::vector<std::string>& files) {
  if (files.empty()) throw std::invalid_argument("give --mag (one 4-D file or one file per echo)");
  std::vector<Volume> parts;
  int64_t frames = 0;
  for (const auto& f : files) {
    parts.push_back(read_nifti(f));
    if (!parts.front().grid().same_space(parts.back().grid(), 1e-2))
      throw std::invalid_argument(f + " and " + files.front() + " are on different grids");
    frames += parts.back().frames();
  }
  Volume v(parts.front().grid(), frames);
  int64_t t = 0;
  for (const Volume& p : parts)
    for (int64_t e = 0; e < p.frames(); ++e, ++t) std::copy(p.frame(e), p.frame(e) + p.voxels(), v.frame(t));
  return v;
}

Json common_sidecar(const std::string& units, const std::string& what, const std::string& command) {
  Json j;
  j["Units"] = units;
  j["Description"] = what;
  j["GeneratedBy"] = qsmtk_generated_by("qsmtk " + command);
  return j;
}

void write_with_sidecar(const std::string& path, const Volume& v, Json side) {
  write_nifti(path, v, side["Description"].get<std::string>());
  write_json(sidecar_path(path), side);
}

}  // namespace

Command mask_command() {
  struct Args {
    MagArgs in;
    std::string out;
    double bet_f = 0.7, erode_mm = 0;
    bool no_csf = false;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "mask";
  c.summary = "Brain mask from multi-echo GRE magnitude (BET-style surface, outer CSF removed)";
  c.description =
      "A deformable surface (BET) finds the inside of the skull on the first echo; CSF between brain and skull, "
      "bright at every echo, is removed from the outside using its slow decay between the first and last echo "
      "(needs echoes spanning >= 10 ms; skipped when what decays like CSF is not a thin outer layer, e.g. in a "
      "water phantom); the boundary is smoothed, holes filled, the largest component kept, and the mask optionally "
      "eroded. Fast-decaying tissue at the edge (sinuses, bone and air partial volume) is removed the same way. "
      "qsmtk fieldmap then also drops edge voxels whose fitted field is unreliable (noise above twice the median), "
      "which needs the phase.";
  c.references = {"Smith SM. Fast robust automated brain extraction. Hum Brain Mapp 2002;17:143-155."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--mag", a->in.magnitude, "Magnitude: one 4-D NIfTI or one file per echo")->required();
    app.add_option("--echo-times", a->in.echo_times, "Echo times with unit (e.g. 5,11,17ms); needed for CSF removal");
    app.add_option("--out", a->out, "Output mask (.nii.gz)")->required();
    app.add_option("--bet-f", a->bet_f, "Fractional threshold (smaller: larger mask)")
        ->check(CLI::Range(0.05, 0.95))
        ->capture_default_str();
    app.add_flag("--no-csf-removal", a->no_csf, "Keep CSF between brain and skull");
    app.add_option("--erode-mm", a->erode_mm, "Erode the mask by this many mm")->capture_default_str();
  };
  c.run = [a]() {
    check_output_file(a->out, a->in.magnitude);
    const Volume mag = read_echoes(a->in.magnitude);
    std::vector<double> te;
    if (!a->in.echo_times.empty()) te = parse_echo_times(a->in.echo_times, "--echo-times");
    if (!te.empty() && int64_t(te.size()) != mag.frames())
      throw std::invalid_argument("--echo-times gives " + std::to_string(te.size()) + " times for " +
                                  std::to_string(mag.frames()) + " echoes");
    BrainMaskOptions o;
    o.bet.fractional_threshold = a->bet_f;
    o.erode_mm = a->erode_mm;
    if (a->no_csf || te.empty()) o.csf_decay_ratio = 0;
    const Mask m = brain_mask(mag, te, o);
    write_nifti(a->out, m, "brain mask");
    Json side = common_sidecar("", "brain mask", "mask");
    side["Method"] = {{"FractionalThreshold", a->bet_f}, {"CsfRemoval", o.csf_decay_ratio > 0}, {"ErodeMm", a->erode_mm}};
    side["Inputs"] = a->in.magnitude;
    write_json(sidecar_path(a->out), side);
    int64_t n = 0;
    for (uint8_t v : m) n += v;
    const Vec3& h = m.grid().voxel_size;
    std::printf("%s: %lld voxels, %.3f L\n", a->out.c_str(), (long long)n, double(n) * h[0] * h[1] * h[2] * 1e-6);
    return 0;
  };
  return c;
}

Command unwrap_command() {
  struct Args {
    InputArgs in;
    std::string out, mask, method = "romeo", echo_mode = "temporal";
    bool keep_offset = false;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "unwrap";
  c.summary = "Unwrap multi-echo phase (region growing in the spirit of ROMEO, or Laplacian)";
  c.description =
      "Converts the phase to radians, removes the receiver phase offset (MCPC-3D-S; --keep-offset to skip), and "
      "unwraps: 'romeo' grows from the best voxel along the best edges (phase coherence, echo-gradient coherence, "
      "magnitude), leaving exact multiples of 2 pi; across echoes either temporally (echo 1 spatially, the others "
      "predicted from it) or individually. 'laplacian' gives a smooth, non-congruent phase. Writes the 4-D "
      "unwrapped phase in radians.";
  c.references = {"Dymerska B et al. ROMEO. MRM 2021;85:2294-2308.", "Schofield MA, Zhu Y. Opt Lett 2003;28:1194-1196.",
                  "Eckstein K et al. MCPC-3D-S. MRM 2018;79:2996-3006."};
  c.declare = [a](CLI::App& app) {
    declare_inputs(app, a->in, false);
    app.add_option("--out", a->out, "Output: 4-D unwrapped phase, radians (.nii.gz)")->required();
    app.add_option("--mask", a->mask, "Unwrap inside this mask (default: computed from the magnitude)")
        ->check(CLI::ExistingFile);
    app.add_option("--method", a->method, "romeo or laplacian")
        ->check(CLI::IsMember({"romeo", "laplacian"}))
        ->capture_default_str();
    app.add_option("--echo-unwrap", a->echo_mode, "temporal or individual")
        ->check(CLI::IsMember({"temporal", "individual"}))
        ->capture_default_str();
    app.add_flag("--keep-offset", a->keep_offset, "Do not remove the receiver phase offset");
  };
  c.run = [a]() {
    check_output_file(a->out, input_paths(a->in));
    const auto scans = find_inputs(a->in, ".");
    const MultiEchoData d = scans.front().load(a->in);
    FieldMapOptions o;
    Mask user;
    if (!a->mask.empty()) user = read_nifti_mask(a->mask), o.user_mask = &user;
    o.remove_offset = !a->keep_offset;
    o.unwrap = parse_unwrap_method(a->method);
    o.echo_mode = a->echo_mode == "temporal" ? EchoUnwrapMode::temporal : EchoUnwrapMode::individual;
    o.r2star = false;
    const FieldMapResult r = map_field(d.magnitude, d.phase, d.echo_times_s, o);
    Json side = common_sidecar("rad", "unwrapped phase", "unwrap");
    side["Method"] = {{"Unwrap", a->method}, {"EchoMode", a->echo_mode}, {"PhaseOffset", a->keep_offset ? "kept" : "mcpc3ds"}};
    side["EchoTime"] = d.echo_times_s;
    side["Provenance"] = d.provenance;
    write_with_sidecar(a->out, r.unwrapped, side);
    std::printf("%s: %lld echoes unwrapped\n", a->out.c_str(), (long long)r.unwrapped.frames());
    return 0;
  };
  return c;
}

Command r2star_command() {
  struct Args {
    MagArgs in;
    std::string out_prefix, mask, method = "arlo";
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "r2star";
  c.summary = "R2*, T2* and S0 maps from multi-echo magnitude";
  c.description =
      "Fits S0 exp(-R2* TE) in every voxel of the mask (default: computed from the magnitude): 'arlo' (fast, needs "
      ">= 3 equally spaced echoes), 'loglinear' (weighted least squares of log |S|), or 'nonlinear' "
      "(Levenberg-Marquardt). Writes <prefix>_R2starmap.nii.gz (1/s), _T2starmap.nii.gz (s), _S0map.nii.gz.";
  c.references = {"Pei M et al. Algorithm for fast monoexponential fitting (ARLO). MRM 2015;73:843-850."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--mag", a->in.magnitude, "Magnitude: one 4-D NIfTI or one file per echo")->required();
    app.add_option("--echo-times", a->in.echo_times, "Echo times with unit, e.g. 5,11,17ms")->required();
    app.add_option("--out-prefix", a->out_prefix, "Output prefix, e.g. out/sub-01")->required();
    app.add_option("--mask", a->mask, "Fit inside this mask")->check(CLI::ExistingFile);
    app.add_option("--method", a->method, "arlo, loglinear or nonlinear")
        ->check(CLI::IsMember({"arlo", "loglinear", "nonlinear"}))
        ->capture_default_str();
  };
  c.run = [a]() {
    check_output_file(a->out_prefix + "_R2starmap.nii.gz", a->in.magnitude);
    const Volume mag = read_echoes(a->in.magnitude);
    const std::vector<double> te = parse_echo_times(a->in.echo_times, "--echo-times");
    const Mask m = a->mask.empty() ? brain_mask(mag, te) : read_nifti_mask(a->mask);
    const R2StarMethod method = a->method == "loglinear"  ? R2StarMethod::loglinear
                                : a->method == "nonlinear" ? R2StarMethod::nonlinear
                                                           : R2StarMethod::arlo;
    const R2StarMaps r = fit_r2star(mag, te, m, method);
    for (const auto& [suffix, v, units, what] :
         {std::tuple{"_R2starmap.nii.gz", &r.r2star, "1/s", "R2*"}, std::tuple{"_T2starmap.nii.gz", &r.t2star, "s", "T2*"},
          std::tuple{"_S0map.nii.gz", &r.s0, "arbitrary", "signal at TE = 0"}}) {
      Json side = common_sidecar(units, what, "r2star");
      side["Method"] = a->method;
      side["EchoTime"] = te;
      side["Inputs"] = a->in.magnitude;
      write_with_sidecar(a->out_prefix + suffix, *v, side);
    }
    std::printf("%s_R2starmap.nii.gz (%s)\n", a->out_prefix.c_str(), a->method.c_str());
    return 0;
  };
  return c;
}

Command swi_command() {
  struct Args {
    InputArgs in;
    std::string out_prefix, mask;
    double sigma = 4, minip = 16;
    int power = 4, echo = 0;
    bool single = false, positive = false;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "swi";
  c.summary = "Susceptibility-weighted images and minimum-intensity projections";
  c.description =
      "Multi-echo (default): magnitude combined as root sum of squares, phase from the fitted field map high-pass "
      "filtered and taken at the mean echo time (CLEAR-SWI style). --single-echo N: homodyne high-pass of echo N. "
      "The phase mask darkens the paramagnetic sign (veins; phase = +2 pi f TE), applied --power times. Writes "
      "<prefix>_swi.nii.gz and <prefix>_desc-minip_swi.nii.gz.";
  c.references = {"Haacke EM et al. Susceptibility weighted imaging. MRM 2004;52:612-618.",
                  "Eckstein K et al. CLEAR-SWI. NeuroImage 2021;237:118175."};
  c.declare = [a](CLI::App& app) {
    declare_inputs(app, a->in, false);
    app.add_option("--out-prefix", a->out_prefix, "Output prefix")->required();
    app.add_option("--mask", a->mask, "Mask (default: computed from the magnitude)")->check(CLI::ExistingFile);
    app.add_option("--highpass-mm", a->sigma, "High-pass filter: Gaussian sigma in mm")->capture_default_str();
    app.add_option("--power", a->power, "Times the phase mask is applied")->capture_default_str();
    app.add_option("--minip-mm", a->minip, "Slab thickness of the minimum-intensity projection, mm")->capture_default_str();
    app.add_option("--single-echo", a->echo, "Homodyne SWI of this echo (1-based) instead of the multi-echo combination")
        ->check(CLI::PositiveNumber);
    app.add_flag("--darken-diamagnetic", a->positive, "Darken the other phase sign instead");
  };
  c.run = [a]() {
    check_output_file(a->out_prefix + "_swi.nii.gz", input_paths(a->in));
    const auto scans = find_inputs(a->in, ".");
    const MultiEchoData d = scans.front().load(a->in);
    SwiOptions so;
    so.highpass_sigma_mm = a->sigma;
    so.mask_power = a->power;
    so.minip_mm = a->minip;
    so.paramagnetic_dark = !a->positive;
    Mask m = a->mask.empty() ? brain_mask(d.magnitude, d.echo_times_s) : read_nifti_mask(a->mask);
    SwiImages s;
    if (a->echo > 0) {
      if (a->echo > d.phase.frames()) throw std::invalid_argument("--single-echo: no echo " + std::to_string(a->echo));
      s = swi_homodyne(d.magnitude, d.phase, m, a->echo - 1, so);
    } else {
      FieldMapOptions o;
      o.user_mask = &m;
      o.r2star = false;
      o.swi = true;
      o.swi_options = so;
      s = map_field(d.magnitude, d.phase, d.echo_times_s, o).swi;
    }
    Json side = common_sidecar("arbitrary", "susceptibility-weighted image", "swi");
    side["Method"] = {{"Mode", a->echo > 0 ? "homodyne single echo" : "multi-echo"}, {"HighpassSigmaMm", a->sigma},
                      {"MaskPower", a->power}, {"DarkSign", a->positive ? "diamagnetic" : "paramagnetic"}};
    side["Provenance"] = d.provenance;
    write_with_sidecar(a->out_prefix + "_swi.nii.gz", s.swi, side);
    side["Description"] = "minimum-intensity projection of the SWI";
    side["SlabMm"] = a->minip;
    write_with_sidecar(a->out_prefix + "_desc-minip_swi.nii.gz", s.minip, side);
    std::printf("%s_swi.nii.gz\n", a->out_prefix.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
