// Cases of the built-in phantom and the orchestration of a simulation.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "forward_model.h"
#include "head_model.h"
#include "qsmtk/log.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"

namespace qsmtk {

std::vector<double> default_echo_times(double b0) {
  // 5 monopolar echoes; first echo and spacing shrink with B0 as T2* does.
  double first = 0.005, spacing = 0.006;  // 3 T, as in MS studies (MS_NOTES.md)
  if (b0 <= 2.0) first = 0.006, spacing = 0.008;
  if (b0 >= 5.0) first = 0.003, spacing = 0.004;
  std::vector<double> te;
  for (int e = 0; e < 5; ++e) te.push_back(first + e * spacing);
  return te;
}

SimulationCase simulation_case(const std::string& name, const std::string& size) {
  SimulationCase c;
  c.name = name;
  if (name == "std") {
  } else if (name == "oblique") {
    // Slices tilted 25 deg about x and 10 deg about y: B0 oblique in array coordinates.
    c.rotation = Mat3::rotation({1, 0, 0}, 25 * M_PI / 180) * Mat3::rotation({0, 1, 0}, 10 * M_PI / 180);
  } else if (name == "aniso") {
    c.voxel_mm = {0.75, 0.75, 1.5};
  } else if (name == "lowsnr") {
    c.snr = 100.0 / 3.0;
  } else if (name == "7t") {
    c.b0_tesla = 7.0;
    c.voxel_mm = {0.8, 0.8, 0.8};
  } else {
    throw std::invalid_argument("unknown simulation case '" + name + "' (std, oblique, aniso, lowsnr, 7t)");
  }
  if (size == "small") {
    c.voxel_mm = 2.0 * c.voxel_mm;
  } else if (size != "default") {
    throw std::invalid_argument("unknown phantom size '" + size + "' (small, default)");
  }
  c.echo_times_s = default_echo_times(c.b0_tesla);
  return c;
}

bool HeadMotion::is_identity() const {
  return rotation_deg == Vec3{0, 0, 0} && translation_mm == Vec3{0, 0, 0};
}

Mat3 HeadMotion::rotation() const {
  const double d = M_PI / 180;
  return Mat3::rotation({0, 0, 1}, rotation_deg[2] * d) * Mat3::rotation({0, 1, 0}, rotation_deg[1] * d) *
         Mat3::rotation({1, 0, 0}, rotation_deg[0] * d);
}

Mat4 head_motion_world_matrix(const HeadMotion& motion, const Grid& grid) {
  // world = G p + g0 for a phantom-frame point p (G: affine's linear part over the voxel size,
  // g0: world position of the grid centre); p -> R p + t becomes x -> G R G^-1 (x - g0) + G t + g0.
  const Mat4 affine = grid.affine();
  const Vec3& h = grid.voxel_size;
  const Mat3 g = affine.linear() * Mat3::diagonal({1 / h[0], 1 / h[1], 1 / h[2]});
  const Vec3 g0 = affine.apply({(grid.dims[0] - 1) / 2.0, (grid.dims[1] - 1) / 2.0, (grid.dims[2] - 1) / 2.0});
  const Mat3 r = g * motion.rotation() * g.inverse();
  return Mat4::from(r, g0 + g * motion.translation_mm - r * g0);
}

namespace {

Grid output_grid(const SimulationCase& c) {
  Dims d{};
  for (int a = 0; a < 3; ++a) d[a] = std::max<int64_t>(8, std::llround(c.fov_mm[a] / c.voxel_mm[a]));
  return Grid::centred(d, c.voxel_mm, c.rotation);
}

void check_options(const SimulationOptions& o) {
  const auto& a = o.acquisition;
  if (a.echo_times_s.empty()) throw std::invalid_argument("simulation needs at least one echo time");
  for (double te : a.echo_times_s)
    if (!(te > 0 && te < 1)) throw std::invalid_argument("echo times must be in seconds, between 0 and 1");
  if (!(a.b0_tesla > 0 && a.b0_tesla <= 21)) throw std::invalid_argument("field strength must be in (0, 21] T");
  if (!(a.snr > 0)) throw std::invalid_argument("SNR must be positive");
  if (o.supersampling < 2) throw std::invalid_argument("supersampling must be at least 2 (no inverse crime)");
  if (!(o.pad_fraction >= 0)) throw std::invalid_argument("pad fraction must be >= 0");
  const FollowUpChanges& f = o.follow_up;
  for (int d = 0; d < 3; ++d)
    if (!std::isfinite(f.head_motion.rotation_deg[d]) || !std::isfinite(f.head_motion.translation_mm[d]))
      throw std::invalid_argument("head motion: angles and shifts must be finite numbers");
  auto check_lesion = [&](int32_t id, const std::string& what) {
    if (id < 1 || id > o.lesion_count)
      throw std::invalid_argument(what + ": no lesion " + std::to_string(id) + " (the phantom has lesions 1.." +
                                  std::to_string(o.lesion_count) + ")");
  };
  for (const auto& [id, ppb] : f.lesion_change_ppb) {
    check_lesion(id, "lesion change");
    if (!std::isfinite(ppb)) throw std::invalid_argument("lesion change: the change of lesion " + std::to_string(id) +
                                                         " is not a finite number of ppb");
  }
  for (int32_t id : f.lesions_rim_lost) check_lesion(id, "lesion rim lost");
}

/// Fields (total, local) and signal from fine tissue maps; fills the Simulation.
void simulate_fields_and_signal(sim::FineMaps& fine, double outside_chi, Simulation& s) {
  const SimulationOptions& o = s.options;
  const Grid& grid = s.chi.grid();
  const double hz = hz_per_ppm(o.acquisition.b0_tesla);
  const int f = fine.factor;

  log::Progress total_step("Total field (fine grid)", 1);
  sim::FieldOptions fo;
  fo.pad_fraction = o.pad_fraction;
  Volume field = sim::fine_field_ppm(fine.chi, outside_chi, fine.voxel_mm, s.b0_direction, fo);
  total_step.finish();
  s.total_field_hz = sim::block_mean(field, f, grid);
  for (float& v : s.total_field_hz) v = float(v * hz);

  sim::SignalOptions so;
  so.b0_tesla = o.acquisition.b0_tesla;
  so.echo_times_s = o.acquisition.echo_times_s;
  so.snr = o.acquisition.snr;
  so.noise = o.noise;
  so.phase_offset = o.phase_offset;
  so.seed = o.seed;
  s.noise_sd = sim::simulate_signal(fine, field, grid, s.brain_mask, so, s.magnitude, s.phase);
  field = Volume();  // the local field reuses its memory

  // Local field: the field of the sources inside the brain mask, chi demeaned there (a constant
  // inside the mask only adds a field that is harmonic inside it, i.e. background).
  log::Progress local_step("Local field (fine grid)", 1);
  double sum = 0;
  int64_t count = 0;
  for (int64_t v = 0; v < grid.voxels(); ++v)
    if (s.brain_mask[v]) sum += s.chi[v], ++count;
  const double mean = count ? sum / double(count) : 0.0;
  const Dims& n = fine.chi.dims();
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = i + n[0] * (j + n[1] * k);
        fine.chi[q] = s.brain_mask(i / f, j / f, k / f) ? float(fine.chi[q] - mean) : 0.0f;
      }
  });
  // The demeaned brain sources have almost no net moment: their images need no correction.
  fo.far_field_correction = false;
  Volume local = sim::fine_field_ppm(fine.chi, 0.0, fine.voxel_mm, s.b0_direction, fo);
  s.local_field_hz = sim::block_mean(local, f, grid);
  for (float& v : s.local_field_hz) v = float(v * hz);
  local_step.finish();
}

