// B0 direction from the affine (CONVENTIONS.md): b = R^T z with R the column-normalised 3x3 part.
#include <gtest/gtest.h>

#include "qsmtk/volume.h"

using namespace qsmtk;

namespace {
void expect_vec(const Vec3& a, const Vec3& b, double tol = 1e-12) {
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(a[d], b[d], tol) << "component " << d;
}
}  // namespace

TEST(B0Direction, AxialGridIsAlongK) {
  expect_vec(b0_direction(Grid::centred({10, 10, 10}, {1, 1, 1})), {0, 0, 1});
  expect_vec(b0_direction(Grid::centred({10, 10, 10}, {0.5, 0.7, 2.5})), {0, 0, 1});
}

TEST(B0Direction, ObliqueIsRotationTransposeTimesZ) {
  const Mat3 r = Mat3::rotation({1, 0, 0}, 0.4) * Mat3::rotation({0, 1, 0}, -0.25);
  const Vec3 expect = r.transposed() * Vec3{0, 0, 1};
  expect_vec(b0_direction(Grid::centred({8, 9, 10}, {1, 1, 1}, r)), expect);
}

TEST(B0Direction, AnisotropicObliqueUsesColumnNormalisedAffine) {
  // The tempting normalise(M^-1 z) is wrong when voxels are anisotropic.
  const Mat3 r = Mat3::rotation({1, 1, 0}, 0.5);
  const Vec3 h{0.5, 0.5, 2.0};
  const Grid g = Grid::centred({8, 8, 8}, h, r);
  const Vec3 b = b0_direction(g);
  expect_vec(b, r.transposed() * Vec3{0, 0, 1});
  const Vec3 wrong = normalized(g.affine().linear().inverse() * Vec3{0, 0, 1});
  EXPECT_GT(norm(b - wrong), 0.05);
  EXPECT_NEAR(norm(b), 1.0, 1e-12);
}

TEST(B0Direction, SagittalAndFlippedAxes) {
  // Sagittal slices: i = anterior (world y), j = superior (world z), k = right (world x).
  Grid g;
  g.dims = {10, 10, 10};
  Mat3 m;
  m.m = {{{0, 0, 1.2}, {0.9, 0, 0}, {0, 0.9, 0}}};
  g.sform = Mat4::from(m, {0, 0, 0});
  g.sform_code = 1;
  expect_vec(b0_direction(g), {0, 1, 0});
  // A flipped slice axis (k pointing inferior) flips b's sign, which the kernel ignores.
  m.m = {{{1, 0, 0}, {0, 1, 0}, {0, 0, -2}}};
  g.sform = Mat4::from(m, {0, 0, 0});
  expect_vec(b0_direction(g), {0, 0, -1});
}

TEST(B0Direction, SformPreferredOverQform) {
  Grid g;
  g.dims = {4, 4, 4};
  g.qform = Mat4::from(Mat3::rotation({1, 0, 0}, 0.3), {0, 0, 0});
  g.qform_code = 1;
  expect_vec(b0_direction(g), Mat3::rotation({1, 0, 0}, 0.3).transposed() * Vec3{0, 0, 1});
  g.sform = Mat4::identity();
  g.sform_code = 2;
  expect_vec(b0_direction(g), {0, 0, 1});
}

TEST(GridSpace, SameSpaceComparesAffines) {
  const Grid a = Grid::centred({10, 12, 8}, {1, 1, 2});
  Grid b = a;
  EXPECT_TRUE(a.same_space(b));
  b.sform.m[0][3] += 0.5;  // shifted half a voxel
  EXPECT_FALSE(a.same_space(b));
  b = a;
  b.dims[2] = 9;
  EXPECT_FALSE(a.same_space(b));
  EXPECT_THROW(require_same_space(a, b, "test"), std::invalid_argument);
}

TEST(Linalg, InverseAndRotation) {
  const Mat3 r = Mat3::rotation({0.2, -0.3, 0.9}, 1.1);
  const Mat3 p = r * r.transposed();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(p.m[i][j], i == j ? 1 : 0, 1e-12);
  const Mat4 a = Mat4::from(r * Mat3::diagonal({0.5, 1, 2}), {3, -4, 5});
  const Mat4 i = a * a.inverse();
  for (int r_ = 0; r_ < 4; ++r_)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(i.m[r_][c], r_ == c ? 1 : 0, 1e-12);
  EXPECT_THROW(Mat3::diagonal({1, 0, 1}).inverse(), std::runtime_error);
}
