#pragma once
// Brain masks from multi-echo GRE magnitude.
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

/// Brain extraction by a deformable surface in the spirit of BET (Smith, Hum Brain Mapp
/// 2002;17:143-155): a tessellated sphere starts inside the head and moves outwards under
/// tangential smoothing, curvature-dependent normal smoothing and an intensity term that pushes
/// it towards the edge where the image drops below a local threshold (the skull in GRE).
struct BetOptions {
  double fractional_threshold = 0.7;  // bt: smaller gives larger estimates (BET's T1 default is 0.5;
                                      // GRE magnitude needs more: docs/accuracy.md)
  int iterations = 1000;
  int subdivisions = 4;               // icosphere refinement: 4 -> 2562 vertices
  int centre_passes = 1;              // > 1: re-run from the previous result's centroid (FSL's -R)
};
/// The region enclosed by the final surface.
Mask bet(const Volume& image, const BetOptions& options = {});

struct BrainMaskOptions {
  BetOptions bet;
  /// Remove CSF outside the brain: voxels whose magnitude decays less than this ratio between
  /// the first and last echo (CSF has a long T2*), connected through such voxels to the edge of
  /// the BET region. Needs echoes spanning >= 10 ms; 0 disables. Skipped when more than 10% of
  /// what would be removed lies deeper than csf_max_depth_mm (not a CSF layer: a phantom, say).
  double csf_decay_ratio = 0.8;
  double csf_max_depth_mm = 10.0;
  double csf_edge_mm = 3.0;  // CSF voxels this close to the BET edge start the removal
  /// Remove fast-decaying tissue at the edge: voxels whose R2* (from the first and last echo)
  /// exceeds this multiple of the mask's median R2*, connected through such voxels to the edge
  /// and no deeper than fast_decay_max_depth_mm: dural venous sinuses, bone and air partial
  /// volume, signal dropout. Their strong sources would otherwise sit inside the mask, where
  /// background removal must keep them (on the phantom they tripled PDF's error). 0 disables.
  double fast_decay_factor = 2.5;
  double fast_decay_max_depth_mm = 12.0;
  double erode_mm = 0;   // final erosion
  double close_mm = 1.5; // smoothing of the boundary after CSF removal
};

/// The full mask: BET on the first-echo magnitude, outer CSF and fast-decaying edge tissue
/// removed using the echo decay, boundary smoothing, hole filling, largest component, optional
/// erosion.
/// `magnitude` is 4-D (echoes) or 3-D; echo times in seconds.
Mask brain_mask(const Volume& magnitude, const std::vector<double>& echo_times_s, const BrainMaskOptions& options = {});

}  // namespace qsmtk
