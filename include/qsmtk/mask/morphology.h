#pragma once
// Binary morphology on anisotropic grids, in millimetres: exact Euclidean distance transform,
// erosion/dilation by a ball, hole filling, connected components, overlap measures.
#include <cstdint>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

/// Squared Euclidean distance (mm^2) from each voxel to the nearest voxel where `inside` is 0
/// (0 there), with the grid's voxel size. Exact (Felzenszwalb & Huttenlocher 2012), O(N).
/// Voxels beyond the volume edge count as outside when `edge_is_outside` is set.
Volume distance_to_outside_sq(const Mask& inside, bool edge_is_outside = true);

/// Voxels of `m` farther than `radius_mm` from any voxel outside m (erosion by a ball).
Mask erode(const Mask& m, double radius_mm);
/// Voxels within `radius_mm` of m (dilation by a ball).
Mask dilate(const Mask& m, double radius_mm);
Mask open(const Mask& m, double radius_mm);
Mask close(const Mask& m, double radius_mm);

/// Fills every region of 0s that is not connected (6-connectivity) to the volume's border.
Mask fill_holes(const Mask& m);

/// Connected components (connectivity 6, 18 or 26), labelled 1..n by decreasing size (ties by
/// first voxel); returns n through `count`.
LabelImage connected_components(const Mask& m, int connectivity, int32_t* count = nullptr,
                                std::vector<int64_t>* sizes = nullptr);
/// The largest connected component (empty mask stays empty).
Mask largest_component(const Mask& m, int connectivity = 6);

/// Removes from m the `flagged` voxels that connect through flagged voxels (6-connectivity) to
/// its edge; the removal starts at flagged voxels within `seed_depth_mm` of the outside (so a
/// thin unflagged partial-volume shell at the very edge does not stop it). Used to peel CSF,
/// sinuses and unreliable phase off a brain mask without touching deep structures alike.
Mask peel_from_edge(const Mask& m, const Mask& flagged, double seed_depth_mm);

int64_t count(const Mask& m);
/// Dice coefficient 2|A and B| / (|A| + |B|); 1 for two empty masks.
double dice(const Mask& a, const Mask& b);

}  // namespace qsmtk
