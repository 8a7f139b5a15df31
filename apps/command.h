#pragma once
// The one command framework: every subcommand is a Command declared in its own file
// (apps/cmd_<name>.cpp) with its usage, options and references in one place and a run().
// main.cpp parses, applies the common options and turns exceptions into exit codes.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qsmtk/io/json.h"

namespace qsmtk {
struct Comparison;
}

namespace qsmtk::app {

struct Command {
  std::string name;
  std::string summary;                  // one line, shown in `qsmtk --help`
  std::string description;              // paragraphs for `qsmtk <name> --help` and the docs
  std::vector<std::string> references;  // papers the method rests on
  std::function<void(CLI::App&)> declare;
  std::function<int()> run;
};

/// Every subcommand, in the order `qsmtk --help` lists them.
std::vector<Command> all_commands();

// One factory per apps/cmd_*.cpp file.
Command simulate_command();
Command compare_command();
Command snapshot_command();
Command demo_command();
Command info_command();
Command fieldmap_command();
Command mask_command();
Command unwrap_command();
Command r2star_command();
Command swi_command();
Command bgremove_command();
Command invert_command();

Command run_command();
Command export_dicom_command();
Command report_command();
Command lesions_command();
Command roistats_command();
Command chisep_command();
Command longitudinal_command();

/// The program's own path and arguments as given (for commands that start copies of themselves).
void set_invocation(int argc, char** argv);
const std::vector<std::string>& invocation();

/// JSON of `qsmtk compare` (keys nrmse, hfen, ssim, mask_voxels, roi).
Json comparison_json(const Comparison& c);


}  // namespace qsmtk::app
