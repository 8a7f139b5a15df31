// The dispatcher and the automatic choice of the regularisation weight.
#include "qsmtk/inversion/inversion.h"

#include <cmath>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

namespace {

struct MethodName {
  InversionMethod method;
  const char* name;
};
constexpr MethodName kNames[] = {
    {InversionMethod::tkd, "tkd"},   {InversionMethod::tsvd, "tsvd"}, {InversionMethod::tikhonov, "tikhonov"},
    {InversionMethod::ilsqr, "ilsqr"}, {InversionMethod::tv, "tv"},   {InversionMethod::nltv, "nltv"},
    {InversionMethod::medi, "medi"}, {InversionMethod::tgv, "tgv"},   {InversionMethod::rts, "rts"},
    {InversionMethod::ndi, "ndi"}};

bool has_lambda(InversionMethod m) {
  return m == InversionMethod::tikhonov || m == InversionMethod::tv || m == InversionMethod::nltv ||
         m == InversionMethod::medi || m == InversionMethod::tgv || m == InversionMethod::ndi ||
         m == InversionMethod::rts;
}

/// Options with the regularisation strength multiplied by `factor` (> 1 = smoother).
InversionOptions with_strength(InversionMethod m, InversionOptions o, double factor) {
  switch (m) {
    case InversionMethod::tikhonov:
      if (o.tikhonov.lambda == 0)
        o.tikhonov.lambda = o.tikhonov.regulariser == TikhonovOptions::Regulariser::identity ? 1e-3 : 3e-3;
      o.tikhonov.lambda *= factor;
      break;
    case InversionMethod::tv: o.tv.lambda *= factor; break;
    case InversionMethod::nltv: o.nltv.lambda *= factor; break;
    case InversionMethod::medi: o.medi.lambda /= factor; break;
    case InversionMethod::tgv:
      o.tgv.alpha1 *= factor;
      o.tgv.alpha0 *= factor;
      break;
    case InversionMethod::ndi: o.ndi.alpha *= factor; break;
    case InversionMethod::rts: o.rts.mu /= factor; break;
    default: break;
  }
  return o;
}

InversionResult run_once(InversionMethod m, const InversionInput& in, const InversionOptions& o) {
  switch (m) {
    case InversionMethod::tkd: {
      detail::check_inversion_input(in, "TKD");
      InversionResult r;
      r.chi = tkd(in.field, in.mask, in.b0, o.tkd);
      r.method = "tkd";
      r.lambda = o.tkd.threshold;
      r.lambda_name = "threshold";
      return r;
    }
    case InversionMethod::tsvd: return tsvd(in, o.tsvd, o.common);
    case InversionMethod::tikhonov: return tikhonov(in, o.tikhonov, o.common);
    case InversionMethod::ilsqr: return ilsqr(in, o.ilsqr, o.common);
    case InversionMethod::tv: return tv(in, o.tv, false, o.common);
    case InversionMethod::nltv: return tv(in, o.nltv, true, o.common);
    case InversionMethod::medi: return medi(in, o.medi, o.common);
    case InversionMethod::tgv: return tgv(in, o.tgv, o.common);
    case InversionMethod::rts: return rts(in, o.rts, o.common);
    case InversionMethod::ndi: return ndi(in, o.ndi, o.common);
  }
  throw std::invalid_argument("unknown inversion method");
}

/// Mean |grad chi| over the mask (ppm/mm): the roughness axis of the L-curve, the same for every
/// method so that the corner is comparable.
double roughness(const Volume& chi, const Mask& mask) {
  const Dims& n = chi.dims();
  const Vec3& h = chi.grid().voxel_size;
  double sum = 0;
  int64_t count = 0;
  for (int64_t k = 0; k + 1 < n[2]; ++k)
    for (int64_t j = 0; j + 1 < n[1]; ++j)
      for (int64_t i = 0; i + 1 < n[0]; ++i) {
        const int64_t q = chi.index(i, j, k);
        if (!mask[q]) continue;
        const double gx = (chi[q + 1] - chi[q]) / h[0], gy = (chi[q + n[0]] - chi[q]) / h[1],
                     gz = (chi[q + n[0] * n[1]] - chi[q]) / h[2];
        sum += std::sqrt(gx * gx + gy * gy + gz * gz), ++count;
      }
  return count ? sum / double(count) : 0.0;
}

}  // namespace

