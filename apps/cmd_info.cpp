// qsmtk info: what a NIfTI header says, the B0 direction qsmtk derives from it, and value ranges.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::vector<std::string> files;
  bool json = false;
};

Json matrix_json(const Mat4& m) {
  Json rows = Json::array();
  for (int i = 0; i < 4; ++i) rows.push_back({m.m[i][0], m.m[i][1], m.m[i][2], m.m[i][3]});
  return rows;
}

Json describe(const std::string& path) {
  NiftiHeader h;
  const Volume v = read_nifti(path, &h);
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t finite = 0, nonfinite = 0;
  for (float x : v) {
    if (!std::isfinite(x)) {
      ++nonfinite;
      continue;
    }
    lo = std::min(lo, double(x));
    hi = std::max(hi, double(x));
    sum += x;
    ++finite;
  }
  const Vec3 b = b0_direction(h.grid);
  Json j;
  j["file"] = path;
  j["nifti_version"] = h.version;
  j["datatype"] = h.datatype_name;
  j["dims"] = {h.grid.dims[0], h.grid.dims[1], h.grid.dims[2]};
  j["frames"] = h.frames;
  j["voxel_size_mm"] = {h.grid.voxel_size[0], h.grid.voxel_size[1], h.grid.voxel_size[2]};
  j["sform_code"] = h.grid.sform_code;
  j["qform_code"] = h.grid.qform_code;
  j["affine"] = matrix_json(h.grid.affine());
  j["b0_direction"] = {b[0], b[1], b[2]};
  j["b0_angle_deg"] = std::acos(std::min(1.0, std::fabs(b[2]))) * 180 / M_PI;
  j["scl_slope"] = h.scl_slope;
  j["scl_inter"] = h.scl_inter;
  j["description"] = h.description;
  j["min"] = finite ? lo : NAN;
  j["max"] = finite ? hi : NAN;
  j["mean"] = finite ? sum / finite : NAN;
  j["nonfinite_voxels"] = nonfinite;
  return j;
}
}  // namespace

Command info_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "info";
  c.summary = "Show a NIfTI image's header, geometry, B0 direction and value range";
  c.description =
      "Reads each image (NIfTI-1 or -2, .nii or .nii.gz) as qsmtk does, with scl_slope/scl_inter applied, and "
      "prints its grid, the affine in use (sform if set, else qform), the B0 direction in array coordinates "
      "(b = R^T z, CONVENTIONS.md) and its angle to the slice axis, and the range of the values.";
  c.declare = [a](CLI::App& app) {
    app.add_option("FILES", a->files, "NIfTI images")->required()->check(CLI::ExistingFile);
    app.add_flag("--json", a->json, "Print JSON instead of text");
  };
  c.run = [a]() {
    for (const auto& f : a->files) {
      const Json j = describe(f);
      if (a->json) {
        std::cout << j.dump(2) << "\n";
        continue;
      }
      std::cout << f << "\n";
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "file") std::cout << "  " << it.key() << ": " << it.value().dump() << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
