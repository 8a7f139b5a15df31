#include "qsmtk/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "qsmtk/linalg.h"
#include "qsmtk/log.h"
#include "qsmtk/physics.h"

namespace qsmtk {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Volume first_echo(const Volume& magnitude) {
  Volume v(magnitude.grid());
  std::copy(magnitude.begin(), magnitude.begin() + v.voxels(), v.begin());
  return v;
}
}  // namespace

int64_t estimate_pipeline_peak_bytes(int64_t voxels, int64_t echoes, const PipelineOptions& o) {
  // Working set of each inversion beyond the inputs, bytes per voxel (measured; those below the
  // field-map stage's peak at 3 echoes share one figure).
  double inversion = 90;
  switch (o.inversion) {
    // TKD pads the mask's box by half of each side; 162 holds for a mask that fills the grid.
    case InversionMethod::tkd: inversion = 162; break;
    case InversionMethod::tgv: inversion = 120; break;
    case InversionMethod::ilsqr: inversion = 114; break;
    case InversionMethod::tv: case InversionMethod::nltv: inversion = 96; break;
    default: break;
  }
  const double e = double(echoes);
  double per_voxel = std::max(90 + 12.5 * e, 8 * e + inversion);
  if (o.fieldmap.swi) per_voxel += 12;
  const double program = 32.0 * (1 << 20);
  return static_cast<int64_t>(1.15 * (program + per_voxel * double(voxels)));
}

PipelineResult run_pipeline(const MultiEchoData& d, const PipelineOptions& o) {
  if (d.echo_times_s.empty()) throw std::invalid_argument("no echoes");
  if (!(d.b0_tesla > 0) && !(d.imaging_frequency_mhz > 0)) throw std::invalid_argument("the field strength is unknown");
  auto step = [&](const std::string& name) {
    log::info(name);
    if (o.on_step) o.on_step(name);
  };
  PipelineResult r;
  r.hz_per_ppm = d.imaging_frequency_mhz > 0 ? d.imaging_frequency_mhz : hz_per_ppm(d.b0_tesla);
  double mean_te = 0;
  for (double te : d.echo_times_s) mean_te += te / double(d.echo_times_s.size());
  r.radians_per_ppm = 2 * M_PI * r.hz_per_ppm * mean_te;

  step("field map");
  r.fieldmap = map_field(d.magnitude, d.phase, d.echo_times_s, o.fieldmap);
  r.seconds = r.fieldmap.seconds;
  r.warnings = r.fieldmap.warnings;
  const Volume& total = r.fieldmap.fit.field_hz;
  r.b0_direction = o.b0_direction ? normalized(*o.b0_direction) : b0_direction(total.grid());

  step("background removal (" + to_string(o.background) + ")");
  auto t = std::chrono::steady_clock::now();
  r.local = remove_background(o.background, total, r.fieldmap.mask, r.b0_direction, &r.fieldmap.fit.noise_hz,
                              o.background_options);
  r.seconds.emplace_back("background removal", seconds_since(t));

  // CSF: needed for csf referencing and for MEDI+0's term.
  const bool medi_csf = o.inversion == InversionMethod::medi && o.inversion_options.medi.lambda_csf > 0;
  if (o.reference == ReferenceRegion::csf || medi_csf) {
    if (o.csf_mask) {
      require_same_space(total.grid(), o.csf_mask->grid(), "CSF mask and the scan");
      r.csf = *o.csf_mask;
      r.csf_source = "user";
    } else {
      if (r.fieldmap.r2star.r2star.empty())
        throw std::invalid_argument("CSF referencing needs a CSF mask or R2* (3 or more echoes)");
      r.csf = csf_mask_from_r2star(r.fieldmap.r2star.r2star, r.local.mask, r.hz_per_ppm / kGammaBarMHzPerT, o.csf);
      r.csf_source = "r2star";
    }
  }

  step("dipole inversion (" + to_string(o.inversion) + ")");
  t = std::chrono::steady_clock::now();
  Volume local_ppm = r.local.field, noise_ppm = r.fieldmap.fit.noise_hz;
  const float to_ppm = float(1 / r.hz_per_ppm);
  for (float& v : local_ppm) v *= to_ppm;
  for (float& v : noise_ppm) v *= to_ppm;
  const Volume magnitude = first_echo(d.magnitude);
  InversionInput in{local_ppm, r.local.mask, r.b0_direction};
  in.magnitude = &magnitude;
  in.noise = &noise_ppm;
  in.radians_per_ppm = r.radians_per_ppm;
  if (!r.csf.empty()) in.csf = &r.csf;
  r.inversion = invert(o.inversion, in, o.inversion_options);
  r.chi = std::move(r.inversion.chi);
  r.inversion.chi = Volume();
  r.seconds.emplace_back("dipole inversion", seconds_since(t));

  step("reference (" + to_string(o.reference) + ")");
  r.reference = apply_reference(r.chi, r.local.mask, o.reference, r.csf.empty() ? nullptr : &r.csf);
  return r;
}

}  // namespace qsmtk
