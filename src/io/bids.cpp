#include "qsmtk/io/bids.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "qsmtk/io/atomic_file.h"
#include "qsmtk/version.h"

namespace qsmtk {

std::string BidsEntities::prefix() const {
  std::string p = "sub-" + subject;
  if (!session.empty()) p += "_ses-" + session;
  if (!acquisition.empty()) p += "_acq-" + acquisition;
  if (!run.empty()) p += "_run-" + run;
  return p;
}

std::string BidsEntities::anat_dir(const std::string& root) const {
  std::filesystem::path d = std::filesystem::path(root) / ("sub-" + subject);
  if (!session.empty()) d /= "ses-" + session;
  return (d / "anat").string();
}

Json qsmtk_generated_by(const std::string& description) {
  Json g;
  g["Name"] = "qsmtk";
  g["Version"] = version();
  g["CodeRevision"] = git_revision();
  if (!description.empty()) g["Description"] = description;
  return g;
}

void write_dataset_description(const std::string& root, const std::string& name, bool derivative,
                               const std::string& description) {
  make_directories(root);
  Json d;
  d["Name"] = name;
  d["BIDSVersion"] = "1.9.0";
  d["DatasetType"] = derivative ? "derivative" : "raw";
  d["GeneratedBy"] = Json::array({qsmtk_generated_by(description)});
  write_json((std::filesystem::path(root) / "dataset_description.json").string(), d);
}

}  // namespace qsmtk
