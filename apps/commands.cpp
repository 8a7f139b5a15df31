#include "command.h"

namespace qsmtk::app {

std::vector<Command> all_commands() {
  return {run_command(),      export_dicom_command(), report_command(),      fieldmap_command(), mask_command(),     unwrap_command(),  r2star_command(), swi_command(),
          bgremove_command(), invert_command(),   lesions_command(), longitudinal_command(), roistats_command(), chisep_command(), simulate_command(), compare_command(), snapshot_command(), demo_command(),   info_command()};
}

namespace {
std::vector<std::string>& invocation_storage() {
  static std::vector<std::string> v;
  return v;
}
}  // namespace

void set_invocation(int argc, char** argv) { invocation_storage().assign(argv, argv + argc); }
const std::vector<std::string>& invocation() { return invocation_storage(); }

}  // namespace qsmtk::app
