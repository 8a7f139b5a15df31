#pragma once
// Small text helpers shared by the command line and metadata parsing.
#include <cstdint>
#include <string>
#include <vector>

namespace qsmtk {

/// Parses "5,10.5,16" (commas, semicolons or spaces) into numbers; throws std::invalid_argument
/// naming `what` and the bad token.
std::vector<double> parse_numbers(const std::string& text, const std::string& what);

/// Parses a whole number that fills all of `text` (int32 range) into `value`; false for "",
/// "12a", "1.5" or out of range (std::stoi alone reads "12a" as 12).
bool parse_int(const std::string& text, int32_t& value);

/// A number for a message: up to 6 significant digits, no trailing zeros ("5", "0.0051", "3e+03").
std::string short_number(double value);

}  // namespace qsmtk
