#include "qsmtk/io/multi_echo.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/physics.h"
#include "qsmtk/strings.h"

namespace qsmtk {
namespace fs = std::filesystem;

std::vector<double> parse_echo_times(const std::string& text, const std::string& what) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  double unit = 0;  // seconds per given unit; 0 = decide from the range
  auto strip = [&](const std::string& suffix, double u) {
    if (t.size() >= suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
      t = t.substr(0, t.size() - suffix.size());
      unit = u;
      return true;
    }
    return false;
  };
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  if (!strip("ms", 1e-3)) strip("s", 1.0);
  std::vector<double> v = parse_numbers(t, what);
  for (double x : v)
    if (!(x > 0)) throw std::invalid_argument(what + ": " + short_number(x) + " is not positive");
  if (unit == 0) {
    const double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    if (lo >= 1.0) unit = 1e-3;
    else if (hi < 0.2) unit = 1.0;
    else
      throw std::invalid_argument(what + " '" + text + "': unclear whether in ms or s; add the unit, e.g. '" +
                                  text + "ms'");
  }
  for (double& x : v) x *= unit;
  return v;
}

ScanFiles scan_from_files(const std::vector<std::string>& magnitude, const std::vector<std::string>& phase) {
  if (magnitude.empty() || phase.empty()) throw std::invalid_argument("give magnitude and phase images");
  if (magnitude.size() != phase.size())
    throw std::invalid_argument(std::to_string(magnitude.size()) + " magnitude files but " +
                                std::to_string(phase.size()) + " phase files (first: " + magnitude[0] + ", " + phase[0] +
                                ")");
  ScanFiles s;
  s.source = "nifti";
  s.entities.subject = "01";
  for (size_t i = 0; i < magnitude.size(); ++i) {
    s.echoes.push_back({magnitude[i], phase[i], "", ""});
    Json meta = Json::object();
    for (const std::string& f : {magnitude[i], phase[i]}) {
      const std::string side = sidecar_path(f);
      if (fs::exists(side)) {
        const Json j = read_json(side);
        for (auto it = j.begin(); it != j.end(); ++it) meta[it.key()] = it.value();
      }
    }
    s.metadata.push_back(meta);
  }
  return s;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

/// Appends the frames of `v` to `frames`, checking its grid against the first image.
void collect(const Volume& v, const std::string& path, std::vector<Volume>& frames, const std::string& first_path) {
  if (!frames.empty() && !frames.front().grid().same_space(v.grid(), 1e-2))
    throw std::invalid_argument(path + " and " + first_path + " are on different grids (" + v.grid().describe() +
                                " vs " + frames.front().grid().describe() + ")");
  for (int64_t t = 0; t < v.frames(); ++t) frames.push_back(v.extract_frame(t));
}

void check_readout(const std::string& readout) {
  if (lower(readout) == "bipolar")
    throw std::invalid_argument(
        "bipolar readouts are not supported: odd and even echoes carry different phase offsets and gradient-delay "
        "ramps that the echo fit does not model; use a monopolar acquisition, or phase already corrected for them "
        "with --readout monopolar");
}

void check_field_strength(double b0_tesla, const std::string& what) {
  if (!(b0_tesla >= 0.1 && b0_tesla <= 21))
    throw std::invalid_argument(what + ": field strength " + short_number(b0_tesla) +
                                " T is implausible (expected 0.1 to 21 T)");
}

/// Whether applying `s` changes no value (radians already, within [-pi, pi)).
bool scaling_changes_nothing(const Volume& phase, const PhaseScaling& s) {
  if (s.scale != 1.0 || s.offset != 0.0) return false;
  for (float v : phase)
    if (std::isfinite(v) && !(v >= -M_PI && v < M_PI)) return false;
  return true;
}

/// Stored values to what the pipeline expects: magnitudes >= 0, phase in radians with the
/// convention's sign; the provenance records how. Views (the Python module's zero-copy inputs)
/// are the caller's memory: they are converted in a copy, and only when a value changes.
void normalise_signal(MultiEchoData& d, const LoadOptions& o, const std::string& first, bool from_complex,
                      const std::string& source, const Json& inputs) {
  const bool negative = std::any_of(d.magnitude.begin(), d.magnitude.end(), [](float v) { return v < 0; });
  if (negative && d.magnitude.is_view()) d.magnitude = Volume(d.magnitude);
  for (float& v : d.magnitude)
    if (std::isfinite(v) && v < 0) v = 0;  // magnitudes cannot be negative (scaling artefacts)
  PhaseScaling ps;
  if (!from_complex) {
    ps = detect_phase_scaling(d.phase, d.manufacturer, o.phase_units);
    if (!scaling_changes_nothing(d.phase, ps)) {
      if (d.phase.is_view()) d.phase = Volume(d.phase);
      apply_phase_scaling(d.phase, ps);
    }
    if (ps.units == PhaseUnits::rescale) d.warnings.push_back(first + ": phase " + ps.description);
  } else {
    ps.description = "computed from real and imaginary parts";
  }
  if (o.flip_phase) {
    if (d.phase.is_view()) d.phase = Volume(d.phase);
    for (float& v : d.phase) v = -v;
  }
  for (const auto& w : d.warnings) log::warn(w);

  d.provenance = Json::object();
  d.provenance["Source"] = source;
  d.provenance["Inputs"] = inputs;
  d.provenance["EchoTime"] = d.echo_times_s;
  d.provenance["MagneticFieldStrength"] = d.b0_tesla;
  d.provenance["ImagingFrequency"] = d.imaging_frequency_mhz;
  d.provenance["PhaseScaling"] = {{"Units", to_string(ps.units)}, {"Rule", ps.description}, {"StoredMin", ps.min},
                                  {"StoredMax", ps.max}};
  d.provenance["PhaseSign"] = o.flip_phase ? "flipped: input followed phase = phi0 - 2 pi f TE" : "as stored";
  if (!d.manufacturer.empty()) d.provenance["Manufacturer"] = d.manufacturer;
}

/// Refuses NaN or Inf: they would spread through every FFT of the pipeline.
void check_finite(const Volume& v, const std::string& what) {
  int64_t bad = 0, first = -1;
  for (int64_t q = 0; q < v.size(); ++q)
    if (!std::isfinite(v[q])) {
      if (first < 0) first = q;
      ++bad;
    }
  if (bad == 0) return;
  const auto d = v.dims();
  const int64_t i = first % d[0], j = first / d[0] % d[1], k = first / (d[0] * d[1]) % d[2], t = first / v.grid().voxels();
  throw std::invalid_argument(what + ": " + std::to_string(bad) + " voxel value(s) are NaN or Inf (first at voxel " +
                              std::to_string(i) + "," + std::to_string(j) + "," + std::to_string(k) +
                              (v.frames() > 1 ? ", volume " + std::to_string(t) : std::string()) +
                              "); magnitude and phase must be finite numbers");
}

/// Refuses a magnitude that is zero everywhere: there is no signal to mask or weight.
void check_signal(const Volume& magnitude, const std::string& what) {
  for (float v : magnitude)
    if (v > 0) return;
  throw std::invalid_argument(what + ": the magnitude is zero (or negative) everywhere; no signal to process");
}

Volume stack(const std::vector<Volume>& frames) {
  Volume v(frames.front().grid(), int64_t(frames.size()));
  for (size_t t = 0; t < frames.size(); ++t) std::copy(frames[t].begin(), frames[t].end(), v.frame(int64_t(t)));
  return v;
}

}  // namespace

