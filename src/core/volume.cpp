#include "qsmtk/volume.h"

#include <cmath>
#include <sstream>

namespace qsmtk {

Grid Grid::centred(const Dims& dims, const Vec3& voxel_size, const Mat3& rotation) {
  Grid g;
  g.dims = dims;
  g.voxel_size = voxel_size;
  const Mat3 linear = rotation * Mat3::diagonal(voxel_size);
  const Vec3 centre_index{(dims[0] - 1) / 2.0, (dims[1] - 1) / 2.0, (dims[2] - 1) / 2.0};
  const Mat4 a = Mat4::from(linear, -1.0 * (linear * centre_index));
  g.sform = a;
  g.qform = a;
  g.sform_code = 1;
  g.qform_code = 1;
  return g;
}

Mat4 Grid::affine() const {
  if (sform_code > 0) return sform;
  if (qform_code > 0) return qform;
  return Mat4::from(Mat3::diagonal(voxel_size), {0, 0, 0});
}

bool Grid::same_space(const Grid& other, double tol_mm) const {
  if (dims != other.dims) return false;
  const Mat4 a = affine(), b = other.affine();
  // Compare where the corners of the field of view land, which bounds every voxel's offset.
  for (int c = 0; c < 8; ++c) {
    const Vec3 p{(c & 1) ? double(dims[0] - 1) : 0.0, (c & 2) ? double(dims[1] - 1) : 0.0,
                 (c & 4) ? double(dims[2] - 1) : 0.0};
    if (norm(a.apply(p) - b.apply(p)) > tol_mm) return false;
  }
  return true;
}

std::string Grid::describe() const {
  std::ostringstream s;
  s << dims[0] << "x" << dims[1] << "x" << dims[2] << " at " << voxel_size[0] << "x" << voxel_size[1] << "x"
    << voxel_size[2] << " mm";
  return s.str();
}

Vec3 voxel_size_from_affine(const Grid& grid) {
  if (grid.sform_code <= 0 && grid.qform_code <= 0) return grid.voxel_size;
  const Mat3 l = grid.affine().linear();
  return {norm(l.column(0)), norm(l.column(1)), norm(l.column(2))};
}

Vec3 b0_direction(const Grid& grid) {
  const Mat3 l = grid.affine().linear();
  Vec3 b{};
  for (int c = 0; c < 3; ++c) {
    const Vec3 axis = l.column(c);
    const double len = norm(axis);
    if (len == 0 || !std::isfinite(len)) throw std::invalid_argument("affine has a zero-length voxel axis");
    b[c] = axis[2] / len;  // (R^T z)_c = R[2][c]
  }
  return normalized(b);
}

void require_same_space(const Grid& a, const Grid& b, const std::string& what) {
  if (a.dims != b.dims)
    throw std::invalid_argument(what + ": grids differ (" + a.describe() + " vs " + b.describe() + ")");
  if (!a.same_space(b, 1e-2))
    throw std::invalid_argument(what + ": affines differ (the images are not in the same space)");
}

}  // namespace qsmtk
