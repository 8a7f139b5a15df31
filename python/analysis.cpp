// Analyses of a chi map on arrays: lesions (per-lesion statistics, rims, PRL flags), roistats
// (per-region statistics, reference, iron, z-scores) and compare (accuracy against a truth).
// Tables come back as dicts of columns named like the command line's TSV columns, with numbers
// as numbers (NaN where the TSV has n/a).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include <pybind11/stl.h>

#include "arrays.h"
#include "bindings.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/metrics.h"

namespace qsmtk::python {
namespace {

/// Collects a table column by column; numbers become float64 or int64 arrays, text str arrays.
class Columns {
 public:
  void number(const std::string& name, double v) { column(name).append(v); }
  void integer(const std::string& name, int64_t v) { column(name).append(v); }
  void text(const std::string& name, const std::string& v) { column(name).append(v); }
  /// Declares a column (so an empty table still has every column) with its NumPy dtype.
  void declare(const std::string& name, const char* dtype) {
    order_.push_back(name);
    dtypes_[name] = dtype;
    values_[name] = py::list();
  }
  py::dict to_dict() const {
    py::module_ np = py::module_::import("numpy");
    py::dict d;
    for (const std::string& name : order_) d[name.c_str()] = np.attr("array")(values_.at(name), dtypes_.at(name));
    return d;
  }

