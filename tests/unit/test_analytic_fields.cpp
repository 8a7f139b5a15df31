// The forward model against closed-form fields of a uniformly magnetised sphere and an infinite
// cylinder at an angle to B0, on a grid with oblique B0 and anisotropic voxels: 2% RMS outside a
// one-voxel shell around the boundary. Two forward models are checked: the simulator's
// (continuous kernel on a 2x supersampled grid with its mixed terms tapered above the output band,
// averaged down) and the discrete kernel at native
// resolution. The continuous kernel at native resolution is measured too: with oblique B0 it
// jumps across the Nyquist planes and aliases (docs/accuracy.md); axis-aligned it is accurate.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "qsmtk/convolution.h"
#include "qsmtk/kernels/dipole.h"
#include "sim/forward_model.h"

using namespace qsmtk;

namespace {

const Vec3 kAniso{0.8, 1.0, 1.5};

Grid test_grid(const Dims& n, const Vec3& h, bool oblique) {
  const Mat3 r = oblique ? Mat3::rotation({1, 0, 0}, 30 * M_PI / 180) * Mat3::rotation({0, 1, 0}, 20 * M_PI / 180)
                         : Mat3::identity();
  return Grid::centred(n, h, r);
}

Vec3 physical(const Dims& n, const Vec3& h, double i, double j, double k) {
  return {(i - (n[0] - 1) / 2.0) * h[0], (j - (n[1] - 1) / 2.0) * h[1], (k - (n[2] - 1) / 2.0) * h[2]};
}

using Inside = std::function<bool(const Vec3&)>;
using Distance = std::function<double(const Vec3&)>;  // to the boundary, mm (>= 0)

/// chi = dchi * (fraction of each voxel inside), by 8^3 subsamples within 2 voxels of the boundary.
Volume voxelise(const Dims& n, const Vec3& h, const Inside& inside, const Distance& dist) {
  Volume chi(Grid{n});
  const double near = 2 * std::max({h[0], h[1], h[2]});
  const int s = 8;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const Vec3 p = physical(n, h, i, j, k);
        if (dist(p) > near) {
          chi(i, j, k) = inside(p) ? 1.0f : 0.0f;
          continue;
        }
        int hits = 0;
        for (int c = 0; c < s; ++c)
          for (int b = 0; b < s; ++b)
            for (int a = 0; a < s; ++a)
              hits += inside(physical(n, h, i + (a + 0.5) / s - 0.5, j + (b + 0.5) / s - 0.5, k + (c + 0.5) / s - 0.5));
        chi(i, j, k) = float(hits) / (s * s * s);
      }
  return chi;
}

/// Relative RMS error ||f - f_true|| / ||f_true|| outside the shell |dist| <= shell.
double rms_error(const Volume& field, const Dims& n, const Vec3& h, const std::function<double(const Vec3&)>& truth,
                 const Distance& dist, double shell) {
  double num = 0, den = 0;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const Vec3 p = physical(n, h, i, j, k);
        if (dist(p) <= shell) continue;
        const double e = truth(p);
        num += std::pow(field(i, j, k) - e, 2);
        den += e * e;
      }
  return std::sqrt(num / den);
}

/// Field of the voxelised object through `kernel` on a periodic cell of `cell` voxels.
Volume native_field(const Dims& n, const Vec3& h, const Vec3& b, const Dims& cell, DipoleKernelType type,
                    const Inside& inside, const Distance& dist) {
  const Volume chi = voxelise(n, h, inside, dist);
  Convolver conv(n, cell);
  Volume field(Grid{n});
  conv.apply(chi.data(), dipole_kernel(cell, h, b, type), field.data());
  return field;
}

/// The simulator's forward model: voxelise on a 2x finer grid, its field computation (tapered
/// continuous kernel, small padding with the far-field correction of periodic images), block mean.
Volume supersampled_field(const Dims& n, const Vec3& h, const Vec3& b, const Inside& inside, const Distance& dist) {
  const Dims nf{2 * n[0], 2 * n[1], 2 * n[2]};
  const Vec3 hf = 0.5 * h;
  Volume chi = voxelise(nf, hf, inside, dist);
  const Volume fine = sim::fine_field_ppm(chi, 0.0, hf, b, sim::FieldOptions{});
  return sim::block_mean(fine, 2, Grid{n});
}

