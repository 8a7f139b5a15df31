#pragma once
// Options shared by the commands that run processing steps (fieldmap, bgremove, invert, run): the
// B0-direction override and the field-mapping, background-removal and inversion methods and parameters,
// declared once so their names and defaults are the same everywhere, and their sidecar record.
#include <string>

#include "command.h"
#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/inversion/inversion.h"
#include "qsmtk/phase/field_map.h"

namespace qsmtk::app {

/// --b0-dir x,y,z (array coordinates). Empty: the rule of CONVENTIONS.md from the affine.
void declare_b0_option(CLI::App& app, std::string& b0_dir);
/// The unit B0 direction for `grid`: the override when given, else b0_direction(grid).
Vec3 resolve_b0(const Grid& grid, const std::string& b0_dir);

struct FieldMapArgs {
  std::string mask, unwrap = "romeo", echo_unwrap = "temporal", fit = "linear", r2star = "arlo";
  bool no_offset = false, swi = false, no_csf_removal = false;
  double bet_f = 0.7, erode_mm = 0;
};

/// The field-mapping options (mask, offset, unwrapping, echo fit, R2*, SWI) of fieldmap and run.
void declare_fieldmap_options(CLI::App& app, FieldMapArgs& a);
/// FieldMapOptions from the arguments; `user_mask` (read from a.mask by the caller) may be null.
FieldMapOptions fieldmap_options(const FieldMapArgs& a, const Mask* user_mask);
/// The field-mapping methods and parameters for sidecars.
Json fieldmap_json(const FieldMapArgs& a, const FieldMapResult& r);

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
