#pragma once
// First-order finite differences (per mm) and the matching divergences, each the negative
// adjoint of one gradient: <grad_f x, g> = -<x, div_b g> and <grad_b x, g> = -<x, div_f g>.
// TV-type regularisers use the forward pair; TGV's symmetrised gradient uses the backward one.
#include "qsmtk/volume.h"

namespace qsmtk {

/// g_d[i] = (x[i+1] - x[i]) / h_d, and 0 on the last index of axis d (Neumann).
void gradient_forward(const float* x, float* gx, float* gy, float* gz, const Dims& dims, const Vec3& voxel_mm);
/// g_d[i] = (x[i] - x[i-1]) / h_d, and 0 on the first index of axis d.
void gradient_backward(const float* x, float* gx, float* gy, float* gz, const Dims& dims, const Vec3& voxel_mm);
/// -gradient_forward^T: backward differences with the matching boundary rows.
void divergence_backward(const float* gx, const float* gy, const float* gz, float* out, const Dims& dims,
                         const Vec3& voxel_mm);
/// -gradient_backward^T: forward differences with the matching boundary rows.
void divergence_forward(const float* gx, const float* gy, const float* gz, float* out, const Dims& dims,
                        const Vec3& voxel_mm);

}  // namespace qsmtk