void check_echo_times(const std::vector<double>& echo_times_s, int64_t echoes, const std::string& what) {
  if (int64_t(echo_times_s.size()) != echoes)
    throw std::invalid_argument(what + ": " + std::to_string(echoes) + " echoes but " +
                                std::to_string(echo_times_s.size()) + " echo times");
  for (size_t e = 0; e < echo_times_s.size(); ++e) {
    const double te = echo_times_s[e];
    if (!(te > 0)) throw std::invalid_argument(what + ": echo time " + short_number(te) + " is not positive");
    if (te > 0.2)
      throw std::invalid_argument(what + ": echo time " + short_number(te) +
                                  " s is implausible (more than 200 ms): was it given in ms where seconds are expected?");
    if (te < 1e-4)
      throw std::invalid_argument(what + ": echo time " + short_number(te) +
                                  " s is implausibly short (under 0.1 ms): was it given in seconds where ms are expected?");
    if (e > 0 && !(te > echo_times_s[e - 1]))
      throw std::invalid_argument(what + ": echo times must increase (" + short_number(echo_times_s[e - 1]) +
                                  " s then " + short_number(te) + " s)");
  }
}

AcquisitionParameters acquisition_parameters(const ScanFiles& scan, const LoadOptions& o, int64_t echoes) {
  if (scan.echoes.empty()) throw std::invalid_argument("the acquisition has no echoes");
  const std::string first = !scan.echoes[0].magnitude.empty() ? scan.echoes[0].magnitude : scan.echoes[0].real;
  AcquisitionParameters d;
  // Echo times: the option, else the sidecars (a number per file, or a list for a 4-D file).
  if (!o.echo_times_s.empty()) {
    d.echo_times_s = o.echo_times_s;
  } else {
    for (size_t i = 0; i < scan.echoes.size(); ++i) {
      const Json& m = i < scan.metadata.size() ? scan.metadata[i] : Json();
      const std::string file = scan.echoes[i].phase.empty() ? scan.echoes[i].real : scan.echoes[i].phase;
      if (!m.is_object() || !m.contains("EchoTime"))
        throw std::invalid_argument(file + ": no EchoTime in its sidecar; give the echo times (e.g. --echo-times 5,10,15ms)");
      const Json& te = m["EchoTime"];
      if (te.is_number()) {
        d.echo_times_s.push_back(te.get<double>());
      } else if (te.is_array()) {
        for (const auto& x : te) {
          if (!x.is_number()) throw std::invalid_argument(file + ": EchoTime holds a value that is not a number");
          d.echo_times_s.push_back(x.get<double>());
        }
      } else {
        throw std::invalid_argument(file + ": EchoTime is not a number");
      }
    }
  }
  check_echo_times(d.echo_times_s, echoes, o.echo_times_s.empty() ? first : "--echo-times (for " + first + ")");

  // Field strength and the Hz/ppm factor: ImagingFrequency when present (CONVENTIONS.md).
  const Json& meta0 = scan.metadata.empty() ? Json() : scan.metadata[0];
  if (meta0.is_object() && meta0.contains("Manufacturer") && meta0["Manufacturer"].is_string())
    d.manufacturer = meta0["Manufacturer"].get<std::string>();
  double f0 = 0;
  if (meta0.is_object() && meta0.contains("ImagingFrequency") && meta0["ImagingFrequency"].is_number()) {
    f0 = meta0["ImagingFrequency"].get<double>();
    if (o.b0_tesla <= 0 && f0 != 0 && !(f0 >= 0.1 * kGammaBarMHzPerT && f0 <= 21 * kGammaBarMHzPerT))
      throw std::invalid_argument(first + ": ImagingFrequency " + short_number(f0) +
                                  " MHz is implausible for protons (expected 4 to 900 MHz)");
  }
  if (o.b0_tesla > 0) {
    d.b0_tesla = o.b0_tesla;
  } else if (meta0.is_object() && meta0.contains("MagneticFieldStrength") && meta0["MagneticFieldStrength"].is_number()) {
    d.b0_tesla = meta0["MagneticFieldStrength"].get<double>();
  } else if (f0 > 0) {
    d.b0_tesla = f0 / kGammaBarMHzPerT;
  } else {
    throw std::invalid_argument(first + ": no MagneticFieldStrength in its sidecar; give --field-strength");
  }
  check_field_strength(d.b0_tesla, first);
  if (f0 > 0 && o.b0_tesla <= 0 && std::fabs(f0 / (kGammaBarMHzPerT * d.b0_tesla) - 1) > 0.1)
    throw std::invalid_argument(first + ": MagneticFieldStrength " + short_number(d.b0_tesla) + " T and ImagingFrequency " +
                                short_number(f0) + " MHz disagree; give --field-strength");
  d.imaging_frequency_mhz = (f0 > 0 && o.b0_tesla <= 0) ? f0 : kGammaBarMHzPerT * d.b0_tesla;

  return d;
}

