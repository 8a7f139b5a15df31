#pragma once
// Generates docs/commands.md from the command declarations (checked for staleness by a test).
#include <string>
#include <vector>

#include "command.h"

namespace qsmtk::app {
std::string help_markdown(const CLI::App& app, const std::vector<Command>& commands);
}
