#pragma once
// The input options every command that reads multi-echo GRE data shares: a BIDS dataset, plain
// NIfTI files with echo times, or a DICOM folder (through dcm2niix).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/io/multi_echo.h"

namespace qsmtk::app {

struct InputArgs {
  std::string bids, dicom;
  std::vector<std::string> participants;
  std::string session, acquisition, run;
  std::vector<std::string> magnitude, phase;
  std::string echo_times;
  double field_strength = 0;
  std::string phase_units = "auto";
  bool flip_phase = false;
  std::string readout = "monopolar";
};

/// Adds the input options to a command. `sources` false: only --mag/--phase (plain files).
void declare_inputs(CLI::App& app, InputArgs& args, bool sources = true);

/// One acquisition to process, loaded on demand (so a bad scan fails alone).
struct InputScan {
  ScanFiles files;
  std::string label;                        // e.g. sub-01_ses-1
  std::shared_ptr<std::string> temp_dir;    // converted DICOMs, removed with the last owner
  MultiEchoData load(const InputArgs& args) const;
  /// The grid and the number of echoes, from the image headers (nothing loaded).
  std::pair<Grid, int64_t> size() const;
};

/// Resolves the inputs into acquisitions. DICOMs are converted into a private folder under
/// `work_parent`. Throws with a clear message when nothing usable is found.
std::vector<InputScan> find_inputs(const InputArgs& args, const std::string& work_parent);

LoadOptions load_options(const InputArgs& args);

/// Every input path the options name (folders and files), for check_output_folder.
std::vector<std::string> input_paths(const InputArgs& args);

/// A local field map read for the inversion-type commands (invert, chisep): the field in ppm
/// inside the mask (0 outside), converted from Hz by the sidecar's ImagingFrequency, its
/// MagneticFieldStrength or `field_strength` (which wins), or taken as is when the sidecar's
/// Units is ppm; the mask on the field's grid. Throws naming the file on any mismatch.
struct FieldInPpm {
  Volume field;
  Mask mask;
  double b0_tesla = 0;   // 0 when only ppm was given and no strength is known
  double hz_per_ppm = 0; // 1 for a field given in ppm
  Json sidecar;          // the field's sidecar (empty object when there is none)
};
FieldInPpm read_field_in_ppm(const std::string& field_path, const std::string& mask_path, double field_strength,
                             bool require_field_strength);

/// A 3-D map on `grid` (the first volume of a 4-D file, e.g. the first echo's magnitude); `what`
/// names it in the error when it is on another grid.
Volume read_map_on_grid(const std::string& path, const Grid& grid, const std::string& what);

/// Label names for a label image: from `lut_path` (BIDS TSV or FreeSurfer LUT) when given, else
/// from the image's own .tsv next to it (BIDS dseg), else none. `from` receives the source used
/// ("label_<n>" when none).
std::map<int32_t, std::string> read_label_names(const std::string& labels_path, const std::string& lut_path,
                                                std::string* from = nullptr);

}  // namespace qsmtk::app
