#include <sstream>
#include <stdexcept>

#include "command.h"

namespace qsmtk::app {

std::vector<Command> all_commands() {
  return {fieldmap_command(), mask_command(),     unwrap_command(), r2star_command(), swi_command(),
          simulate_command(), compare_command(), demo_command(),  info_command()};
}

std::vector<double> parse_number_list(const std::string& text, const std::string& what) {
  std::vector<double> values;
  std::string token;
  std::string normalised = text;
  for (char& c : normalised)
    if (c == ',' || c == ';') c = ' ';
  std::istringstream in(normalised);
  while (in >> token) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(token, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != token.size()) throw std::invalid_argument(what + ": '" + token + "' is not a number");
    values.push_back(v);
  }
  if (values.empty()) throw std::invalid_argument(what + ": no values given");
  return values;
}

}  // namespace qsmtk::app
