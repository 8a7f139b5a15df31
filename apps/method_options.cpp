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
  return normalized_b0({v[0], v[1], v[2]}, "--b0-dir");
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

}  // namespace qsmtk::app
