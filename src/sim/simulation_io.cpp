#include "qsmtk/sim/simulation_io.h"

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/parallel.h"
#include "qsmtk/physics.h"

namespace qsmtk {

Json head_motion_json(const HeadMotion& m, const Grid& grid) {
  Json j;
  j["RotationDeg"] = {m.rotation_deg[0], m.rotation_deg[1], m.rotation_deg[2]};
  j["TranslationMm"] = {m.translation_mm[0], m.translation_mm[1], m.translation_mm[2]};
  const Mat4 w = head_motion_world_matrix(m, grid);
  Json rows = Json::array();
  for (int r = 0; r < 4; ++r) rows.push_back({w.m[r][0], w.m[r][1], w.m[r][2], w.m[r][3]});
  j["WorldMatrix"] = rows;
  return j;
}

Json simulation_json(const Simulation& s, const std::string& source) {
  const SimulationOptions& o = s.options;
  Json j;
  j["Source"] = source;
  j["Case"] = o.acquisition.name;
  j["Seed"] = o.seed;
  j["MagneticFieldStrength"] = o.acquisition.b0_tesla;
  j["ImagingFrequency"] = hz_per_ppm(o.acquisition.b0_tesla);
  j["EchoTime"] = o.acquisition.echo_times_s;
  j["SNR"] = o.acquisition.snr;
  j["NoiseStandardDeviation"] = s.noise_sd;
  j["Noise"] = o.noise;
  j["ReceiverPhaseOffset"] = o.phase_offset;
  j["B0Direction"] = {s.b0_direction[0], s.b0_direction[1], s.b0_direction[2]};
  j["VoxelSize"] = {s.chi.grid().voxel_size[0], s.chi.grid().voxel_size[1], s.chi.grid().voxel_size[2]};
  j["Supersampling"] = o.supersampling;
  j["FFTPadFraction"] = o.pad_fraction;
  j["LesionCount"] = s.lesions.size();
  j["PhaseConvention"] = "phase(TE) = phi0 + 2*pi*f*TE";
  // Follow-up changes only when present, so a baseline's sidecars stay as they were.
  const FollowUpChanges& f = o.follow_up;
  if (!f.head_motion.is_identity()) j["HeadMotion"] = head_motion_json(f.head_motion, s.chi.grid());
  if (!f.lesion_change_ppb.empty()) {
    Json change = Json::object();
    for (const auto& [id, ppb] : f.lesion_change_ppb) change[std::to_string(id)] = ppb;
    j["LesionChangePpb"] = change;
  }
  if (!f.lesions_rim_lost.empty()) j["LesionRimLost"] = f.lesions_rim_lost;
  return j;
}

namespace {

/// Files to write, run in parallel at the end (compression dominates the cost).
using Tasks = std::vector<std::function<void()>>;

void write_image(Tasks& tasks, const std::string& path, const Volume& v, const std::string& descrip, Json sidecar) {
  tasks.push_back([=, &v] {
    write_nifti(path, v, descrip);
    write_json(sidecar_path(path), sidecar);
  });
}

}  // namespace

SimulationPaths write_simulation(const Simulation& s, const std::string& out_dir, const BidsEntities& e,
                                 const std::string& source) {
  namespace fs = std::filesystem;
  SimulationPaths p;
  const Json sim = simulation_json(s, source);
  if (!fs::exists(fs::path(out_dir) / "dataset_description.json"))
    write_dataset_description(out_dir, "qsmtk simulated multi-echo GRE", false, "qsmtk simulate");
  const std::string anat = e.anat_dir(out_dir);
  make_directories(anat);
  const std::string prefix = e.prefix();
  const SimulationOptions& o = s.options;
  Tasks tasks;
  std::vector<Volume> echoes;  // one 3-D image per echo and part, kept alive for the tasks
  echoes.reserve(static_cast<size_t>(2 * s.magnitude.frames()));
  for (int64_t t = 0; t < s.magnitude.frames(); ++t) {
    const std::string echo = "_echo-" + std::to_string(t + 1);
    for (const char* part : {"mag", "phase"}) {
      const std::string path = (fs::path(anat) / (prefix + echo + "_part-" + part + "_MEGRE.nii.gz")).string();
      const bool is_phase = std::string(part) == "phase";
      Json j;
      j["EchoTime"] = o.acquisition.echo_times_s[t];
      j["EchoNumber"] = t + 1;
      j["MagneticFieldStrength"] = o.acquisition.b0_tesla;
      j["ImagingFrequency"] = hz_per_ppm(o.acquisition.b0_tesla);
      j["Manufacturer"] = "qsmtk simulator";
      if (is_phase) j["Units"] = "rad";
      j["QsmtkSimulation"] = sim;
      echoes.push_back((is_phase ? s.phase : s.magnitude).extract_frame(t));
      write_image(tasks, path, echoes.back(), is_phase ? "phase, rad" : "magnitude, a.u.", j);
      (is_phase ? p.phase : p.magnitude).push_back(path);
    }
  }

  const std::string truth_root = (fs::path(out_dir) / "derivatives" / "truth").string();
  if (!fs::exists(fs::path(truth_root) / "dataset_description.json"))
    write_dataset_description(truth_root, "qsmtk simulation ground truth", true, "qsmtk simulate ground truth");
  p.truth_dir = e.anat_dir(truth_root);
  make_directories(p.truth_dir);
  auto name = [&](const std::string& suffix) { return (fs::path(p.truth_dir) / (prefix + suffix)).string(); };
  auto with_units = [&](const std::string& units, const std::string& what) {
    Json j;
    j["Units"] = units;
    j["Description"] = what;
    j["QsmtkSimulation"] = sim;
    return j;
  };
  p.chi = name("_Chimap.nii.gz");
  Json chi_json = with_units("ppm", "true susceptibility (voxel mean of the supersampled model), relative to CSF; air 9.4");
  chi_json["Reference"] = "CSF";
  write_image(tasks, p.chi, s.chi, "chi, ppm", chi_json);
  if (!s.chi_para.empty()) {
    write_image(tasks, name("_desc-paramagnetic_Chimap.nii.gz"), s.chi_para, "chi para, ppm",
                with_units("ppm", "paramagnetic susceptibility component (chi = para + dia)"));
    write_image(tasks, name("_desc-diamagnetic_Chimap.nii.gz"), s.chi_dia, "chi dia, ppm",
                with_units("ppm", "diamagnetic susceptibility component (chi = para + dia)"));
  }
  write_image(tasks, name("_R2starmap.nii.gz"), s.r2star, "R2*, 1/s", with_units("1/s", "true R2* (voxel mean)"));
  p.brain_mask = name("_desc-brain_mask.nii.gz");
  write_nifti(p.brain_mask, s.brain_mask, "brain mask");
  write_json(sidecar_path(p.brain_mask), with_units("", "true brain mask: parenchyma, ventricles, internal veins"));
  p.total_field = name("_desc-total_fieldmap.nii.gz");
  write_image(tasks, p.total_field, s.total_field_hz, "total field, Hz",
              with_units("Hz", "true total field (voxel mean), all sources; f = gammabar B0 ppm"));
  p.local_field = name("_desc-local_fieldmap.nii.gz");
  write_image(tasks, p.local_field, s.local_field_hz, "local field, Hz",
              with_units("Hz", "field of the sources inside the brain mask, chi demeaned in the mask"));

  if (!o.follow_up.head_motion.is_identity()) {
    p.head_motion = name("_desc-headmotion_xfm.json");
    Json j = head_motion_json(o.follow_up.head_motion, s.chi.grid());
    j["Description"] =
        "Rigid head motion of this session inside the fixed scanner and grid: a head point at world position x "
        "in the same subject without motion (same seed, same grid) is at WorldMatrix * x here";
    j["RotationOrder"] = "R = Rz * Ry * Rx (about x first, then y, then z), right-handed, degrees";
    j["Frame"] =
        "RotationDeg and TranslationMm: phantom frame (array axes, mm, origin at the centre of the field of view), "
        "head point p -> R p + t. WorldMatrix: 4x4 row-major, world = the NIfTI affine's mm (RAS)";
    j["QsmtkSimulation"] = sim;
    write_json(p.head_motion, j);
  }

  if (!s.deep_grey.empty()) {
    p.deep_grey = name("_dseg.nii.gz");
    p.deep_grey_tsv = name("_dseg.tsv");
    write_nifti(p.deep_grey, s.deep_grey_labels, "deep grey matter labels");
    Table t{{"index", "name", "chi_ppm", "voxels"}, {}};
    for (const auto& r : s.deep_grey)
      t.rows.push_back({std::to_string(r.index), r.name, tsv_number(r.chi_ppm), std::to_string(r.voxels)});
    write_tsv(p.deep_grey_tsv, t);

    p.lesions = name("_desc-lesions_dseg.nii.gz");
    p.lesions_tsv = name("_desc-lesions_dseg.tsv");
    write_nifti(p.lesions, s.lesion_labels, "lesion labels");
    Table l{{"index", "name", "radius_mm", "core_chi_ppm", "rim_chi_ppm", "rim_coverage", "prl", "type", "x_mm", "y_mm",
             "z_mm", "wm_chi_ppm", "mean_chi_ppm", "delta_chi_ppb", "voxels"},
            {}};
    for (const auto& r : s.lesions)
      l.rows.push_back({std::to_string(r.index), r.name, tsv_number(r.radius_mm), tsv_number(r.core_chi_ppm),
                        tsv_number(r.rim_chi_ppm), tsv_number(r.rim_coverage), r.prl ? "1" : "0", r.type,
                        tsv_number(r.centre_world_mm[0]), tsv_number(r.centre_world_mm[1]),
                        tsv_number(r.centre_world_mm[2]), tsv_number(r.wm_chi_ppm), tsv_number(r.mean_chi_ppm),
                        tsv_number(1000 * (r.mean_chi_ppm - r.wm_chi_ppm)), std::to_string(r.voxels)});
    write_tsv(p.lesions_tsv, l);

    write_nifti(name("_desc-tissue_dseg.nii.gz"), s.tissue_labels, "tissue classes");
    write_tsv(name("_desc-tissue_dseg.tsv"),
              Table{{"index", "name"},
                    {{"1", "CSF"}, {"2", "GM"}, {"3", "WM"}, {"4", "DeepGM"}, {"5", "Vein"}, {"6", "Lesion"},
                     {"7", "Calcification"}}});
  }
  run_tasks(tasks);
  return p;
}

}  // namespace qsmtk
