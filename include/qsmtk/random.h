#pragma once
// Counter-based random numbers: value i of stream (seed, stream) is a pure function of its
// arguments, so noise and texture are identical whatever the thread count or loop order.
#include <cmath>
#include <cstdint>

namespace qsmtk {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Uniform in (0, 1) for counter i of stream (seed, stream).
inline double uniform01(uint64_t seed, uint64_t stream, uint64_t i) {
  const uint64_t h = splitmix64(splitmix64(seed ^ splitmix64(stream)) + i);
  return (static_cast<double>(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/// Two independent standard normal deviates for counter i (Box-Muller).
inline void normal_pair(uint64_t seed, uint64_t stream, uint64_t i, double& a, double& b) {
  const double u1 = uniform01(seed, stream, 2 * i), u2 = uniform01(seed, stream, 2 * i + 1);
  const double r = std::sqrt(-2.0 * std::log(u1));
  a = r * std::cos(2 * M_PI * u2);
  b = r * std::sin(2 * M_PI * u2);
}

/// A small sequential generator for drawing phantom parameters (deterministic per seed).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(splitmix64(seed)) {}
  double uniform() { return uniform01(state_, 0, counter_++); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    double a, b;
    normal_pair(state_, 1, counter_++, a, b);
    return a;
  }

 private:
  uint64_t state_;
  uint64_t counter_ = 0;
};

}  // namespace qsmtk
