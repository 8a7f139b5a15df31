#include "method_options.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "qsmtk/io/tsv.h"
#include "qsmtk/strings.h"

namespace qsmtk::app {

void declare_b0_option(CLI::App& app, std::string& b0_dir) {
  app.add_option("--b0-dir", b0_dir,
                 "B0 direction in array (voxel) coordinates, e.g. 0,0,1 (default: from the NIfTI affine, see "
                 "CONVENTIONS)");
}

Vec3 resolve_b0(const Grid& grid, const std::string& b0_dir) {
  if (b0_dir.empty()) return b0_direction(grid);
  const std::vector<double> v = parse_numbers(b0_dir, "--b0-dir");
  if (v.size() != 3) throw std::invalid_argument("--b0-dir needs three numbers, got '" + b0_dir + "'");
  const Vec3 b{v[0], v[1], v[2]};
  const double n = norm(b);
  if (!(n > 0) || !std::isfinite(n)) throw std::invalid_argument("--b0-dir must be a non-zero vector");
  return (1.0 / n) * b;
}

void declare_fieldmap_options(CLI::App& app, FieldMapArgs& a) {
  const std::string g = "Field mapping";
  app.add_option("--mask", a.mask, "Use this brain mask instead of computing one")->check(CLI::ExistingFile)->group(g);
  app.add_option("--unwrap", a.unwrap, "Unwrapping: romeo (region growing) or laplacian")
      ->check(CLI::IsMember({"romeo", "laplacian"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--echo-unwrap", a.echo_unwrap,
                 "romeo across echoes: temporal (unwrap echo 1, predict the rest) or individual (every echo)")
      ->check(CLI::IsMember({"temporal", "individual"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--fit", a.fit, "Echo combination: linear (weighted least squares) or complex (nonlinear)")
      ->check(CLI::IsMember({"linear", "complex"}))
      ->capture_default_str()
      ->group(g);
  app.add_flag("--no-offset", a.no_offset, "Do not remove the receiver phase offset (MCPC-3D-S)")->group(g);
  app.add_option("--r2star", a.r2star, "R2* fit: arlo, loglinear, nonlinear, or none")
      ->check(CLI::IsMember({"arlo", "loglinear", "nonlinear", "none"}))
      ->capture_default_str()
      ->group(g);
  app.add_flag("--swi", a.swi, "Also write SWI and its minimum-intensity projection")->group(g);
  app.add_option("--bet-f", a.bet_f, "Brain extraction fractional threshold (smaller: larger mask)")
      ->check(CLI::Range(0.05, 0.95))
      ->capture_default_str()
      ->group(g);
  app.add_flag("--no-csf-removal", a.no_csf_removal, "Keep the CSF between brain and skull in the mask")->group(g);
  app.add_option("--erode-mm", a.erode_mm, "Erode the brain mask by this many mm")
      ->check(CLI::Range(0.0, 20.0))
      ->capture_default_str()
      ->group(g);
}

FieldMapOptions fieldmap_options(const FieldMapArgs& a, const Mask* user_mask) {
  FieldMapOptions o;
  o.user_mask = user_mask;
  o.mask.bet.fractional_threshold = a.bet_f;
  o.mask.erode_mm = a.erode_mm;
  if (a.no_csf_removal) o.mask.csf_decay_ratio = 0;
  o.remove_offset = !a.no_offset;
  o.unwrap = parse_unwrap_method(a.unwrap);
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

void declare_background_options(CLI::App& app, BackgroundArgs& a, const std::string& flag) {
  const std::string g = "Background removal";
  const BackgroundOptions d;
  app.add_option(flag, a.method, "Method: sharp, vsharp, resharp, pdf, lbv or ismv")
      ->check(CLI::IsMember({"sharp", "vsharp", "resharp", "pdf", "lbv", "ismv"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--bg-radius", a.radius_mm,
                 "SMV radius, mm (default: SHARP " + tsv_number(d.sharp.radius_mm) + ", RESHARP " +
                     tsv_number(d.resharp.radius_mm) + ", iSMV twice the largest voxel side)")
      ->check(CLI::Range(0.5, 50.0))
      ->group(g);
  app.add_option("--bg-max-radius", a.options.vsharp.max_radius_mm, "V-SHARP largest radius, mm")
      ->check(CLI::Range(1.0, 50.0))
      ->capture_default_str()
      ->group(g);
  app.add_option("--bg-min-radius", a.options.vsharp.min_radius_mm,
                 "V-SHARP smallest radius, mm (0: twice the largest voxel side)")
      ->check(CLI::Range(0.0, 50.0))
      ->group(g);
  app.add_option("--bg-threshold", a.threshold,
                 "SHARP/V-SHARP deconvolution threshold (default " + tsv_number(d.sharp.threshold) + ")")
      ->check(CLI::Range(1e-4, 0.9))
      ->group(g);
  app.add_option("--bg-lambda", a.options.resharp.lambda, "RESHARP Tikhonov weight")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group(g);
  app.add_option("--bg-tolerance", a.tolerance, "Relative residual to stop at (RESHARP, PDF, LBV, iSMV)")
      ->check(CLI::Range(1e-8, 0.5))
      ->group(g);
  app.add_option("--bg-max-iterations", a.max_iterations, "Iteration limit (RESHARP, PDF, LBV, iSMV)")
      ->check(CLI::Range(1, 100000))
      ->group(g);
  app.add_option("--pdf-kernel", a.pdf_kernel, "PDF dipole kernel: discrete or continuous")
      ->check(CLI::IsMember({"discrete", "continuous"}))
      ->capture_default_str()
      ->group(g);
}

BackgroundOptions background_options(const BackgroundArgs& a) {
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

void declare_inversion_options(CLI::App& app, InversionArgs& a, const std::string& flag) {
  const std::string g = "Dipole inversion";
  const InversionOptions d;
  app.add_option(flag, a.method, "Method: tkd, tsvd, tikhonov, ilsqr, tv, nltv, medi, tgv, rts or ndi")
      ->check(CLI::IsMember({"tkd", "tsvd", "tikhonov", "ilsqr", "tv", "nltv", "medi", "tgv", "rts", "ndi"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--lambda", a.lambda,
                 "Main regularisation weight (default per method: tkd/tsvd threshold " + tsv_number(d.tkd.threshold) +
                     "/" + tsv_number(d.tsvd.threshold) + ", tikhonov 3e-3 (gradient) or 1e-3 (identity), tv/nltv " +
                     tsv_number(d.tv.lambda) + ", medi " + tsv_number(d.medi.lambda) + " (data weight), tgv alpha1 " +
                     tsv_number(d.tgv.alpha1) + " (alpha0 scaled with it), rts mu " + tsv_number(d.rts.mu) +
                     ", ndi alpha " + tsv_number(d.ndi.alpha) + ")")
      ->check(CLI::PositiveNumber)
      ->group(g);
  app.add_option("--lambda-choice", a.lambda_choice,
                 "fixed (the value above), lcurve (corner of residual vs roughness over 1/8..8 times it) or "
                 "discrepancy (smoothest result whose weighted residual is within the noise; needs --noise)")
      ->check(CLI::IsMember({"fixed", "lcurve", "discrepancy"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--tikhonov-regulariser", a.options.tikhonov.regulariser, "Tikhonov regulariser: gradient or identity")
      ->transform(CLI::CheckedTransformer(std::map<std::string, TikhonovOptions::Regulariser>{
          {"gradient", TikhonovOptions::Regulariser::gradient}, {"identity", TikhonovOptions::Regulariser::identity}}))
      ->group(g);
  app.add_option("--tolerance", a.tolerance, "Relative change (or residual) to stop at, iterative methods")
      ->check(CLI::Range(1e-8, 0.5))
      ->group(g);
  app.add_option("--max-iterations", a.max_iterations,
                 "Iteration limit (ilsqr, tv/nltv, tgv, rts ADMM, ndi; medi Gauss-Newton steps)")
      ->check(CLI::Range(1, 100000))
      ->group(g);
  app.add_option("--medi-edge-fraction", a.options.medi.edge_fraction,
                 "MEDI: fraction of the magnitude's gradients taken as edges (not regularised)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str()
      ->group(g);
  app.add_option("--medi-lambda-csf", a.options.medi.lambda_csf, "MEDI+0 CSF weight (0: off; needs --csf)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(g);
  app.add_option("--pad", a.options.common.pad_fraction,
                 "Zero padding of the mask's bounding box per side, fraction of its size (all but tkd)")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str()
      ->group(g);
  app.add_option("--kernel", a.kernel, "Dipole kernel: continuous or discrete (discrete suits oblique native data)")
      ->check(CLI::IsMember({"continuous", "discrete"}))
      ->capture_default_str()
      ->group(g);
}

InversionOptions inversion_options(const InversionArgs& a) {
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

}  // namespace qsmtk::app
