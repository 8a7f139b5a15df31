// BIDS MEGRE discovery and sidecar inheritance.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "qsmtk/io/bids.h"
#include "qsmtk/strings.h"

namespace qsmtk {
namespace fs = std::filesystem;

std::string BidsName::get(const std::string& key) const {
  for (const auto& [k, v] : entities)
    if (k == key) return v;
  return "";
}

std::optional<BidsName> parse_bids_name(const std::string& filename) {
  std::string name = fs::path(filename).filename().string();
  BidsName b;
  for (const std::string ext : {".nii.gz", ".nii", ".json", ".tsv"})
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      b.extension = ext;
      name = name.substr(0, name.size() - ext.size());
      break;
    }
  if (b.extension.empty()) return std::nullopt;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t us = name.find('_', start);
    parts.push_back(name.substr(start, us - start));
    if (us == std::string::npos) break;
    start = us + 1;
  }
  auto alnum = [](const std::string& x) {
    return !x.empty() && std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  };
  if (!alnum(parts.back())) return std::nullopt;
  b.suffix = parts.back();
  parts.pop_back();
  for (const auto& p : parts) {
    const size_t dash = p.find('-');
    if (dash == std::string::npos) return std::nullopt;
    const std::string key = p.substr(0, dash), value = p.substr(dash + 1);
    if (!alnum(key) || !alnum(value)) return std::nullopt;
    b.entities.emplace_back(key, value);
  }
  return b;
}

Json bids_metadata(const std::string& root, const std::string& data_file) {
  const auto target = parse_bids_name(data_file);
  if (!target) throw std::invalid_argument(data_file + ": not a BIDS file name");
  const fs::path rootp = fs::weakly_canonical(root);
  fs::path dir = fs::weakly_canonical(fs::path(data_file).parent_path());
  std::vector<fs::path> levels;
  for (fs::path d = dir;; d = d.parent_path()) {
    levels.push_back(d);
    if (d == rootp || d == d.parent_path()) break;
  }
  std::reverse(levels.begin(), levels.end());  // root first
  Json merged = Json::object();
  for (const auto& level : levels) {
    std::vector<std::pair<size_t, fs::path>> applicable;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(level, ec)) {
      if (!e.is_regular_file()) continue;
      const auto n = parse_bids_name(e.path().string());
      if (!n || n->extension != ".json" || n->suffix != target->suffix) continue;
      bool subset = true;
      for (const auto& [k, v] : n->entities) subset = subset && target->get(k) == v;
      if (subset) applicable.emplace_back(n->entities.size(), e.path());
    }
    std::sort(applicable.begin(), applicable.end());
    for (const auto& [count, path] : applicable) {
      const Json j = read_json(path.string());
      if (!j.is_object()) throw std::runtime_error(path.string() + ": a sidecar must hold a JSON object");
      for (auto it = j.begin(); it != j.end(); ++it) merged[it.key()] = it.value();
    }
  }
  return merged;
}

std::vector<ScanFiles> find_megre_scans(const std::string& root, const std::vector<std::string>& participants) {
  if (!fs::is_directory(root)) throw std::invalid_argument(root + ": not a folder");
  std::vector<std::string> wanted;
  for (std::string p : participants) wanted.push_back(p.rfind("sub-", 0) == 0 ? p.substr(4) : p);
  struct Parts {
    std::map<int, EchoFiles> echoes;
    BidsEntities entities;
  };
  std::map<std::string, Parts> scans;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string path = e.path().string();
    if (path.find("/derivatives/") != std::string::npos || path.find("/sourcedata/") != std::string::npos) continue;
    const auto n = parse_bids_name(path);
    if (!n || n->suffix != "MEGRE" || (n->extension != ".nii" && n->extension != ".nii.gz")) continue;
    const std::string sub = n->get("sub");
    if (sub.empty()) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), sub) == wanted.end()) continue;
    const std::string echo = n->get("echo"), part = n->get("part");
    BidsEntities ent{sub, n->get("ses"), n->get("acq"), n->get("run")};
    std::string key = ent.prefix();
    for (const auto& [k, v] : n->entities)
      if (k != "sub" && k != "ses" && k != "acq" && k != "run" && k != "echo" && k != "part") key += "_" + k + "-" + v;
    Parts& s = scans[key];
    s.entities = ent;
    int32_t idx = 1;
    if (!echo.empty()) {
      // "echo-1a" must not be read as echo 1.
      if (!parse_int(echo, idx) || idx < 1)
        throw std::invalid_argument(path + ": echo entity '" + echo + "' is not a positive whole number");
    }
    EchoFiles& ef = s.echoes[idx];
    std::string* slot = part == "phase" ? &ef.phase : part == "real" ? &ef.real : part == "imag" ? &ef.imaginary
                                                                                                  : &ef.magnitude;
    if (part != "" && part != "mag" && part != "phase" && part != "real" && part != "imag")
      throw std::invalid_argument(path + ": unknown part '" + part + "' (mag, phase, real, imag)");
    if (!slot->empty()) throw std::invalid_argument(path + ": duplicates " + *slot);
    *slot = path;
  }
  std::vector<ScanFiles> out;
  for (auto& [key, s] : scans) {
    ScanFiles f;
    f.entities = s.entities;
    int expect = 1;
    for (auto& [idx, ef] : s.echoes) {
      const std::string any = !ef.magnitude.empty() ? ef.magnitude : !ef.phase.empty() ? ef.phase : ef.real;
      if (idx != expect) throw std::invalid_argument(any + ": echo " + std::to_string(idx) + " follows echo " +
                                                     std::to_string(expect - 1) + " (echoes must be 1, 2, 3, ...)");
      ++expect;
      const bool polar = !ef.magnitude.empty() && !ef.phase.empty();
      const bool complex = !ef.real.empty() && !ef.imaginary.empty();
      if (!polar && !complex)
        throw std::invalid_argument(any + ": echo " + std::to_string(idx) +
                                    " needs part-mag and part-phase (or part-real and part-imag) files");
      f.metadata.push_back(bids_metadata(root, polar ? ef.phase : ef.real));
      f.echoes.push_back(ef);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace qsmtk
