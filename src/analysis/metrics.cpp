// NRMSE, HFEN (Ravishankar & Bresler, IEEE TMI 2011; as in the 2016 QSM challenge, Langkammer
// et al. MRM 2018) and SSIM (Wang et al., IEEE TIP 2004) for susceptibility maps.
#include "qsmtk/metrics.h"

#include <algorithm>
#include <cmath>
#include <climits>
#include <stdexcept>

#include "qsmtk/convolution.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {

std::vector<double> demeaned_in_mask(const Volume& v, const Mask& mask, double& mean_out) {
  const int64_t n = v.voxels();
  const double count = deterministic_sum(n, [&](int64_t i) { return mask[i] ? 1.0 : 0.0; });
  const double sum = deterministic_sum(n, [&](int64_t i) { return mask[i] ? double(v[i]) : 0.0; });
  mean_out = sum / count;
  std::vector<double> r(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    if (mask[i]) r[i] = v[i] - mean_out;
  return r;
}

/// Convolution with a real, even spatial kernel given on offsets [-r, r]^3 (x fastest), with
/// zero padding. Plans once; applies to any number of volumes.
class SpatialFilter {
 public:
  SpatialFilter(const Dims& dims, int r, const std::vector<double>& kernel)
      : conv_(dims, fft_padded_dims(dims, {r, r, r})) {
    const Dims& n = conv_.fft_dims();
    RealFFT3& f = conv_.fft();
    float* buf = f.real();
    std::fill(buf, buf + f.real_size(), 0.0f);
    const int w = 2 * r + 1;
    for (int k = -r; k <= r; ++k)
      for (int j = -r; j <= r; ++j)
        for (int i = -r; i <= r; ++i)
          buf[(i + n[0]) % n[0] + n[0] * ((j + n[1]) % n[1] + n[1] * ((k + n[2]) % n[2]))] =
              float(kernel[(i + r) + w * ((j + r) + w * (k + r))]);
    f.forward();
    spectrum_.resize(static_cast<size_t>(f.spectrum_size()));
    for (int64_t i = 0; i < f.spectrum_size(); ++i) spectrum_[i] = f.spectrum()[i].real();  // even kernel
  }
  Volume apply(const std::vector<double>& x) {
    std::vector<float> xf(x.begin(), x.end());
    Volume out(Grid{conv_.dims()});
    conv_.apply(xf.data(), spectrum_, out.data());
    return out;
  }

 private:
  Convolver conv_;
  SpectralKernel spectrum_;
};

std::vector<double> log_kernel(int r, double sigma) {
  const int w = 2 * r + 1;
  std::vector<double> g(static_cast<size_t>(w * w * w)), h(g.size());
  double gsum = 0;
  for (int k = -r; k <= r; ++k)
    for (int j = -r; j <= r; ++j)
      for (int i = -r; i <= r; ++i) {
        const double r2 = i * i + j * j + k * k;
        gsum += g[(i + r) + w * ((j + r) + w * (k + r))] = std::exp(-r2 / (2 * sigma * sigma));
      }
  double hsum = 0;
  for (int k = -r; k <= r; ++k)
    for (int j = -r; j <= r; ++j)
      for (int i = -r; i <= r; ++i) {
        const size_t p = (i + r) + w * ((j + r) + w * (k + r));
        const double r2 = i * i + j * j + k * k;
        h[p] = g[p] / gsum * (r2 - 3 * sigma * sigma) / std::pow(sigma, 4);
        hsum += h[p];
      }
  for (double& v : h) v -= hsum / double(h.size());  // zero sum: no response to constants
  return h;
}

std::vector<double> gaussian_kernel(int r, double sigma) {
  const int w = 2 * r + 1;
  std::vector<double> g(static_cast<size_t>(w * w * w));
  double s = 0;
  for (int k = -r; k <= r; ++k)
    for (int j = -r; j <= r; ++j)
      for (int i = -r; i <= r; ++i)
        s += g[(i + r) + w * ((j + r) + w * (k + r))] = std::exp(-(i * i + j * j + k * k) / (2 * sigma * sigma));
  for (double& v : g) v /= s;
  return g;
}

double masked_ratio(const Volume& a, const Volume& b, const Mask& mask) {
  // ||a - b|| / ||b|| over the mask
  const int64_t n = mask.voxels();
  const double num = deterministic_sum(n, [&](int64_t i) { return mask[i] ? std::pow(double(a[i]) - b[i], 2) : 0.0; });
  const double den = deterministic_sum(n, [&](int64_t i) { return mask[i] ? std::pow(double(b[i]), 2) : 0.0; });
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

}  // namespace

namespace {
double nrmse_of_demeaned(const std::vector<double>& t, const std::vector<double>& x) {
  const int64_t n = int64_t(t.size());
  const double num = deterministic_sum(n, [&](int64_t i) { return (x[i] - t[i]) * (x[i] - t[i]); });
  const double den = deterministic_sum(n, [&](int64_t i) { return t[i] * t[i]; });
  return den > 0 ? 100.0 * std::sqrt(num / den) : 0.0;
}
}  // namespace

double nrmse_percent(const Volume& truth, const Volume& test, const Mask& mask) {
  double mt, mx;
  return nrmse_of_demeaned(demeaned_in_mask(truth, mask, mt), demeaned_in_mask(test, mask, mx));
}

Comparison compare_maps(const Volume& truth, const Volume& test, const Mask& mask, const LabelImage* labels,
                        const std::map<int32_t, std::string>& names) {
  require_same_space(truth.grid(), test.grid(), "compare: truth and test");
  require_same_space(truth.grid(), mask.grid(), "compare: truth and mask");
  if (labels) require_same_space(truth.grid(), labels->grid(), "compare: truth and labels");
  Comparison c;
  const int64_t n = mask.voxels();
  for (int64_t i = 0; i < n; ++i) c.mask_voxels += mask[i] ? 1 : 0;
  if (c.mask_voxels == 0) throw std::invalid_argument("compare: the mask is empty");
  for (int64_t i = 0; i < n; ++i)
    if (mask[i] && (!std::isfinite(truth[i]) || !std::isfinite(test[i])))
      throw std::invalid_argument("compare: NaN or Inf inside the mask");

  double mt, mx;
  const auto t = demeaned_in_mask(truth, mask, mt), x = demeaned_in_mask(test, mask, mx);
  c.nrmse_pct = nrmse_of_demeaned(t, x);

  const Dims& dims = truth.dims();
  SpatialFilter log_filter(dims, 7, log_kernel(7, 1.5));
  const Volume lt = log_filter.apply(t), lx = log_filter.apply(x);
  c.hfen_pct = 100.0 * masked_ratio(lx, lt, mask);

  // SSIM with local Gaussian statistics; dynamic range L from the truth in the mask.
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i)
    if (mask[i]) lo = std::min(lo, t[i]), hi = std::max(hi, t[i]);
  const double L = hi - lo > 0 ? hi - lo : 1.0;
  const double c1 = (0.01 * L) * (0.01 * L), c2 = (0.03 * L) * (0.03 * L);
  const auto g = gaussian_kernel(5, 1.5);
  std::vector<double> tt(t.size()), xx(t.size()), tx(t.size());
  for (size_t i = 0; i < t.size(); ++i) tt[i] = t[i] * t[i], xx[i] = x[i] * x[i], tx[i] = t[i] * x[i];
  SpatialFilter gauss(dims, 5, g);
  const Volume mu_t = gauss.apply(t), mu_x = gauss.apply(x);
  const Volume s_tt = gauss.apply(tt), s_xx = gauss.apply(xx), s_tx = gauss.apply(tx);
  const double ssim_sum = deterministic_sum(n, [&](int64_t i) {
    if (!mask[i]) return 0.0;
    const double mt_ = mu_t[i], mx_ = mu_x[i];
    const double vt = s_tt[i] - mt_ * mt_, vx = s_xx[i] - mx_ * mx_, cv = s_tx[i] - mt_ * mx_;
    return ((2 * mt_ * mx_ + c1) * (2 * cv + c2)) / ((mt_ * mt_ + mx_ * mx_ + c1) * (vt + vx + c2));
  });
  c.ssim = ssim_sum / double(c.mask_voxels);

  if (labels) {
    std::map<int32_t, std::array<double, 3>> acc;  // count, sum truth, sum test
    for (int64_t i = 0; i < n; ++i) {
      const int32_t l = (*labels)[i];
      if (l == 0) continue;
      auto& a = acc[l];
      a[0] += 1;
      a[1] += truth[i] - mt;
      a[2] += test[i] - mx;
    }
    for (const auto& [label, a] : acc) {
      RegionError r;
      r.label = label;
      auto it = names.find(label);
      r.name = it != names.end() ? it->second : std::to_string(label);
      r.voxels = static_cast<int64_t>(a[0]);
      r.true_mean_ppm = a[1] / a[0];
      r.test_mean_ppm = a[2] / a[0];
      r.error_ppb = 1000.0 * (r.test_mean_ppm - r.true_mean_ppm);
      c.roi.push_back(r);
    }
  }
  return c;
}

