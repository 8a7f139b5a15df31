#pragma once
// 3-D discrete cosine transforms (FFTW r2r, DCT-II forward / DCT-III backward), which
// diagonalise the 7-point Laplacian with Neumann (mirror) boundaries: Poisson solves in O(N log N).
#include <memory>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

enum class TrigBoundary {
  neumann,    ///< DCT-II / DCT-III: mirror boundaries
  dirichlet,  ///< DST-II / DST-III: zero beyond the box
};

class RealDCT3 {
 public:
  explicit RealDCT3(const Dims& dims, TrigBoundary boundary = TrigBoundary::neumann);
  ~RealDCT3();
  RealDCT3(const RealDCT3&) = delete;
  RealDCT3& operator=(const RealDCT3&) = delete;
  float* data();             // in-place buffer, x fastest
  void forward();            // DCT-II
  void backward();           // DCT-III, unscaled: backward(forward(x)) = 8 N x
  const Dims& dims() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Solves L u = f with the 7-point Laplacian (voxel size in mm) and Neumann boundaries, u with
/// zero mean (the constant is undetermined). f is 3-D.
Volume solve_poisson_neumann(const Volume& f);

/// A reusable Poisson solver on one box: -L u = f with Neumann (mean-free) or Dirichlet (zero
/// outside the box) boundaries, by a pair of trigonometric transforms.
class PoissonSolver {
 public:
  PoissonSolver(const Dims& dims, const Vec3& voxel_mm, TrigBoundary boundary);
  /// u = (-L)^-1 f on the box (u and f may alias).
  void solve(const float* f, float* u);

 private:
  RealDCT3 transform_;
  std::vector<float> inverse_eigen_;  // 1 / (eigenvalue of -L) x transform normalisation
};

}  // namespace qsmtk
