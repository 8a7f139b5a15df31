// LBV: Zhou D, Liu T, Spincemaille P, Wang Y. NMR Biomed 2014;27:312-319.
// The background field is harmonic inside the mask: -L b = 0 in the interior, b = f on the mask's
// boundary layer. Conjugate gradients on the interior unknowns, preconditioned by the inverse
// Laplacian of the bounding box with zero (Dirichlet) walls, applied by discrete sine transforms.
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/crop.h"
#include "qsmtk/dct.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/cg.h"

namespace qsmtk {

LocalField lbv(const Volume& total, const Mask& mask, const LbvOptions& o) {
  require_same_space(total.grid(), mask.grid(), "LBV: field and mask");
  const Box box = bounding_box(mask, 1);
  const Mask m = crop(mask, box);
  const Volume f = crop(total, box);
  const Dims& n = m.dims();
  const Vec3& h = m.grid().voxel_size;
  const int64_t nv = m.voxels();
  const int64_t stride[3] = {1, n[0], n[0] * n[1]};
  const float w[3] = {float(1 / (h[0] * h[0])), float(1 / (h[1] * h[1])), float(1 / (h[2] * h[2]))};

  // Interior: mask voxels whose six neighbours are all in the mask.
  Mask interior(m.grid());
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = m.index(i, j, k);
        if (!m[q] || i == 0 || j == 0 || k == 0 || i + 1 == n[0] || j + 1 == n[1] || k + 1 == n[2]) continue;
        bool all = true;
        for (int d = 0; d < 3; ++d) all = all && m[q - stride[d]] && m[q + stride[d]];
        interior[q] = all;
      }
  });
  // Right-hand side: the boundary layer's known values, moved to the right.
  Volume b(m.grid());
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const int64_t q = m.index(i, j, k);
        if (!interior[q]) continue;
        float s = 0;
        for (int d = 0; d < 3; ++d)
          for (int64_t nb : {q - stride[d], q + stride[d]})
            if (!interior[nb]) s += w[d] * f[nb];
        b[q] = s;
      }
  });
  auto apply = [&](const float* u, float* out) {  // -L on the interior, zero elsewhere
    parallel_for(n[2], [&](int64_t k) {
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          const int64_t q = i + n[0] * (j + n[1] * k);
          if (!interior[q]) {
            out[q] = 0.0f;
            continue;
          }
          float s = 0;
          for (int d = 0; d < 3; ++d)
            s += w[d] * (2 * u[q] - (interior[q - stride[d]] ? u[q - stride[d]] : 0.0f) -
                         (interior[q + stride[d]] ? u[q + stride[d]] : 0.0f));
          out[q] = s;
        }
    });
  };
  PoissonSolver poisson(n, h, TrigBoundary::dirichlet);
  Volume scratch(m.grid());
  auto precondition = [&](const float* r, float* z) {
    parallel_for(nv, [&](int64_t q) { scratch[q] = interior[q] ? r[q] : 0.0f; });
    poisson.solve(scratch.data(), z);
    parallel_for(nv, [&](int64_t q) { z[q] = interior[q] ? z[q] : 0.0f; });
  };
  // Start from the mean boundary value: a good first guess for a smooth background.
  double sum = 0, cnt = 0;
  for (int64_t q = 0; q < nv; ++q)
    if (m[q] && !interior[q]) sum += f[q], cnt += 1;
  Volume u(m.grid());
  const float start = cnt > 0 ? float(sum / cnt) : 0.0f;
  parallel_for(nv, [&](int64_t q) { u[q] = interior[q] ? start : 0.0f; });
  const CgOptions co = cg_options_with_progress("LBV", o.tolerance, o.max_iterations);
  const CgResult r = conjugate_gradient(apply, b.data(), u.data(), nv, co, precondition);
  Volume local(m.grid());
  parallel_for(nv, [&](int64_t q) { local[q] = interior[q] ? f[q] - u[q] : 0.0f; });
  LocalField out{Volume(total.grid()), Mask(total.grid()), r.iterations, r.relative_residual, "lbv"};
  paste(local, box, out.field);
  paste(interior, box, out.mask);
  return out;
}

}  // namespace qsmtk
