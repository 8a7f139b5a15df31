// Multi-echo unwrapping: one spatial unwrap plus temporal unwrapping, or every echo spatially.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {

Volume unwrap_echoes(const Volume& phase, const Volume& magnitude, const Mask& mask, const std::vector<double>& te,
                     EchoUnwrapMode mode, int template_echo) {
  const int64_t ne = phase.frames(), nv = phase.voxels();
  if (int64_t(te.size()) != ne) throw std::invalid_argument("unwrapping: echo times and phase echoes differ in number");
  if (magnitude.frames() != ne) throw std::invalid_argument("unwrapping: magnitude and phase echoes differ in number");
  if (template_echo < 0 || template_echo >= ne) throw std::invalid_argument("unwrapping: template echo out of range");
  Volume out(phase.grid(), ne);
  auto spatial = [&](int64_t e) {
    const Volume p = phase.extract_frame(e), m = magnitude.extract_frame(e);
    // A later echo sharpens the quality estimate (phase-gradient coherence).
    const int64_t e2 = e + 1 < ne ? e + 1 : (e > 0 ? e - 1 : e);
    const Volume p2 = phase.extract_frame(e2);
    const Volume u = unwrap_region_growing(p, mask, &m, e2 != e ? &p2 : nullptr, te[e] / te[e2]);
    std::copy(u.begin(), u.end(), out.frame(e));
  };
  log::Progress progress("Unwrapping phase", mode == EchoUnwrapMode::temporal ? 1 : ne);

  if (mode == EchoUnwrapMode::temporal) {
    spatial(template_echo);
    progress.finish();
    // Echoes in order of distance from the template; each is rounded to the prediction of a
    // magnitude-weighted line through the origin fitted to the echoes done so far.
    std::vector<int64_t> order;
    for (int64_t e = 0; e < ne; ++e)
      if (e != template_echo) order.push_back(e);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return std::fabs(te[a] - te[template_echo]) < std::fabs(te[b] - te[template_echo]);
    });
    std::vector<int64_t> done{template_echo};
    for (int64_t e : order) {
      parallel_for(nv, [&](int64_t q) {
        const float w = phase.frame(e)[q];
        if (!mask[q] || !std::isfinite(w)) {
          out.frame(e)[q] = w;
          return;
        }
        double num = 0, den = 0;
        for (int64_t d : done) {
          const double m2 = double(magnitude.frame(d)[q]) * magnitude.frame(d)[q] + 1e-30;
          num += m2 * out.frame(d)[q] * te[d];
          den += m2 * te[d] * te[d];
        }
        const double predicted = num / den * te[e];
        out.frame(e)[q] = float(w - 2 * M_PI * std::round((double(w) - predicted) / (2 * M_PI)));
      });
      done.push_back(e);
    }
    return out;
  }

  for (int64_t e = 0; e < ne; ++e) {
    spatial(e);
    progress.update(e + 1);
  }
  // Align each echo's global 2 pi offset with the template echo scaled by TE.
  for (int64_t e = 0; e < ne; ++e) {
    if (e == template_echo) continue;
    std::vector<float> k;
    for (int64_t q = 0; q < nv; ++q)
      if (mask[q] && std::isfinite(out.frame(e)[q]))
        k.push_back(float(std::round((out.frame(e)[q] - out.frame(template_echo)[q] * te[e] / te[template_echo]) /
                                     (2 * M_PI))));
    if (k.empty()) continue;
    std::nth_element(k.begin(), k.begin() + k.size() / 2, k.end());
    const float shift = float(2 * M_PI * k[k.size() / 2]);
    for (int64_t q = 0; q < nv; ++q)
      if (mask[q]) out.frame(e)[q] -= shift;
  }
  return out;
}

}  // namespace qsmtk
