#include "command.h"

namespace qsmtk::app {

std::vector<Command> all_commands() {
  return {fieldmap_command(), mask_command(),     unwrap_command(), r2star_command(), swi_command(),
          bgremove_command(), invert_command(),   simulate_command(), compare_command(), demo_command(),  info_command()};
}

}  // namespace qsmtk::app
