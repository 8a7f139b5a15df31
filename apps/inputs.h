#pragma once
// The input options every command that reads multi-echo GRE data shares: a BIDS dataset, plain
// NIfTI files with echo times, or a DICOM folder (through dcm2niix).
#include <memory>
#include <string>
#include <vector>

#include "command.h"
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
};

/// Resolves the inputs into acquisitions. DICOMs are converted into a private folder under
/// `work_parent`. Throws with a clear message when nothing usable is found.
std::vector<InputScan> find_inputs(const InputArgs& args, const std::string& work_parent);

LoadOptions load_options(const InputArgs& args);

}  // namespace qsmtk::app