InversionMethod parse_inversion_method(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.method;
  throw std::invalid_argument("unknown inversion method '" + name +
                              "' (tkd, tsvd, tikhonov, ilsqr, tv, nltv, medi, tgv, rts, ndi)");
}

std::string to_string(InversionMethod m) {
  for (const auto& n : kNames)
    if (m == n.method) return n.name;
  return "unknown";
}

const std::vector<InversionMethod>& all_inversion_methods() {
  static const std::vector<InversionMethod> all = [] {
    std::vector<InversionMethod> v;
    for (const auto& n : kNames) v.push_back(n.method);
    return v;
  }();
  return all;
}

InversionResult invert(InversionMethod m, const InversionInput& in, const InversionOptions& o) {
  const LambdaChoice choice = o.common.lambda_choice;
  if (choice == LambdaChoice::fixed || !has_lambda(m)) {
    InversionResult r = run_once(m, in, with_strength(m, o, 1.0));
    r.lambda_choice = "fixed";
    return r;
  }
  detail::check_inversion_input(in, to_string(m));
  if (choice == LambdaChoice::discrepancy && !in.noise)
    throw std::invalid_argument("the discrepancy principle needs a noise map");
  // Sweep the strength over 1/8..8 times the default (factors of 2), quietly.
  InversionOptions quiet = o;
  quiet.common.progress = false;
  detail::InversionGrid grid(in, o.common);
  double noise_level = 0;  // expected weighted residual, ppm
  if (in.noise) {
    double s = 0;
    int64_t c = 0;
    for (int64_t q = 0; q < in.mask.voxels(); ++q)
      if (in.mask[q] && std::isfinite((*in.noise)[q])) {
        const double sd = (*in.noise)[q];
        const double w = grid.noise_median > 0 && sd > 0 ? std::min(1.0, grid.noise_median / sd) : 0.0;
        s += w * w * sd * sd, ++c;
      }
    noise_level = c ? std::sqrt(s / double(c)) : 0.0;
  }
  const std::vector<double> factors{0.125, 0.25, 0.5, 1, 2, 4, 8};
  std::vector<InversionResult> runs;
  std::vector<double> res, reg;
  log::Progress progress("choosing lambda (" + std::string(choice == LambdaChoice::lcurve ? "L-curve" : "discrepancy") + ")",
                         int64_t(factors.size()));
  for (size_t i = 0; i < factors.size(); ++i) {
    runs.push_back(run_once(m, in, with_strength(m, quiet, factors[i])));
    const AlignedVector<float> chi = grid.to_padded(runs.back().chi);
    res.push_back(detail::weighted_residual(grid, chi.data()));
    reg.push_back(roughness(runs.back().chi, in.mask));
    progress.update(int64_t(i + 1));
  }
  size_t best = 3;
  if (choice == LambdaChoice::discrepancy) {
    // The smoothest result whose residual stays within the noise; the least smooth otherwise.
    best = 0;
    for (size_t i = 0; i < factors.size(); ++i)
      if (res[i] <= noise_level) best = i;
  } else {
    // Largest curvature of (log residual, log roughness), interior points only.
    double top = -1e300;
    for (size_t i = 1; i + 1 < factors.size(); ++i) {
      const double x0 = std::log(res[i - 1]), x1 = std::log(res[i]), x2 = std::log(res[i + 1]);
      const double y0 = std::log(reg[i - 1] + 1e-12), y1 = std::log(reg[i] + 1e-12), y2 = std::log(reg[i + 1] + 1e-12);
      const double dx = (x2 - x0) / 2, dy = (y2 - y0) / 2, ddx = x2 - 2 * x1 + x0, ddy = y2 - 2 * y1 + y0;
      const double kappa = (dx * ddy - dy * ddx) / std::pow(dx * dx + dy * dy + 1e-30, 1.5);
      if (kappa > top) top = kappa, best = i;
    }
  }
  InversionResult r = std::move(runs[best]);
  r.lambda_automatic = true;
  r.lambda_choice = choice == LambdaChoice::lcurve ? "lcurve" : "discrepancy";
  for (size_t i = 0; i < factors.size(); ++i) r.lambda_sweep_residual_regulariser.push_back({res[i], reg[i]});
  log::info(to_string(m) + ": " + r.lambda_name + " = " + std::to_string(r.lambda) + " chosen by " + r.lambda_choice);
  return r;
}

}  // namespace qsmtk
