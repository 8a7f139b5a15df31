// Regional chi statistics (see include/qsmtk/analysis/roi_stats.h).
#include "sorted_statistics.h"
#include "qsmtk/analysis/roi_stats.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "qsmtk/mask/morphology.h"
#include "qsmtk/strings.h"

namespace qsmtk {
namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, sep)) out.push_back(trim(cell));
  return out;
}

double parse_double(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    const double x = std::stod(s, &used);
    if (used == s.size() && std::isfinite(x)) return x;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(what + ": '" + s + "' is not a number");
}

/// "Left-Putamen" -> {"left", "Putamen"}; no side -> {"", name}.
std::pair<std::string, std::string> side_of(const std::string& name) {
  if (name.rfind("Left-", 0) == 0) return {"left", name.substr(5)};
  if (name.rfind("Right-", 0) == 0) return {"right", name.substr(6)};
  return {"", name};
}

using detail::percentile_sorted;

/// Fills the statistics of `s` from its chi values (ppb, before the reference); sorts `v`.
void describe(std::vector<double>& v, double reference_ppb, RegionStats& s, double voxel_mm3) {
  s.voxels = int64_t(v.size());
  s.volume_mm3 = double(s.voxels) * voxel_mm3;
  if (v.empty()) {
    s.mean_chi_ppb = s.median_chi_ppb = s.sd_chi_ppb = s.p10_chi_ppb = s.p90_chi_ppb = NAN;
    return;
  }
  double sum = 0;
  for (double x : v) sum += x;
  const double m = sum / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  std::sort(v.begin(), v.end());
  s.mean_chi_ppb = m - reference_ppb;
  s.sd_chi_ppb = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0;
  s.median_chi_ppb = percentile_sorted(v, 0.5) - reference_ppb;
  s.p10_chi_ppb = percentile_sorted(v, 0.1) - reference_ppb;
  s.p90_chi_ppb = percentile_sorted(v, 0.9) - reference_ppb;
}

/// The voxels (full-grid indices, `members`) of label `id` left after erosion by `erode_mm`; the
/// distance transform runs on the label's bounding box (beyond it the label is absent anyway).
std::vector<int64_t> eroded_voxels(const LabelImage& labels, int32_t id, const std::vector<int64_t>& members,
                                   double erode_mm) {
  if (erode_mm <= 0 || members.empty()) return members;
  const Dims& d = labels.dims();
  int64_t lo[3] = {d[0], d[1], d[2]}, hi[3] = {-1, -1, -1};
  for (int64_t q : members) {
    const int64_t p[3] = {q % d[0], (q / d[0]) % d[1], q / (d[0] * d[1])};
    for (int a = 0; a < 3; ++a) lo[a] = std::min(lo[a], p[a]), hi[a] = std::max(hi[a], p[a]);
  }
  Grid g;
  g.dims = {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};
  g.voxel_size = labels.grid().voxel_size;
  Mask m(g);
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i) m(i, j, k) = labels(lo[0] + i, lo[1] + j, lo[2] + k) == id;
  const Mask e = erode(m, erode_mm);
  std::vector<int64_t> kept;
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i)
        if (e(i, j, k)) kept.push_back(labels.index(lo[0] + i, lo[1] + j, lo[2] + k));
  return kept;
}

}  // namespace

std::map<int32_t, std::string> parse_label_lut(const std::string& text, const std::string& what) {
  std::map<int32_t, std::string> names;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool first = true, tsv = false;
  size_t ci = 0, cn = 1;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (first) {
      first = false;
      const std::vector<std::string> header = split(line, '\t');
      const auto at = [&](const char* c) { return std::find(header.begin(), header.end(), c); };
      if (at("index") != header.end() && at("name") != header.end()) {
        tsv = true;
        ci = size_t(at("index") - header.begin());
        cn = size_t(at("name") - header.begin());
        continue;
      }
    }
    std::vector<std::string> cells;
    if (tsv) {
      cells = split(line, '\t');
    } else {
      std::istringstream w(t);
      for (std::string c; w >> c;) cells.push_back(c);
    }
    int32_t index = 0;
    if (cells.size() <= std::max(ci, cn) || !parse_int(cells[ci], index) || cells[cn].empty())
      throw std::runtime_error(what + ": line " + std::to_string(line_no) + " is not 'index name ...': " + t);
    names[index] = cells[cn];
  }
  return names;
}