/// Refuses a simulation that cannot fit in memory (the fine grid grows with supersampling^3).
void check_simulation_memory(const Grid& grid, const SimulationOptions& o) {
  const int64_t bytes = estimate_simulation_peak_bytes(grid, o);
  log::verbose("estimated peak memory of the simulation: " + gib_text(bytes));
  require_memory(bytes, "the simulation (" + grid.describe() + ", " + std::to_string(o.acquisition.echo_times_s.size()) +
                            " echoes, supersampled x" + std::to_string(o.supersampling) + ")");
}

}  // namespace

int64_t estimate_simulation_peak_bytes(const Grid& grid, const SimulationOptions& o) {
  // Measured on the phantom's cases (docs/benchmarks.md): per fine voxel the four tissue maps and
  // the field, plus what the heap keeps of earlier stages; the FFT grids of the field; per output
  // voxel and echo the complex signal, magnitude and phase; per output voxel the truth maps.
  const int f = o.supersampling;
  const Dims fine{grid.dims[0] * f, grid.dims[1] * f, grid.dims[2] * f};
  const Vec3 h = (1.0 / f) * grid.voxel_size;
  sim::FieldOptions fo;
  fo.pad_fraction = o.pad_fraction;
  const int64_t echoes = int64_t(o.acquisition.echo_times_s.size());
  constexpr double bytes_per_fine_voxel = 20;  // fit to the measured peaks
  const double bytes = bytes_per_fine_voxel * double(voxel_count(fine)) +
                       double(sim::fine_field_work_bytes(fine, h, fo)) +
                       double(grid.voxels()) * (40.0 + 16.0 * double(echoes)) + 64.0 * 1024 * 1024;
  return int64_t(1.15 * bytes);
}

