// Fuzz target: JSON sidecars. The input is the text of a sidecar (or of a list of sidecars, one
// per echo). It goes through parse_echo_times as a command-line string, then parse_json, then
// acquisition_parameters on several ScanFiles built from it: one 4-D file whose sidecar holds every
// echo time, one file per echo with the array's elements (or the object shared) as sidecars,
// real/imaginary instead of magnitude/phase, fewer sidecars than echoes, and options overriding
// the echo times or the field strength. No file is read or written.
// A value or a std::exception is the expected outcome; anything else is a bug.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "qsmtk/io/json.h"
#include "qsmtk/io/multi_echo.h"

namespace {

constexpr size_t kMaxEchoes = 64;

void check(const qsmtk::ScanFiles& scan, const qsmtk::LoadOptions& options, int64_t echoes) {
  try {
    const qsmtk::AcquisitionParameters a = qsmtk::acquisition_parameters(scan, options, echoes);
    // What it accepts it has checked (multi_echo.h).
    if (int64_t(a.echo_times_s.size()) != echoes) std::abort();
    for (double te : a.echo_times_s)
      if (!(te > 0 && te <= 0.2)) std::abort();
    if (!(a.b0_tesla >= 0.1 && a.b0_tesla <= 21) || !std::isfinite(a.imaging_frequency_mhz) ||
        !(a.imaging_frequency_mhz > 0))
      std::abort();
  } catch (const std::exception&) {
  }
}

qsmtk::EchoFiles files(size_t echo, bool complex) {
  const std::string e = "sub-01_echo-" + std::to_string(echo + 1);
  if (complex) return {"", "", e + "_part-real_MEGRE.nii.gz", e + "_part-imag_MEGRE.nii.gz"};
  return {e + "_part-mag_MEGRE.nii.gz", e + "_part-phase_MEGRE.nii.gz", "", ""};
}

int64_t echo_time_count(const qsmtk::Json& j) {
  if (j.is_object() && j.contains("EchoTime") && j["EchoTime"].is_array())
    return int64_t(std::min(j["EchoTime"].size(), kMaxEchoes));
  return 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto te = qsmtk::parse_echo_times(text);
    if (te.empty()) std::abort();
  } catch (const std::exception&) {
  }

  qsmtk::Json j;
  try {
    j = qsmtk::parse_json(text, "fuzz.json");
  } catch (const std::exception&) {
    return 0;
  }
  try {
    for (bool complex : {false, true}) {
      // One 4-D file: its sidecar gives every echo time (or one).
      qsmtk::ScanFiles four_d;
      four_d.echoes.push_back(files(0, complex));
      four_d.metadata.push_back(j);
      check(four_d, {}, echo_time_count(j));
      check(four_d, {}, echo_time_count(j) + 1);

      // One file per echo: the array's elements, or the object shared by three echoes.
      qsmtk::ScanFiles per_echo;
      const size_t n = j.is_array() ? std::min(j.size(), kMaxEchoes) : 3;
      for (size_t e = 0; e < n; ++e) {
        per_echo.echoes.push_back(files(e, complex));
        per_echo.metadata.push_back(j.is_array() ? j[e] : j);
      }
      check(per_echo, {}, int64_t(n));

      // Fewer sidecars than echoes, and no sidecars at all.
      qsmtk::ScanFiles sparse = per_echo;
      sparse.echoes.push_back(files(n, complex));
      check(sparse, {}, int64_t(n + 1));
      sparse.metadata.clear();
      check(sparse, {}, int64_t(n + 1));

      // Options override the sidecars: echo times, field strength, both.
      qsmtk::LoadOptions times;
      times.echo_times_s = {0.005};
      check(four_d, times, 1);
      qsmtk::LoadOptions field;
      field.b0_tesla = 3;
      check(four_d, field, echo_time_count(j));
      qsmtk::LoadOptions both = times;
      both.b0_tesla = 7;
      check(per_echo, both, 1);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
