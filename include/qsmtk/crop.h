#pragma once
// Sub-boxes of volumes: algorithms that act inside a mask work on its bounding box, which is
// often half the field of view, and paste their result back.
#include "qsmtk/volume.h"

namespace qsmtk {

struct Box {
  Dims lo{0, 0, 0};
  Dims size{0, 0, 0};
};

/// The bounding box of the mask grown by `margin` voxels per side, clamped to the volume.
/// Throws for an empty mask.
Box bounding_box(const Mask& m, int64_t margin);

/// The part of v inside the box, on a grid whose affine keeps every voxel's world position.
template <typename T>
Image<T> crop(const Image<T>& v, const Box& b);
/// Writes part (frame by frame) into the box of `into`.
template <typename T>
void paste(const Image<T>& part, const Box& b, Image<T>& into);

}  // namespace qsmtk