Simulation simulate_phantom(const SimulationOptions& options) {
  check_options(options);
  Simulation s;
  s.options = options;
  const SimulationCase& c = options.acquisition;
  const Grid grid = output_grid(c);
  check_simulation_memory(grid, options);
  s.b0_direction = b0_direction(grid);
  log::info("Phantom '" + c.name + "': " + grid.describe() + ", " + std::to_string(c.echo_times_s.size()) +
            " echoes at " + std::to_string(c.b0_tesla).substr(0, 4) + " T, supersampled x" +
            std::to_string(options.supersampling));

  const sim::HeadModel model(c.b0_tesla, options.seed, options.lesion_count, options.follow_up);

  // Labels and mask at the output voxel centres.
  log::Progress label_step("Labels and brain mask", 1);
  s.brain_mask = Mask(grid);
  s.deep_grey_labels = LabelImage(grid);
  s.lesion_labels = LabelImage(grid);
  s.tissue_labels = LabelImage(grid);
  parallel_for(grid.dims[2], [&](int64_t k) {
    for (int64_t j = 0; j < grid.dims[1]; ++j)
      for (int64_t i = 0; i < grid.dims[0]; ++i) {
        const Vec3 p = sim::centred_position(grid.dims, grid.voxel_size, double(i), double(j), double(k));
        const sim::Structure* st = model.structure_at(p);
        if (!st || !sim::in_brain(st->region)) continue;
        s.brain_mask(i, j, k) = 1;
        int32_t tissue = kTissueNone;
        switch (st->region) {
          case sim::Region::csf_inner: tissue = kTissueCSF; break;
          case sim::Region::gm: tissue = kTissueGM; break;
          case sim::Region::wm: tissue = kTissueWM; break;
          case sim::Region::deep_gm: tissue = kTissueDeepGM; s.deep_grey_labels(i, j, k) = st->label; break;
          case sim::Region::vein_internal: tissue = kTissueVein; break;
          case sim::Region::lesion: tissue = kTissueLesion; s.lesion_labels(i, j, k) = st->label; break;
          case sim::Region::calcification: tissue = kTissueCalcification; break;
          default: break;
        }
        s.tissue_labels(i, j, k) = tissue;
      }
  });

  label_step.finish();
  sim::FineMaps fine = sim::rasterize(model, grid, options.supersampling, options.seed);
  s.chi = sim::block_mean(fine.chi, fine.factor, grid);
  s.chi_para = sim::block_mean(fine.para, fine.factor, grid);
  s.chi_dia = Volume(grid);
  for (int64_t v = 0; v < grid.voxels(); ++v) s.chi_dia[v] = s.chi[v] - s.chi_para[v];
  s.r2star = sim::block_mean(fine.r2star, fine.factor, grid);
  fine.para = Volume();

  simulate_fields_and_signal(fine, model.air().chi(), s);

  // Tables from the truth maps.
  std::map<int32_t, std::pair<double, int64_t>> dgm, les;
  for (int64_t v = 0; v < grid.voxels(); ++v) {
    if (int32_t l = s.deep_grey_labels[v]) dgm[l].first += s.chi[v], dgm[l].second++;
    if (int32_t l = s.lesion_labels[v]) les[l].first += s.chi[v], les[l].second++;
  }
  const auto& names = model.deep_grey_names();
  for (size_t i = 0; i < names.size(); ++i) {
    DeepGreyRegion r;
    r.index = int32_t(i + 1);
    r.name = names[i];
    const auto it = dgm.find(r.index);
    r.voxels = it != dgm.end() ? it->second.second : 0;
    r.chi_ppm = r.voxels ? it->second.first / double(r.voxels) : NAN;
    s.deep_grey.push_back(r);
  }
  const Mat4 affine = grid.affine();
  for (Lesion l : model.lesions()) {
    const auto it = les.find(l.index);
    l.voxels = it != les.end() ? it->second.second : 0;
    l.mean_chi_ppm = l.voxels ? it->second.first / double(l.voxels) : NAN;
    l.centre_mm = model.to_scanner(l.centre_mm);  // where the (moved) head puts it
    const Vec3 ijk{l.centre_mm[0] / grid.voxel_size[0] + (grid.dims[0] - 1) / 2.0,
                   l.centre_mm[1] / grid.voxel_size[1] + (grid.dims[1] - 1) / 2.0,
                   l.centre_mm[2] / grid.voxel_size[2] + (grid.dims[2] - 1) / 2.0};
    l.centre_world_mm = affine.apply(ijk);
    s.lesions.push_back(l);
  }
  return s;
}

