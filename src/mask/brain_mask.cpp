// The brain mask pipeline for multi-echo GRE: BET finds the inside of the skull (dark in GRE);
// CSF, bright at every echo, is then peeled off from the outside using its slow T2* decay.
#include <algorithm>
#include <cmath>
#include <vector>

#include "qsmtk/log.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/mask/morphology.h"

namespace qsmtk {
Mask brain_mask(const Volume& magnitude, const std::vector<double>& te, const BrainMaskOptions& o) {
  if (magnitude.frames() != int64_t(te.size()) && !te.empty())
    throw std::invalid_argument("brain mask: " + std::to_string(magnitude.frames()) + " magnitude echoes but " +
                                std::to_string(te.size()) + " echo times");
  const Volume first = magnitude.extract_frame(0);
  Mask m = bet(first, o.bet);
  log::verbose("brain mask: BET region " + std::to_string(count(m)) + " voxels");

  const int64_t last = magnitude.frames() - 1;
  if (o.csf_decay_ratio > 0 && last > 0 && te[last] - te[0] >= 0.010) {
    Mask csf(m.grid());
    const float* m0 = magnitude.frame(0);
    const float* ml = magnitude.frame(last);
    for (int64_t q = 0; q < m.voxels(); ++q) csf[q] = (m0[q] > 0 && ml[q] > o.csf_decay_ratio * m0[q]) ? 1 : 0;
    // The partial-volume rim left at the skull is a thin shell around the removed CSF: open to
    // cut it off before the largest component is kept and holes are filled.
    const Volume depth2 = distance_to_outside_sq(m, true);
    const Mask peeled = largest_component(open(peel_from_edge(m, csf, o.csf_edge_mm), o.close_mm), 6);
    // Outer CSF is a layer a few mm thick (sulci included). When much of what would go lies
    // deeper, the object is not a brain in CSF (a water phantom, say): keep the BET region.
    int64_t removed = 0, deep = 0;
    for (int64_t q = 0; q < m.voxels(); ++q)
      if (m[q] && !peeled[q]) {
        ++removed;
        deep += depth2[q] > float(o.csf_max_depth_mm * o.csf_max_depth_mm);
      }
    if (10 * deep > removed) {
      log::info("brain mask: what decays like CSF is not a thin outer layer (a phantom?); CSF removal skipped");
    } else {
      m = peeled;
      log::verbose("brain mask: after removing outer CSF " + std::to_string(count(m)) + " voxels");
    }
  }
  if (o.fast_decay_factor > 0 && last > 0 && te[last] - te[0] >= 0.010) {
    const float* m0 = magnitude.frame(0);
    const float* ml = magnitude.frame(last);
    const double span = te[last] - te[0];
    Volume r2(m.grid());
    std::vector<float> inside;
    for (int64_t q = 0; q < m.voxels(); ++q) {
      r2[q] = (m0[q] > 0 && ml[q] > 0) ? float(std::log(double(m0[q]) / ml[q]) / span) : 1e4f;
      if (m[q]) inside.push_back(r2[q]);
    }
    if (!inside.empty()) {
      std::nth_element(inside.begin(), inside.begin() + inside.size() / 2, inside.end());
      const double limit = o.fast_decay_factor * std::max(1.0, double(inside[inside.size() / 2]));
      const Volume depth2 = distance_to_outside_sq(m, true);
      const float max_depth2 = float(o.fast_decay_max_depth_mm * o.fast_decay_max_depth_mm);
      Mask fast(m.grid());
      for (int64_t q = 0; q < m.voxels(); ++q) fast[q] = r2[q] > limit && depth2[q] <= max_depth2;
      // Opened like the CSF step: the removal leaves thin fragments and bridges along the edge,
      // where unwrapping would enter through a single voxel.
      const Mask kept = largest_component(open(peel_from_edge(m, fast, o.csf_edge_mm), o.close_mm), 6);
      log::verbose("brain mask: " + std::to_string(count(m) - count(kept)) + " fast-decaying edge voxels (R2* > " +
                   std::to_string(int(limit)) + " /s) removed");
      m = kept;
    }
  }
  if (o.close_mm > 0) m = close(m, o.close_mm);
  m = largest_component(fill_holes(m), 6);
  if (o.erode_mm > 0) m = erode(m, o.erode_mm);
  return m;
}

}  // namespace qsmtk