 private:
  py::list& column(const std::string& name) { return values_.at(name); }
  std::vector<std::string> order_;
  std::map<std::string, const char*> dtypes_;
  std::map<std::string, py::list> values_;
};

std::string read_text_file(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw py::value_error(name + ": " + path + " cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Label names from a lookup-table file (BIDS TSV or FreeSurfer LUT, as --lut) or a dict.
std::map<int32_t, std::string> label_names(const py::object& lut, const std::string& name) {
  if (lut.is_none()) return {};
  if (py::isinstance<py::str>(lut)) {
    const std::string path = lut.cast<std::string>();
    return parse_label_lut(read_text_file(path, name), path);
  }
  if (py::isinstance<py::dict>(lut)) {
    std::map<int32_t, std::string> names;
    for (const auto& [k, v] : lut.cast<py::dict>()) {
      try {
        names[k.cast<int32_t>()] = py::str(v);
      } catch (const py::cast_error&) {
        throw py::type_error(name + ": dict keys must be integer labels");
      }
    }
    return names;
  }
  throw py::type_error(name + ": expected a file name (BIDS TSV or FreeSurfer LUT) or a dict {label: name}");
}

// ---- lesions ----

py::dict lesions_py(const py::object& chi, const py::object& lesions, const py::object& mask, const py::object& wm,
                    const py::object& wm_labels, const py::object& r2star, const std::string& kind, double threshold,
                    int connectivity, double min_volume, double rim_threshold, double rim_core_contrast,
                    double rim_coverage, int rim_slices, int sectors, const py::object& affine,
                    const py::object& voxel_size, int threads) {
  const FloatArray c = float_array(chi, "chi");
  const Grid grid = make_grid(c.dims, affine, voxel_size);
  const FloatArray l = float_array(lesions, "lesions", false, true);
  require_same_shape(l, grid, "chi");
  py::object keep_mask, keep_wm;
  Mask brain, white;
  if (!mask.is_none()) brain = mask_image(mask, "mask", grid, "chi", keep_mask);
  if (!wm_labels.is_none() && wm.is_none()) throw py::value_error("wm_labels needs wm (a label map)");
  if (!wm.is_none()) {
    const LabelImage wm_image = label_image(wm, "wm", grid, "chi", keep_wm);
    std::vector<int32_t> chosen;
    if (!wm_labels.is_none()) chosen = wm_labels.cast<std::vector<int32_t>>();
    white = Mask(grid);
    int64_t n = 0;
    for (int64_t v = 0; v < white.voxels(); ++v) {
      const int32_t id = wm_image[v];
      white[v] = chosen.empty() ? id != 0 : std::find(chosen.begin(), chosen.end(), id) != chosen.end();
      n += white[v];
    }
    if (n == 0) throw py::value_error(std::string("wm: no white matter voxels") + (chosen.empty() ? "" : " with the given wm_labels"));
  }
  const std::optional<FloatArray> r2 = optional_float_array(r2star, "r2star");
  if (r2) require_same_shape(*r2, grid, "chi");

  require_choice("kind", kind, {"auto", "binary", "labels", "probability"});
  LesionLabelOptions lo;
  if (!(threshold >= 0 && threshold <= 1)) throw py::value_error("threshold must be within [0, 1]");
  if (connectivity != 6 && connectivity != 18 && connectivity != 26) throw py::value_error("connectivity must be 6, 18 or 26");
  if (!(min_volume >= 0)) throw py::value_error("min_volume must be >= 0 (mm^3)");
  lo.probability_threshold = threshold, lo.connectivity = connectivity, lo.min_size_mm3 = min_volume;
  LesionAnalysisOptions ao;
  if (!(rim_coverage >= 0 && rim_coverage <= 1)) throw py::value_error("rim_coverage must be within [0, 1]");
  if (rim_slices < 1) throw py::value_error("rim_slices must be >= 1");
  if (sectors < 4 || sectors > 72) throw py::value_error("sectors must be within [4, 72]");
  ao.threshold_ppb = rim_threshold, ao.core_contrast_ppb = rim_core_contrast, ao.min_coverage = rim_coverage;
  ao.min_consecutive_slices = rim_slices, ao.sectors = sectors;

  use_threads(threads);
  const Volume chi_view = c.view(grid), lesion_view = l.view(grid);
  const Volume r2_view = r2 ? r2->view(grid) : Volume();
  LesionAnalysis a;
  {
    py::gil_scoped_release nogil;
    lo.kind = lesion_input_kind_from_string(kind);
    if (lo.kind == LesionInputKind::automatic) lo.kind = detect_lesion_kind(lesion_view);
    const LabelImage labels = lesion_labels(lesion_view, lo);
    a = analyse_lesions(chi_view, labels, ao, brain.empty() ? nullptr : &brain, white.empty() ? nullptr : &white,
                        r2 ? &r2_view : nullptr);
  }

  // The table of qsmtk lesions (same columns), and each lesion with its profile and slices.
  Columns t;
  t.declare("lesion_id", "int64");
  t.declare("volume_mm3", "float64");
  t.declare("voxels", "int64");
  for (const char* n : {"x_mm", "y_mm", "z_mm", "mean_chi_ppb", "median_chi_ppb", "sd_chi_ppb", "p10_chi_ppb",
                        "p90_chi_ppb"})
    t.declare(n, "float64");
  t.declare("reference", "str");
  for (const char* n : {"reference_chi_ppb", "delta_chi_ppb", "rim_score_ppb", "rim_coverage"}) t.declare(n, "float64");
  for (const char* n : {"rim_slices", "max_consecutive_rim_slices", "prl"}) t.declare(n, "int64");
  if (r2) t.declare("mean_r2star", "float64");
  py::list per_lesion;
  for (const LesionStats& s : a.lesions) {
    t.integer("lesion_id", s.id);
    t.number("volume_mm3", s.volume_mm3);
    t.integer("voxels", s.voxels);
    t.number("x_mm", s.centroid_world_mm[0]);
    t.number("y_mm", s.centroid_world_mm[1]);
    t.number("z_mm", s.centroid_world_mm[2]);
    t.number("mean_chi_ppb", s.mean_chi_ppb);
    t.number("median_chi_ppb", s.median_chi_ppb);
    t.number("sd_chi_ppb", s.sd_chi_ppb);
    t.number("p10_chi_ppb", s.p10_chi_ppb);
    t.number("p90_chi_ppb", s.p90_chi_ppb);
    t.text("reference", s.reference);
    t.number("reference_chi_ppb", s.reference_chi_ppb);
    t.number("delta_chi_ppb", s.delta_chi_ppb);
    t.number("rim_score_ppb", s.rim_score_ppb);
    t.number("rim_coverage", s.rim_coverage);
    t.integer("rim_slices", s.rim_slices);
    t.integer("max_consecutive_rim_slices", s.max_consecutive_rim_slices);
    t.integer("prl", s.prl ? 1 : 0);
    if (r2) t.number("mean_r2star", s.mean_r2star);

    py::dict d;
    d["lesion_id"] = s.id;
    d["volume_mm3"] = s.volume_mm3;
    d["voxels"] = s.voxels;
    d["centroid_world_mm"] = py::make_tuple(s.centroid_world_mm[0], s.centroid_world_mm[1], s.centroid_world_mm[2]);
    d["mean_chi_ppb"] = s.mean_chi_ppb, d["median_chi_ppb"] = s.median_chi_ppb, d["sd_chi_ppb"] = s.sd_chi_ppb;
    d["p10_chi_ppb"] = s.p10_chi_ppb, d["p90_chi_ppb"] = s.p90_chi_ppb;
    d["reference"] = s.reference, d["reference_voxels"] = s.reference_voxels;
    d["reference_chi_ppb"] = s.reference_chi_ppb, d["delta_chi_ppb"] = s.delta_chi_ppb;
    if (r2) d["mean_r2star"] = s.mean_r2star;
    d["edge_chi_ppb"] = s.edge_chi_ppb, d["core_chi_ppb"] = s.core_chi_ppb, d["rim_score_ppb"] = s.rim_score_ppb;
    d["rim_coverage"] = s.rim_coverage, d["rim_slices"] = s.rim_slices;
    d["max_consecutive_rim_slices"] = s.max_consecutive_rim_slices, d["prl"] = s.prl;
    py::list profile, slices;
    for (const RadialBand& b : s.profile) {
      py::dict x;
      x["from_mm"] = b.from_mm, x["to_mm"] = b.to_mm, x["voxels"] = b.voxels, x["mean_chi_ppb"] = b.mean_chi_ppb;
      profile.append(x);
    }
    for (const SliceRim& r : s.slices) {
      py::dict x;
      x["slice"] = r.slice, x["sectors"] = r.sectors_with_data, x["rim_sectors"] = r.rim_sectors;
      x["coverage"] = r.coverage;
      slices.append(x);
    }
    d["radial_profile"] = profile;
    d["slices"] = slices;
    per_lesion.append(d);
  }
  py::dict out;
  out["table"] = t.to_dict();
  out["lesions"] = per_lesion;
  out["prl_count"] = a.prl_count;
  out["prl_at_least_1"] = a.prl_at_least_1;
  out["prl_at_least_4"] = a.prl_at_least_4;
  out["lesion_input_kind"] = to_string(lo.kind);
  return out;
}

// ---- roistats ----

py::dict roistats_py(const py::object& chi, const py::object& labels, const py::object& lut, const py::object& mask,
                     double erode_mm, const std::string& reference, const py::object& csf_mask, bool no_bilateral,
                     bool iron, double iron_slope, double iron_intercept, const py::object& norms,
                     const py::object& age, const py::object& affine, const py::object& voxel_size, int threads) {
  const FloatArray c = float_array(chi, "chi");
  const Grid grid = make_grid(c.dims, affine, voxel_size);
  py::object keep_labels, keep_mask, keep_csf;
  const LabelImage label_map = label_image(labels, "labels", grid, "chi", keep_labels);
  Mask brain, csf;
  if (!mask.is_none()) brain = mask_image(mask, "mask", grid, "chi", keep_mask);
  if (!csf_mask.is_none()) csf = mask_image(csf_mask, "csf_mask", grid, "chi", keep_csf);
  const std::map<int32_t, std::string> names = label_names(lut, "lut");
  if (!(erode_mm >= 0)) throw py::value_error("erode_mm must be >= 0");
  if (iron_slope == 0) throw py::value_error("iron_slope must not be 0");
  if (norms.is_none() != age.is_none()) throw py::value_error("norms and age go together (z-scores need both)");

  RoiStatsOptions o;
  o.erode_mm = erode_mm;
  o.bilateral = !no_bilateral;
  set_roi_reference(o, reference);  // --reference: brain | csf | none | a region's name
  if (iron) {
    IronCalibration cal;
    cal.slope_ppb_per_ug_g = iron_slope;
    cal.intercept_ppb = iron_intercept;
    o.iron = cal;
  }
  if (!norms.is_none()) {
    if (!py::isinstance<py::str>(norms)) throw py::type_error("norms: expected the name of a TSV file (region model a b c sd)");
    o.norms = normative_curves(read_tsv(norms.cast<std::string>()));
    o.age_years = age.cast<double>();
    if (!(*o.age_years >= 0 && *o.age_years <= 150)) throw py::value_error("age must be within [0, 150] years");
  }
  use_threads(threads);
  const Volume chi_view = c.view(grid);
  RoiStatsResult r;
  {
    py::gil_scoped_release nogil;
    r = roi_stats(chi_view, label_map, names, o, brain.empty() ? nullptr : &brain, csf.empty() ? nullptr : &csf);
  }

  const bool with_z = o.age_years.has_value();
  Columns t;  // qsmtk roistats' table: label 0 and hemisphere "" where the TSV has n/a
  t.declare("label", "int64");
  t.declare("name", "str");
  t.declare("hemisphere", "str");
  t.declare("labels", "str");
  t.declare("voxels", "int64");
  for (const char* n : {"volume_mm3", "mean_chi_ppb", "median_chi_ppb", "sd_chi_ppb", "p10_chi_ppb", "p90_chi_ppb"})
    t.declare(n, "float64");
  t.declare("reference", "str");
  t.declare("reference_chi_ppb", "float64");
  if (iron) t.declare("iron_estimate_ug_per_g", "float64");
  if (with_z) t.declare("expected_chi_ppb", "float64"), t.declare("z_score", "float64");
  py::list regions;
  for (const RegionStats& s : r.regions) {
    std::string ids;
    for (int32_t id : s.labels) {
      if (!ids.empty()) ids += ',';
      ids += std::to_string(id);
    }
    t.integer("label", s.label);
    t.text("name", s.name);
    t.text("hemisphere", s.hemisphere);
    t.text("labels", ids);
    t.integer("voxels", s.voxels);
    t.number("volume_mm3", s.volume_mm3);
    t.number("mean_chi_ppb", s.mean_chi_ppb);
    t.number("median_chi_ppb", s.median_chi_ppb);
    t.number("sd_chi_ppb", s.sd_chi_ppb);
    t.number("p10_chi_ppb", s.p10_chi_ppb);
    t.number("p90_chi_ppb", s.p90_chi_ppb);
    t.text("reference", to_string(r.reference));
    t.number("reference_chi_ppb", r.reference_chi_ppb);
    if (iron) t.number("iron_estimate_ug_per_g", s.iron_ug_per_g);
    if (with_z) t.number("expected_chi_ppb", s.expected_chi_ppb), t.number("z_score", s.z);

    py::dict d;
    d["label"] = s.label, d["labels"] = s.labels, d["name"] = s.name, d["hemisphere"] = s.hemisphere;
    d["voxels_before_erosion"] = s.voxels_before_erosion, d["voxels"] = s.voxels, d["volume_mm3"] = s.volume_mm3;
    d["mean_chi_ppb"] = s.mean_chi_ppb, d["median_chi_ppb"] = s.median_chi_ppb, d["sd_chi_ppb"] = s.sd_chi_ppb;
    d["p10_chi_ppb"] = s.p10_chi_ppb, d["p90_chi_ppb"] = s.p90_chi_ppb;
    if (iron) d["iron_estimate_ug_per_g"] = s.iron_ug_per_g;
    if (with_z) d["expected_chi_ppb"] = s.expected_chi_ppb, d["z_score"] = s.z;
    regions.append(d);
  }
  py::dict ref;
  ref["kind"] = to_string(r.reference);
  ref["description"] = r.reference_description;
  ref["voxels"] = r.reference_voxels;
  ref["chi_ppb"] = r.reference_chi_ppb;
  py::dict out;
  out["table"] = t.to_dict();
  out["regions"] = regions;
  out["reference"] = ref;
  if (iron) {
    py::dict cal;
    cal["slope_ppb_per_ug_g"] = o.iron->slope_ppb_per_ug_g;
    cal["intercept_ppb"] = o.iron->intercept_ppb;
    cal["source"] = o.iron->source;
    out["iron_calibration"] = cal;
  }
  return out;
}

// ---- compare ----

py::dict compare_py(const py::object& truth, const py::object& test, const py::object& mask,
                    const py::object& labels, const py::object& labels_tsv, int threads) {
  const FloatArray t = float_array(truth, "truth"), x = float_array(test, "test");
  Grid grid;  // metrics work in voxels: the geometry does not enter
  grid.dims = t.dims;
  require_same_shape(x, grid, "truth");
  std::vector<py::handle> masks;
  if (py::isinstance<py::list>(mask) || py::isinstance<py::tuple>(mask)) {
    for (const py::handle m : mask) masks.push_back(m);
    if (masks.empty()) throw py::value_error("mask: give at least one mask");
  } else {
    masks.push_back(mask);
  }
  Mask inside(grid);  // where every mask is set, as --mask given more than once
  std::fill(inside.begin(), inside.end(), uint8_t(1));
  for (size_t k = 0; k < masks.size(); ++k) {
    py::object keep;
    const Mask m = mask_image(masks[k], masks.size() > 1 ? "mask[" + std::to_string(k) + "]" : "mask", grid,
                              "truth", keep);
    for (int64_t q = 0; q < inside.voxels(); ++q) inside[q] = inside[q] && m[q];
  }
  py::object keep_labels;
  LabelImage label_map;
  if (!labels.is_none()) label_map = label_image(labels, "labels", grid, "truth", keep_labels);
  const std::map<int32_t, std::string> names = label_names(labels_tsv, "labels_tsv");
  use_threads(threads);
  const Volume truth_view = t.view(grid), test_view = x.view(grid);
  Comparison c;
  {
    py::gil_scoped_release nogil;
    c = compare_maps(truth_view, test_view, inside, labels.is_none() ? nullptr : &label_map, names);
  }
  py::dict out;  // the keys of qsmtk compare --json
  out["nrmse"] = c.nrmse_pct;
  out["hfen"] = c.hfen_pct;
  out["ssim"] = c.ssim;
  out["mask_voxels"] = c.mask_voxels;
  if (!c.roi.empty()) {
    py::list roi;
    for (const RegionError& r : c.roi) {
      py::dict d;
      d["label"] = r.label, d["name"] = r.name, d["voxels"] = r.voxels;
      d["true_mean_ppm"] = r.true_mean_ppm, d["test_mean_ppm"] = r.test_mean_ppm, d["error_ppb"] = r.error_ppb;
      roi.append(d);
    }
    out["roi"] = roi;
  }
  return out;
}

}  // namespace

void register_analysis(py::module_& m) {
  using py::arg;
  const LesionLabelOptions lo;
  const LesionAnalysisOptions ao;
  const IronCalibration cal;
  m.def("lesions", &lesions_py, arg("chi"), arg("lesions"), py::kw_only(), arg("mask") = py::none(),
        arg("wm") = py::none(), arg("wm_labels") = py::none(), arg("r2star") = py::none(), arg("kind") = "auto",
        arg("threshold") = lo.probability_threshold, arg("connectivity") = lo.connectivity,
        arg("min_volume") = lo.min_size_mm3, arg("rim_threshold") = ao.threshold_ppb,
        arg("rim_core_contrast") = ao.core_contrast_ppb, arg("rim_coverage") = ao.min_coverage,
        arg("rim_slices") = ao.min_consecutive_slices, arg("sectors") = ao.sectors, arg("affine") = py::none(),
        arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(MS lesion analysis, as `qsmtk lesions`: per-lesion chi (ppb), delta chi against the white
matter reference, rim coverage and the paramagnetic rim lesion (PRL) flag.

chi: ppm. lesions: a label image (ids kept), a binary mask (connected components) or a probability
map, on chi's grid; kind: auto | binary | labels | probability. wm: a white matter mask, or a label
map with wm_labels. Returns {'table' (dict of columns, the TSV's), 'lesions' (list of dicts with
'radial_profile' and 'slices'), 'prl_count', 'prl_at_least_1', 'prl_at_least_4', 'lesion_input_kind'}.)");

  m.def("roistats", &roistats_py, arg("chi"), arg("labels"), py::kw_only(), arg("lut") = py::none(),
        arg("mask") = py::none(), arg("erode_mm") = 0.0, arg("reference") = "none", arg("csf_mask") = py::none(),
        arg("no_bilateral") = false, arg("iron") = false, arg("iron_slope") = cal.slope_ppb_per_ug_g,
        arg("iron_intercept") = cal.intercept_ppb, arg("norms") = py::none(), arg("age") = py::none(),
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(Chi statistics per region of a label map, as `qsmtk roistats`.

lut: label names, a file (BIDS TSV with index/name, or FreeSurferColorLUT.txt) or a dict
{label: name}. reference: none | brain (needs mask) | csf | a region's name, subtracted first.
iron=True adds iron estimates (ug/g, an estimate); norms (TSV file) with age adds z-scores.
Returns {'table' (dict of columns, the TSV's; label 0 and hemisphere '' where the TSV has n/a),
'regions' (list of dicts), 'reference', ['iron_calibration']}.)");

  m.def("compare", &compare_py, arg("truth"), arg("test"), arg("mask"), py::kw_only(), arg("labels") = py::none(),
        arg("labels_tsv") = py::none(), arg("threads") = 0,
        R"(Accuracy of a chi map against the truth, as `qsmtk compare`: nrmse (%), hfen (%), ssim and,
with labels, per-region errors, each after removing each map's mean inside the mask.

mask: an array or a list of arrays (where all are set). labels_tsv: names (file or dict). Metrics
work in voxels, so no geometry is needed. Returns the keys of `qsmtk compare --json`:
{'nrmse', 'hfen', 'ssim', 'mask_voxels', ['roi']}.)");
}

}  // namespace qsmtk::python
