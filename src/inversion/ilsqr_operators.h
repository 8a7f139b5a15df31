#pragma once
// iLSQR's streak operator (step 3) and their adjoints (ilsqr.cpp; step 1 uses InversionGrid::weighted_dipole), exposed for the adjoint tests.
#include "inversion_grid.h"

namespace qsmtk::detail {
/// y = W_g grad(M_cone x) (3 components) and its adjoint (step 3: the streaking component).
void ilsqr_streak_operator(InversionGrid& g, const SpectralKernel& cone, const float* wg, const float* x, float* y);
void ilsqr_streak_adjoint(InversionGrid& g, const SpectralKernel& cone, const float* wg, const float* y, float* x);
}  // namespace qsmtk::detail
