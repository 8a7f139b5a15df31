#include "phantom_fixture.h"

#include <map>
#include <mutex>

#include "qsmtk/log.h"
#include "qsmtk/physics.h"

namespace qsmtk::test {

const Simulation& noise_free_small_phantom(const std::string& case_name) {
  static std::map<std::string, Simulation> cache;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(case_name);
  if (it == cache.end()) {
    const log::Level before = log::level();
    log::set_level(log::Level::quiet);
    SimulationOptions o;
    o.acquisition = simulation_case(case_name, "small");
    o.noise = false;
    it = cache.emplace(case_name, simulate_phantom(o)).first;
    log::set_level(before);
  }
  return it->second;
}

Volume local_field_ppm(const Simulation& s) {
  Volume f = s.local_field_hz;
  for (float& v : f) v = float(v / hz_per_ppm(s.options.acquisition.b0_tesla));
  return f;
}

}  // namespace qsmtk::test
