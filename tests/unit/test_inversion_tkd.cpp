// TKD on the mask's bounding box against TKD on the whole padded field of view (how it was
// computed before, and how most toolboxes compute it), and against the phantom's truth.
#include <gtest/gtest.h>
#include <cmath>
#include "qsmtk/convolution.h"
#include "qsmtk/fft.h"
#include "qsmtk/inversion/tkd.h"
#include "qsmtk/kernels/dipole.h"
#include "qsmtk/metrics.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"
#include "phantom_fixture.h"

using namespace qsmtk;

namespace {

/// TKD over the whole field of view, zero-padded by half of every side.
Volume tkd_whole_fov(const Volume& field, const Mask& mask, const Vec3& b0, double t) {
  Volume masked(field.grid());
  for (int64_t q = 0; q < field.voxels(); ++q) masked[q] = mask[q] ? field[q] : 0.0f;
  Convolver conv(field.dims(), fft_padded_dims(field.dims(), fft_pad_fraction(field.dims(), 0.5)));
  SpectralKernel k = dipole_kernel(conv.fft_dims(), field.grid().voxel_size, b0, DipoleKernelType::continuous);
  for (float& d : k) d = d == 0.0f ? 0.0f : (std::fabs(d) >= t ? 1.0f / d : std::copysign(1.0f / float(t), d));
  Volume chi(field.grid());
  conv.apply(masked.data(), k, chi.data());
  for (int64_t q = 0; q < chi.voxels(); ++q) chi[q] = mask[q] ? chi[q] : 0.0f;
  return chi;
}

}  // namespace

TEST(Tkd, MaskBoxAgreesWithTheWholeFieldOfView) {
  const Simulation& s = test::noise_free_small_phantom("oblique");
  const Volume field = test::local_field_ppm(s);
  const Volume chi = tkd(field, s.brain_mask, s.b0_direction);
  const Volume whole = tkd_whole_fov(field, s.brain_mask, s.b0_direction, TkdOptions{}.threshold);
  const double change = nrmse_percent(whole, chi, s.brain_mask);
  const double e_box = nrmse_percent(s.chi, chi, s.brain_mask), e_whole = nrmse_percent(s.chi, whole, s.brain_mask);
  std::printf("TKD on the mask box vs the whole FOV: %.2f%% NRMSE; against the truth %.2f%% vs %.2f%%\n", change,
              e_box, e_whole);
  // Measured 1.48% (the far periodic images differ) and 42.70% vs 42.71% against the truth.
  EXPECT_LT(change, 2.5);
  EXPECT_LT(std::fabs(e_box - e_whole), 0.2);
  for (int64_t q = 0; q < chi.voxels(); ++q) {
    if (!s.brain_mask[q]) {
      ASSERT_EQ(chi[q], 0.0f) << "voxel " << q << " is outside the mask";
    }
  }
}

TEST(Tkd, MaskTouchingTheEdgeAndASingleVoxel) {
  // A sphere's field inverted by TKD comes back as a sphere; a mask reaching the grid's edge
  // (box = whole grid) and a one-voxel mask (box 1x1x1) both work.
  const Grid g = Grid::centred({32, 32, 32}, {1, 1, 1});
  Volume chi_true(g);
  Mask all(g);
  for (int64_t k = 0; k < 32; ++k)
    for (int64_t j = 0; j < 32; ++j)
      for (int64_t i = 0; i < 32; ++i) {
        all(i, j, k) = 1;
        const double r2 = std::pow(i - 15.5, 2) + std::pow(j - 15.5, 2) + std::pow(k - 15.5, 2);
        chi_true(i, j, k) = r2 < 36 ? 0.1f : 0.0f;
      }
  const Vec3 b0{0, 0, 1};
  const Volume field = dipole_convolve(chi_true, b0, {16, 16, 16});
  const Volume chi = tkd(field, all, b0);
  std::printf("TKD sphere: centre %.4f ppm (truth 0.1), outside %.4f\n", chi(16, 16, 16), chi(2, 2, 2));
  // TKD underestimates (the truncated cone carries part of the signal): measured 0.076.
  EXPECT_GT(chi(16, 16, 16), 0.06);
  EXPECT_LT(chi(16, 16, 16), 0.1);
  EXPECT_LT(std::fabs(chi(2, 2, 2)), 0.01);
  Mask one(g);
  one(5, 6, 7) = 1;
  const Volume single = tkd(field, one, b0);
  for (int64_t q = 0; q < single.voxels(); ++q) {
    if (q != single.index(5, 6, 7)) {
      ASSERT_EQ(single[q], 0.0f);
    }
  }
  EXPECT_TRUE(std::isfinite(single(5, 6, 7)));
}
