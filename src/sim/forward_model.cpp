#include "forward_model.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <complex>

#include "head_model.h"
#include "qsmtk/kernels/dipole.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/physics.h"
#include "qsmtk/random.h"

namespace qsmtk::sim {
namespace {

/// Smooth random texture: a sum of separable cosine products with wavelengths 6-20 mm,
/// unit standard deviation, tabulated per axis so each voxel costs a few multiplications.
/// The texture belongs to the head: a moved head needs it at head-frame points q = R^T (p - t),
/// off the grid axes. Each cosine's phase is then linear in (i, j, k), i.e. the real part of a
/// product of per-axis complex exponentials: per row (j, k) those of j and k are multiplied once
/// (MovedRow), and a voxel costs a few multiplications per term instead of 48 cosines.
class Texture {
 public:
  static constexpr int kTerms = 16;
  using MovedRow = std::array<std::complex<double>, kTerms * 3>;

  Texture(const Dims& dims, const Vec3& h, uint64_t seed, const HeadModel& model) {
    Rng rng(splitmix64(seed) ^ 0x54455854ull);
    const double amp = std::sqrt(8.0 / kTerms);  // var(cos cos cos) = 1/8 per term
    struct Wave {
      double wavelength, phase;
    };
    Wave waves[kTerms][3];
    for (int n = 0; n < kTerms; ++n) {
      for (int d = 0; d < 3; ++d) {
        const double wavelength = rng.uniform(6.0, 20.0), phase = rng.uniform(0, 2 * M_PI);
        waves[n][d] = {wavelength, phase};
        auto& tab = table_[d];
        const size_t base = tab.size();
        tab.resize(base + static_cast<size_t>(dims[d]));
        for (int64_t i = 0; i < dims[d]; ++i) {
          const double x = (double(i) - (dims[d] - 1) / 2.0) * h[d];
          tab[base + i] = (d == 0 ? amp : 1.0) * std::cos(2 * M_PI * x / wavelength + phase);
        }
      }
    }
    dims_ = dims;
    if (!model.moved()) return;
    // Phase of wave (n, d) at scanner point p: 2 pi / wavelength * (R^T (p - t))_d + phase
    // = sum over grid axes g of 2 pi / wavelength * Rt[d][g] p_g, plus a constant.
    const Mat3& rt = model.head_from_scanner();
    const Vec3 shift = rt * model.translation();
    for (int g = 0; g < 3; ++g) moved_[g].resize(static_cast<size_t>(kTerms * 3 * dims[g]));
    for (int n = 0; n < kTerms; ++n)
      for (int d = 0; d < 3; ++d) {
        const double k = 2 * M_PI / waves[n][d].wavelength;
        const int w = n * 3 + d;
        moved_constant_[w] = std::polar(d == 0 ? amp : 1.0, waves[n][d].phase - k * shift[d]);
        for (int g = 0; g < 3; ++g)
          for (int64_t i = 0; i < dims[g]; ++i) {
            const double x = (double(i) - (dims[g] - 1) / 2.0) * h[g];
            moved_[g][w * dims[g] + i] = std::polar(1.0, k * rt.m[d][g] * x);
          }
      }
  }
  /// Unmoved head, at fine voxel (i, j, k).
  double at(int64_t i, int64_t j, int64_t k) const {
    double s = 0;
    for (int n = 0; n < kTerms; ++n)
      s += table_[0][n * dims_[0] + i] * table_[1][n * dims_[1] + j] * table_[2][n * dims_[2] + k];
    return s;
  }
  /// Moved head: the factors of row (j, k), then the texture at voxel i of that row.
  void moved_row(int64_t j, int64_t k, MovedRow& row) const {
    for (int w = 0; w < kTerms * 3; ++w)
      row[w] = moved_[1][w * dims_[1] + j] * moved_[2][w * dims_[2] + k] * moved_constant_[w];
  }
  double moved_at(int64_t i, const MovedRow& row) const {
    double s = 0;
    for (int n = 0; n < kTerms; ++n) {
      double term = 1;
      for (int d = 0; d < 3; ++d) {
        const int w = n * 3 + d;
        const std::complex<double> a = moved_[0][w * dims_[0] + i];
        term *= a.real() * row[w].real() - a.imag() * row[w].imag();  // Re(a row), without a full complex product
      }
      s += term;
    }
    return s;
  }

