#pragma once
// The noise-free small phantom that the inversion tests share, simulated once per case and test
// process (a few seconds each).
#include <string>

#include "qsmtk/sim/phantom.h"

namespace qsmtk::test {

/// The built-in phantom of `case_name` at the small size, without noise.
const Simulation& noise_free_small_phantom(const std::string& case_name);

/// The phantom's true local field in ppm (the simulator gives Hz).
Volume local_field_ppm(const Simulation& s);

}  // namespace qsmtk::test