struct SphereCase {
  double a = 7.0;
  Inside inside() const { return [a = a](const Vec3& p) { return norm(p) < a; }; }
  Distance dist() const { return [a = a](const Vec3& p) { return std::fabs(norm(p) - a); }; }
  std::function<double(const Vec3&)> truth(const Vec3& b) const {
    // Inside 0 (Lorentz sphere); outside dchi/3 (a/r)^3 (3 cos^2 theta - 1).
    return [a = a, b](const Vec3& p) {
      const double r = norm(p);
      if (r <= a) return 0.0;
      const double c = dot(p, b) / r;
      return std::pow(a / r, 3) * (3 * c * c - 1) / 3;
    };
  }
};

// 72 mm in every direction; the periodic cell is a 144 mm cube, so image fields cancel by symmetry.
const Dims kSphereDims{90, 72, 48};
const Dims kSphereCell{180, 144, 96};

}  // namespace

TEST(AnalyticSphere, SimulatorForwardModelObliqueAnisotropic) {
  const Grid g = test_grid(kSphereDims, kAniso, true);
  const Vec3 b = b0_direction(g);
  ASSERT_GT(std::acos(b[2]) * 180 / M_PI, 30.0);  // really oblique
  SphereCase s;
  const Volume f = supersampled_field(g.dims, kAniso, b, s.inside(), s.dist());
  const double err = rms_error(f, g.dims, kAniso, s.truth(b), s.dist(), 1.5);
  RecordProperty("rms_error_pct", std::to_string(100 * err));
  EXPECT_LT(err, 0.02) << 100 * err << "%";
}

TEST(AnalyticSphere, DiscreteKernelNativeObliqueAnisotropic) {
  const Grid g = test_grid(kSphereDims, kAniso, true);
  const Vec3 b = b0_direction(g);
  SphereCase s;
  const Volume f = native_field(g.dims, kAniso, b, kSphereCell, DipoleKernelType::discrete, s.inside(), s.dist());
  const double err = rms_error(f, g.dims, kAniso, s.truth(b), s.dist(), 1.5);
  RecordProperty("rms_error_pct", std::to_string(100 * err));
  EXPECT_LT(err, 0.02) << 100 * err << "%";
  // Inside the sphere the field is zero (beyond the shell).
  double inside_max = 0;
  for (int64_t k = 0; k < g.dims[2]; ++k)
    for (int64_t j = 0; j < g.dims[1]; ++j)
      for (int64_t i = 0; i < g.dims[0]; ++i)
        if (norm(physical(g.dims, kAniso, i, j, k)) < s.a - 1.5) inside_max = std::max(inside_max, double(std::fabs(f(i, j, k))));
  EXPECT_LT(inside_max, 0.02);
}

TEST(AnalyticSphere, ContinuousKernelNative) {
  SphereCase s;
  // Axis-aligned B0: accurate at native resolution.
  {
    const Grid g = test_grid(kSphereDims, kAniso, false);
    const Vec3 b = b0_direction(g);
    const Volume f = native_field(g.dims, kAniso, b, kSphereCell, DipoleKernelType::continuous, s.inside(), s.dist());
    const double err = rms_error(f, g.dims, kAniso, s.truth(b), s.dist(), 1.5);
    RecordProperty("axial_rms_error_pct", std::to_string(100 * err));
    EXPECT_LT(err, 0.02);
  }
  // Oblique B0: the sampled continuous kernel aliases; documented, and bounded here so a
  // regression (or an improvement) is noticed.
  {
    const Grid g = test_grid(kSphereDims, kAniso, true);
    const Vec3 b = b0_direction(g);
    const Volume f = native_field(g.dims, kAniso, b, kSphereCell, DipoleKernelType::continuous, s.inside(), s.dist());
    const double err = rms_error(f, g.dims, kAniso, s.truth(b), s.dist(), 1.5);
    RecordProperty("oblique_rms_error_pct", std::to_string(100 * err));
    EXPECT_GT(err, 0.02);
    EXPECT_LT(err, 0.10);
  }
}

