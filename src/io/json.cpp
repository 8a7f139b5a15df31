#include "qsmtk/io/json.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "qsmtk/io/atomic_file.h"

namespace qsmtk {

Json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open JSON file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path + ": invalid JSON (" + std::string(e.what()) + ")");
  }
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
