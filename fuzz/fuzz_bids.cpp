// Fuzz target: BIDS discovery (find_megre_scans, with bids_metadata's sidecar inheritance) and
// parse_bids_name. The input is a small dataset, one entry per line:
//   sub-01/anat/sub-01_echo-1_part-mag_MEGRE.nii.gz          an empty file
//   sub-01/anat/sub-01_echo-1_part-phase_MEGRE.json<TAB>{"EchoTime": 0.005}   a file with this text
//   sub-01/ses-1/                                            a folder
//   @01                                                      a participant label to select
// built in a fresh folder, searched, then removed. Paths are relative; entries with "..", an
// absolute path, NUL, components over 100 bytes or more than 8 levels are skipped; at most 64
// entries. Each scan found also goes through acquisition_parameters.
// A value or a std::exception is the expected outcome; anything else is a bug.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/multi_echo.h"

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxEntries = 64, kMaxComponent = 100, kMaxDepth = 8, kMaxLine = 4096;

/// The relative path of an entry, or "" when it must be skipped.
std::string safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.find('\0') != std::string::npos) return "";
  size_t depth = 0, start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    const std::string c = p.substr(start, slash - start);
    if (c == ".." || c.size() > kMaxComponent) return "";
    if (!c.empty() && c != "." && ++depth > kMaxDepth) return "";
    start = slash + 1;
  }
  return depth > 0 ? p : "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const fs::path root = fs::path(qsmtk_fuzz::temp_dir()) / "bids";
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directory(root, ec);
  if (ec) std::abort();

  std::vector<std::string> participants;
  size_t entries = 0;
  for (size_t start = 0; start < text.size() && entries < kMaxEntries;) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, std::min(end - start, kMaxLine));
    start = end + 1;
    if (line.empty()) continue;
    ++entries;
    (void)qsmtk::parse_bids_name(line);
    if (line[0] == '@') {
      participants.push_back(line.substr(1));
      continue;
    }
    const size_t tab = line.find('\t');
    const std::string rel = safe_relative(line.substr(0, tab));
    if (rel.empty()) continue;
    const fs::path p = root / rel;
    if (rel.back() == '/') {
      fs::create_directories(p, ec);
      continue;
    }
    fs::create_directories(p.parent_path(), ec);
    if (ec || fs::exists(p, ec)) continue;
    const std::string content = tab == std::string::npos ? "" : line.substr(tab + 1);
    qsmtk_fuzz::write_file(p.string(), content.data(), content.size());
  }

  try {
    const auto scans = qsmtk::find_megre_scans(root.string(), participants);
    for (const auto& s : scans) {
      // What discovery returns is complete (bids.h).
      if (s.echoes.empty() || s.metadata.size() != s.echoes.size() || s.entities.subject.empty()) std::abort();
      for (const auto& e : s.echoes)
        if (!((!e.magnitude.empty() && !e.phase.empty()) || (!e.real.empty() && !e.imaginary.empty()))) std::abort();
      try {
        (void)qsmtk::acquisition_parameters(s, {}, int64_t(s.echoes.size()));
      } catch (const std::exception&) {
      }
    }
  } catch (const std::exception&) {
  }
  fs::remove_all(root, ec);
  return 0;
}
