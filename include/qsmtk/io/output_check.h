#pragma once
// Checks made before any work starts, so that a job that could not save its results, or would
// write over its own inputs, is refused at once instead of after minutes of computing.
#include <string>
#include <vector>

namespace qsmtk {

/// Refuses an output folder that cannot be created (nearest existing parent not writable), exists
/// but is not a folder, cannot be read or written, or is an input: one of `inputs` that is a
/// folder, or the folder holding one that is a file (results would mix with the data they came
/// from). Creates nothing. Throws std::invalid_argument naming the folder and the problem.
void check_output_folder(const std::string& dir, const std::vector<std::string>& inputs = {});

/// Refuses an output file whose folder fails check_output_folder's tests (inputs aside), that is
/// an existing folder, or that is one of `inputs` (it would be overwritten). Creates nothing.
void check_output_file(const std::string& path, const std::vector<std::string>& inputs = {});

}  // namespace qsmtk
