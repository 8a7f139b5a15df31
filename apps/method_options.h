#pragma once
// Options shared by the commands that run processing steps (fieldmap, bgremove, invert, run): the
// B0-direction override and the field-mapping, background-removal and inversion methods and parameters,
// declared once so their names and defaults are the same everywhere. The argument structs, their
// translation into option structs and their sidecar record live in the library
// (qsmtk/pipeline/method_args.h), shared with the Python module.
#include <string>

#include "command.h"
#include "qsmtk/pipeline/method_args.h"

namespace qsmtk::app {

/// --b0-dir x,y,z (array coordinates). Empty: the rule of CONVENTIONS.md from the affine.
void declare_b0_option(CLI::App& app, std::string& b0_dir);
/// The unit B0 direction for `grid`: the override when given, else b0_direction(grid).
Vec3 resolve_b0(const Grid& grid, const std::string& b0_dir);

/// The field-mapping options (mask, offset, unwrapping, echo fit, R2*, SWI) of fieldmap and run.
void declare_fieldmap_options(CLI::App& app, FieldMapArgs& a);

/// Adds --bgremove (or `method_flag`) and the parameters; defaults from BackgroundOptions.
void declare_background_options(CLI::App& app, BackgroundArgs& a, const std::string& method_flag = "--bgremove");

/// Adds --inversion (or `method_flag`) and the parameters; defaults from InversionOptions.
void declare_inversion_options(CLI::App& app, InversionArgs& a, const std::string& method_flag = "--inversion");

}  // namespace qsmtk::app
