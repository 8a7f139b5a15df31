// Chi-separation (Shin et al., NeuroImage 2021;240:118371) by ADMM on the shared inversion grid.
// Unknowns x = (p, d). Splits: z1 = grad p, z2 = grad d (isotropic TV), z3 = D (p + d) (weighted
// field fit), z4 = (p, d) (the R2' fit with p >= 0, d <= 0). The x-step is a 2x2 system per
// frequency, [a + c, c; c, a + c] with a = mu1 |G|^2 + mu4 and c = mu3 D^2 (a > 0: always
// invertible); the z4-step is a convex quadratic in two variables on a quadrant, solved exactly by
// comparing the interior, edge and corner minimisers. The same splitting as FANSI (tv.cpp), so the
// defaults carry over.
#include "qsmtk/inversion/chi_separation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/admm.h"

namespace qsmtk {
namespace {

/// argmin over a >= 0, b <= 0 of w/2 (a - b - q)^2 + mu/2 ((a - vp)^2 + (b - vd)^2).
inline void box_r2prime_prox(float vp, float vd, float q, float w, float mu, float& a, float& b) {
  auto cost = [&](float x, float y) {
    const float r = x - y - q;
    return w * r * r + mu * ((x - vp) * (x - vp) + (y - vd) * (y - vd));
  };
  // Interior: in s = a - b, t = a + b the cost separates.
  const float t = vp + vd, s = (2 * w * q + mu * (vp - vd)) / (2 * w + mu);
  a = 0.5f * (t + s), b = 0.5f * (t - s);
  if (a >= 0 && b <= 0) return;
  // Edges a = 0 and b = 0 (1-D minimisers clamped), and the corner.
  const float b_edge = std::min(0.0f, (mu * vd - w * q) / (w + mu));
  const float a_edge = std::max(0.0f, (w * q + mu * vp) / (w + mu));
  const float c1 = cost(0, b_edge), c2 = cost(a_edge, 0);
  if (c1 <= c2) a = 0, b = b_edge;
  else a = a_edge, b = 0;
}

void require_grid(const Volume& v, const Volume& field, const std::string& what) {
  if (!v.grid().same_space(field.grid(), 1e-3) || v.frames() != 1)
    throw std::invalid_argument("chi-separation: " + what + " is not a 3-D map on the grid of the field");
}

}  // namespace

double chi_separation_dr(double b0_tesla) { return 137.0 * b0_tesla / 3.0; }

std::string to_string(R2PrimeSource s) {
  switch (s) {
    case R2PrimeSource::r2prime: return "r2prime";
    case R2PrimeSource::r2: return "r2star-minus-r2";
    case R2PrimeSource::r2star_only: return "r2star-only";
  }
  return "";
}

ChiSeparationResult chi_separation(const ChiSeparationInput& in, const ChiSeparationOptions& o, const InversionCommon& c) {
  InversionInput inv{in.field, in.mask, in.b0};
  inv.noise = in.noise;
  detail::check_inversion_input(inv, "chi-separation");
  if (in.r2 && in.r2prime) throw std::invalid_argument("chi-separation: give R2 or R2', not both");
  require_grid(in.r2star, in.field, "R2*");
  if (in.r2) require_grid(*in.r2, in.field, "R2");
  if (in.r2prime) require_grid(*in.r2prime, in.field, "R2'");
  if (!(o.lambda > 0) || !(o.mu_data > 0) || o.mu_gradient < 0 || o.max_iterations < 1 || !(o.r2prime_weight > 0) ||
      o.dr < 0 || !(o.tolerance > 0))
    throw std::invalid_argument("chi-separation: lambda, mu, R2' weight, tolerance and iterations must be positive");
  if (!(in.b0_tesla > 0) && !(o.dr > 0)) throw std::invalid_argument("chi-separation: a field strength or Dr is needed");

  ChiSeparationResult res;
  res.dr = o.dr > 0 ? o.dr : chi_separation_dr(in.b0_tesla);
  res.source = in.r2prime ? R2PrimeSource::r2prime : in.r2 ? R2PrimeSource::r2 : R2PrimeSource::r2star_only;
  res.r2prime = Volume(in.field.grid());
  int64_t bad = 0;
  for (int64_t v = 0; v < in.field.voxels(); ++v) {
    if (!in.mask[v]) continue;
    const float r = in.r2prime ? (*in.r2prime)[v]
                    : in.r2    ? in.r2star[v] - (*in.r2)[v]
                               : in.r2star[v] - float(o.r2_tissue);
    if (!std::isfinite(r)) ++bad;
    // R2' < 0 has no source in the model (noise, or R2 above R2*); R2*-only clamps by definition.
    else res.r2prime[v] = std::max(0.0f, r);
  }
  if (bad) throw std::invalid_argument("chi-separation: R2' has " + std::to_string(bad) + " NaN/Inf voxels inside the mask");

  detail::InversionGrid g(inv, c);
  const int64_t np = g.size(), ns = g.spectrum_size();
  const float mu1 = float(o.mu_gradient > 0 ? o.mu_gradient : 100 * o.lambda), mu3 = float(o.mu_data),
              mu4 = float(o.mu_data);
  const float shrink = float(o.lambda) / mu1, wr = float(o.r2prime_weight);
  AlignedVector<float> q = g.to_padded(res.r2prime);  // R2' / Dr, ppm
  const float inv_dr = float(1 / res.dr);
  parallel_for(np, [&](int64_t i) { q[i] *= inv_dr; });

  const SpectralKernel& dk = g.dipole();
  const SpectralKernel& lap = g.laplacian_symbol();
  const float inv_np = 1.0f / float(np);
  RealFFT3& fp = g.fft();
  RealFFT3 fd(g.dims()), fs(g.dims());  // d, and the field part (then D (p + d))
  AlignedVector<float> x(static_cast<size_t>(2 * np), 0.0f);
  float* dsum = fs.real();

  // Blocks of z and u: [0, 3np) grad p, [3np, 6np) grad d, [6np, 7np) D(p+d), [7np, 9np) (p, d).
  AdmmSplitting split;
  split.n = 2 * np;
  split.m = 9 * np;
  split.solve_x = [&](const float* z, const float* u) {
    g.gradient_adjoint_of_difference(z, u, fp.real(), mu1);
    g.gradient_adjoint_of_difference(z + 3 * np, u + 3 * np, fd.real(), mu1);
    float* rp = fp.real();
    float* rd = fd.real();
    float* rs = fs.real();
    parallel_for(np, [&](int64_t i) {
      rp[i] += mu4 * (z[7 * np + i] - u[7 * np + i]);
      rd[i] += mu4 * (z[8 * np + i] - u[8 * np + i]);
      rs[i] = mu3 * (z[6 * np + i] - u[6 * np + i]);
    });
    fp.forward();
    fd.forward();
    fs.forward();
    std::complex<float>* sp = fp.spectrum();
    std::complex<float>* sd = fd.spectrum();
    std::complex<float>* ss = fs.spectrum();
    parallel_for(ns, [&](int64_t i) {
      const float a = mu1 * lap[i] + mu4, cc = mu3 * dk[i] * dk[i];
      const float inv_det = inv_np / (a * (a + 2 * cc));
      const std::complex<float> bp = sp[i] + dk[i] * ss[i], bd = sd[i] + dk[i] * ss[i];
      const std::complex<float> p = ((a + cc) * bp - cc * bd) * inv_det;
      const std::complex<float> d = ((a + cc) * bd - cc * bp) * inv_det;
      sp[i] = p;
      sd[i] = d;
      ss[i] = dk[i] * (p + d);
    });
    fp.backward();
    fd.backward();
    fs.backward();
    std::copy(fp.real(), fp.real() + np, x.data());
    std::copy(fd.real(), fd.real() + np, x.data() + np);
    return static_cast<const float*>(x.data());
  };
  split.update_z_and_dual = [&](const float* xp, float* z, float* u) {
    g.for_each_gradient(xp, [&](int64_t i, float gx, float gy, float gz) {
      detail::shrink_gradient_split(gx, gy, gz, z, u, i, np, shrink);
    });
    g.for_each_gradient(xp + np, [&](int64_t i, float gx, float gy, float gz) {
      detail::shrink_gradient_split(gx, gy, gz, z + 3 * np, u + 3 * np, i, np, shrink);
    });
    parallel_for(np, [&](int64_t i) {
      const float w2 = g.weight[i] * g.weight[i], y = dsum[i] + u[6 * np + i];
      const float zf = (w2 * g.field[i] + mu3 * y) / (w2 + mu3);
      z[6 * np + i] = zf;
      u[6 * np + i] = y - zf;
      const float vp = xp[i] + u[7 * np + i], vd = xp[np + i] + u[8 * np + i];
      float a, b;
      box_r2prime_prox(vp, vd, q[i], g.mask[i] ? wr : 0.0f, mu4, a, b);
      z[7 * np + i] = a, z[8 * np + i] = b;
      u[7 * np + i] = vp - a, u[8 * np + i] = vd - b;
    });
  };
  AdmmOptions ao;
  ao.tolerance = o.tolerance;
  ao.max_iterations = o.max_iterations;
  std::shared_ptr<log::Progress> progress;
  if (c.progress) progress = std::make_shared<log::Progress>("chi-separation (ADMM)", o.max_iterations);
  ao.on_iteration = [&](int it, double) {
    if (progress) progress->update(it);
    return true;
  };
  AlignedVector<float> sol(static_cast<size_t>(2 * np), 0.0f);
  const AdmmResult r = admm(split, sol.data(), ao);
  if (progress) progress->finish();
  // The signs hold exactly on the split variable; the x iterate meets them only at convergence,
  // so the returned maps are projected (a change of the order of the final primal residual).
  parallel_for(np, [&](int64_t i) {
    sol[i] = std::max(0.0f, sol[i]);
    sol[np + i] = std::min(0.0f, sol[np + i]);
  });
  res.para = g.to_full(sol.data());
  res.dia = g.to_full(sol.data() + np);
  res.iterations = r.iterations;
  res.relative_change = r.relative_change;
  return res;
}

}  // namespace qsmtk
