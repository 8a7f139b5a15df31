#pragma once
// Outputs are written under a temporary name in the destination folder and renamed into
// place only when complete, so an interrupted or failed write never leaves a partial file.
#include <string>

namespace qsmtk {

class AtomicOutput {
 public:
  /// Reserves a temporary path next to `final_path` that keeps its extension (.nii.gz etc.).
  explicit AtomicOutput(std::string final_path);
  ~AtomicOutput();  // removes the temporary file unless commit() succeeded
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  /// Renames the temporary file onto the final path (atomic on one file system).
  void commit();

 private:
  std::string final_, temp_;
  bool committed_ = false;
  int slot_ = -1;  // entry in the table the signal handler walks (-1: table full)
};

/// Removes every temporary output still open (for signal handlers; async-signal-safe).
void remove_pending_outputs_signal_safe();

/// Creates `dir` and its parents; throws with the path when that fails.
void make_directories(const std::string& dir);

}  // namespace qsmtk
