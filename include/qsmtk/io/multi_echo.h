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

/// What the sidecars (or the options' overrides) say about the acquisition.
struct AcquisitionParameters {
  std::vector<double> echo_times_s;
  double b0_tesla = 0;
  double imaging_frequency_mhz = 0;  // gammabar * B0 actually used for Hz <-> ppm
  std::string manufacturer;
};

/// Echo times (the option, else EchoTime of each echo's sidecar: a number, or a list for a 4-D
/// file), field strength (the option, else MagneticFieldStrength, else ImagingFrequency) and
/// manufacturer of `scan` with `echoes` echoes in all, checked as load_multi_echo requires.
/// Reads only scan.metadata; throws std::invalid_argument naming the file and the problem.
AcquisitionParameters acquisition_parameters(const ScanFiles& scan, const LoadOptions& options, int64_t echoes);

/// One echo time (s) per echo, positive, at most 200 ms (seconds expected), at least 0.1 ms and
/// increasing, as load_multi_echo requires; throws std::invalid_argument starting with `what`.
void check_echo_times(const std::vector<double>& echo_times_s, int64_t echoes, const std::string& what);

/// An acquisition already in memory (the Python module's arrays): the checks and conversions of
/// load_multi_echo on 4-D magnitude and phase as stored (negative magnitudes to 0, phase to radians
/// per options.phase_units, sign per options.flip_phase), echo times from options.echo_times_s.
/// Field strength as a sidecar gives it: options.b0_tesla, else imaging_frequency_mhz / gammabar;
/// both 0 leaves it unknown (enough for a field map in Hz). A view is never written: what changes
/// is converted in a copy. `what` starts error messages.
MultiEchoData multi_echo_from_images(Volume magnitude, Volume phase, const LoadOptions& options,
                                     double imaging_frequency_mhz, const std::string& what);

/// ScanFiles for plain NIfTI inputs: either one 4-D magnitude and one 4-D phase, or one file
/// per echo each (same number of magnitude and phase files). Sidecars next to the files are used
/// when present.
ScanFiles scan_from_files(const std::vector<std::string>& magnitude, const std::vector<std::string>& phase);

/// Echo times given on a command line: "5,10,15ms", "0.005,0.01 s", or bare numbers when the
/// unit is unambiguous (all >= 1: ms; all < 0.2: s); otherwise refused, naming `what` (e.g. the
/// option). Returns seconds.
std::vector<double> parse_echo_times(const std::string& text, const std::string& what = "echo times");

}  // namespace qsmtk
