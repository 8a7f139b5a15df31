#pragma once
// Small fixed-size vectors and matrices for affines and directions (double precision).
#include <array>
#include <cmath>

namespace qsmtk {

using Vec3 = std::array<double, 3>;

inline double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
inline Vec3 operator+(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
inline Vec3 operator-(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
inline Vec3 operator*(double s, const Vec3& a) { return {s * a[0], s * a[1], s * a[2]}; }
inline Vec3 normalized(const Vec3& a) { return (1.0 / norm(a)) * a; }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

/// 3x3 matrix, row-major: m[row][col].
struct Mat3 {
  std::array<std::array<double, 3>, 3> m{};

  static Mat3 identity() { return diagonal({1, 1, 1}); }
  static Mat3 diagonal(const Vec3& d) {
    Mat3 r;
    for (int i = 0; i < 3; ++i) r.m[i][i] = d[i];
    return r;
  }
  /// Right-handed rotation by `angle_rad` about `axis` (any non-zero length).
  static Mat3 rotation(const Vec3& axis, double angle_rad);

  Vec3 column(int c) const { return {m[0][c], m[1][c], m[2][c]}; }
  Mat3 transposed() const;
  double determinant() const;
  Mat3 inverse() const;  // throws on a singular matrix
};
Mat3 operator*(const Mat3& a, const Mat3& b);
Vec3 operator*(const Mat3& a, const Vec3& v);

/// 4x4 affine (NIfTI sform/qform layout): world = A * [i j k 1]^T, world in mm.
struct Mat4 {
  std::array<std::array<double, 4>, 4> m{};

  static Mat4 identity();
  /// Affine from a 3x3 linear part (columns = voxel axes in world mm) and a translation.
  static Mat4 from(const Mat3& linear, const Vec3& translation);
  Mat3 linear() const;
  Vec3 translation() const { return {m[0][3], m[1][3], m[2][3]}; }
  Vec3 apply(const Vec3& ijk) const;  // voxel index -> world mm
  Mat4 inverse() const;
};
Mat4 operator*(const Mat4& a, const Mat4& b);

}  // namespace qsmtk
