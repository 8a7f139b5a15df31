#include "qsmtk/phase/phase_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "qsmtk/parallel.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {

PhaseUnits parse_phase_units(const std::string& n) {
  if (n == "auto") return PhaseUnits::automatic;
  if (n == "radians" || n == "rad") return PhaseUnits::radians;
  if (n == "siemens12") return PhaseUnits::siemens_12bit;
  if (n == "siemens-signed") return PhaseUnits::siemens_signed;
  if (n == "mrad" || n == "milliradians") return PhaseUnits::milliradians;
  if (n == "rescale") return PhaseUnits::rescale;
  throw std::invalid_argument("unknown phase units '" + n + "' (auto, radians, siemens12, siemens-signed, mrad, rescale)");
}

std::string to_string(PhaseUnits u) {
  switch (u) {
    case PhaseUnits::automatic: return "auto";
    case PhaseUnits::radians: return "radians";
    case PhaseUnits::siemens_12bit: return "siemens12";
    case PhaseUnits::siemens_signed: return "siemens-signed";
    case PhaseUnits::milliradians: return "mrad";
    case PhaseUnits::rescale: return "rescale";
  }
  return "?";
}

PhaseScaling detect_phase_scaling(const Volume& phase, const std::string& manufacturer, PhaseUnits requested) {
  PhaseScaling s;
  double lo = INFINITY, hi = -INFINITY;
  bool integers = true;
  for (float v : phase) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
    integers = integers && v == std::round(v);
  }
  if (!(lo <= hi)) throw std::invalid_argument("the phase holds no finite values");
  s.min = lo;
  s.max = hi;
  PhaseUnits u = requested;
  if (u == PhaseUnits::automatic) {
    std::string m = manufacturer;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    const double tol = 1e-3;
    // Wrapped phase covers the circle (noise alone does); a tiny range is some other unit.
    if (lo >= -M_PI - tol && hi <= M_PI + tol && hi - lo > M_PI) u = PhaseUnits::radians;
    else if (integers && lo >= 0 && hi <= 4095) u = PhaseUnits::siemens_12bit;
    else if (integers && lo >= -4096 && hi <= 4095 && lo < -4 && m.find("philips") == std::string::npos)
      u = PhaseUnits::siemens_signed;
    else if (std::max(-lo, hi) <= 3142.6 && (hi > 4 || -lo > 4)) u = PhaseUnits::milliradians;
    else u = PhaseUnits::rescale;
  }
  s.units = u;
  char buf[200];
  switch (u) {
    case PhaseUnits::radians: s.description = "already in radians"; break;
    case PhaseUnits::siemens_12bit:
      s.scale = M_PI / 2048, s.offset = -M_PI;
      s.description = "Siemens unsigned 12-bit: (v - 2048) pi / 2048";
      break;
    case PhaseUnits::siemens_signed:
      s.scale = M_PI / 4096;
      s.description = "Siemens signed: v pi / 4096";
      break;
    case PhaseUnits::milliradians:
      s.scale = 1e-3;
      s.description = "milliradians: v / 1000";
      break;
    case PhaseUnits::rescale:
      if (!(hi > lo)) throw std::invalid_argument("the phase is constant; cannot rescale it to radians");
      s.scale = 2 * M_PI / (hi - lo);
      s.offset = -M_PI - lo * s.scale;
      std::snprintf(buf, sizeof buf, "values in [%.6g, %.6g] are not radians: mapped linearly onto [-pi, pi]", lo, hi);
      s.description = buf;
      break;
    case PhaseUnits::automatic: break;
  }
  return s;
}

void apply_phase_scaling(Volume& phase, const PhaseScaling& s) {
  parallel_for(phase.size(), [&](int64_t q) {
    const float v = phase[q];
    if (!std::isfinite(v)) return;
    const double r = s.scale * v + s.offset;
    phase[q] = float(r >= -M_PI && r < M_PI ? r : wrap_phase(r));
  });
}

}  // namespace qsmtk
