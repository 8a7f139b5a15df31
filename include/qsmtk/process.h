#pragma once
// Running external programs (dcm2niix, copies of qsmtk) without a shell, and ending cleanly on
// SIGINT/SIGTERM: no partial outputs and no orphaned children.
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

/// Handles SIGINT and SIGTERM: passes the signal on to the children of run_program and
/// program_output, removes pending temporary outputs (AtomicOutput) and ends the process by the
/// same signal (exit status 128 + signal). Called once by main.
void install_termination_handlers();

/// While one exists, a first SIGINT/SIGTERM is passed on to the children and the process carries
/// on, so that a parent waits for its children to clean up and end; it must then call
/// end_if_terminated(). A second signal ends it at once. For a parent that only supervises.
class DeferTermination {
 public:
  DeferTermination();
  ~DeferTermination();
  DeferTermination(const DeferTermination&) = delete;
  DeferTermination& operator=(const DeferTermination&) = delete;
};

/// The SIGINT/SIGTERM received so far (seen only while termination is deferred), or 0.
int termination_signal();

/// Ends the process by the received signal (after removing pending outputs), if there was one.
void end_if_terminated();

/// A fresh private folder under `parent` (created), e.g. for converted files.
std::string make_temp_dir(const std::string& parent, const std::string& prefix);

}  // namespace qsmtk
