#pragma once
// Running external programs (dcm2niix) without a shell.
#include <string>
#include <vector>

namespace qsmtk {

/// True when `program` is found on PATH.
bool program_available(const std::string& program);

/// Runs argv[0] (searched on PATH) with stdout and stderr appended to `log_path`; returns its exit
/// status. Throws std::runtime_error when it cannot be started.
int run_program(const std::vector<std::string>& argv, const std::string& log_path);

/// Runs a program and returns its standard output (first `max_bytes`); "" when it cannot run.
std::string program_output(const std::vector<std::string>& argv, size_t max_bytes = 4096);

/// A fresh private folder under `parent` (created), e.g. for converted files.
std::string make_temp_dir(const std::string& parent, const std::string& prefix);

}  // namespace qsmtk
