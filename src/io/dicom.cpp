#include "qsmtk/io/dicom.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/process.h"

namespace qsmtk {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

void gunzip(const std::string& from, const std::string& to) {
  gzFile in = gzopen(from.c_str(), "rb");
  if (!in) throw std::runtime_error(from + ": cannot open");
  std::ofstream out(to, std::ios::binary);
  char buf[1 << 16];
  int n;
  while ((n = gzread(in, buf, sizeof buf)) > 0) out.write(buf, n);
  const bool bad = n < 0;
  gzclose(in);
  if (bad || !out) throw std::runtime_error(from + ": corrupt gzip data");
}

std::string text(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
int integer(const Json& j, const char* key, int otherwise) {
  return j.contains(key) && j[key].is_number() ? j[key].get<int>() : otherwise;
}

std::string part_of(const Json& j, const std::string& file) {
  std::set<std::string> types;
  if (j.contains("ImageType") && j["ImageType"].is_array())
    for (const auto& t : j["ImageType"])
      if (t.is_string()) types.insert(t.get<std::string>());
  if (types.count("REAL") || ends_with(file, "_real")) return "real";
  if (types.count("IMAGINARY") || ends_with(file, "_imaginary")) return "imag";
  if (types.count("P") || types.count("PHASE") || ends_with(file, "_ph")) return "phase";
  return "mag";
}

std::string sanitise(std::string s) {
  std::string r;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) r += c;
  return r.empty() ? "gre" : r;
}

}  // namespace

DicomConversion convert_dicom(const std::string& dicom_dir, const std::string& work_dir, const std::string& subject) {
  if (!fs::is_directory(dicom_dir)) throw std::invalid_argument(dicom_dir + ": not a folder");
  if (!program_available("dcm2niix"))
    throw std::runtime_error("dcm2niix is not installed (Debian package dcm2niix); it converts the DICOM folder " +
                             dicom_dir);
  DicomConversion c;
  c.work_dir = work_dir;
  fs::create_directories(work_dir);
  const std::string version_text = program_output({"dcm2niix", "-v"});
  for (size_t p = version_text.find('v'); p != std::string::npos; p = version_text.find('v', p + 1))
    if (p + 1 < version_text.size() && std::isdigit(static_cast<unsigned char>(version_text[p + 1]))) {
      c.dcm2niix_version = version_text.substr(p, version_text.find_first_of(" \n\r\t", p) - p);
      break;
    }

  // Compressed DICOMs are unpacked next to plain ones into the work folder.
  std::string input = dicom_dir;
  bool any_gz = false;
  for (const auto& e : fs::recursive_directory_iterator(dicom_dir))
    if (e.is_regular_file() && ends_with(e.path().string(), ".gz")) any_gz = true;
  if (any_gz) {
    input = (fs::path(work_dir) / "dicom").string();
    fs::create_directories(input);
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dicom_dir)) {
      if (!e.is_regular_file()) continue;
      const std::string src = e.path().string();
      const std::string dst = (fs::path(input) / (std::to_string(n++) + "_" + e.path().filename().string())).string();
      if (ends_with(src, ".gz")) gunzip(src, dst.substr(0, dst.size() - 3));
      else fs::copy_file(src, dst);
    }
  }
  const std::string out = (fs::path(work_dir) / "nifti").string();
  fs::create_directories(out);
  const std::string log_path = (fs::path(work_dir) / "dcm2niix.log").string();
  const int rc = run_program({"dcm2niix", "-b", "y", "-z", "n", "-f", "%s_%e_%p", "-o", out, input}, log_path);
  if (rc != 0) {
    std::ifstream l(log_path);
    std::string line, last;
    while (std::getline(l, line))
      if (!line.empty()) last = line;
    throw std::runtime_error(dicom_dir + ": dcm2niix failed (exit " + std::to_string(rc) + "): " + last);
  }

  struct Item {
    std::string nii;
    Json meta;
    int series, echo;
    double te;
    std::string part;
  };
  std::map<std::string, std::vector<Item>> groups;  // protocol + description + grid
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string p = e.path().string();
    if (!ends_with(p, ".json")) continue;
    const std::string stem = p.substr(0, p.size() - 5);
    if (!fs::exists(stem + ".nii")) continue;
    Item it;
    it.nii = stem + ".nii";
    it.meta = read_json(p);
    it.series = integer(it.meta, "SeriesNumber", 0);
    it.echo = integer(it.meta, "EchoNumber", 0);
    it.te = it.meta.contains("EchoTime") && it.meta["EchoTime"].is_number() ? it.meta["EchoTime"].get<double>() : 0;
    it.part = part_of(it.meta, stem);
    c.converted.push_back(it.nii);
    const NiftiHeader h = read_nifti_header(it.nii);
    const std::string key = text(it.meta, "ProtocolName") + "|" + text(it.meta, "SeriesDescription") + "|" +
                            h.grid.describe();
    groups[key].push_back(it);
  }
  int run = 0;
  for (auto& [key, items] : groups) {
    // Pair each magnitude series with the nearest phase series at or after it.
    std::set<int> mag_series, phase_series;
    for (const Item& it : items) (it.part == "phase" || it.part == "imag" ? phase_series : mag_series).insert(it.series);
    std::set<int> used;
    for (int ms : mag_series) {
      int ps = -1;
      for (int s : phase_series)
        if (s >= ms && !used.count(s)) {
          ps = s;
          break;
        }
      if (ps < 0) {
        c.notes.push_back("series " + std::to_string(ms) + " (" + key.substr(0, key.find('|')) + "): no phase series");
        continue;
      }
      used.insert(ps);
      std::map<std::pair<double, int>, EchoFiles> echoes;  // ordered by echo time, then number
      std::map<std::pair<double, int>, Json> meta;
      for (const Item& it : items) {
        if (it.series != ms && it.series != ps) continue;
        const auto k = std::make_pair(it.te, it.echo);
        EchoFiles& ef = echoes[k];
        if (it.part == "mag") ef.magnitude = it.nii;
        else if (it.part == "phase") ef.phase = it.nii, meta[k] = it.meta;
        else if (it.part == "real") ef.real = it.nii, meta[k] = it.meta;
        else ef.imaginary = it.nii;
      }
      ScanFiles s;
      s.source = "dicom";
      s.entities.subject = subject;
      s.entities.acquisition = sanitise(key.substr(0, key.find('|')));
      s.entities.run = std::to_string(++run);
      bool complete = true;
      for (auto& [k, ef] : echoes) {
        const bool ok = (!ef.magnitude.empty() && !ef.phase.empty()) || (!ef.real.empty() && !ef.imaginary.empty());
        complete = complete && ok;
        s.echoes.push_back(ef);
        Json m = meta[k];
        m["ConversionSoftware"] = "dcm2niix";
        m["ConversionSoftwareVersion"] = c.dcm2niix_version;
        s.metadata.push_back(m);
      }
      if (!complete || s.echoes.empty()) {
        c.notes.push_back("series " + std::to_string(ms) + "/" + std::to_string(ps) + ": an echo lacks magnitude or phase");
        continue;
      }
      c.scans.push_back(std::move(s));
    }
  }
  return c;
}

}  // namespace qsmtk
