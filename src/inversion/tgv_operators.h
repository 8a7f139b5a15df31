#pragma once
// The finite-difference operators of TGV-QSM (Langkammer C et al., NeuroImage 2015;111:622-630),
// besides the first-order gradient pair of qsmtk/kernels/gradient.h. Chambolle-Pock needs exact
// adjoints, so each comes with its negative adjoint (or is symmetric); the unit tests check them.
#include <array>

#include "qsmtk/volume.h"

namespace qsmtk::detail {

/// A symmetric 3x3 tensor field as 6 arrays: xx, yy, zz, xy, xz, yz. The off-diagonal
/// components count twice in inner products and norms (the Frobenius product of the full tensor).
using SymmetricTensorField = std::array<float*, 6>;
using ConstSymmetricTensorField = std::array<const float*, 6>;
using VectorField = std::array<float*, 3>;
using ConstVectorField = std::array<const float*, 3>;

/// E w = (grad w + grad w^T) / 2 with backward differences (0 on the first index of an axis), as
/// in Bredies' TGV: paired with the forward gradient of chi it keeps the stencils centred.
void symmetric_gradient(const ConstVectorField& w, const SymmetricTensorField& e, const Dims& dims, const Vec3& voxel_mm);

/// -E^T in the tensor inner product above: forward differences with the matching boundary rows.
void symmetric_divergence(const ConstSymmetricTensorField& e, const VectorField& out, const Dims& dims,
                          const Vec3& voxel_mm);

/// A chi = (1/3) lap chi - d_b^2 chi, the finite-difference Laplacian of the dipole field of chi
/// (d_b = b . grad; second differences on the diagonal of b b^T, central mixed differences off
/// it). chi is taken as 0 outside the grid, so the stencil is symmetric and A^T = A.
void dipole_laplacian(const float* chi, float* out, const Dims& dims, const Vec3& voxel_mm, const Vec3& b0);

}  // namespace qsmtk::detail
