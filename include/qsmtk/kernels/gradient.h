#pragma once
// First-order finite differences (per mm) and the divergence, the negative adjoint of the
// forward gradient: <grad_f x, g> = -<x, div g>. Used by TV-type regularisers.
#include "qsmtk/volume.h"

namespace qsmtk {

/// g_d[i] = (x[i+1] - x[i]) / h_d, and 0 on the last index of axis d (Neumann).
void gradient_forward(const float* x, float* gx, float* gy, float* gz, const Dims& dims, const Vec3& voxel_mm);
/// g_d[i] = (x[i] - x[i-1]) / h_d, and 0 on the first index of axis d.
void gradient_backward(const float* x, float* gx, float* gy, float* gz, const Dims& dims, const Vec3& voxel_mm);
/// div = -gradient_forward^T (g): backward differences with the matching boundary rows.
void divergence(const float* gx, const float* gy, const float* gz, float* out, const Dims& dims,
                const Vec3& voxel_mm);

}  // namespace qsmtk