 private:
  Dims dims_{};
  std::vector<double> table_[3];
  std::vector<std::complex<double>> moved_[3];  // per grid axis: exp(i k Rt[d][g] p_g) per wave
  std::array<std::complex<double>, kTerms * 3> moved_constant_{};
};

}  // namespace

FineMaps rasterize(const HeadModel& model, const Grid& out_grid, int factor, uint64_t seed) {
  FineMaps f;
  f.factor = factor;
  const Dims n{out_grid.dims[0] * factor, out_grid.dims[1] * factor, out_grid.dims[2] * factor};
  const Vec3 h = (1.0 / factor) * out_grid.voxel_size;
  f.voxel_mm = h;
  const Grid g{n};
  const Props air = model.air();
  f.chi = Volume(g, 1, float(air.chi()));
  f.para = Volume(g, 1, float(air.para));
  f.m0 = Volume(g, 1, float(air.m0));
  f.r2star = Volume(g, 1, float(air.r2star));
  const Texture texture(n, h, seed, model);
  const double blur = std::cbrt(h[0] * h[1] * h[2]);  // partial-volume ramp width

  log::Progress progress("Painting phantom", static_cast<int64_t>(model.structures().size()));
  int64_t done = 0;
  const bool moved = model.moved();
  for (const Structure& s : model.structures()) {
    Vec3 box_lo, box_hi;
    model.scanner_bounds(s, box_lo, box_hi);
    int64_t lo[3], hi[3];
    for (int d = 0; d < 3; ++d) {
      lo[d] = std::max<int64_t>(0, int64_t(std::floor(box_lo[d] / h[d] + (n[d] - 1) / 2.0)) - 1);
      hi[d] = std::min<int64_t>(n[d] - 1, int64_t(std::ceil(box_hi[d] / h[d] + (n[d] - 1) / 2.0)) + 1);
    }
    parallel_for(hi[2] - lo[2] + 1, [&](int64_t kk) {
      const int64_t k = lo[2] + kk;
      Texture::MovedRow row;
      for (int64_t j = lo[1]; j <= hi[1]; ++j) {
        if (moved && s.texture_ppm > 0) texture.moved_row(j, k, row);
        for (int64_t i = lo[0]; i <= hi[0]; ++i) {
          // Scanner point -> head point: tissue and texture move with the head.
          const Vec3 p = model.to_head(centred_position(n, h, double(i), double(j), double(k)));
          const double w = std::clamp(0.5 - s.sdf(p) / blur, 0.0, 1.0);
          if (w <= 0) continue;
          Props v = s.props(p);
          if (s.texture_ppm > 0) v.para += s.texture_ppm * (moved ? texture.moved_at(i, row) : texture.at(i, j, k));
          const int64_t q = i + n[0] * (j + n[1] * k);
          auto blend = [w](float& dst, double val) { dst = float(dst * (1 - w) + val * w); };
          blend(f.chi[q], v.chi());
          blend(f.para[q], v.para);
          blend(f.m0[q], v.m0);
          blend(f.r2star[q], v.r2star);
        }
      }
    });
    progress.update(++done);
  }
  return f;
}

Volume block_mean(const Volume& fine, int factor, const Grid& out_grid) {
  Volume out(out_grid);
  const Dims& n = fine.dims();
  const float w = 1.0f / float(factor * factor * factor);
  parallel_for(out_grid.dims[2], [&](int64_t k) {
    for (int64_t j = 0; j < out_grid.dims[1]; ++j)
      for (int64_t i = 0; i < out_grid.dims[0]; ++i) {
        double s = 0;
        for (int c = 0; c < factor; ++c)
          for (int b = 0; b < factor; ++b)
            for (int a = 0; a < factor; ++a)
              s += fine[(i * factor + a) + n[0] * ((j * factor + b) + n[1] * (k * factor + c))];
        out(i, j, k) = float(s) * w;
      }
  });
  return out;
}

namespace {

/// Mean of (fine - outside) over blocks of r^3 fine voxels; voxels beyond the edge of the fine
/// grid are the surrounding medium and count as zero.
Volume coarse_mean(const Volume& fine, float outside, int64_t r, const Dims& nc) {
  Volume c(Grid{nc});
  const Dims& n = fine.dims();
  parallel_for(nc[2], [&](int64_t kc) {
    for (int64_t k = kc * r; k < std::min(n[2], (kc + 1) * r); ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) c(i / r, j / r, kc) += fine[i + n[0] * (j + n[1] * k)] - outside;
  });
  const float w = 1.0f / float(r * r * r);
  for (float& v : c) v *= w;
  return c;
}

/// Adds the trilinear interpolation of a coarse map (block size r) to every fine voxel.
void add_interpolated(Volume& fine, const Volume& coarse, int64_t r) {
  const Dims& n = fine.dims();
  const Dims& nc = coarse.dims();
  auto axis = [&](int64_t i, int64_t len, int64_t& i0, double& t) {
    const double u = (double(i) - (r - 1) / 2.0) / double(r);  // coarse index coordinate
    const double uc = std::clamp(u, 0.0, double(len - 1));
    i0 = std::min<int64_t>(int64_t(std::floor(uc)), std::max<int64_t>(len - 2, 0));
    t = len > 1 ? uc - double(i0) : 0.0;
  };
  parallel_for(n[2], [&](int64_t k) {
    int64_t k0, j0, i0;
    double tk, tj, ti;
    axis(k, nc[2], k0, tk);
    const int64_t k1 = std::min(k0 + 1, nc[2] - 1);
    for (int64_t j = 0; j < n[1]; ++j) {
      axis(j, nc[1], j0, tj);
      const int64_t j1 = std::min(j0 + 1, nc[1] - 1);
      for (int64_t i = 0; i < n[0]; ++i) {
        axis(i, nc[0], i0, ti);
        const int64_t i1 = std::min(i0 + 1, nc[0] - 1);
        auto at = [&](int64_t a, int64_t b, int64_t c) { return double(coarse(a, b, c)); };
        const double v = (1 - tk) * ((1 - tj) * ((1 - ti) * at(i0, j0, k0) + ti * at(i1, j0, k0)) +
                                     tj * ((1 - ti) * at(i0, j1, k0) + ti * at(i1, j1, k0))) +
                         tk * ((1 - tj) * ((1 - ti) * at(i0, j0, k1) + ti * at(i1, j0, k1)) +
                               tj * ((1 - ti) * at(i0, j1, k1) + ti * at(i1, j1, k1)));
        fine[i + n[0] * (j + n[1] * k)] += float(v);
      }
    }
  });
}

Volume convolve_dipole(const Volume& chi, float outside, const Dims& cell, const Vec3& h, const Vec3& b0,
                       DipoleKernelType type, double taper) {
  Convolver conv(chi.dims(), cell);
  Volume field(chi.grid());
  conv.apply(chi.data(), dipole_kernel(cell, h, b0, type, taper), field.data(), outside);
  return field;
}

/// The FFT grids of fine_field_ppm: coarse block size r (fine voxels), the coarse grid, the
/// fine and coarse cells (the fine cell is r times the coarse one, so both computations see
/// the same periodic images) and the coarse grid's large cell (images 5 cells away).
struct FieldCells {
  int64_t r = 1;
  Dims coarse{}, cell{}, cell_coarse{}, cell_far{};
};

FieldCells field_cells(const Dims& n, const Vec3& h, const FieldOptions& o) {
  FieldCells c;
  c.r = o.far_field_correction ? std::max<int64_t>(1, std::llround(o.coarse_mm / std::max({h[0], h[1], h[2]}))) : 1;
  const int64_t r = c.r;
  c.coarse = {(n[0] + r - 1) / r, (n[1] + r - 1) / r, (n[2] + r - 1) / r};
  c.cell_coarse = fft_padded_dims(c.coarse, fft_pad_fraction(c.coarse, o.pad_fraction, 1));
  c.cell = {c.cell_coarse[0] * r, c.cell_coarse[1] * r, c.cell_coarse[2] * r};
  c.cell_far = fft_padded_dims(c.coarse, fft_pad_fraction(c.coarse, o.far_pad, 1));
  return c;
}

}  // namespace

int64_t fine_field_work_bytes(const Dims& dims, const Vec3& voxel_mm, const FieldOptions& options) {
  // Per FFT-grid voxel: the real array (4 B), half the spectrum (complex, 4 B) and the kernel's
  // half spectrum (2 B). The transforms run one after the other, each freed before the next.
  const FieldCells c = field_cells(dims, voxel_mm, options);
  const int64_t far = options.far_field_correction ? voxel_count(c.cell_far) : 0;
  return 10 * std::max(voxel_count(c.cell), far);
}

Volume fine_field_ppm(const Volume& chi, double outside, const Vec3& h, const Vec3& b0, const FieldOptions& o) {
  const Dims& n = chi.dims();
  const float out = float(outside);  // the zero padding stands for this medium
  const FieldCells fc = field_cells(n, h, o);
  const Dims& cell = fc.cell;
  log::verbose("dipole field on a " + std::to_string(cell[0]) + "x" + std::to_string(cell[1]) + "x" +
               std::to_string(cell[2]) + " FFT grid");
  Volume field = convolve_dipole(chi, out, cell, h, b0, o.kernel, o.nyquist_taper);
  if (o.far_field_correction) {
    const Vec3 hc = double(fc.r) * h;
    const Volume coarse = coarse_mean(chi, out, fc.r, fc.coarse);
    const Volume near_images = convolve_dipole(coarse, 0.0f, fc.cell_coarse, hc, b0, o.kernel, o.nyquist_taper);
    Volume far_images = convolve_dipole(coarse, 0.0f, fc.cell_far, hc, b0, o.kernel, o.nyquist_taper);
    for (int64_t i = 0; i < far_images.size(); ++i) far_images[i] -= near_images[i];
    add_interpolated(field, far_images, fc.r);
  }
  return field;
}

double simulate_signal(const FineMaps& fine, const Volume& field_ppm, const Grid& out_grid, const Mask& brain,
                       const SignalOptions& o, Volume& magnitude, Volume& phase) {
  const int f = fine.factor;
  const Dims& n = fine.m0.dims();
  const Dims& out = out_grid.dims;
  const int64_t nout = out_grid.voxels();
  const int64_t ne = static_cast<int64_t>(o.echo_times_s.size());
  const double hz = hz_per_ppm(o.b0_tesla);
  ComplexVolume signal(out_grid, ne);

  // Smooth receiver phase offset common to all echoes (radians), a few wraps across the head.
  // It belongs to the coils, so it stays in the scanner frame when the head moves.
  Rng rng(splitmix64(o.seed) ^ 0x5048415345ull);
  double c[7];
  for (double& v : c) v = rng.uniform(-1, 1);
  auto phi0 = [&](const Vec3& p) {
    if (!o.phase_offset) return 0.0;
    const double x = p[0] / 100, y = p[1] / 100, z = p[2] / 100;
    return 1.5 * c[0] + 2.0 * c[1] * x + 2.0 * c[2] * y + 1.5 * c[3] * z + 1.5 * c[4] * (x * x - y * y) +
           1.5 * c[5] * x * z + 0.8 * std::sin(2 * M_PI * (0.7 * x + 0.4 * y + 0.9 * c[6]));
  };

  log::Progress progress("Simulating signal", out[2]);
  const float inv = 1.0f / float(f * f * f);
  std::atomic<int64_t> rows_done{0};
  parallel_for(out[2], [&](int64_t k) {
    std::vector<std::complex<double>> acc(static_cast<size_t>(ne));
    for (int64_t j = 0; j < out[1]; ++j)
      for (int64_t i = 0; i < out[0]; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int cz = 0; cz < f; ++cz)
          for (int cy = 0; cy < f; ++cy)
            for (int cx = 0; cx < f; ++cx) {
              const int64_t q = (i * f + cx) + n[0] * ((j * f + cy) + n[1] * (k * f + cz));
              const double m0 = fine.m0[q];
              if (m0 <= 0) continue;
              const double r2 = fine.r2star[q], w = 2 * M_PI * hz * field_ppm[q];
              for (int64_t e = 0; e < ne; ++e) {
                const double te = o.echo_times_s[e];
                acc[e] += std::polar(m0 * std::exp(-r2 * te), w * te);
              }
            }
        const Vec3 p = centred_position(out, out_grid.voxel_size, double(i), double(j), double(k));
        const std::complex<double> rx = std::polar(1.0, phi0(p));
        const int64_t v = i + out[0] * (j + out[1] * k);
        for (int64_t e = 0; e < ne; ++e) signal[v + e * nout] = std::complex<float>(acc[e] * rx * double(inv));
      }
    progress.update(++rows_done);
  });
  progress.finish();

  // Noise SD from the SNR of the mean brain magnitude at the first echo.
  double sum = 0;
  int64_t count = 0;
  for (int64_t v = 0; v < nout; ++v)
    if (brain[v]) sum += std::abs(signal[v]), ++count;
  const double sd = o.noise && count > 0 ? (sum / double(count)) / o.snr : 0.0;
  magnitude = Volume(out_grid, ne);
  phase = Volume(out_grid, ne);
  parallel_for(ne * nout, [&](int64_t q) {
    std::complex<float> s = signal[q];
    if (sd > 0) {
      double a, b;
      normal_pair(o.seed, 0x4e4f495345ull, static_cast<uint64_t>(q), a, b);
      s += std::complex<float>(float(sd * a), float(sd * b));
    }
    magnitude[q] = std::abs(s);
    phase[q] = std::arg(s);  // [-pi, pi]
    if (phase[q] >= float(M_PI)) phase[q] -= float(2 * M_PI);
  });
  return sd;
}

}  // namespace qsmtk::sim
