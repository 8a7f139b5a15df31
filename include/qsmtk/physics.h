#pragma once
// Physical constants and unit conversions fixed by CONVENTIONS.md.
namespace qsmtk {

/// Proton gyromagnetic ratio / 2pi in MHz/T.
constexpr double kGammaBarMHzPerT = 42.577478;
/// Susceptibility of air relative to water-like tissue, ppm (SI).
constexpr double kAirChiPpm = 9.4;

/// Hz per ppm of relative field at field strength B0 (T): gammabar * B0.
inline double hz_per_ppm(double b0_tesla) { return kGammaBarMHzPerT * b0_tesla; }

}  // namespace qsmtk