FieldMapScore score_field_map(const Mask& mask, const Mask& truth_mask, const Volume& unwrapped,
                              const std::vector<double>& te, const Volume& field, const Volume& noise,
                              const Volume& true_field, double erode_mm) {
  FieldMapScore s;
  s.dice = dice(mask, truth_mask);
  const int64_t nv = mask.voxels();
  int64_t wrong = 0, total = 0;
  for (int64_t e = 0; e < unwrapped.frames(); ++e) {
    std::map<int64_t, int64_t> votes;
    std::vector<int64_t> k(size_t(nv), INT64_MIN);
    for (int64_t q = 0; q < nv; ++q)
      if (mask[q] && truth_mask[q]) {
        k[size_t(q)] = std::llround((unwrapped.frame(e)[q] - 2 * M_PI * true_field[q] * te[size_t(e)]) / (2 * M_PI));
        ++votes[k[size_t(q)]];
      }
    int64_t mode = 0, best = -1;
    for (const auto& [key, n] : votes)
      if (n > best) best = n, mode = key;
    for (int64_t v : k)
      if (v != INT64_MIN) wrong += v != mode, ++total;
  }
  s.wrong_multiple_pct = total ? 100.0 * double(wrong) / double(total) : 0.0;
  const Mask inner = erode(mask, erode_mm);
  double mean = 0;
  int64_t n = 0;
  for (int64_t q = 0; q < nv; ++q)
    if (inner[q] && truth_mask[q]) mean += field[q] - true_field[q], ++n;
  if (n == 0) return s;
  mean /= double(n);
  double se = 0, sn = 0;
  std::vector<double> ae, sd;
  for (int64_t q = 0; q < nv; ++q)
    if (inner[q] && truth_mask[q]) {
      const double e = field[q] - true_field[q] - mean;
      se += e * e;
      sn += double(noise[q]) * noise[q];
      ae.push_back(std::fabs(e));
      sd.push_back(noise[q]);
    }
  std::nth_element(ae.begin(), ae.begin() + ae.size() / 2, ae.end());
  std::nth_element(sd.begin(), sd.begin() + sd.size() / 2, sd.end());
  s.rms_error_hz = std::sqrt(se / double(n));
  s.rms_noise_hz = std::sqrt(sn / double(n));
  s.median_error_over_noise = ae[ae.size() / 2] / (0.6745 * sd[sd.size() / 2]);
  return s;
}

}  // namespace qsmtk
