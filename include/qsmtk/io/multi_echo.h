#pragma once
// Loading one multi-echo GRE acquisition into memory: magnitude and phase (radians) as 4-D
// volumes, echo times, field strength, with every check and conversion recorded.
#include <string>
#include <vector>

#include "qsmtk/io/bids.h"
#include <nlohmann/json.hpp>  // Json members by value

#include "qsmtk/io/json.h"
#include "qsmtk/phase/phase_scaling.h"
#include "qsmtk/volume.h"

namespace qsmtk {

struct MultiEchoData {
  Volume magnitude;  // 4-D, echoes along the 4th axis
  Volume phase;      // 4-D, radians in [-pi, pi), sign per CONVENTIONS (phase = phi0 + 2 pi f TE)
  std::vector<double> echo_times_s;
  double b0_tesla = 0;
  double imaging_frequency_mhz = 0;  // gammabar * B0 actually used for Hz <-> ppm
  std::string manufacturer;
  std::vector<std::string> warnings;
  Json provenance;                   // input files, phase scaling, overrides
};

struct LoadOptions {
  std::vector<double> echo_times_s;  // override (else from sidecars)
  double b0_tesla = 0;               // override (else MagneticFieldStrength / ImagingFrequency)
  PhaseUnits phase_units = PhaseUnits::automatic;
  bool flip_phase = false;           // data following phase = phi0 - 2 pi f TE
  std::string readout = "monopolar"; // monopolar | bipolar (refused: see load_multi_echo)
};

/// Reads and checks an acquisition: every magnitude/phase pair on the same grid and affine
/// (refused naming both files), echo counts, echo times (present, positive, increasing, in
/// seconds), field strength (0.1-21 T), phase converted to radians. One echo to 32.
MultiEchoData load_multi_echo(const ScanFiles& scan, const LoadOptions& options = {});

/// ScanFiles for plain NIfTI inputs: either one 4-D magnitude and one 4-D phase, or one file
/// per echo each (same number of magnitude and phase files). Sidecars next to the files are used
/// when present.
ScanFiles scan_from_files(const std::vector<std::string>& magnitude, const std::vector<std::string>& phase);

/// Echo times given on a command line: "5,10,15ms", "0.005,0.01 s", or bare numbers when the
/// unit is unambiguous (all >= 1: ms; all < 0.2: s); otherwise refused. Returns seconds.
std::vector<double> parse_echo_times(const std::string& text);

}  // namespace qsmtk
