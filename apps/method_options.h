#pragma once
// Options shared by the commands that run processing steps (bgremove now; run and the inversion
// commands later): the B0-direction override and the background-removal method and parameters,
// declared once so their names and defaults are the same everywhere, and their sidecar record.
#include <string>

#include "command.h"
#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/inversion/inversion.h"

namespace qsmtk::app {

/// --b0-dir x,y,z (array coordinates). Empty: the rule of CONVENTIONS.md from the affine.
void declare_b0_option(CLI::App& app, std::string& b0_dir);
/// The unit B0 direction for `grid`: the override when given, else b0_direction(grid).
Vec3 resolve_b0(const Grid& grid, const std::string& b0_dir);

struct BackgroundArgs {
  std::string method = to_string(kDefaultBackgroundMethod);
  BackgroundOptions options;
  double radius_mm = 0;      // 0: the method's default (SHARP, RESHARP, iSMV)
  double threshold = 0;      // 0: the default (SHARP, V-SHARP)
  double tolerance = 0;      // 0: the default (RESHARP, PDF, LBV, iSMV)
  int max_iterations = 0;    // 0: the default
  std::string pdf_kernel = "discrete";
};

/// Adds --bgremove (or `method_flag`) and the parameters; defaults from BackgroundOptions.
void declare_background_options(CLI::App& app, BackgroundArgs& a, const std::string& method_flag = "--bgremove");
/// Applies the generic parameters (radius, threshold, ...) to the chosen method's options.
BackgroundOptions background_options(const BackgroundArgs& a);
/// The method and every parameter it used (defaults that depend on the voxel size resolved),
/// for sidecars.
Json background_json(BackgroundMethod m, const BackgroundOptions& o, const Vec3& voxel_mm);

struct InversionArgs {
  std::string method = to_string(kDefaultInversionMethod);
  InversionOptions options;
  double lambda = 0;        // 0: the method's default (its main regularisation weight)
  double tolerance = 0;     // 0: the default of the iterative methods
  int max_iterations = 0;   // 0: the default
  std::string lambda_choice = "fixed";
  std::string kernel = "continuous";
};

/// Adds --inversion (or `method_flag`) and the parameters; defaults from InversionOptions.
void declare_inversion_options(CLI::App& app, InversionArgs& a, const std::string& method_flag = "--inversion");
/// Applies the generic parameters (lambda, tolerance, ...) to the chosen method's options.
InversionOptions inversion_options(const InversionArgs& a);
/// The method, every parameter it used, the regularisation weight and how it was chosen, for sidecars.
Json inversion_json(InversionMethod m, const InversionOptions& o, const InversionResult& r);

}  // namespace qsmtk::app
