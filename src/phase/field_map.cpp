#include "qsmtk/phase/field_map.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/offset.h"

namespace qsmtk {

UnwrapMethod parse_unwrap_method(const std::string& n) {
  if (n == "romeo") return UnwrapMethod::romeo;
  if (n == "laplacian") return UnwrapMethod::laplacian;
  throw std::invalid_argument("unknown unwrapping method '" + n + "' (romeo, laplacian)");
}

std::string to_string(UnwrapMethod m) { return m == UnwrapMethod::romeo ? "romeo" : "laplacian"; }

namespace {
class StepTimer {
 public:
  explicit StepTimer(std::vector<std::pair<std::string, double>>& out) : out_(out) {}
  void done(const std::string& step) {
    const auto now = std::chrono::steady_clock::now();
    out_.emplace_back(step, std::chrono::duration<double>(now - start_).count());
    log::verbose(step + ": " + std::to_string(out_.back().second) + " s");
    start_ = now;
  }

 private:
  std::vector<std::pair<std::string, double>>& out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

bool evenly_spaced(const std::vector<double>& te) {
  for (size_t e = 2; e < te.size(); ++e)
    if (std::fabs((te[e] - te[e - 1]) - (te[1] - te[0])) > 1e-3 * (te[1] - te[0])) return false;
  return true;
}
/// Drops unreliable edge voxels (see FieldMapOptions::edge_noise_factor) from the mask and
/// clears the field, its noise and the unwrapped phase there.
void refine_mask_by_noise(FieldMapResult& r, double factor, double max_depth_mm, double seed_depth_mm) {
  std::vector<float> noise;
  for (int64_t q = 0; q < r.mask.voxels(); ++q)
    if (r.mask[q] && std::isfinite(r.fit.noise_hz[q])) noise.push_back(r.fit.noise_hz[q]);
  if (noise.empty()) return;
  std::nth_element(noise.begin(), noise.begin() + noise.size() / 2, noise.end());
  const float limit = float(factor * noise[noise.size() / 2]);
  const Volume depth2 = distance_to_outside_sq(r.mask, true);
  const float max_depth2 = float(max_depth_mm * max_depth_mm);
  Mask unreliable(r.mask.grid());
  for (int64_t q = 0; q < r.mask.voxels(); ++q)
    unreliable[q] = r.mask[q] && depth2[q] <= max_depth2 && !(r.fit.noise_hz[q] <= limit);
  const Mask kept = largest_component(peel_from_edge(r.mask, unreliable, seed_depth_mm), 6);
  int64_t removed = 0;
  for (int64_t q = 0; q < r.mask.voxels(); ++q) {
    if (!r.mask[q] || kept[q]) continue;
    ++removed;
    r.fit.field_hz[q] = 0;
    r.fit.noise_hz[q] = 0;
    for (int64_t e = 0; e < r.unwrapped.frames(); ++e) r.unwrapped.frame(e)[q] = 0;
  }
  r.mask = kept;
  log::verbose("field map: " + std::to_string(removed) + " unreliable edge voxels (noise > " + std::to_string(limit) +
               " Hz) left the mask");
}

}  // namespace

FieldMapResult map_field(const Volume& magnitude, const Volume& phase, const std::vector<double>& te,
                         const FieldMapOptions& o) {
  const int64_t ne = phase.frames();
  if (magnitude.frames() != ne || int64_t(te.size()) != ne)
    throw std::invalid_argument("field map: magnitude, phase and echo times differ in number of echoes");
  require_same_space(magnitude.grid(), phase.grid(), "field map: magnitude and phase");
  FieldMapResult r;
  StepTimer timer(r.seconds);

  if (o.user_mask) {
    require_same_space(o.user_mask->grid(), phase.grid(), "field map: mask and phase");
    r.mask = *o.user_mask;
  } else {
    log::Progress p("Brain mask", 1);
    r.mask = brain_mask(magnitude, te, o.mask);
  }
  int64_t in_mask = 0;
  for (uint8_t v : r.mask) in_mask += v;
  if (in_mask == 0) throw std::invalid_argument("field map: the brain mask is empty");
  timer.done("mask");

  Volume ph = phase;
  if (ne == 1) {
    r.warnings.push_back("one echo: the receiver phase offset cannot be separated from the field; the field map "
                         "includes offset / (2 pi TE), a smooth term that background removal mostly takes away");
    log::warn(r.warnings.back());
  }
  if (o.remove_offset && ne >= 2) {
    log::Progress p("Phase offset (MCPC-3D-S)", 1);
    r.phase_offset = estimate_phase_offset(phase, magnitude, r.mask, te);
    ph = remove_phase_offset(phase, r.phase_offset);
    timer.done("phase offset");
  }

  if (o.unwrap == UnwrapMethod::romeo) {
    r.unwrapped = unwrap_echoes(ph, magnitude, r.mask, te, o.remove_offset || ne == 1 ? o.echo_mode
                                                                                      : EchoUnwrapMode::individual);
  } else {
    log::Progress p("Unwrapping (Laplacian)", ne);
    r.unwrapped = Volume(ph.grid(), ne);
    for (int64_t e = 0; e < ne; ++e) {
      const Volume u = unwrap_laplacian(ph.extract_frame(e));
      std::copy(u.begin(), u.end(), r.unwrapped.frame(e));
      p.update(e + 1);
    }
  }
  timer.done("unwrap");

  {
    log::Progress p("Echo fit", 1);
    r.fit = fit_field(r.unwrapped, magnitude, te, r.mask, o.fit);
  }
  timer.done("echo fit");
  if (!o.user_mask && o.edge_noise_factor > 0) {
    refine_mask_by_noise(r, o.edge_noise_factor, o.edge_noise_max_depth_mm, o.mask.csf_edge_mm);
    timer.done("mask refinement");
  }

  if (o.r2star && ne >= 3) {
    R2StarMethod m = o.r2star_method;
    if (m == R2StarMethod::arlo && !evenly_spaced(te)) m = R2StarMethod::loglinear;
    r.r2star_method = m == R2StarMethod::arlo ? "arlo" : m == R2StarMethod::loglinear ? "loglinear" : "nonlinear";
    r.r2star = fit_r2star(magnitude, te, r.mask, m);
    timer.done("r2star");
  }
  if (o.swi) {
    r.swi = ne >= 2 ? swi_multi_echo(magnitude, r.fit.field_hz, r.mask, te, o.swi_options)
                    : swi_homodyne(magnitude, phase, r.mask, 0, o.swi_options);
    timer.done("swi");
  }
  return r;
}

}  // namespace qsmtk