const char* to_string(RoiReference r) {
  switch (r) {
    case RoiReference::none: return "none";
    case RoiReference::brain: return "brain";
    case RoiReference::csf: return "csf";
    case RoiReference::region: return "region";
  }
  return "none";
}

void set_roi_reference(RoiStatsOptions& o, const std::string& reference) {
  o.reference_region.clear();
  if (reference == "none") o.reference = RoiReference::none;
  else if (reference == "brain") o.reference = RoiReference::brain;
  else if (reference == "csf") o.reference = RoiReference::csf;
  else o.reference = RoiReference::region, o.reference_region = reference;
}

double iron_estimate_ug_per_g(double chi_ppb, const IronCalibration& c) {
  if (c.slope_ppb_per_ug_g == 0) throw std::invalid_argument("iron calibration: the slope must not be 0");
  return (chi_ppb - c.intercept_ppb) / c.slope_ppb_per_ug_g;
}

double NormativeCurve::expected_ppb(double age) const {
  return model == Model::linear ? a + b * age : a * (1 - std::exp(-b * age)) + c;
}

std::vector<NormativeCurve> normative_curves(const Table& table) {
  const size_t cr = table.column("region"), cm = table.column("model"), ca = table.column("a"), cb = table.column("b"),
               cs = table.column("sd");
  const bool has_c = table.has_column("c");
  std::vector<NormativeCurve> out;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string where = "normative curves, row " + std::to_string(r + 1) + " (" + row[cr] + ")";
    NormativeCurve n;
    n.region = row[cr];
    const std::string model = lower(row[cm]);
    if (model == "linear") {
      n.model = NormativeCurve::Model::linear;
    } else if (model == "exponential") {
      n.model = NormativeCurve::Model::exponential;
      if (!has_c) throw std::runtime_error(where + ": the exponential model needs the column c");
      n.c = parse_double(row[table.column("c")], where + ", c");
    } else {
      throw std::runtime_error(where + ": model '" + row[cm] + "' is not linear or exponential");
    }
    n.a = parse_double(row[ca], where + ", a");
    n.b = parse_double(row[cb], where + ", b");
    n.sd = parse_double(row[cs], where + ", sd");
    if (!(n.sd > 0)) throw std::runtime_error(where + ": sd must be > 0");
    out.push_back(n);
  }
  return out;
}