Simulation simulate_from_chi(const Volume& chi, const Mask* tissue_mask, const SimulationOptions& options,
                             double r2star_per_s) {
  if (options.follow_up.any())
    throw std::invalid_argument("head motion and lesion changes apply to the built-in phantom only, not to --from-chi");
  check_options(options);
  if (chi.frames() != 1) throw std::invalid_argument("--from-chi needs a 3-D chi map");
  const Grid& grid = chi.grid();
  if (tissue_mask) require_same_space(grid, tissue_mask->grid(), "--from-chi: chi map and mask");
  check_simulation_memory(grid, options);
  Simulation s;
  s.options = options;
  s.b0_direction = b0_direction(grid);
  s.chi = chi;
  s.brain_mask = Mask(grid);
  for (int64_t v = 0; v < grid.voxels(); ++v) {
    if (!std::isfinite(chi[v])) throw std::invalid_argument("--from-chi: the chi map holds NaN or Inf");
    s.brain_mask[v] = tissue_mask ? (*tissue_mask)[v] : (chi[v] != 0.0f);
  }
  // The surrounding medium: the median of the map's border voxels (air 9.4, or 0 for brain-only maps).
  std::vector<float> border;
  const Dims& d = grid.dims;
  for (int64_t k = 0; k < d[2]; ++k)
    for (int64_t j = 0; j < d[1]; ++j)
      for (int64_t i = 0; i < d[0]; ++i)
        if (i == 0 || j == 0 || k == 0 || i == d[0] - 1 || j == d[1] - 1 || k == d[2] - 1) border.push_back(chi(i, j, k));
  std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
  const double outside = border[border.size() / 2];

  // Nearest-neighbour supersampling: each voxel is a uniform block of tissue.
  const int f = options.supersampling;
  sim::FineMaps fine;
  fine.factor = f;
  fine.voxel_mm = (1.0 / f) * grid.voxel_size;
  const Grid g{{d[0] * f, d[1] * f, d[2] * f}};
  fine.chi = Volume(g);
  fine.m0 = Volume(g);
  fine.r2star = Volume(g);
  const Dims& n = g.dims;
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = i + n[0] * (j + n[1] * k), v = (i / f) + d[0] * ((j / f) + d[1] * (k / f));
        fine.chi[q] = chi[v];
        fine.m0[q] = s.brain_mask[v] ? 1.0f : 0.0f;
        fine.r2star[q] = float(r2star_per_s);
      }
  });
  s.r2star = Volume(grid, 1, float(r2star_per_s));
  simulate_fields_and_signal(fine, outside, s);
  return s;
}

}  // namespace qsmtk