MultiEchoData load_multi_echo(const ScanFiles& scan, const LoadOptions& o) {
  if (scan.echoes.empty()) throw std::invalid_argument("the acquisition has no echoes");
  check_readout(o.readout);
  MultiEchoData d;
  Json inputs = Json::array();
  std::vector<Volume> mags, phases;
  const std::string first = !scan.echoes[0].magnitude.empty() ? scan.echoes[0].magnitude : scan.echoes[0].real;
  std::vector<int64_t> frames_per_entry;
  for (const EchoFiles& ef : scan.echoes) {
    const size_t before = mags.size();
    if (!ef.magnitude.empty()) {
      const Volume m = read_nifti(ef.magnitude), p = read_nifti(ef.phase);
      check_finite(m, ef.magnitude);
      check_finite(p, ef.phase);
      if (!m.grid().same_space(p.grid(), 1e-2))
        throw std::invalid_argument(ef.magnitude + " and " + ef.phase + " do not match: " + m.grid().describe() +
                                    " vs " + p.grid().describe() + (m.dims() == p.dims() ? " (affines differ)" : ""));
      if (m.frames() != p.frames())
        throw std::invalid_argument(ef.magnitude + " has " + std::to_string(m.frames()) + " echoes but " + ef.phase +
                                    " has " + std::to_string(p.frames()));
      collect(m, ef.magnitude, mags, first);
      collect(p, ef.phase, phases, first);
      inputs.push_back({{"magnitude", ef.magnitude}, {"phase", ef.phase}});
    } else {
      const Volume re = read_nifti(ef.real), im = read_nifti(ef.imaginary);
      check_finite(re, ef.real);
      check_finite(im, ef.imaginary);
      if (!re.grid().same_space(im.grid(), 1e-2) || re.frames() != im.frames())
        throw std::invalid_argument(ef.real + " and " + ef.imaginary + " do not match (grid, affine or echoes)");
      Volume m(re.grid(), re.frames()), p(re.grid(), re.frames());
      parallel_for(re.size(), [&](int64_t q) {
        m[q] = std::hypot(re[q], im[q]);
        p[q] = std::atan2(im[q], re[q]);
      });
      collect(m, ef.real, mags, first);
      collect(p, ef.real, phases, first);
      inputs.push_back({{"real", ef.real}, {"imaginary", ef.imaginary}});
    }
    frames_per_entry.push_back(int64_t(mags.size() - before));
  }
  const int64_t ne = int64_t(mags.size());
  if (ne > 32) throw std::invalid_argument(first + ": " + std::to_string(ne) + " echoes; at most 32 are supported");

  const AcquisitionParameters acq = acquisition_parameters(scan, o, ne);
  d.echo_times_s = acq.echo_times_s;
  d.b0_tesla = acq.b0_tesla;
  d.imaging_frequency_mhz = acq.imaging_frequency_mhz;
  d.manufacturer = acq.manufacturer;

  d.magnitude = stack(mags);
  d.phase = stack(phases);
  check_signal(d.magnitude, scan.echoes[0].magnitude.empty() ? first + " (with its imaginary part)" : first);
  normalise_signal(d, o, first, scan.echoes[0].magnitude.empty(), scan.source, inputs);
  return d;
}

