#pragma once
// iLSQR's two least-squares operators and their adjoints (ilsqr.cpp), exposed for the adjoint tests.
#include "inversion_grid.h"

namespace qsmtk::detail {
/// y = W D x and its adjoint x = D W y (step 1: the weighted data fit).
void ilsqr_data_operator(InversionGrid& g, const float* x, float* y);
void ilsqr_data_adjoint(InversionGrid& g, const float* y, float* x);
/// y = W_g grad(M_cone x) (3 components) and its adjoint (step 3: the streaking component).
void ilsqr_streak_operator(InversionGrid& g, const SpectralKernel& cone, const float* wg, const float* x, float* y);
void ilsqr_streak_adjoint(InversionGrid& g, const SpectralKernel& cone, const float* wg, const float* y, float* x);
}  // namespace qsmtk::detail
