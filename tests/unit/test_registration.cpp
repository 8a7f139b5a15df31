// Resampling through world transforms and rigid registration with elastix.
#include <gtest/gtest.h>

#include <cmath>

#include "qsmtk/process.h"
#include "qsmtk/registration/rigid.h"
#include "qsmtk/resample.h"
#include "test_util.h"

namespace qsmtk {
namespace {

TEST(Registration, EulerAnglesRoundTripAndOrder) {
  const Vec3 angles{7, -3, 12}, shift{1.5, -2, 4};
  const Mat4 m = rigid_matrix(angles, shift);
  const Vec3 back = euler_angles_deg(m.linear());
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(back[a], angles[a], 1e-9);
  // R = Rz Ry Rx: a point on the x axis is first turned about x (no effect), then about y and z.
  const Vec3 p = m.linear() * Vec3{1, 0, 0};
  const double y = -3 * M_PI / 180, z = 12 * M_PI / 180;
  EXPECT_NEAR(p[0], std::cos(z) * std::cos(y), 1e-12);
  EXPECT_NEAR(p[1], std::sin(z) * std::cos(y), 1e-12);
  EXPECT_NEAR(p[2], -std::sin(y), 1e-12);
  EXPECT_NEAR(rotation_angle_deg(rigid_matrix({0, 0, 9}, {}).linear()), 9, 1e-9);
  EXPECT_NEAR(rotation_angle_deg(m.linear() * m.inverse().linear()), 0, 1e-6);
}

TEST(Registration, ParsesElastixEulerTransformFromLpsToRas) {
  // A rotation of 0.1 rad about z and a shift (2, 3, 4) mm in ITK's LPS world about a centre
  // (10, 0, 0): in RAS the rotation about z is the same, x and y of centre and shift flip.
  const std::string text =
      "(Transform \"EulerTransform\")\n(NumberOfParameters 6)\n"
      "(TransformParameters 0.000000 0.000000 0.100000 2.000000 3.000000 4.000000)\n"
      "(InitialTransformParametersFileName \"NoInitialTransform\")\n"
      "(CenterOfRotationPoint 10.0000000000 0.0000000000 0.0000000000)\n(ComputeZYX \"false\")\n";
  const Mat4 m = parse_elastix_euler_transform(text);
  const Vec3 centre_ras{-10, 0, 0};
  const Vec3 moved = m.apply(centre_ras);  // the centre only shifts
  EXPECT_NEAR(moved[0], -10 - 2, 1e-9);
  EXPECT_NEAR(moved[1], -3, 1e-9);
  EXPECT_NEAR(moved[2], 4, 1e-9);
  EXPECT_NEAR(euler_angles_deg(m.linear())[2], 0.1 * 180 / M_PI, 1e-9);
  EXPECT_NE(test::error_of([] { parse_elastix_euler_transform("(Transform \"AffineTransform\")"); }), "");
}

TEST(Resample, LinearReproducesALinearFunctionThroughARigidTransform) {
  const Grid source = Grid::centred({40, 44, 36}, {1.5, 1.5, 2.0});
  const Grid target = Grid::centred({30, 30, 30}, {1.2, 1.2, 1.2}, Mat3::rotation({1, 1, 0}, 0.2));
  auto f = [](const Vec3& x) { return 0.3 * x[0] - 0.2 * x[1] + 0.1 * x[2] + 5; };
  Volume src(source);
  const Mat4 a = source.affine();
  for (int64_t k = 0; k < 36; ++k)
    for (int64_t j = 0; j < 44; ++j)
      for (int64_t i = 0; i < 40; ++i) src(i, j, k) = float(f(a.apply({double(i), double(j), double(k)})));
  const Mat4 t = rigid_matrix({3, -2, 5}, {1, 2, -1});
  const Volume out = resample_linear(src, target, &t);
  const Mat4 b = target.affine();
  int64_t checked = 0;
  for (int64_t k = 0; k < 30; ++k)
    for (int64_t j = 0; j < 30; ++j)
      for (int64_t i = 0; i < 30; ++i) {
        const Vec3 x = t.apply(b.apply({double(i), double(j), double(k)}));
        const Vec3 p = a.inverse().apply(x);
        if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[0] > 39 || p[1] > 43 || p[2] > 35) continue;
        ASSERT_NEAR(out(i, j, k), f(x), 2e-4);
        ++checked;
      }
  EXPECT_GT(checked, 20000);

  // Nearest neighbour lands on the source voxel holding the transformed centre.
  LabelImage labels(source);
  for (int64_t v = 0; v < labels.voxels(); ++v) labels[v] = int32_t(v);
  const LabelImage moved = resample_nearest(labels, target, &t);
  const Vec3 p = a.inverse().apply(t.apply(b.apply({15, 15, 15})));
  EXPECT_EQ(moved(15, 15, 15), labels(std::lround(p[0]), std::lround(p[1]), std::lround(p[2])));
}

/// A head-like test image: an ellipsoid with asymmetric bright and dark blobs.
Volume blob_image(const Grid& g, const Mat4& world_motion) {
  Volume v(g);
  const Mat4 a = g.affine(), back = world_motion.inverse();
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i) {
        const Vec3 x = back.apply(a.apply({double(i), double(j), double(k)}));  // head frame
        const double r = std::pow(x[0] / 50, 2) + std::pow(x[1] / 60, 2) + std::pow(x[2] / 45, 2);
        if (r > 1) continue;
        double s = 1;
        s += 2 * std::exp(-norm(x - Vec3{20, 15, 10}) / 6);
        s += 1.5 * std::exp(-norm(x - Vec3{-15, -25, 5}) / 8);
        s -= 0.8 * std::exp(-norm(x - Vec3{5, 30, -20}) / 5);
        s += 0.5 * std::exp(-std::pow(x[2] - 15, 2) / 20) * (x[0] > 0);
        v(i, j, k) = float(s);
      }
  return v;
}

TEST(Registration, ElastixRecoversAKnownRigidMotion) {
  if (!program_available("elastix")) GTEST_SKIP() << "elastix is not installed";
  const Grid g = Grid::centred({64, 72, 60}, {2, 2, 2});
  const Mat4 motion = rigid_matrix({4, -3, 6}, {3, -2, 1.5});
  const Volume fixed = blob_image(g, Mat4::identity()), moving = blob_image(g, motion);
  for (auto metric : {RegistrationMetric::mutual_information, RegistrationMetric::mean_squares}) {
    RigidRegistrationOptions o;
    o.metric = metric;
    const RigidRegistrationResult r = register_rigid(fixed, moving, nullptr, nullptr, o);
    // Error transform: the estimate followed by the true motion undone.
    const Mat4 error = motion.inverse() * r.transform;
    Mask head(g);
    for (int64_t v = 0; v < g.voxels(); ++v) head[v] = fixed[v] > 0;
    EXPECT_LT(rotation_angle_deg(error.linear()), 0.3) << to_string(metric);
    EXPECT_LT(max_displacement_mm(error, head), 0.3) << to_string(metric);
    EXPECT_NE(r.engine.find("elastix"), std::string::npos);
  }
}

}  // namespace
}  // namespace qsmtk
