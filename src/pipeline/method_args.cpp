#include "qsmtk/pipeline/method_args.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace qsmtk {
namespace {
/// The command line checks its choices itself; other callers (Python) get the same names here.
void require_choice(const std::string& what, const std::string& value, std::initializer_list<const char*> choices) {
  std::string list;
  for (const char* c : choices) {
    if (value == c) return;
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  throw std::invalid_argument(what + " '" + value + "' is not one of " + list);
}
}  // namespace

Vec3 normalized_b0(const Vec3& b, const std::string& what) {
  const double n = norm(b);
  if (!(n > 0) || !std::isfinite(n)) throw std::invalid_argument(what + " must be a non-zero vector");
  return (1.0 / n) * b;
}

FieldMapOptions fieldmap_options(const FieldMapArgs& a, const Mask* user_mask) {
  FieldMapOptions o;
  o.user_mask = user_mask;
  o.mask.bet.fractional_threshold = a.bet_f;
  o.mask.erode_mm = a.erode_mm;
  if (a.no_csf_removal) o.mask.csf_decay_ratio = 0;
  o.remove_offset = !a.no_offset;
  o.unwrap = parse_unwrap_method(a.unwrap);
  require_choice("echo_unwrap", a.echo_unwrap, {"temporal", "individual"});
  require_choice("fit", a.fit, {"linear", "complex"});
  require_choice("r2star", a.r2star, {"arlo", "loglinear", "nonlinear", "none"});
  o.echo_mode = a.echo_unwrap == "temporal" ? EchoUnwrapMode::temporal : EchoUnwrapMode::individual;
  o.fit = a.fit == "complex" ? EchoFitMethod::complex_nonlinear : EchoFitMethod::weighted_linear;
  o.r2star = a.r2star != "none";
  o.r2star_method = a.r2star == "loglinear"   ? R2StarMethod::loglinear
                    : a.r2star == "nonlinear" ? R2StarMethod::nonlinear
                                              : R2StarMethod::arlo;
  o.swi = a.swi;
  return o;
}

Json fieldmap_json(const FieldMapArgs& a, const FieldMapResult& r) {
  Json methods;
  methods["Mask"] = a.mask.empty() ? Json{{"Method", "bet+csf"}, {"FractionalThreshold", a.bet_f},
                                          {"CsfRemoval", !a.no_csf_removal}, {"ErodeMm", a.erode_mm}}
                                   : Json{{"Method", "user"}, {"File", a.mask}};
  methods["PhaseOffset"] = r.phase_offset.empty() ? "none" : "mcpc3ds";
  methods["Unwrap"] = {{"Method", a.unwrap}, {"EchoMode", a.echo_unwrap}};
  methods["EchoFit"] = {{"Method", a.fit}, {"NoiseSD", r.fit.noise_sd}};
  if (!r.r2star_method.empty()) methods["R2star"] = r.r2star_method;
  return methods;
}

BackgroundOptions background_options(const BackgroundArgs& a) {
  require_choice("pdf_kernel", a.pdf_kernel, {"discrete", "continuous"});
  BackgroundOptions o = a.options;
  if (a.radius_mm > 0) o.sharp.radius_mm = o.resharp.radius_mm = o.ismv.radius_mm = a.radius_mm;
  if (a.threshold > 0) o.sharp.threshold = o.vsharp.threshold = a.threshold;
  if (a.tolerance > 0) o.resharp.tolerance = o.pdf.tolerance = o.lbv.tolerance = o.ismv.tolerance = a.tolerance;
  if (a.max_iterations > 0)
    o.resharp.max_iterations = o.pdf.max_iterations = o.lbv.max_iterations = o.ismv.max_iterations =
        a.max_iterations;
  o.pdf.kernel = a.pdf_kernel == "continuous" ? DipoleKernelType::continuous : DipoleKernelType::discrete;
  return o;
}

Json background_json(BackgroundMethod m, const BackgroundOptions& o, const Vec3& voxel) {
  const double hmax = std::max({voxel[0], voxel[1], voxel[2]});
  auto or_default = [](double v, double d) { return v > 0 ? v : d; };
  Json j;
  j["Method"] = to_string(m);
  switch (m) {
    case BackgroundMethod::sharp:
      j["RadiusMm"] = o.sharp.radius_mm;
      j["Threshold"] = o.sharp.threshold;
      break;
    case BackgroundMethod::vsharp:
      j["MaxRadiusMm"] = o.vsharp.max_radius_mm;
      j["MinRadiusMm"] = or_default(o.vsharp.min_radius_mm, 2 * hmax);
      j["StepMm"] = or_default(o.vsharp.step_mm, hmax);
      j["Threshold"] = o.vsharp.threshold;
      break;
    case BackgroundMethod::resharp:
      j["RadiusMm"] = o.resharp.radius_mm;
      j["Lambda"] = o.resharp.lambda;
      j["Tolerance"] = o.resharp.tolerance;
      j["MaxIterations"] = o.resharp.max_iterations;
      break;
    case BackgroundMethod::pdf:
      j["Tolerance"] = o.pdf.tolerance;
      j["MaxIterations"] = o.pdf.max_iterations;
      j["PadFraction"] = o.pdf.pad_fraction;
      j["Kernel"] = o.pdf.kernel == DipoleKernelType::continuous ? "continuous" : "discrete";
      break;
    case BackgroundMethod::lbv:
      j["Tolerance"] = o.lbv.tolerance;
      j["MaxIterations"] = o.lbv.max_iterations;
      break;
    case BackgroundMethod::ismv:
      j["RadiusMm"] = or_default(o.ismv.radius_mm, 2 * hmax);
      j["Tolerance"] = o.ismv.tolerance;
      j["MaxIterations"] = o.ismv.max_iterations;
      break;
  }
  return j;
}

InversionOptions inversion_options(const InversionArgs& a) {
  require_choice("lambda_choice", a.lambda_choice, {"fixed", "lcurve", "discrepancy"});
  require_choice("kernel", a.kernel, {"continuous", "discrete"});
  InversionOptions o = a.options;
  o.common.lambda_choice = a.lambda_choice == "lcurve"        ? LambdaChoice::lcurve
                           : a.lambda_choice == "discrepancy" ? LambdaChoice::discrepancy
                                                              : LambdaChoice::fixed;
  o.common.kernel = a.kernel == "discrete" ? DipoleKernelType::discrete : DipoleKernelType::continuous;
  o.tkd.kernel = o.common.kernel;
  if (a.lambda > 0) {
    const InversionMethod m = parse_inversion_method(a.method);
    switch (m) {
      case InversionMethod::tkd: o.tkd.threshold = a.lambda; break;
      case InversionMethod::tsvd: o.tsvd.threshold = a.lambda; break;
      case InversionMethod::tikhonov: o.tikhonov.lambda = a.lambda; break;
      case InversionMethod::tv: o.tv.lambda = a.lambda; break;
      case InversionMethod::nltv: o.nltv.lambda = a.lambda; break;
      case InversionMethod::medi: o.medi.lambda = a.lambda; break;
      case InversionMethod::tgv:
        o.tgv.alpha0 *= a.lambda / o.tgv.alpha1;
        o.tgv.alpha1 = a.lambda;
        break;
      case InversionMethod::rts: o.rts.mu = a.lambda; break;
      case InversionMethod::ndi: o.ndi.alpha = a.lambda; break;
      case InversionMethod::ilsqr: throw std::invalid_argument("--lambda: ilsqr has no regularisation weight");
    }
  }
  if (a.tolerance > 0)
    o.ilsqr.tolerance = o.tv.tolerance = o.nltv.tolerance = o.medi.tolerance = o.tgv.tolerance = o.rts.tolerance =
        o.ndi.tolerance = a.tolerance;
  if (a.max_iterations > 0)
    o.ilsqr.max_iterations = o.tv.max_iterations = o.nltv.max_iterations = o.medi.gauss_newton_iterations =
        o.tgv.max_iterations = o.rts.max_iterations = o.ndi.max_iterations = a.max_iterations;
  return o;
}

Json inversion_json(InversionMethod m, const InversionOptions& o, const InversionResult& r) {
  Json j;
  j["Method"] = to_string(m);
  j["DipoleKernel"] = o.common.kernel == DipoleKernelType::discrete ? "discrete" : "continuous";
  switch (m) {
    case InversionMethod::tkd: j["Threshold"] = o.tkd.threshold, j["PadFraction"] = o.tkd.pad_fraction; break;
    case InversionMethod::tsvd: j["Threshold"] = o.tsvd.threshold; break;
    case InversionMethod::tikhonov:
      j["Regulariser"] = o.tikhonov.regulariser == TikhonovOptions::Regulariser::gradient ? "gradient" : "identity";
      break;
    case InversionMethod::ilsqr:
      j["Tolerance"] = o.ilsqr.tolerance, j["MaxIterations"] = o.ilsqr.max_iterations;
      j["ConeThreshold"] = o.ilsqr.cone_threshold;
      break;
    case InversionMethod::tv:
    case InversionMethod::nltv: {
      const TvOptions& t = m == InversionMethod::tv ? o.tv : o.nltv;
      j["MuGradient"] = t.mu_gradient > 0 ? t.mu_gradient : 100 * r.lambda;
      j["MuData"] = t.mu_data, j["Tolerance"] = t.tolerance, j["MaxIterations"] = t.max_iterations;
      break;
    }
    case InversionMethod::medi:
      j["EdgeFraction"] = o.medi.edge_fraction, j["LambdaCsf"] = o.medi.lambda_csf;
      j["GaussNewtonIterations"] = o.medi.gauss_newton_iterations, j["Tolerance"] = o.medi.tolerance;
      j["CgIterations"] = o.medi.cg_iterations, j["CgTolerance"] = o.medi.cg_tolerance;
      break;
    case InversionMethod::tgv:
      j["Alpha0"] = o.tgv.alpha0 * (o.tgv.alpha1 > 0 ? r.lambda / o.tgv.alpha1 : 1.0);
      j["MaxIterations"] = o.tgv.max_iterations, j["Tolerance"] = o.tgv.tolerance;
      break;
    case InversionMethod::rts:
      j["Delta"] = o.rts.delta, j["Rho"] = o.rts.rho, j["Tolerance"] = o.rts.tolerance;
      j["MaxIterations"] = o.rts.max_iterations, j["LsqrIterations"] = o.rts.lsqr_iterations;
      break;
    case InversionMethod::ndi:
      j["Step"] = o.ndi.step, j["Tolerance"] = o.ndi.tolerance, j["MaxIterations"] = o.ndi.max_iterations;
      break;
  }
  if (m != InversionMethod::tkd) j["PadFraction"] = o.common.pad_fraction;
  if (!r.lambda_name.empty()) {
    j["Lambda"] = r.lambda;
    j["LambdaName"] = r.lambda_name;
    j["LambdaChoice"] = r.lambda_choice;
  }
  if (r.iterations > 0) j["Iterations"] = r.iterations, j["RelativeChange"] = r.relative_change;
  return j;
}

const std::vector<PipelinePreset>& pipeline_presets() {
  static const std::vector<PipelinePreset> p = {
      {"fast", "SHARP and TKD: seconds per scan, TKD-class accuracy", {{"--bgremove", "sharp"}, {"--inversion", "tkd"}}},
      {"default", "the defaults: PDF and MEDI (docs/accuracy.md)", {}},
      {"best", "nonlinear echo fit, PDF, MEDI run to a tighter tolerance: slower, most accurate",
       {{"--fit", "complex"}, {"--inversion", "medi"}, {"--tolerance", "0.03"}}},
  };
  return p;
}

std::string preset_value(const std::string& preset, const std::string& option) {
  for (const PipelinePreset& p : pipeline_presets()) {
    if (p.name != preset) continue;
    for (const auto& [name, value] : p.values)
      if (name == option) return value;
    return "";
  }
  throw std::invalid_argument("preset '" + preset + "' is not one of fast, default, best");
}

Json pipeline_record(const MultiEchoData& d, const FieldMapArgs& fm, const PipelineOptions& o, const PipelineResult& r,
                     const std::string& preset, const std::string& csf_mask_source) {
  Json j;
  j["EchoTime"] = d.echo_times_s;
  j["MagneticFieldStrength"] = d.b0_tesla;
  j["ImagingFrequency"] = r.hz_per_ppm;
  j["B0Direction"] = {r.b0_direction[0], r.b0_direction[1], r.b0_direction[2]};
  j["Preset"] = preset;
  j["FieldMap"] = fieldmap_json(fm, r.fieldmap);
  Json bg = background_json(o.background, o.background_options, d.phase.grid().voxel_size);
  bg["Iterations"] = r.local.iterations;
  bg["NoiseWeighted"] = o.background == BackgroundMethod::pdf;
  j["BackgroundRemoval"] = bg;
  j["Inversion"] = inversion_json(o.inversion, o.inversion_options, r.inversion);
  j["Reference"] = {{"Region", to_string(r.reference.region)},
                    {"OffsetPpm", r.reference.offset_ppm},
                    {"Voxels", r.reference.voxels}};
  if (!r.csf_source.empty()) j["Reference"]["CsfMask"] = r.csf_source == "user" ? csf_mask_source : "from R2*";
  Json timing = Json::object();
  for (const auto& [step, s] : r.seconds) timing[step] = s;
  j["TimingSeconds"] = timing;
  j["Provenance"] = d.provenance;
  std::vector<std::string> warnings = d.warnings;
  warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
  if (!warnings.empty()) j["Warnings"] = warnings;
  return j;
}

}  // namespace qsmtk
