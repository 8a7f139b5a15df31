#include "qsmtk/relax/r2star.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/parallel.h"

namespace qsmtk {

R2StarMaps fit_r2star(const Volume& mag, const std::vector<double>& te, const Mask& mask, R2StarMethod method) {
  const int64_t ne = mag.frames(), nv = mag.voxels();
  if (int64_t(te.size()) != ne) throw std::invalid_argument("R2*: magnitude echoes and echo times differ in number");
  if (ne < 2) throw std::invalid_argument("R2* needs at least two echoes");
  if (ne > 64) throw std::invalid_argument("R2*: at most 64 echoes");
  if (method == R2StarMethod::arlo) {
    if (ne < 3) throw std::invalid_argument("ARLO needs at least three echoes");
    const double dt = te[1] - te[0];
    for (int64_t e = 1; e < ne; ++e)
      if (std::fabs((te[e] - te[e - 1]) - dt) > 1e-3 * dt)
        throw std::invalid_argument("ARLO needs equally spaced echoes; use --r2star-method loglinear or nonlinear");
  }
  require_same_space(mag.grid(), mask.grid(), "R2*: magnitude and mask");
  R2StarMaps r{Volume(mag.grid()), Volume(mag.grid()), Volume(mag.grid())};
  parallel_for(nv, [&](int64_t q) {
    if (!mask[q]) return;
    double s[64];
    for (int64_t e = 0; e < ne; ++e) s[e] = mag.frame(e)[q];
    // Log-linear fit, also the start of the nonlinear one.
    double sw = 0, st = 0, sy = 0;
    for (int64_t e = 0; e < ne; ++e) {
      if (!(s[e] > 0)) continue;
      const double w = s[e] * s[e];
      sw += w, st += w * te[e], sy += w * std::log(s[e]);
    }
    double r2 = 0, s0 = 0;
    if (sw > 0) {
      const double tm = st / sw, ym = sy / sw;
      double num = 0, den = 0;
      for (int64_t e = 0; e < ne; ++e) {
        if (!(s[e] > 0)) continue;
        const double w = s[e] * s[e];
        num += w * (te[e] - tm) * (std::log(s[e]) - ym);
        den += w * (te[e] - tm) * (te[e] - tm);
      }
      r2 = den > 0 ? -num / den : 0;
      s0 = std::exp(ym + r2 * tm);
    }
    if (method == R2StarMethod::arlo) {
      const double dt = te[1] - te[0];
      double sd = 0, dd = 0;
      for (int64_t e = 0; e + 2 < ne; ++e) {
        const double integral = dt / 3 * (s[e] + 4 * s[e + 1] + s[e + 2]);  // Simpson over [TE_e, TE_e+2]
        const double d = s[e] - s[e + 2];                                  // = T2* x integral for an exponential
        sd += integral * d;
        dd += d * d;
      }
      const double t2 = dd > 0 ? sd / dd : 0;
      r2 = t2 > 0 ? 1 / t2 : 0;
      // S0 from the log-domain mean residual, consistent with the ARLO R2*.
      double num = 0, den = 0;
      for (int64_t e = 0; e < ne; ++e)
        if (s[e] > 0) num += s[e] * s[e] * (std::log(s[e]) + r2 * te[e]), den += s[e] * s[e];
      s0 = den > 0 ? std::exp(num / den) : 0;
    } else if (method == R2StarMethod::nonlinear && s0 > 0) {
      double lambda = 1e-3;
      auto cost = [&](double a, double b) {
        double c = 0;
        for (int64_t e = 0; e < ne; ++e) {
          const double d = a * std::exp(-b * te[e]) - s[e];
          c += d * d;
        }
        return c;
      };
      double c = cost(s0, r2);
      for (int it = 0; it < 30; ++it) {
        double jtj00 = 0, jtj01 = 0, jtj11 = 0, g0 = 0, g1 = 0;
        for (int64_t e = 0; e < ne; ++e) {
          const double ex = std::exp(-r2 * te[e]);
          const double d = s0 * ex - s[e];
          const double j0 = ex, j1 = -s0 * te[e] * ex;
          jtj00 += j0 * j0, jtj01 += j0 * j1, jtj11 += j1 * j1, g0 += j0 * d, g1 += j1 * d;
        }
        const double a00 = jtj00 * (1 + lambda), a11 = jtj11 * (1 + lambda), det = a00 * a11 - jtj01 * jtj01;
        if (!(det > 0)) break;
        const double d0 = (a11 * g0 - jtj01 * g1) / det, d1 = (a00 * g1 - jtj01 * g0) / det;
        const double c_new = cost(s0 - d0, r2 - d1);
        if (c_new < c) {
          s0 -= d0, r2 -= d1, c = c_new, lambda *= 0.3;
          if (std::fabs(d1) < 1e-4 * std::max(1.0, std::fabs(r2))) break;
        } else {
          lambda *= 10;
        }
      }
    }
    r2 = std::clamp(std::isfinite(r2) ? r2 : 0.0, 0.0, 2000.0);
    r.r2star[q] = float(r2);
    r.t2star[q] = float(r2 > 1.0 ? 1.0 / r2 : 1.0);
    r.s0[q] = float(std::isfinite(s0) ? s0 : 0.0);
  });
  return r;
}

}  // namespace qsmtk