RoiStatsResult roi_stats(const Volume& chi, const LabelImage& labels, const std::map<int32_t, std::string>& names,
                         const RoiStatsOptions& o, const Mask* brain, const Mask* csf) {
  require_same_space(chi.grid(), labels.grid(), "chi map and label image");
  if (brain) require_same_space(chi.grid(), brain->grid(), "chi map and brain mask");
  if (csf) require_same_space(chi.grid(), csf->grid(), "chi map and CSF mask");
  if (o.erode_mm < 0) throw std::invalid_argument("erosion must be >= 0 mm");
  const Vec3& h = chi.grid().voxel_size;
  const double voxel_mm3 = h[0] * h[1] * h[2];
  const auto name_of = [&](int32_t id) {
    const auto it = names.find(id);
    return it != names.end() ? it->second : "label_" + std::to_string(id);
  };
  const auto usable = [&](int64_t q) { return !brain || (*brain)[q]; };

  std::map<int32_t, std::vector<int64_t>> members;  // voxels of each label, one pass
  for (int64_t q = 0; q < labels.voxels(); ++q) {
    const int32_t v = labels[q];
    if (v == 0) continue;
    if (v < 0) throw std::invalid_argument("label image: negative label " + std::to_string(v));
    members[v].push_back(q);
  }
  std::vector<int32_t> ids;
  for (const auto& [id, m] : members) ids.push_back(id);

  // Reference: the mean chi (ppb) over its voxels, not eroded.
  RoiStatsResult res;
  res.reference = o.reference;
  std::vector<uint8_t> in_ref;
  if (o.reference != RoiReference::none) in_ref.assign(size_t(chi.voxels()), 0);
  std::string ref_labels;
  const auto add_label = [&](int32_t id) {
    for (int64_t q : members[id])
      if (usable(q)) in_ref[size_t(q)] = 1;
    ref_labels += (ref_labels.empty() ? "" : ", ") + name_of(id);
  };
  switch (o.reference) {
    case RoiReference::none: res.reference_description = "none"; break;
    case RoiReference::brain:
      if (!brain) throw std::invalid_argument("the whole-brain reference needs a brain mask");
      for (int64_t q = 0; q < chi.voxels(); ++q) in_ref[size_t(q)] = (*brain)[q] != 0;
      res.reference_description = "brain (mask)";
      break;
    case RoiReference::csf:
      if (csf) {
        for (int64_t q = 0; q < chi.voxels(); ++q) in_ref[size_t(q)] = (*csf)[q] && usable(q);
        res.reference_description = "csf (mask)";
      } else {
        for (int32_t id : ids) {
          const std::string n = lower(name_of(id));
          if (n.find("csf") != std::string::npos || n.find("ventricle") != std::string::npos) add_label(id);
        }
        if (ref_labels.empty())
          throw std::invalid_argument("the CSF reference needs a CSF mask or labels named CSF or *Ventricle*");
        res.reference_description = "csf (labels: " + ref_labels + ")";
      }
      break;
    case RoiReference::region:
      for (int32_t id : ids)
        if (name_of(id) == o.reference_region) add_label(id);
      if (ref_labels.empty())  // a bilateral name: both sides
        for (int32_t id : ids) {
          const auto [side, base] = side_of(name_of(id));
          if (!side.empty() && base == o.reference_region) add_label(id);
        }
      if (ref_labels.empty())
        throw std::invalid_argument("reference region '" + o.reference_region + "' is not a label name");
      res.reference_description = "region " + o.reference_region + " (labels: " + ref_labels + ")";
      break;
  }
  if (o.reference != RoiReference::none) {
    double sum = 0;
    int64_t n = 0;
    for (int64_t q = 0; q < chi.voxels(); ++q)
      if (in_ref[size_t(q)] && std::isfinite(chi[q])) sum += 1000.0 * chi[q], ++n;
    if (n == 0) throw std::invalid_argument("the " + std::string(to_string(o.reference)) + " reference region is empty");
    res.reference_voxels = n;
    res.reference_chi_ppb = sum / double(n);
  }

  // Per label, keeping each label's values for the bilateral rows.
  std::map<int32_t, std::vector<double>> values;
  for (int32_t id : ids) {
    RegionStats s;
    s.label = id;
    s.labels = {id};
    s.name = name_of(id);
    s.hemisphere = side_of(s.name).first;
    for (int64_t q : members[id]) s.voxels_before_erosion += usable(q);
    std::vector<double>& v = values[id];
    for (int64_t q : eroded_voxels(labels, id, members[id], o.erode_mm)) {
      if (!usable(q)) continue;
      if (!std::isfinite(chi[q]))
        throw std::invalid_argument("chi map: non-finite value inside label " + std::to_string(id) + " (" + s.name + ")");
      v.push_back(1000.0 * chi[q]);
    }
    std::vector<double> copy = v;
    describe(copy, res.reference_chi_ppb, s, voxel_mm3);
    res.regions.push_back(std::move(s));
  }
  if (o.bilateral) {
    std::map<std::string, std::pair<const RegionStats*, const RegionStats*>> pairs;  // base -> left, right
    for (const RegionStats& s : res.regions) {
      const auto [side, base] = side_of(s.name);
      if (side == "left") pairs[base].first = &s;
      if (side == "right") pairs[base].second = &s;
    }
    std::vector<RegionStats> extra;
    for (const auto& [base, lr] : pairs) {
      if (!lr.first || !lr.second) continue;
      RegionStats s;
      s.name = base;
      s.hemisphere = "bilateral";
      s.labels = {lr.first->label, lr.second->label};
      s.voxels_before_erosion = lr.first->voxels_before_erosion + lr.second->voxels_before_erosion;
      std::vector<double> v = values[lr.first->label];
      v.insert(v.end(), values[lr.second->label].begin(), values[lr.second->label].end());
      describe(v, res.reference_chi_ppb, s, voxel_mm3);
      extra.push_back(std::move(s));
    }
    res.regions.insert(res.regions.end(), extra.begin(), extra.end());
  }

  for (RegionStats& s : res.regions) {
    if (o.iron) s.iron_ug_per_g = iron_estimate_ug_per_g(s.mean_chi_ppb, *o.iron);
    if (!o.age_years) continue;
    for (const NormativeCurve& n : o.norms)
      if (n.region == s.name) {
        s.expected_chi_ppb = n.expected_ppb(*o.age_years);
        s.z = n.z(s.mean_chi_ppb, *o.age_years);
        break;
      }
  }
  return res;
}

}  // namespace qsmtk