MultiEchoData multi_echo_from_images(Volume magnitude, Volume phase, const LoadOptions& o,
                                     double imaging_frequency_mhz, const std::string& what) {
  check_readout(o.readout);
  if (magnitude.dims() != phase.dims() || magnitude.frames() != phase.frames())
    throw std::invalid_argument(what + ": magnitude (" + magnitude.grid().describe() + ", " +
                                std::to_string(magnitude.frames()) + " echoes) and phase (" + phase.grid().describe() +
                                ", " + std::to_string(phase.frames()) + " echoes) do not match");
  if (magnitude.frames() > 32)
    throw std::invalid_argument(what + ": " + std::to_string(magnitude.frames()) + " echoes; at most 32 are supported");
  check_finite(magnitude, what + " magnitude");
  check_finite(phase, what + " phase");
  check_signal(magnitude, what);
  MultiEchoData d;
  d.echo_times_s = o.echo_times_s;
  check_echo_times(d.echo_times_s, magnitude.frames(), what);
  // As a sidecar gives them: the field strength, else the imaging frequency's; 0 when neither.
  d.b0_tesla = o.b0_tesla > 0 ? o.b0_tesla : imaging_frequency_mhz / kGammaBarMHzPerT;
  if (d.b0_tesla != 0) check_field_strength(d.b0_tesla, what);
  d.imaging_frequency_mhz = imaging_frequency_mhz > 0 ? imaging_frequency_mhz : kGammaBarMHzPerT * d.b0_tesla;
  d.magnitude = std::move(magnitude);
  d.phase = std::move(phase);
  normalise_signal(d, o, what, false, "memory", Json::array());
  return d;
}

}  // namespace qsmtk
