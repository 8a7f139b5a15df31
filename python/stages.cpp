// The processing stages on arrays: brain_mask, unwrap, echo_fit, fieldmap, r2star, bgremove,
// invert and run_pipeline. Option names and defaults are the command line's (--bet-f -> bet_f),
// taken from the same argument structs (qsmtk/pipeline/method_args.h), and each function records
// what the command writes in its sidecar under "metadata".
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "arrays.h"
#include "qsmtk/io/multi_echo.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/physics.h"
#include "qsmtk/pipeline/method_args.h"
#include "qsmtk/pipeline/pipeline.h"
#include "qsmtk/relax/r2star.h"
#include "bindings.h"

namespace qsmtk::python {
namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void require_range(const std::string& name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    throw py::value_error(name + " " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
}
void require_non_negative(const std::string& name, double v) {
  if (!(v >= 0) || !std::isfinite(v)) throw py::value_error(name + " must be >= 0 (0: the method's default)");
}

Json vec_json(const Vec3& v) { return {v[0], v[1], v[2]}; }

/// Magnitude and phase as stored, checked against each other and the echo times; the grid from the
/// geometry arguments.
struct SignalArrays {
  FloatArray mag, phase;
  Grid grid;
  std::vector<double> echo_times;
};

SignalArrays signal_arrays(const py::object& mag, const py::object& phase, const py::object& echo_times,
                           const py::object& affine, const py::object& voxel_size) {
  SignalArrays s{float_array(mag, "mag", true), float_array(phase, "phase", true), {}, {}};
  if (s.phase.dims != s.mag.dims || s.phase.frames != s.mag.frames)
    throw py::value_error("phase: shape " + std::string(py::str(s.phase.array.attr("shape"))) + " does not match mag's " +
                          std::string(py::str(s.mag.array.attr("shape"))));
  s.grid = make_grid(s.mag.dims, affine, voxel_size);
  s.echo_times = echo_times_argument(echo_times, "echo_times");
  check_echo_times(s.echo_times, s.mag.frames, "echo_times");
  return s;
}

/// The loader's options for stored phase (--phase-units, --flip-phase).
LoadOptions load_options(const std::vector<double>& te, const std::string& phase_units, bool flip_phase,
                         double field_strength) {
  LoadOptions o;
  o.echo_times_s = te;
  o.phase_units = parse_phase_units(phase_units);
  o.flip_phase = flip_phase;
  o.b0_tesla = field_strength;
  return o;
}

/// field_strength / imaging_frequency arguments (None -> 0), checked like the loader does.
double optional_positive(const py::object& v, const std::string& name, double lo, double hi) {
  if (v.is_none()) return 0;
  const double x = v.cast<double>();
  require_range(name, x, lo, hi);
  return x;
}

Json timing_json(const std::vector<std::pair<std::string, double>>& seconds) {
  Json t = Json::object();
  for (const auto& [step, s] : seconds) t[step] = s;
  return t;
}

FieldMapArgs fieldmap_args(bool have_mask, const std::string& unwrap, const std::string& echo_unwrap,
                           const std::string& fit, bool no_offset, const std::string& r2star, bool swi, double bet_f,
                           bool no_csf_removal, double erode_mm) {
  FieldMapArgs a;
  a.mask = have_mask ? "array" : "";
  a.unwrap = unwrap, a.echo_unwrap = echo_unwrap, a.fit = fit, a.r2star = r2star;
  a.no_offset = no_offset, a.swi = swi, a.no_csf_removal = no_csf_removal;
  require_range("bet_f", bet_f, 0.05, 0.95);
  require_range("erode_mm", erode_mm, 0.0, 20.0);
  a.bet_f = bet_f, a.erode_mm = erode_mm;
  return a;
}

BackgroundArgs background_args(const std::string& method, double bg_radius, double bg_max_radius,
                               double bg_min_radius, double bg_threshold, double bg_lambda, double bg_tolerance,
                               int bg_max_iterations, const std::string& pdf_kernel) {
  BackgroundArgs a;
  a.method = method;
  parse_background_method(method);  // an unknown name fails here, before any work
  for (const auto& [name, v] : {std::pair{"bg_radius", bg_radius}, {"bg_min_radius", bg_min_radius},
                                {"bg_threshold", bg_threshold}, {"bg_lambda", bg_lambda},
                                {"bg_tolerance", bg_tolerance}, {"bg_max_iterations", double(bg_max_iterations)}})
    require_non_negative(name, v);
  require_range("bg_max_radius", bg_max_radius, 1.0, 50.0);
  a.radius_mm = bg_radius, a.threshold = bg_threshold, a.tolerance = bg_tolerance;
  a.max_iterations = bg_max_iterations;
  a.options.vsharp.max_radius_mm = bg_max_radius;
  a.options.vsharp.min_radius_mm = bg_min_radius;
  a.options.resharp.lambda = bg_lambda;
  a.pdf_kernel = pdf_kernel;
  return a;
}

TikhonovOptions::Regulariser regulariser(const std::string& name) {
  require_choice("tikhonov_regulariser", name, {"gradient", "identity"});
  return name == "identity" ? TikhonovOptions::Regulariser::identity : TikhonovOptions::Regulariser::gradient;
}
std::string regulariser_name(TikhonovOptions::Regulariser r) {
  return r == TikhonovOptions::Regulariser::identity ? "identity" : "gradient";
}

InversionArgs inversion_args(const std::string& method, double lambda, const std::string& lambda_choice,
                             const std::string& tikhonov_regulariser, double tolerance, int max_iterations,
                             double medi_edge_fraction, double medi_lambda_csf, double pad, const std::string& kernel) {
  InversionArgs a;
  a.method = method;
  parse_inversion_method(method);
  require_non_negative("lambda_", lambda);
  require_non_negative("tolerance", tolerance);
  if (tolerance > 0.5) throw py::value_error("tolerance must be at most 0.5");
  require_non_negative("max_iterations", max_iterations);
  require_range("medi_edge_fraction", medi_edge_fraction, 0.0, 0.99);
  require_non_negative("medi_lambda_csf", medi_lambda_csf);
  require_range("pad", pad, 0.0, 2.0);
  a.lambda = lambda, a.lambda_choice = lambda_choice, a.tolerance = tolerance, a.max_iterations = max_iterations;
  a.options.tikhonov.regulariser = regulariser(tikhonov_regulariser);
  a.options.medi.edge_fraction = medi_edge_fraction;
  a.options.medi.lambda_csf = medi_lambda_csf;
  a.options.common.pad_fraction = pad;
  a.kernel = kernel;
  return a;
}

// ---- brain_mask ----

py::array brain_mask_py(const py::object& mag, const py::object& echo_times, const py::object& affine,
                        const py::object& voxel_size, double bet_f, bool no_csf_removal, double erode_mm,
                        int threads) {
  const FloatArray m = float_array(mag, "mag", true);
  const Grid grid = make_grid(m.dims, affine, voxel_size);
  std::vector<double> te;
  if (!echo_times.is_none()) {
    te = echo_times_argument(echo_times, "echo_times");
    check_echo_times(te, m.frames, "echo_times");
  }
  require_range("bet_f", bet_f, 0.05, 0.95);
  require_range("erode_mm", erode_mm, 0.0, 20.0);
  BrainMaskOptions o;
  o.bet.fractional_threshold = bet_f;
  o.erode_mm = erode_mm;
  if (no_csf_removal || te.empty()) o.csf_decay_ratio = 0;  // CSF removal needs the echo decay
  use_threads(threads);
  const Volume magnitude = m.view(grid);
  Mask out;
  {
    py::gil_scoped_release nogil;
    out = brain_mask(magnitude, te, o);
  }
  return to_numpy(std::move(out));
}

// ---- unwrap ----

py::array unwrap_py(const py::object& mag, const py::object& phase, const py::object& echo_times,
                    const py::object& mask, const std::string& method, const std::string& echo_unwrap,
                    bool keep_offset, const std::string& phase_units, bool flip_phase, const py::object& affine,
                    const py::object& voxel_size, int threads) {
  const SignalArrays s = signal_arrays(mag, phase, echo_times, affine, voxel_size);
  py::object keep;
  Mask user;
  if (!mask.is_none()) user = mask_image(mask, "mask", s.grid, "mag", keep);
  FieldMapOptions o;
  o.user_mask = mask.is_none() ? nullptr : &user;
  o.remove_offset = !keep_offset;
  o.unwrap = parse_unwrap_method(method);
  require_choice("echo_unwrap", echo_unwrap, {"temporal", "individual"});
  o.echo_mode = echo_unwrap == "temporal" ? EchoUnwrapMode::temporal : EchoUnwrapMode::individual;
  o.r2star = false;
  const LoadOptions lo = load_options(s.echo_times, phase_units, flip_phase, 0);
  use_threads(threads);
  FieldMapResult r;
  {
    py::gil_scoped_release nogil;
    const MultiEchoData d = multi_echo_from_images(s.mag.view(s.grid), s.phase.view(s.grid), lo, 0, "phase");
    r = map_field(d.magnitude, d.phase, d.echo_times_s, o);
  }
  return to_numpy(std::move(r.unwrapped), s.phase.ndim == 4);
}

// ---- echo_fit ----

py::dict echo_fit_py(const py::object& unwrapped, const py::object& mag, const py::object& echo_times,
                     const py::object& mask, const std::string& fit, double noise_sd, const py::object& affine,
                     const py::object& voxel_size, int threads) {
  const FloatArray u = float_array(unwrapped, "unwrapped", true), m = float_array(mag, "mag", true);
  if (m.dims != u.dims || m.frames != u.frames)
    throw py::value_error("mag: shape " + std::string(py::str(m.array.attr("shape"))) + " does not match unwrapped's " +
                          std::string(py::str(u.array.attr("shape"))));
  const Grid grid = make_grid(u.dims, affine, voxel_size);
  const std::vector<double> te = echo_times_argument(echo_times, "echo_times");
  check_echo_times(te, u.frames, "echo_times");
  py::object keep;
  const Mask inside = mask_image(mask, "mask", grid, "unwrapped", keep);
  require_choice("fit", fit, {"linear", "complex"});
  require_non_negative("noise_sd", noise_sd);
  use_threads(threads);
  const Volume phase = u.view(grid), magnitude = m.view(grid);
  FieldFit f;
  {
    py::gil_scoped_release nogil;
    f = fit_field(phase, magnitude, te, inside,
                  fit == "complex" ? EchoFitMethod::complex_nonlinear : EchoFitMethod::weighted_linear, noise_sd);
  }
  py::dict out;
  out["field"] = to_numpy(std::move(f.field_hz));
  out["offset"] = to_numpy(std::move(f.offset_rad));
  out["noise"] = to_numpy(std::move(f.noise_hz));
  out["noise_sd"] = f.noise_sd;
  return out;
}

// ---- fieldmap ----

py::dict fieldmap_py(const py::object& mag, const py::object& phase, const py::object& echo_times,
                     const py::object& field_strength, const py::object& imaging_frequency,
                     const std::string& phase_units, bool flip_phase, const py::object& mask,
                     const std::string& unwrap, const std::string& echo_unwrap, const std::string& fit,
                     bool no_offset, const std::string& r2star, bool swi, double bet_f, bool no_csf_removal,
                     double erode_mm, bool save_unwrapped, const py::object& affine, const py::object& voxel_size,
                     int threads) {
  const SignalArrays s = signal_arrays(mag, phase, echo_times, affine, voxel_size);
  const double b0 = optional_positive(field_strength, "field_strength", 0.1, 21.0);
  const double f0 = optional_positive(imaging_frequency, "imaging_frequency", 1.0, 1000.0);
  py::object keep;
  Mask user;
  if (!mask.is_none()) user = mask_image(mask, "mask", s.grid, "mag", keep);
  const FieldMapArgs a =
      fieldmap_args(!mask.is_none(), unwrap, echo_unwrap, fit, no_offset, r2star, swi, bet_f, no_csf_removal, erode_mm);
  const FieldMapOptions o = fieldmap_options(a, mask.is_none() ? nullptr : &user);
  const LoadOptions lo = load_options(s.echo_times, phase_units, flip_phase, b0);
  use_threads(threads);
  MultiEchoData d;
  FieldMapResult r;
  {
    py::gil_scoped_release nogil;
    d = multi_echo_from_images(s.mag.view(s.grid), s.phase.view(s.grid), lo, f0, "phase");
    r = map_field(d.magnitude, d.phase, d.echo_times_s, o);
  }
  Json meta;  // qsmtk fieldmap's sidecar, less the file names
  meta["EchoTime"] = d.echo_times_s;
  if (d.b0_tesla > 0) meta["MagneticFieldStrength"] = d.b0_tesla, meta["ImagingFrequency"] = d.imaging_frequency_mhz;
  meta["B0Direction"] = vec_json(b0_direction(s.grid));
  meta["Methods"] = fieldmap_json(a, r);
  meta["TimingSeconds"] = timing_json(r.seconds);
  meta["Provenance"] = d.provenance;
  std::vector<std::string> warnings = d.warnings;
  warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
  if (!warnings.empty()) meta["Warnings"] = warnings;
  py::dict out;
  out["mask"] = to_numpy(std::move(r.mask));
  out["total_field"] = to_numpy(std::move(r.fit.field_hz));
  out["total_noise"] = to_numpy(std::move(r.fit.noise_hz));
  if (!r.r2star.r2star.empty()) {
    out["r2star"] = to_numpy(std::move(r.r2star.r2star));
    out["t2star"] = to_numpy(std::move(r.r2star.t2star));
    out["s0"] = to_numpy(std::move(r.r2star.s0));
  }
  if (!r.swi.swi.empty()) {
    out["swi"] = to_numpy(std::move(r.swi.swi));
    out["minip"] = to_numpy(std::move(r.swi.minip));
  }
  if (save_unwrapped) out["unwrapped"] = to_numpy(std::move(r.unwrapped), s.phase.ndim == 4);
  out["metadata"] = to_python(meta);
  return out;
}

// ---- r2star ----

py::dict r2star_py(const py::object& mag, const py::object& echo_times, const py::object& mask,
                   const std::string& method, const py::object& affine, const py::object& voxel_size, int threads) {
  const FloatArray m = float_array(mag, "mag", true);
  const Grid grid = make_grid(m.dims, affine, voxel_size);
  const std::vector<double> te = echo_times_argument(echo_times, "echo_times");
  check_echo_times(te, m.frames, "echo_times");
  require_choice("method", method, {"arlo", "loglinear", "nonlinear"});
  const R2StarMethod rm = method == "loglinear"   ? R2StarMethod::loglinear
                          : method == "nonlinear" ? R2StarMethod::nonlinear
                                                  : R2StarMethod::arlo;
  py::object keep;
  Mask inside;
  if (!mask.is_none()) inside = mask_image(mask, "mask", grid, "mag", keep);
  use_threads(threads);
  const Volume magnitude = m.view(grid);
  R2StarMaps r;
  {
    py::gil_scoped_release nogil;
    if (inside.empty()) inside = brain_mask(magnitude, te);  // as qsmtk r2star without --mask
    r = fit_r2star(magnitude, te, inside, rm);
  }
  py::dict out;
  out["r2star"] = to_numpy(std::move(r.r2star));
  out["t2star"] = to_numpy(std::move(r.t2star));
  out["s0"] = to_numpy(std::move(r.s0));
  out["mask"] = to_numpy(std::move(inside));
  return out;
}

// ---- bgremove ----

py::dict bgremove_py(const py::object& field, const py::object& mask, const py::object& noise,
                     const std::string& method, double bg_radius, double bg_max_radius, double bg_min_radius,
                     double bg_threshold, double bg_lambda, double bg_tolerance, int bg_max_iterations,
                     const std::string& pdf_kernel, const py::object& b0_dir, const py::object& affine,
                     const py::object& voxel_size, int threads) {
  const FloatArray f = float_array(field, "field");
  const Grid grid = make_grid(f.dims, affine, voxel_size);
  py::object keep;
  const Mask inside = mask_image(mask, "mask", grid, "field", keep);
  const std::optional<FloatArray> n = optional_float_array(noise, "noise");
  if (n) require_same_shape(*n, grid, "field");
  const BackgroundArgs a = background_args(method, bg_radius, bg_max_radius, bg_min_radius, bg_threshold, bg_lambda,
                                           bg_tolerance, bg_max_iterations, pdf_kernel);
  const BackgroundMethod m = parse_background_method(a.method);
  const BackgroundOptions o = background_options(a);
  const std::optional<Vec3> b0_override = b0_argument(b0_dir);
  const Vec3 b0 = b0_override ? *b0_override : b0_direction(grid);
  use_threads(threads);
  const Volume total = f.view(grid);
  const Volume noise_map = n ? n->view(grid) : Volume();
  LocalField lf;
  double seconds = 0;
  {
    py::gil_scoped_release nogil;
    const auto t0 = Clock::now();
    lf = remove_background(m, total, inside, b0, n ? &noise_map : nullptr, o);
    seconds = seconds_since(t0);
  }
  int64_t in_mask = 0, valid = 0;
  for (int64_t q = 0; q < inside.voxels(); ++q) in_mask += inside[q] != 0, valid += lf.mask[q] != 0;
  Json meta;  // qsmtk bgremove's sidecar, less the file names
  meta["BackgroundRemoval"] = background_json(m, o, grid.voxel_size);
  meta["B0Direction"] = vec_json(b0);
  meta["B0DirectionSource"] = b0_override ? "b0_dir" : "affine";
  if (m == BackgroundMethod::resharp || m == BackgroundMethod::pdf || m == BackgroundMethod::lbv ||
      m == BackgroundMethod::ismv)
    meta["Iterations"] = lf.iterations, meta["RelativeResidual"] = lf.residual;
  meta["ValidFractionOfMask"] = in_mask > 0 ? double(valid) / double(in_mask) : 0.0;
  meta["TimingSeconds"] = seconds;
  py::dict out;
  out["local_field"] = to_numpy(std::move(lf.field));
  out["mask"] = to_numpy(std::move(lf.mask));
  out["metadata"] = to_python(meta);
  return out;
}

// ---- invert ----

py::dict invert_py(const py::object& field, const py::object& mask, const py::object& magnitude,
                   const py::object& noise, const py::object& csf, const py::object& field_strength,
                   const py::object& imaging_frequency, const std::string& units, const py::object& echo_time,
                   const std::string& method, double lambda, const std::string& lambda_choice,
                   const std::string& tikhonov_regulariser, double tolerance, int max_iterations,
                   double medi_edge_fraction, double medi_lambda_csf, double pad, const std::string& kernel,
                   const py::object& b0_dir, const py::object& affine, const py::object& voxel_size, int threads) {
  const FloatArray f = float_array(field, "field");
  const Grid grid = make_grid(f.dims, affine, voxel_size);
  py::object keep_mask, keep_csf;
  const Mask inside = mask_image(mask, "mask", grid, "field", keep_mask);
  const std::optional<FloatArray> mag = optional_float_array(magnitude, "magnitude", true);
  if (mag) require_same_shape(*mag, grid, "field");
  const std::optional<FloatArray> n = optional_float_array(noise, "noise");
  if (n) require_same_shape(*n, grid, "field");
  Mask csf_mask;
  if (!csf.is_none()) csf_mask = mask_image(csf, "csf", grid, "field", keep_csf);

  // Hz -> ppm as qsmtk invert reads a field's sidecar: Units, then ImagingFrequency, else the field strength.
  require_choice("units", units, {"Hz", "ppm"});
  const double b0_given = optional_positive(field_strength, "field_strength", 0.1, 20.0);
  const double f0 = optional_positive(imaging_frequency, "imaging_frequency", 1.0, 1000.0);
  double hz_ppm = 0;
  if (units == "ppm") hz_ppm = 1;
  else if (f0 > 0) hz_ppm = f0;
  else if (b0_given > 0) hz_ppm = hz_per_ppm(b0_given);
  else
    throw py::value_error("a field in Hz needs field_strength= (tesla) or imaging_frequency= (MHz); or give units='ppm'");
  const double b0_tesla = b0_given > 0 ? b0_given : (f0 > 0 ? f0 / kGammaBarMHzPerT : 0.0);
  double te = 0;  // effective echo time: the number, or the mean of a list (as of a sidecar's EchoTime)
  if (!echo_time.is_none()) {
    const std::vector<double> times = echo_times_argument(echo_time, "echo_time");
    for (double t : times) te += t / double(times.size());
    require_range("echo_time", te, 1e-4, 1.0);
  }

  const InversionArgs a = inversion_args(method, lambda, lambda_choice, tikhonov_regulariser, tolerance,
                                         max_iterations, medi_edge_fraction, medi_lambda_csf, pad, kernel);
  const InversionMethod m = parse_inversion_method(a.method);
  const InversionOptions o = inversion_options(a);
  const std::optional<Vec3> b0_override = b0_argument(b0_dir);
  use_threads(threads);
  const Volume field_view = f.view(grid);
  const Volume noise_view = n ? n->view(grid) : Volume();
  const Volume mag_view = mag ? mag->first_frame(grid) : Volume();  // MEDI's edges: the first echo
  InversionResult r;
  double seconds = 0, radians_per_ppm = 0;
  Vec3 b0{};
  {
    py::gil_scoped_release nogil;
    Volume field_ppm(grid), noise_ppm;
    for (int64_t q = 0; q < grid.voxels(); ++q)
      field_ppm[q] = inside[q] ? float(field_view[q] / hz_ppm) : 0.0f;
    InversionInput in{field_ppm, inside, b0_override ? *b0_override : b0_direction(grid)};
    if (mag) in.magnitude = &mag_view;
    if (n) {
      noise_ppm = Volume(grid);
      for (int64_t q = 0; q < grid.voxels(); ++q) noise_ppm[q] = float(noise_view[q] / hz_ppm);
      in.noise = &noise_ppm;
    }
    if (!csf_mask.empty()) in.csf = &csf_mask;
    if (te > 0 && b0_tesla > 0) in.radians_per_ppm = 2 * M_PI * hz_per_ppm(b0_tesla) * te;
    radians_per_ppm = in.radians_per_ppm;
    b0 = in.b0;
    const auto t0 = Clock::now();
    r = invert(m, in, o);
    seconds = seconds_since(t0);
  }
  Json meta;  // qsmtk invert's sidecar, less the file names
  meta["Inversion"] = inversion_json(m, o, r);
  meta["B0Direction"] = vec_json(b0);
  meta["B0DirectionSource"] = b0_override ? "b0_dir" : "affine";
  if (b0_tesla > 0) meta["MagneticFieldStrength"] = b0_tesla;
  meta["HzPerPpm"] = hz_ppm;
  if (radians_per_ppm > 0) meta["RadiansPerPpm"] = radians_per_ppm;
  meta["TimingSeconds"] = seconds;
  py::dict out;
  out["chi"] = to_numpy(std::move(r.chi));
  out["metadata"] = to_python(meta);
  return out;
}

// ---- run_pipeline ----

/// An option left at None: the preset's value when it sets one, else the default.
std::string text_or_preset(const py::object& v, const std::string& name, const std::string& preset_value,
                           const std::string& fallback) {
  if (v.is_none()) return preset_value.empty() ? fallback : preset_value;
  if (!py::isinstance<py::str>(v)) throw py::type_error(name + ": expected a string or None");
  return v.cast<std::string>();
}
double number_or_preset(const py::object& v, const std::string& name, const std::string& preset_value, double fallback) {
  if (v.is_none()) return preset_value.empty() ? fallback : std::stod(preset_value);
  try {
    return v.cast<double>();
  } catch (const py::cast_error&) {
    throw py::type_error(name + ": expected a number or None");
  }
}

py::dict run_pipeline_impl(
    const py::object& mag, const py::object& phase, const py::object& echo_times, const py::object& field_strength,
    const py::object& imaging_frequency, const std::string& phase_units, bool flip_phase, const py::object& mask,
    const std::string& unwrap, const std::string& echo_unwrap, const py::object& fit, bool no_offset,
    const std::string& r2star, bool swi, double bet_f, bool no_csf_removal, double erode_mm, const py::object& bgremove,
    double bg_radius, double bg_max_radius, double bg_min_radius, double bg_threshold, double bg_lambda,
    double bg_tolerance, int bg_max_iterations, const std::string& pdf_kernel, const py::object& inversion,
    double lambda, const std::string& lambda_choice, const std::string& tikhonov_regulariser,
    const py::object& tolerance, int max_iterations, double medi_edge_fraction, double medi_lambda_csf, double pad,
    const std::string& kernel, const py::object& b0_dir, const std::string& preset, const std::string& reference,
    const py::object& csf_mask, const py::object& affine, const py::object& voxel_size, int threads) {
  const SignalArrays s = signal_arrays(mag, phase, echo_times, affine, voxel_size);
  const double b0 = optional_positive(field_strength, "field_strength", 0.1, 21.0);
  const double f0 = optional_positive(imaging_frequency, "imaging_frequency", 1.0, 1000.0);
  if (b0 == 0 && f0 == 0)
    throw py::value_error("run_pipeline needs field_strength= (tesla) or imaging_frequency= (MHz) for Hz <-> ppm");
  auto from_preset = [&](const char* option) {
    try {
      return preset_value(preset, option);
    } catch (const std::invalid_argument& e) {
      throw py::value_error(e.what());
    }
  };
  const InversionArgs defaults;
  const std::string fit_used = text_or_preset(fit, "fit", from_preset("--fit"), FieldMapArgs().fit);
  const std::string bg_used = text_or_preset(bgremove, "bgremove", from_preset("--bgremove"), BackgroundArgs().method);
  const std::string inv_used = text_or_preset(inversion, "inversion", from_preset("--inversion"), defaults.method);
  const double tol_used = number_or_preset(tolerance, "tolerance", from_preset("--tolerance"), defaults.tolerance);

  py::object keep_mask, keep_csf;
  Mask user, csf;
  if (!mask.is_none()) user = mask_image(mask, "mask", s.grid, "mag", keep_mask);
  if (!csf_mask.is_none()) csf = mask_image(csf_mask, "csf_mask", s.grid, "mag", keep_csf);
  const FieldMapArgs fm = fieldmap_args(!mask.is_none(), unwrap, echo_unwrap, fit_used, no_offset, r2star, swi, bet_f,
                                        no_csf_removal, erode_mm);
  const BackgroundArgs bg = background_args(bg_used, bg_radius, bg_max_radius, bg_min_radius, bg_threshold, bg_lambda,
                                            bg_tolerance, bg_max_iterations, pdf_kernel);
  const InversionArgs inv = inversion_args(inv_used, lambda, lambda_choice, tikhonov_regulariser, tol_used,
                                           max_iterations, medi_edge_fraction, medi_lambda_csf, pad, kernel);
  PipelineOptions o;
  o.fieldmap = fieldmap_options(fm, mask.is_none() ? nullptr : &user);
  o.background = parse_background_method(bg.method);
  o.background_options = background_options(bg);
  o.inversion = parse_inversion_method(inv.method);
  o.inversion_options = inversion_options(inv);
  require_choice("reference", reference, {"brain", "csf", "none"});
  o.reference = parse_reference_region(reference);
  o.csf_mask = csf_mask.is_none() ? nullptr : &csf;
  o.b0_direction = b0_argument(b0_dir);
  const LoadOptions lo = load_options(s.echo_times, phase_units, flip_phase, b0);
  use_threads(threads);
  MultiEchoData d;
  PipelineResult r;
  {
    py::gil_scoped_release nogil;
    d = multi_echo_from_images(s.mag.view(s.grid), s.phase.view(s.grid), lo, f0, "phase");
    r = run_pipeline(d, o);
  }
  // The chi map's sidecar of qsmtk run, less the file names and run bookkeeping.
  Json meta = pipeline_record(d, fm, o, r, preset, "csf_mask");
  meta["Units"] = "ppm";

  py::dict out;
  out["chi"] = to_numpy(std::move(r.chi));
  out["mask"] = to_numpy(std::move(r.local.mask));
  out["total_field"] = to_numpy(std::move(r.fieldmap.fit.field_hz));
  out["total_noise"] = to_numpy(std::move(r.fieldmap.fit.noise_hz));
  out["local_field"] = to_numpy(std::move(r.local.field));
  if (!r.fieldmap.r2star.r2star.empty()) {
    out["r2star"] = to_numpy(std::move(r.fieldmap.r2star.r2star));
    out["t2star"] = to_numpy(std::move(r.fieldmap.r2star.t2star));
  }
  if (!r.fieldmap.swi.swi.empty()) {
    out["swi"] = to_numpy(std::move(r.fieldmap.swi.swi));
    out["minip"] = to_numpy(std::move(r.fieldmap.swi.minip));
  }
  if (!r.csf.empty()) out["csf_mask"] = to_numpy(std::move(r.csf));
  out["metadata"] = to_python(meta);
  return out;
}

}  // namespace

void register_stages(py::module_& m) {
  using py::arg;
  const FieldMapArgs fm;
  const BackgroundArgs bg;
  const InversionArgs inv;
  const BrainMaskOptions mask_defaults;
  // pybind11 keeps a pointer to the docstring: it must outlive the module.
  static const std::string run_pipeline_doc =
      R"(The whole reconstruction of one scan, as `qsmtk run`: field map, background removal,
dipole inversion, referencing.

fit, bgremove, inversion and tolerance left at None take the preset's value (fast: sharp + tkd;
best: complex fit, medi, tolerance 0.03), else the defaults (fit )" +
      fm.fit + ", bgremove " + bg.method + ", inversion " + inv.method + R"(, the method's tolerance).
reference: brain | csf | none. Returns {'chi' (ppm), 'mask', 'total_field', 'total_noise',
'local_field' (Hz), 'r2star', 't2star' (3+ echoes), ['swi', 'minip'], ['csf_mask'], 'metadata'}.)";

  m.def("brain_mask", &brain_mask_py, arg("mag"), arg("echo_times") = py::none(), py::kw_only(),
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("bet_f") = mask_defaults.bet.fractional_threshold,
        arg("no_csf_removal") = false, arg("erode_mm") = mask_defaults.erode_mm, arg("threads") = 0,
        R"(Brain mask from multi-echo GRE magnitude, as `qsmtk mask`.

mag: (x, y, z) or (x, y, z, echo) float array. echo_times: seconds (sequence) or text with
the unit ('5,10,15ms'); without them the CSF between brain and skull is not removed.
Returns a uint8 (x, y, z) array, 1 inside.)");

  m.def("unwrap", &unwrap_py, arg("mag"), arg("phase"), arg("echo_times"), py::kw_only(), arg("mask") = py::none(),
        arg("method") = "romeo", arg("echo_unwrap") = "temporal", arg("keep_offset") = false,
        arg("phase_units") = "auto", arg("flip_phase") = false, arg("affine") = py::none(),
        arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(Unwrapped multi-echo phase in radians (receiver offset removed unless keep_offset),
as `qsmtk unwrap`. method: romeo | laplacian; echo_unwrap: temporal | individual. The mask
is computed from the magnitude unless given. Returns an array shaped like phase.)");

  m.def("echo_fit", &echo_fit_py, arg("unwrapped"), arg("mag"), arg("echo_times"), arg("mask"), py::kw_only(),
        arg("fit") = fm.fit, arg("noise_sd") = 0.0, arg("affine") = py::none(), arg("voxel_size") = py::none(),
        arg("threads") = 0,
        R"(The echo fit alone: unwrapped phase (radians, offset removed) and magnitude to the field.

fit: linear (weighted least squares) | complex (nonlinear). noise_sd: the complex noise SD
(0: estimated from the background). Returns {'field' (Hz), 'offset' (rad), 'noise' (Hz, the
field's SD), 'noise_sd'}.)");

  m.def("fieldmap", &fieldmap_py, arg("mag"), arg("phase"), arg("echo_times"), py::kw_only(),
        arg("field_strength") = py::none(), arg("imaging_frequency") = py::none(), arg("phase_units") = "auto",
        arg("flip_phase") = false, arg("mask") = py::none(), arg("unwrap") = fm.unwrap,
        arg("echo_unwrap") = fm.echo_unwrap, arg("fit") = fm.fit, arg("no_offset") = fm.no_offset,
        arg("r2star") = fm.r2star, arg("swi") = fm.swi, arg("bet_f") = fm.bet_f,
        arg("no_csf_removal") = fm.no_csf_removal, arg("erode_mm") = fm.erode_mm, arg("save_unwrapped") = false,
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(The whole field-map chain, as `qsmtk fieldmap`: brain mask, phase offset (MCPC-3D-S),
unwrapping, echo fit with noise map, edge refinement, R2*/T2*/S0 (3+ echoes), SWI.

Returns {'mask', 'total_field' (Hz), 'total_noise' (Hz), 'r2star' (1/s), 't2star' (s), 's0',
['swi', 'minip' with swi=True], ['unwrapped' with save_unwrapped=True], 'metadata'}.)");

  m.def("r2star", &r2star_py, arg("mag"), arg("echo_times"), py::kw_only(), arg("mask") = py::none(),
        arg("method") = "arlo", arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(R2*, T2* and S0 from multi-echo magnitude, as `qsmtk r2star`. method: arlo | loglinear |
nonlinear. Returns {'r2star' (1/s), 't2star' (s), 's0', 'mask' (the mask used: computed unless given)}.)");

  m.def("bgremove", &bgremove_py, arg("field"), arg("mask"), py::kw_only(), arg("noise") = py::none(),
        arg("method") = bg.method, arg("bg_radius") = bg.radius_mm, arg("bg_max_radius") = bg.options.vsharp.max_radius_mm,
        arg("bg_min_radius") = bg.options.vsharp.min_radius_mm, arg("bg_threshold") = bg.threshold,
        arg("bg_lambda") = bg.options.resharp.lambda, arg("bg_tolerance") = bg.tolerance,
        arg("bg_max_iterations") = bg.max_iterations, arg("pdf_kernel") = bg.pdf_kernel, arg("b0_dir") = py::none(),
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(Background field removal, as `qsmtk bgremove`: total field (Hz) and brain mask to the
local field (same unit) and the mask it is valid on.

method: sharp | vsharp | resharp | pdf | lbv | ismv. Parameters of 0 take the method's default.
Returns {'local_field', 'mask' (valid mask), 'metadata'}.)");

  m.def("invert", &invert_py, arg("field"), arg("mask"), py::kw_only(), arg("magnitude") = py::none(),
        arg("noise") = py::none(), arg("csf") = py::none(), arg("field_strength") = py::none(),
        arg("imaging_frequency") = py::none(), arg("units") = "Hz", arg("echo_time") = py::none(),
        arg("method") = inv.method, arg("lambda_") = inv.lambda, arg("lambda_choice") = inv.lambda_choice,
        arg("tikhonov_regulariser") = regulariser_name(inv.options.tikhonov.regulariser),
        arg("tolerance") = inv.tolerance, arg("max_iterations") = inv.max_iterations,
        arg("medi_edge_fraction") = inv.options.medi.edge_fraction, arg("medi_lambda_csf") = inv.options.medi.lambda_csf,
        arg("pad") = inv.options.common.pad_fraction, arg("kernel") = inv.kernel, arg("b0_dir") = py::none(),
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        R"(Dipole inversion, as `qsmtk invert`: local field and mask to chi (ppm, 0 outside the mask).

The field is in Hz (field_strength= or imaging_frequency= converts it) or, with units='ppm', in
ppm. method: tkd | tsvd | tikhonov | ilsqr | tv | nltv | medi | tgv | rts | ndi. lambda_ (the
--lambda option; 0: the method's default), lambda_choice: fixed | lcurve | discrepancy (needs
noise). Returns {'chi', 'metadata'} (method, parameters, lambda used, iterations).)");

  m.def("run_pipeline", &run_pipeline_impl, arg("mag"), arg("phase"), arg("echo_times"), py::kw_only(),
        arg("field_strength") = py::none(), arg("imaging_frequency") = py::none(), arg("phase_units") = "auto",
        arg("flip_phase") = false, arg("mask") = py::none(), arg("unwrap") = fm.unwrap,
        arg("echo_unwrap") = fm.echo_unwrap, arg("fit") = py::none(), arg("no_offset") = fm.no_offset,
        arg("r2star") = fm.r2star, arg("swi") = fm.swi, arg("bet_f") = fm.bet_f,
        arg("no_csf_removal") = fm.no_csf_removal, arg("erode_mm") = fm.erode_mm, arg("bgremove") = py::none(),
        arg("bg_radius") = bg.radius_mm, arg("bg_max_radius") = bg.options.vsharp.max_radius_mm,
        arg("bg_min_radius") = bg.options.vsharp.min_radius_mm, arg("bg_threshold") = bg.threshold,
        arg("bg_lambda") = bg.options.resharp.lambda, arg("bg_tolerance") = bg.tolerance,
        arg("bg_max_iterations") = bg.max_iterations, arg("pdf_kernel") = bg.pdf_kernel,
        arg("inversion") = py::none(), arg("lambda_") = inv.lambda, arg("lambda_choice") = inv.lambda_choice,
        arg("tikhonov_regulariser") = regulariser_name(inv.options.tikhonov.regulariser),
        arg("tolerance") = py::none(), arg("max_iterations") = inv.max_iterations,
        arg("medi_edge_fraction") = inv.options.medi.edge_fraction, arg("medi_lambda_csf") = inv.options.medi.lambda_csf,
        arg("pad") = inv.options.common.pad_fraction, arg("kernel") = inv.kernel, arg("b0_dir") = py::none(),
        arg("preset") = "default", arg("reference") = "brain", arg("csf_mask") = py::none(),
        arg("affine") = py::none(), arg("voxel_size") = py::none(), arg("threads") = 0,
        run_pipeline_doc.c_str());
}

}  // namespace qsmtk::python
