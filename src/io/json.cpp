#include "qsmtk/io/json.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "qsmtk/io/atomic_file.h"

namespace qsmtk {
namespace {

/// Deepest nesting of arrays and objects in JSON text (brackets inside strings do not count).
size_t nesting_depth(const std::string& text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Json parse_json(const std::string& text, const std::string& what) {
  // nlohmann::json builds (and copies) nested values recursively: text nested some 10^5 deep
  // (a few hundred kB) overflows the stack. Sidecars nest a few levels.
  constexpr size_t kMaxDepth = 256;
  if (nesting_depth(text) > kMaxDepth)
    throw std::runtime_error(what + ": invalid JSON (arrays and objects nested more than " +
                             std::to_string(kMaxDepth) + " levels deep)");
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(what + ": invalid JSON (" + std::string(e.what()) + ")");
  }
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open JSON file");
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error(path + ": cannot read JSON file");
  return parse_json(ss.str(), path);
}

void write_text(const std::string& path, const std::string& text) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open for writing (folder missing or not writable?)");
    f << text;
    f.flush();
    if (!f) throw std::runtime_error(path + ": write failed (disk full?)");
  }
  out.commit();
}

void write_json(const std::string& path, const Json& value) { write_text(path, value.dump(2) + "\n"); }

std::string sidecar_path(const std::string& image_path) {
  for (const std::string ext : {".nii.gz", ".nii", ".tsv"})
    if (image_path.size() > ext.size() && image_path.compare(image_path.size() - ext.size(), ext.size(), ext) == 0)
      return image_path.substr(0, image_path.size() - ext.size()) + ".json";
  return image_path + ".json";
}

}  // namespace qsmtk
