#include "phantom_data.h"

#include <memory>

#include "qsmtk/log.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"

namespace qsmtk::bench {

const Simulation& default_phantom() {
  static std::unique_ptr<Simulation> s;
  if (!s) {
    log::set_level(log::Level::quiet);
    set_threads(0);
    SimulationOptions o;
    o.acquisition = simulation_case("std", "default");
    s = std::make_unique<Simulation>(simulate_phantom(o));
  }
  return *s;
}

}  // namespace qsmtk::bench

// The benchmarks run with the same allocator settings as the command line.
[[maybe_unused]] static const bool kReuseMemory = (qsmtk::keep_freed_memory_for_reuse(), true);
