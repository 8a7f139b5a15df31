#pragma once
// The processing steps' methods and parameters as the command line names them (method names as
// strings, 0 for "the method's default"), turned into the library's option structs and recorded
// for sidecars. The command line (apps/method_options.cpp declares the flags) and the Python
// module share these, so names, defaults and sidecar records are the same everywhere.
#include <string>
#include <utility>
#include <vector>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/inversion/inversion.h"
#include "qsmtk/io/json.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/pipeline/pipeline.h"

namespace qsmtk {

/// A B0 direction given by the user (array coordinates), normalised; throws
/// std::invalid_argument "<what> must be a non-zero vector" for a zero or non-finite one.
Vec3 normalized_b0(const Vec3& b, const std::string& what);

struct FieldMapArgs {
  std::string mask;  // the user mask's source (a file name; empty: computed)
  std::string unwrap = "romeo", echo_unwrap = "temporal", fit = "linear", r2star = "arlo";
  bool no_offset = false, swi = false, no_csf_removal = false;
  double bet_f = 0.7, erode_mm = 0;
};

/// FieldMapOptions from the arguments; `user_mask` may be null. Throws std::invalid_argument on an
/// unknown method name.
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

/// Applies the generic parameters (lambda, tolerance, ...) to the chosen method's options.
InversionOptions inversion_options(const InversionArgs& a);
/// The method, every parameter it used, the regularisation weight and how it was chosen, for sidecars.
Json inversion_json(InversionMethod m, const InversionOptions& o, const InversionResult& r);

/// `qsmtk run --preset` (and the Python run_pipeline's preset=): the options a preset sets, by
/// their command-line long names, unless they are given.
struct PipelinePreset {
  std::string name, summary;
  std::vector<std::pair<std::string, std::string>> values;  // option, value
};
const std::vector<PipelinePreset>& pipeline_presets();
/// The value `preset` gives `option` ("" when it sets none); throws std::invalid_argument for an
/// unknown preset.
std::string preset_value(const std::string& preset, const std::string& option);

/// The record of one pipeline run, for the chi map's sidecar of `qsmtk run` and the Python
/// module's metadata alike: echo times, field strength, B0 direction, preset, every step's method
/// and parameters, the reference region (`csf_mask_source` names a user's CSF mask), timings,
/// provenance and warnings.
Json pipeline_record(const MultiEchoData& d, const FieldMapArgs& fm, const PipelineOptions& o, const PipelineResult& r,
                     const std::string& preset, const std::string& csf_mask_source);

}  // namespace qsmtk
