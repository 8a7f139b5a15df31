#include "qsmtk/phase/echo_fit.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/mask/morphology.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

double estimate_noise_sd(const Volume& magnitude, const Mask& mask) {
  const Mask near = dilate(mask, 10.0);
  std::vector<float> outside;
  const float* m = magnitude.frame(0);
  for (int64_t q = 0; q < magnitude.voxels(); ++q)
    if (!near[q] && std::isfinite(m[q]) && m[q] > 0) outside.push_back(m[q]);
  if (outside.size() < 1000) return 0;
  // Outside the brain there is scalp and skull as well as air: keep shrinking to the voxels below
  // 4 sigma (99.97% of a Rayleigh population) until the estimate settles on the noise.
  const double rayleigh_median = std::sqrt(2 * std::log(2.0));
  std::vector<float> v = outside;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  double sigma = v[v.size() / 2] / rayleigh_median;
  for (int it = 0; it < 20; ++it) {
    v.clear();
    for (float x : outside)
      if (x < 4 * sigma) v.push_back(x);
    if (v.size() < 1000) return 0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    const double next = v[v.size() / 2] / rayleigh_median;
    if (std::fabs(next - sigma) <= 1e-4 * sigma) break;
    sigma = next;
  }
  return sigma;
}

namespace {

struct LineFit {
  double slope, intercept;
};

/// Weighted LSQ of y against t with an intercept.
LineFit weighted_line(const double* y, const double* w, const std::vector<double>& t) {
  double sw = 0, st = 0, sy = 0;
  for (size_t n = 0; n < t.size(); ++n) sw += w[n], st += w[n] * t[n], sy += w[n] * y[n];
  const double tm = st / sw, ym = sy / sw;
  double num = 0, den = 0;
  for (size_t n = 0; n < t.size(); ++n) num += w[n] * (t[n] - tm) * (y[n] - ym), den += w[n] * (t[n] - tm) * (t[n] - tm);
  const double slope = den > 0 ? num / den : 0.0;
  return {slope, ym - slope * tm};
}

}  // namespace

