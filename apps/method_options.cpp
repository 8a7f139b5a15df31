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

}  // namespace qsmtk::app
