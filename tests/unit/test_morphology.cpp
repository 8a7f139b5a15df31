// Distance transform against brute force, erosion/dilation by balls, holes, components.
#include <gtest/gtest.h>

#include <cmath>

#include "qsmtk/mask/morphology.h"
#include "test_util.h"

using namespace qsmtk;

TEST(Morphology, DistanceTransformMatchesBruteForceOnAnisotropicGrid) {
  const Grid g = Grid::centred({17, 13, 9}, {0.8, 1.1, 2.0});
  Mask m(g);
  for (int64_t q = 0; q < m.size(); ++q) m[q] = uniform01(5, 1, uint64_t(q)) < 0.85;
  for (bool edge : {true, false}) {
    const Volume d2 = distance_to_outside_sq(m, edge);
    const Vec3& h = g.voxel_size;
    for (int64_t k = 0; k < 9; ++k)
      for (int64_t j = 0; j < 13; ++j)
        for (int64_t i = 0; i < 17; ++i) {
          double best = INFINITY;
          for (int64_t c = -1; c <= 9; ++c)
            for (int64_t b = -1; b <= 13; ++b)
              for (int64_t a = -1; a <= 17; ++a) {
                const bool border = a < 0 || b < 0 || c < 0 || a >= 17 || b >= 13 || c >= 9;
                if (border ? !edge : m(a, b, c)) continue;
                const double dx = (a - i) * h[0], dy = (b - j) * h[1], dz = (c - k) * h[2];
                best = std::min(best, dx * dx + dy * dy + dz * dz);
              }
          if (!m(i, j, k)) best = 0;
          if (std::isinf(best)) {
            EXPECT_TRUE(std::isinf(d2(i, j, k)));
          } else {
            EXPECT_NEAR(d2(i, j, k), best, 1e-4 * std::max(1.0, best)) << i << "," << j << "," << k;
          }
        }
  }
}

TEST(Morphology, ErodeDilateByBallsInMillimetres) {
  // A ball of radius 10 mm on 1 x 1 x 2 mm voxels; eroding by 3 mm leaves the centres within
  // 7 mm, dilating gives those within 13 mm, up to the staircase of the voxelised sphere (1 mm).
  const Grid g = Grid::centred({41, 41, 21}, {1, 1, 2});
  Mask ball(g);
  auto r = [&](int64_t i, int64_t j, int64_t k) { return std::sqrt(std::pow(i - 20.0, 2) + std::pow(j - 20.0, 2) + std::pow(2.0 * (k - 10), 2)); };
  for (int64_t k = 0; k < 21; ++k)
    for (int64_t j = 0; j < 41; ++j)
      for (int64_t i = 0; i < 41; ++i) ball(i, j, k) = r(i, j, k) <= 10;
  const Mask e = erode(ball, 3.0), d = dilate(ball, 3.0);
  for (int64_t k = 0; k < 21; ++k)
    for (int64_t j = 0; j < 41; ++j)
      for (int64_t i = 0; i < 41; ++i) {
        if (r(i, j, k) <= 6.0) {
          EXPECT_TRUE(e(i, j, k));
        }
        if (r(i, j, k) > 8.0) {
          EXPECT_FALSE(e(i, j, k));
        }
        if (r(i, j, k) <= 12.0) {
          EXPECT_TRUE(d(i, j, k));
        }
        if (r(i, j, k) > 14.0) {
          EXPECT_FALSE(d(i, j, k));
        }
      }
  EXPECT_EQ(count(erode(ball, 0)), count(ball));
  EXPECT_LT(count(open(ball, 2.0)), count(ball) + 1);
}

TEST(Morphology, FillHolesAndComponents) {
  const Grid g = Grid::centred({12, 12, 12}, {1, 1, 1});
  Mask shell(g);
  for (int64_t k = 2; k < 10; ++k)
    for (int64_t j = 2; j < 10; ++j)
      for (int64_t i = 2; i < 10; ++i) shell(i, j, k) = (i == 2 || i == 9 || j == 2 || j == 9 || k == 2 || k == 9);
  EXPECT_EQ(count(shell), 8 * 8 * 8 - 6 * 6 * 6);
  EXPECT_EQ(count(fill_holes(shell)), 8 * 8 * 8);
  shell(2, 5, 5) = 0;  // a hole in the wall: the inside is no longer enclosed
  EXPECT_EQ(count(fill_holes(shell)), 8 * 8 * 8 - 6 * 6 * 6 - 1);

  // Two voxels touching by an edge, a corner, and a separate blob of 3.
  Mask m(g);
  m(1, 1, 1) = m(2, 2, 1) = 1;        // edge neighbours (18-connected)
  m(5, 5, 5) = m(6, 6, 6) = 1;        // corner neighbours (26-connected)
  m(9, 9, 9) = m(10, 9, 9) = m(10, 10, 9) = 1;
  int32_t n6, n18, n26;
  std::vector<int64_t> sizes;
  connected_components(m, 6, &n6);
  connected_components(m, 18, &n18);
  const LabelImage l26 = connected_components(m, 26, &n26, &sizes);
  EXPECT_EQ(n6, 5);
  EXPECT_EQ(n18, 4);
  EXPECT_EQ(n26, 3);
  EXPECT_EQ(sizes[0], 3);  // largest first
  EXPECT_EQ(l26(10, 10, 9), 1);
  EXPECT_EQ(count(largest_component(m, 26)), 3);
  EXPECT_THROW(connected_components(m, 8), std::invalid_argument);
  EXPECT_DOUBLE_EQ(dice(m, m), 1.0);
  EXPECT_DOUBLE_EQ(dice(m, Mask(g)), 0.0);
}
