#pragma once
// Resampling an image onto another grid through both grids' affines (sform/qform as
// Grid::affine() picks them) and, optionally, a rigid or affine world transform between them.
//
// `world_transform` maps a world position (mm) of the TARGET space to the corresponding world
// position in the SOURCE space, the direction a registration engine reports (elastix: fixed ->
// moving). Target voxels whose source position falls outside the source grid get `outside`.
#include "qsmtk/linalg.h"
#include "qsmtk/volume.h"

namespace qsmtk {

/// Nearest neighbour (labels, masks). Ties (a target centre exactly between two source centres)
/// go to the higher index: the small bias beats rounding noise in the affines.
LabelImage resample_nearest(const LabelImage& source, const Grid& target, const Mat4* world_transform = nullptr);
Volume resample_nearest(const Volume& source, const Grid& target, const Mat4* world_transform = nullptr);
Mask resample_nearest(const Mask& source, const Grid& target, const Mat4* world_transform = nullptr);

/// Trilinear interpolation of a 3-D volume (chi, magnitude). Positions within half a voxel
/// outside the source grid take the nearest border value; farther ones get `outside`.
Volume resample_linear(const Volume& source, const Grid& target, const Mat4* world_transform = nullptr,
                       float outside = 0.0f);

}  // namespace qsmtk
