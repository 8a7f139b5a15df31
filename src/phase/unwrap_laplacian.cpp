// Laplacian phase unwrapping (Schofield & Zhu 2003), solved with Neumann boundaries by DCT.
#include <cmath>

#include "qsmtk/dct.h"
#include "qsmtk/kernels/laplacian.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/unwrap.h"

namespace qsmtk {

Volume unwrap_laplacian(const Volume& wrapped) {
  if (wrapped.frames() != 1) throw std::invalid_argument("unwrap_laplacian takes one 3-D phase map");
  const Grid& g = wrapped.grid();
  const int64_t n = wrapped.voxels();
  Volume s(g), c(g), ls(g), lc(g);
  parallel_for(n, [&](int64_t q) {
    const float p = std::isfinite(wrapped[q]) ? wrapped[q] : 0.0f;
    s[q] = std::sin(p);
    c[q] = std::cos(p);
  });
  laplacian_fd(s.data(), ls.data(), g.dims, g.voxel_size, Boundary::neumann);
  laplacian_fd(c.data(), lc.data(), g.dims, g.voxel_size, Boundary::neumann);
  Volume rhs(g);
  parallel_for(n, [&](int64_t q) { rhs[q] = c[q] * ls[q] - s[q] * lc[q]; });
  return solve_poisson_neumann(rhs);
}

}  // namespace qsmtk