FieldFit fit_field(const Volume& phase, const Volume& magnitude, const std::vector<double>& te, const Mask& mask,
                   EchoFitMethod method, double noise_sd) {
  const int64_t ne = phase.frames(), nv = phase.voxels();
  if (int64_t(te.size()) != ne || magnitude.frames() != ne)
    throw std::invalid_argument("field fit: phase, magnitude and echo times differ in number of echoes");
  require_same_space(phase.grid(), mask.grid(), "field fit: phase and mask");
  FieldFit f;
  const Grid& g = phase.grid();
  f.field_hz = Volume(g);
  f.offset_rad = Volume(g);
  f.noise_hz = Volume(g);
  f.noise_sd = noise_sd > 0 ? noise_sd : estimate_noise_sd(magnitude, mask);

  std::vector<double> residual_var(size_t(nv), -1.0);
  parallel_for(nv, [&](int64_t q) {
    if (!mask[q]) return;
    double y[64], w[64];
    const int64_t n = std::min<int64_t>(ne, 64);
    bool ok = true;
    for (int64_t e = 0; e < n; ++e) {
      y[e] = phase.frame(e)[q];
      const double m = magnitude.frame(e)[q];
      w[e] = std::isfinite(m) ? m * m : 0.0;
      ok = ok && std::isfinite(y[e]);
    }
    if (!ok) {
      f.field_hz[q] = NAN;
      return;
    }
    double omega, phi0;
    if (n == 1) {
      omega = y[0] / te[0];
      phi0 = 0;
    } else {
      const LineFit lf = weighted_line(y, w, te);
      omega = lf.slope;
      phi0 = lf.intercept;
      if (method == EchoFitMethod::complex_nonlinear) {
        auto cost = [&](double w0, double& best_phi0) {
          // phi0 in closed form for a given frequency: the angle of the weighted phasor sum.
          double re = 0, im = 0;
          for (int64_t e = 0; e < n; ++e) re += w[e] * std::cos(y[e] - w0 * te[e]), im += w[e] * std::sin(y[e] - w0 * te[e]);
          best_phi0 = std::atan2(im, re);
          double c = 0;
          for (int64_t e = 0; e < n; ++e) c += w[e] * (1 - std::cos(y[e] - best_phi0 - w0 * te[e]));
          return c;
        };
        double worst = 0;
        for (int64_t e = 0; e < n; ++e) worst = std::max(worst, std::fabs(y[e] - phi0 - omega * te[e]));
        if (worst > 1.0) {
          // A single echo may carry a 2 pi error: search frequencies around the linear fit in
          // quarter-cycle steps over the echo span before refining.
          const double step = 2 * M_PI / (4 * (te[n - 1] - te[0]));
          double best = INFINITY, best_omega = omega, best_phi0 = phi0;
          for (int s = -8; s <= 8; ++s) {
            double p0;
            const double c = cost(omega + s * step, p0);
            if (c < best) best = c, best_omega = omega + s * step, best_phi0 = p0;
          }
          omega = best_omega;
          phi0 = best_phi0;
        }
        for (int it = 0; it < 10; ++it) {
          double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
          for (int64_t e = 0; e < n; ++e) {
            const double r = y[e] - phi0 - omega * te[e];
            const double s = std::sin(r), c = std::max(std::cos(r), 0.1);  // keep the Hessian positive
            g0 -= w[e] * s;
            g1 -= w[e] * te[e] * s;
            h00 += w[e] * c;
            h01 += w[e] * te[e] * c;
            h11 += w[e] * te[e] * te[e] * c;
          }
          const double det = h00 * h11 - h01 * h01;
          if (!(det > 0)) break;
          const double d0 = (h11 * g0 - h01 * g1) / det, d1 = (h00 * g1 - h01 * g0) / det;
          phi0 -= d0;
          omega -= d1;
          if (std::fabs(d1) < 1e-6 && std::fabs(d0) < 1e-9) break;
        }
      }
      if (n > 2) {
        double sw = 0, sr = 0;
        for (int64_t e = 0; e < n; ++e) {
          const double r = std::remainder(y[e] - phi0 - omega * te[e], 2 * M_PI);
          sr += w[e] * r * r;
          sw += 1;
        }
        residual_var[size_t(q)] = sr / (sw - 2);  // estimates sigma^2 (w r^2 ~ sigma^2 per echo)
      }
    }
    f.field_hz[q] = float(omega / (2 * M_PI));
    f.offset_rad[q] = float(phi0);
  });

  if (!(f.noise_sd > 0)) {
    std::vector<double> v;
    for (double r : residual_var)
      if (r >= 0) v.push_back(r);
    if (!v.empty()) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      f.noise_sd = std::sqrt(v[v.size() / 2]);
    }
  }
  // Cramer-Rao: var(omega) = sigma^2 / sum |S_n|^2 (TE_n - mean)^2 (weighted mean).
  const double sigma = f.noise_sd;
  parallel_for(nv, [&](int64_t q) {
    if (!mask[q]) return;
    double sw = 0, st = 0;
    for (int64_t e = 0; e < ne; ++e) {
      const double m = magnitude.frame(e)[q];
      sw += m * m;
      st += m * m * te[e];
    }
    double info = 0;
    if (ne == 1) {
      info = sw * te[0] * te[0];
    } else {
      const double tm = sw > 0 ? st / sw : 0;
      for (int64_t e = 0; e < ne; ++e) {
        const double m = magnitude.frame(e)[q];
        info += m * m * (te[e] - tm) * (te[e] - tm);
      }
    }
    f.noise_hz[q] = info > 0 ? float(sigma / std::sqrt(info) / (2 * M_PI)) : INFINITY;
  });
  return f;
}

}  // namespace qsmtk
