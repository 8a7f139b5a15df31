#pragma once
// The whole reconstruction of one multi-echo GRE acquisition in memory: field mapping (mask,
// phase offset, unwrapping, echo fit, R2*), background field removal, dipole inversion and
// referencing. `qsmtk run` and `qsmtk demo` call this; file handling stays in the commands.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/inversion/inversion.h"
#include "qsmtk/io/multi_echo.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/pipeline/reference.h"

namespace qsmtk {

struct PipelineOptions {
  FieldMapOptions fieldmap;
  BackgroundMethod background = kDefaultBackgroundMethod;
  BackgroundOptions background_options;
  InversionMethod inversion = kDefaultInversionMethod;
  InversionOptions inversion_options;
  ReferenceRegion reference = ReferenceRegion::brain;
  const Mask* csf_mask = nullptr;  // for csf referencing and MEDI+0; else from R2* (csf_mask_from_r2star)
  CsfMaskOptions csf;
  std::optional<Vec3> b0_direction;  // override (array coordinates); else the CONVENTIONS rule
  /// Called with each step's name as it starts ("field map", "background removal", ...).
  std::function<void(const std::string&)> on_step;
};

struct PipelineResult {
  FieldMapResult fieldmap;     // mask, total field (Hz) and noise, R2*/T2*
  LocalField local;            // Hz, on local.mask
  InversionResult inversion;   // its chi is moved into `chi`
  Volume chi;                  // ppm, referenced, 0 outside local.mask
  ReferenceResult reference;
  Mask csf;                    // the CSF mask used (empty when none was needed)
  std::string csf_source;      // "user", "r2star" or ""
  Vec3 b0_direction{0, 0, 1};
  double hz_per_ppm = 0;
  double radians_per_ppm = 0;  // phase per ppm at the mean echo time (nonlinear data terms)
  std::vector<std::pair<std::string, double>> seconds;  // per step, field-map steps included
  std::vector<std::string> warnings;
};

PipelineResult run_pipeline(const MultiEchoData& data, const PipelineOptions& options);

/// Peak memory (bytes) of a whole `qsmtk run` of one scan with `voxels` voxels per echo: the
/// larger of the field-map stage (90 + 12.5 bytes per voxel and echo) and the inversion (the
/// inputs' 8 bytes per voxel and echo plus the method's working set), plus the program itself,
/// with a 15% margin. Fitted to peaks measured with 3 to 10 echoes on 0.9 M, 6.9 M and 13.4 M
/// voxel grids for every inversion method (docs/benchmarks.md); background removal never set the
/// peak. The estimate errs high, by 10-40%.
int64_t estimate_pipeline_peak_bytes(int64_t voxels, int64_t echoes, const PipelineOptions& options);

}  // namespace qsmtk
