#pragma once
// Small text helpers shared by the command line and metadata parsing.
#include <string>
#include <vector>

namespace qsmtk {

/// Parses "5,10.5,16" (commas, semicolons or spaces) into numbers; throws std::invalid_argument
/// naming `what` and the bad token.
std::vector<double> parse_numbers(const std::string& text, const std::string& what);

/// A number for a message: up to 6 significant digits, no trailing zeros ("5", "0.0051", "3e+03").
std::string short_number(double value);

}  // namespace qsmtk
