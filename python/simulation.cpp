// simulate: the built-in head phantom (or a user's chi map) with its MR signal and ground truth,
// as arrays, with the options of `qsmtk simulate` (lists and dicts where the command line parses
// text: echo_times_ms=[5, 11], lesion_change_ppb={3: 10}).
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "arrays.h"
#include "bindings.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"
#include "qsmtk/sim/simulation_io.h"

namespace qsmtk::python {
namespace {

std::vector<double> numbers(const py::object& obj, const std::string& name) {
  try {
    return obj.cast<std::vector<double>>();
  } catch (const py::cast_error&) {
    throw py::type_error(name + ": expected a sequence of numbers");
  }
}

py::tuple vec_tuple(const Vec3& v) { return py::make_tuple(v[0], v[1], v[2]); }

py::dict simulate_py(const std::string& case_name, const std::string& size, uint64_t seed,
                     const py::object& field_strength, const py::object& echo_times_ms, const py::object& snr,
                     const py::object& voxel_size, const py::object& rotation_deg, int lesions,
                     const py::object& head_motion, const py::object& lesion_change_ppb,
                     const py::object& lesion_rim_lost, bool no_noise, bool no_phase_offset, int supersampling,
                     double pad_fraction, const py::object& from_chi, const py::object& mask, double r2star,
                     const py::object& affine, int threads) {
  SimulationOptions o;
  o.acquisition = simulation_case(case_name, size);
  if (!field_strength.is_none()) {
    const double b0 = field_strength.cast<double>();
    if (!(b0 >= 0.1 && b0 <= 21)) throw py::value_error("field_strength must be within [0.1, 21] T");
    o.acquisition.b0_tesla = b0;
    o.acquisition.echo_times_s = default_echo_times(b0);
  }
  if (!echo_times_ms.is_none()) {
    o.acquisition.echo_times_s.clear();
    for (double ms : numbers(echo_times_ms, "echo_times_ms")) {
      if (!(ms > 0.1 && ms < 500))
        throw py::value_error("echo_times_ms: " + std::to_string(ms) + " is not an echo time in ms");
      o.acquisition.echo_times_s.push_back(ms / 1000);
    }
  }
  if (!snr.is_none()) {
    o.acquisition.snr = snr.cast<double>();
    if (!(o.acquisition.snr > 0)) throw py::value_error("snr must be > 0");
  }
  const bool user_chi = !from_chi.is_none();
  // With from_chi, voxel_size/affine give its grid; for the phantom voxel_size is --voxel-size.
  if (!voxel_size.is_none() && !user_chi) {
    const std::vector<double> v = numbers(voxel_size, "voxel_size");
    if (v.size() != 3 && v.size() != 1) throw py::value_error("voxel_size: give 1 or 3 values in mm");
    for (int d = 0; d < 3; ++d) {
      o.acquisition.voxel_mm[d] = v[v.size() == 3 ? d : 0];
      if (!(o.acquisition.voxel_mm[d] > 0)) throw py::value_error("voxel_size: sizes must be > 0 mm");
    }
  }
  if (!rotation_deg.is_none()) {
    const std::vector<double> r = numbers(rotation_deg, "rotation_deg");
    if (r.size() != 3) throw py::value_error("rotation_deg: give 3 angles in degrees (about x, y, z)");
    const double d = M_PI / 180;
    o.acquisition.rotation = Mat3::rotation({1, 0, 0}, r[0] * d) * Mat3::rotation({0, 1, 0}, r[1] * d) *
                             Mat3::rotation({0, 0, 1}, r[2] * d);
  }
  if (lesions < 0 || lesions > 40) throw py::value_error("lesions must be within [0, 40]");
  if (supersampling < 2 || supersampling > 4) throw py::value_error("supersampling must be within [2, 4]");
  if (!(pad_fraction >= 0 && pad_fraction <= 2)) throw py::value_error("pad_fraction must be within [0, 2]");
  o.seed = seed;
  o.lesion_count = lesions;
  o.noise = !no_noise;
  o.phase_offset = !no_phase_offset;
  o.supersampling = supersampling;
  o.pad_fraction = pad_fraction;
  if (!head_motion.is_none()) {
    const std::vector<double> m = numbers(head_motion, "head_motion");
    if (m.size() != 6) throw py::value_error("head_motion: give 6 numbers rx, ry, rz (degrees), tx, ty, tz (mm)");
    o.follow_up.head_motion.rotation_deg = {m[0], m[1], m[2]};
    o.follow_up.head_motion.translation_mm = {m[3], m[4], m[5]};
  }
  if (!lesion_change_ppb.is_none()) {
    try {
      o.follow_up.lesion_change_ppb = lesion_change_ppb.cast<std::map<int32_t, double>>();
    } catch (const py::cast_error&) {
      throw py::type_error("lesion_change_ppb: expected a dict {lesion id: ppb}");
    }
    for (const auto& [id, ppb] : o.follow_up.lesion_change_ppb)
      if (id < 1) throw py::value_error("lesion_change_ppb: " + std::to_string(id) + " is not a lesion id");
  }
  if (!lesion_rim_lost.is_none()) {
    try {
      o.follow_up.lesions_rim_lost = lesion_rim_lost.cast<std::vector<int32_t>>();
    } catch (const py::cast_error&) {
      throw py::type_error("lesion_rim_lost: expected a sequence of lesion ids");
    }
  }
  if (user_chi && o.follow_up.any())
    throw py::value_error("head_motion, lesion_change_ppb and lesion_rim_lost apply to the built-in phantom, not to from_chi");
  if (!user_chi && (!mask.is_none() || !affine.is_none()))
    throw py::value_error("mask and affine go with from_chi (the phantom's geometry comes from the case)");

  std::optional<FloatArray> chi_in;
  Grid grid;
  py::object keep_mask;
  Mask tissue;
  if (user_chi) {
    chi_in = float_array(from_chi, "from_chi");
    grid = make_grid(chi_in->dims, affine, voxel_size);
    if (!mask.is_none()) tissue = mask_image(mask, "mask", grid, "from_chi", keep_mask);
    o.acquisition.name = "from-chi";
  }
  use_threads(threads);
  const Volume chi_view = user_chi ? chi_in->view(grid) : Volume();
  Simulation s;
  {
    py::gil_scoped_release nogil;
    s = user_chi ? simulate_from_chi(chi_view, tissue.empty() ? nullptr : &tissue, o, r2star) : simulate_phantom(o);
  }

  const Grid& g = s.chi.grid();
  py::dict truth;
  truth["head_motion"] = py::none();
  if (!s.options.follow_up.head_motion.is_identity())
    truth["head_motion"] = to_python(head_motion_json(s.options.follow_up.head_motion, g));
  truth["chi"] = to_numpy(std::move(s.chi));
  if (!s.chi_para.empty()) truth["chi_para"] = to_numpy(std::move(s.chi_para));
  if (!s.chi_dia.empty()) truth["chi_dia"] = to_numpy(std::move(s.chi_dia));
  truth["r2star"] = to_numpy(std::move(s.r2star));
  truth["total_field"] = to_numpy(std::move(s.total_field_hz));
  truth["local_field"] = to_numpy(std::move(s.local_field_hz));
  truth["brain_mask"] = to_numpy(std::move(s.brain_mask));
  if (!s.deep_grey_labels.empty()) truth["dseg"] = to_numpy(std::move(s.deep_grey_labels));
  if (!s.lesion_labels.empty()) truth["lesions_dseg"] = to_numpy(std::move(s.lesion_labels));
  if (!s.tissue_labels.empty()) truth["tissue_dseg"] = to_numpy(std::move(s.tissue_labels));
  py::list deep_grey, lesion_list;
  for (const DeepGreyRegion& r : s.deep_grey) {
    py::dict d;
    d["index"] = r.index, d["name"] = r.name, d["chi_ppm"] = r.chi_ppm, d["voxels"] = r.voxels;
    deep_grey.append(d);
  }
  for (const Lesion& l : s.lesions) {  // the columns of _desc-lesions_dseg.tsv
    py::dict d;
    d["index"] = l.index, d["name"] = l.name, d["radius_mm"] = l.radius_mm, d["core_chi_ppm"] = l.core_chi_ppm;
    d["rim_chi_ppm"] = l.rim_chi_ppm, d["rim_coverage"] = l.rim_coverage, d["prl"] = l.prl, d["type"] = l.type;
    d["x_mm"] = l.centre_world_mm[0], d["y_mm"] = l.centre_world_mm[1], d["z_mm"] = l.centre_world_mm[2];
    d["wm_chi_ppm"] = l.wm_chi_ppm, d["mean_chi_ppm"] = l.mean_chi_ppm;
    d["delta_chi_ppb"] = 1000 * (l.mean_chi_ppm - l.wm_chi_ppm), d["voxels"] = l.voxels;
    lesion_list.append(d);
  }
  truth["deep_grey"] = deep_grey;
  truth["lesions"] = lesion_list;

  py::dict out;
  out["metadata"] = to_python(simulation_json(s, user_chi ? "qsmtk.simulate(from_chi=...)" : "qsmtk built-in head phantom"));
  out["affine"] = affine_array(g);
  out["voxel_size"] = vec_tuple(g.voxel_size);
  out["b0_dir"] = vec_tuple(s.b0_direction);
  out["echo_times"] = s.options.acquisition.echo_times_s;
  out["field_strength"] = s.options.acquisition.b0_tesla;
  out["imaging_frequency"] = hz_per_ppm(s.options.acquisition.b0_tesla);
  out["noise_sd"] = s.noise_sd;
  out["mag"] = to_numpy(std::move(s.magnitude), true);
  out["phase"] = to_numpy(std::move(s.phase), true);
  out["truth"] = truth;
  return out;
}

}  // namespace

void register_simulation(py::module_& m) {
  using py::arg;
  const SimulationOptions d;
  m.def("simulate", &simulate_py, py::kw_only(), arg("case") = "std", arg("size") = "default", arg("seed") = d.seed,
        arg("field_strength") = py::none(), arg("echo_times_ms") = py::none(), arg("snr") = py::none(),
        arg("voxel_size") = py::none(), arg("rotation_deg") = py::none(), arg("lesions") = d.lesion_count,
        arg("head_motion") = py::none(), arg("lesion_change_ppb") = py::none(), arg("lesion_rim_lost") = py::none(),
        arg("no_noise") = !d.noise, arg("no_phase_offset") = !d.phase_offset, arg("supersampling") = d.supersampling,
        arg("pad_fraction") = d.pad_fraction, arg("from_chi") = py::none(), arg("mask") = py::none(),
        arg("r2star") = 25.0, arg("affine") = py::none(), arg("threads") = 0,
        R"(The built-in head phantom with MS lesions, as `qsmtk simulate`: multi-echo GRE signal and the
ground truth, as arrays.

case: std | oblique | aniso | lowsnr | 7t; size: default | small (voxels twice as large).
Lists where the command line takes text: echo_times_ms=[5, 11, 17], voxel_size=[1.2, 1.2, 2],
rotation_deg=[20, 10, 0], head_motion=[rx, ry, rz, tx, ty, tz], lesion_change_ppb={3: 10},
lesion_rim_lost=[1, 4]. from_chi (ppm, with affine= or voxel_size=, optional mask) forward-simulates
a chi map instead. Returns {'mag', 'phase' (x, y, z, echo; radians), 'echo_times' (s),
'field_strength' (T), 'imaging_frequency' (MHz), 'affine', 'voxel_size', 'b0_dir', 'noise_sd',
'truth': {'chi', 'chi_para', 'chi_dia' (ppm), 'r2star' (1/s), 'total_field', 'local_field' (Hz),
'brain_mask', 'dseg', 'lesions_dseg', 'tissue_dseg', 'deep_grey', 'lesions', 'head_motion'},
'metadata'}.)");
}

}  // namespace qsmtk::python
