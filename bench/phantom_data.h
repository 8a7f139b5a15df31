#pragma once
// The default phantom (std case, 192x224x160, 5 echoes), simulated once per benchmark run and
// shared by the benchmark files.
#include "qsmtk/sim/phantom.h"

namespace qsmtk::bench {
const Simulation& default_phantom();
}
