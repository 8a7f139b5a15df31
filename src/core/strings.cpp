#include "qsmtk/strings.h"

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace qsmtk {

std::vector<double> parse_numbers(const std::string& text, const std::string& what) {
  std::string t = text;
  for (char& c : t)
    if (c == ',' || c == ';') c = ' ';
  std::istringstream in(t);
  std::vector<double> values;
  std::string token;
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

bool parse_int(const std::string& text, int32_t& value) {
  try {
    size_t used = 0;
    const long long x = std::stoll(text, &used);
    if (used != text.size() || x < INT32_MIN || x > INT32_MAX) return false;
    value = int32_t(x);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string short_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

}  // namespace qsmtk