namespace {
// Cylinder of radius a along the array k axis (periodic along k: infinite), in a square
// in-plane cell of 192 x 192 mm, no padding along k.
struct CylinderCase {
  double a = 7.0;
  Dims dims{120, 96, 8};
  Dims cell{240, 192, 8};
  Inside inside() const { return [a = a](const Vec3& p) { return std::hypot(p[0], p[1]) < a; }; }
  Distance dist() const { return [a = a](const Vec3& p) { return std::fabs(std::hypot(p[0], p[1]) - a); }; }
  std::function<double(const Vec3&)> truth(const Vec3& b) const {
    // Angle alpha between axis and B0: cos alpha = b_k. Inside dchi (3 cos^2 alpha - 1)/6;
    // outside dchi/2 sin^2 alpha (a/rho)^2 cos 2phi, phi from B0's projection on the plane.
    // D(0) = 0 makes the mean over the periodic cell zero: subtract the closed form's cell mean.
    const double c2 = b[2] * b[2], s2 = 1 - c2;
    const Vec3 bp = normalized(Vec3{b[0], b[1], 0});
    const double in = (3 * c2 - 1) / 6;
    const double offset = in * M_PI * a * a / (192.0 * 192.0);
    return [=, a = a](const Vec3& p) {
      const double rho = std::hypot(p[0], p[1]);
      if (rho <= a) return in - offset;
      const double cphi = (p[0] * bp[0] + p[1] * bp[1]) / rho;
      return s2 / 2 * (a * a) / (rho * rho) * (2 * cphi * cphi - 1) - offset;
    };
  }
};
}  // namespace

TEST(AnalyticCylinder, SimulatorForwardModelAtAngleToB0) {
  CylinderCase c;
  const Grid g = test_grid(c.dims, kAniso, true);
  const Vec3 b = b0_direction(g);
  ASSERT_GT(1 - b[2] * b[2], 0.1);
  // Supersampled like the simulator, but with the cell kept periodic (no padding) along k.
  const Dims nf{2 * c.dims[0], 2 * c.dims[1], 2 * c.dims[2]};
  const Vec3 hf = 0.5 * kAniso;
  const Volume chi = voxelise(nf, hf, c.inside(), c.dist());
  Convolver conv(nf, {2 * c.cell[0], 2 * c.cell[1], 2 * c.cell[2]});
  Volume fine(Grid{nf});
  conv.apply(chi.data(), dipole_kernel(conv.fft_dims(), hf, b, DipoleKernelType::continuous, sim::FieldOptions{}.nyquist_taper),
             fine.data());
  const Volume f = sim::block_mean(fine, 2, Grid{c.dims});
  const double err = rms_error(f, c.dims, kAniso, c.truth(b), c.dist(), 1.0);
  RecordProperty("rms_error_pct", std::to_string(100 * err));
  EXPECT_LT(err, 0.02) << 100 * err << "%";
}

TEST(AnalyticCylinder, DiscreteKernelNativeAtAngleToB0) {
  CylinderCase c;
  const Grid g = test_grid(c.dims, kAniso, true);
  const Vec3 b = b0_direction(g);
  const Volume f = native_field(c.dims, kAniso, b, c.cell, DipoleKernelType::discrete, c.inside(), c.dist());
  const double err = rms_error(f, c.dims, kAniso, c.truth(b), c.dist(), 1.0);
  RecordProperty("rms_error_pct", std::to_string(100 * err));
  EXPECT_LT(err, 0.02) << 100 * err << "%";
}

TEST(DipoleConvolve, PaddingKeepsFieldsFromWrapping) {
  // A block near one face: padding keeps its field from wrapping round to the opposite face.
  const Grid g = Grid::centred({48, 48, 48}, {1, 1, 1});
  Volume chi(g);
  for (int64_t k = 2; k < 8; ++k)
    for (int64_t j = 20; j < 26; ++j)
      for (int64_t i = 20; i < 26; ++i) chi(i, j, k) = 1.0f;
  const Volume padded = dipole_convolve(chi, {0, 0, 1}, {24, 24, 24});
  const Volume circular = dipole_convolve(chi, {0, 0, 1}, {0, 0, 0});
  EXPECT_LT(std::fabs(padded(22, 22, 46)), 0.5 * std::fabs(circular(22, 22, 46)));
}
