// The brain mask pipeline for multi-echo GRE: BET finds the inside of the skull (dark in GRE);
// CSF, bright at every echo, is then peeled off from the outside using its slow T2* decay.
#include <algorithm>
#include <cmath>
#include <vector>

#include "qsmtk/log.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/mask/morphology.h"

namespace qsmtk {
namespace {

/// Removes voxels flagged `csf` that are connected through flagged voxels to the edge of m
/// (seeds: flagged voxels within `edge_mm` of the outside, as partial-volume bone at the very
/// edge is not flagged).
Mask peel(const Mask& m, const Mask& csf, const Volume& edge_distance, double edge_mm) {
  const float edge2 = float(edge_mm * edge_mm);
  const Dims& n = m.dims();
  Mask removed(m.grid());
  std::vector<int64_t> stack;
  auto seed_or_grow = [&](int64_t q) {
    if (m[q] && csf[q] && !removed[q]) {
      removed[q] = 1;
      stack.push_back(q);
    }
  };
  for (int64_t q = 0; q < m.size(); ++q)
    if (edge_distance[q] <= edge2) seed_or_grow(q);
  while (!stack.empty()) {
    const int64_t q = stack.back();
    stack.pop_back();
    const int64_t i = q % n[0], j = (q / n[0]) % n[1], k = q / (n[0] * n[1]);
    if (i > 0) seed_or_grow(q - 1);
    if (i + 1 < n[0]) seed_or_grow(q + 1);
    if (j > 0) seed_or_grow(q - n[0]);
    if (j + 1 < n[1]) seed_or_grow(q + n[0]);
    if (k > 0) seed_or_grow(q - n[0] * n[1]);
    if (k + 1 < n[2]) seed_or_grow(q + n[0] * n[1]);
  }
  Mask out(m.grid());
  for (int64_t q = 0; q < m.size(); ++q) out[q] = (m[q] && !removed[q]) ? 1 : 0;
  return out;
}

}  // namespace

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
    const Mask peeled = largest_component(open(peel(m, csf, depth2, o.csf_edge_mm), o.close_mm), 6);
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
  if (o.close_mm > 0) m = close(m, o.close_mm);
  m = largest_component(fill_holes(m), 6);
  if (o.erode_mm > 0) m = erode(m, o.erode_mm);
  return m;
}

}  // namespace qsmtk
