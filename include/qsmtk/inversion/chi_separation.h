#pragma once
// Chi-separation: paramagnetic (iron) and diamagnetic (myelin, calcium) susceptibility from the
// local field and the reversible relaxation rate R2' = R2* - R2 (Shin H-G et al., "chi-separation:
// Magnetic susceptibility source separation toward iron and myelin mapping in the brain",
// NeuroImage 2021;240:118371). The model:
//   local field = D * (chi_para + chi_dia),   R2' = Dr (chi_para - chi_dia) = Dr (p - d),
// with p = chi_para >= 0, d = chi_dia <= 0 and Dr the relaxometric constant (Hz/ppm).
// Solved on the shared inversion grid as
//   min_{p>=0, d<=0} 1/2 ||W (D (p + d) - f)||^2 + w_r/2 ||M (p - d - R2'/Dr)||^2
//                    + lambda (||grad p||_1 + ||grad d||_1)
// by ADMM (every sub-step closed form: a 2x2 system per frequency, a 2-variable box QP per voxel).
// The R2' term is divided by Dr so that both data terms are in ppm.
#include <string>

#include "qsmtk/inversion/inversion.h"

namespace qsmtk {

/// Dr (Hz/ppm) at a field strength: 137 Hz/ppm at 3 T scaled linearly with B0 (Shin et al. 2021).
double chi_separation_dr(double b0_tesla);

/// How R2' was obtained.
enum class R2PrimeSource { r2prime, r2, r2star_only };
std::string to_string(R2PrimeSource s);

/// What chi-separation reads. Field and noise in ppm, relaxation rates in 1/s.
struct ChiSeparationInput {
  const Volume& field;  // local field, ppm
  const Mask& mask;
  const Volume& r2star;  // 1/s
  Vec3 b0{0, 0, 1};      // unit B0 direction in array coordinates
  double b0_tesla = 3.0;  // for Dr
  const Volume* r2 = nullptr;       // 1/s: R2' = R2* - R2
  const Volume* r2prime = nullptr;  // 1/s: used as is (R2* is then not used); excludes r2
  const Volume* noise = nullptr;      // field SD (ppm): data weights as InversionInput
};

struct ChiSeparationOptions {
  /// Relaxometric constant, Hz/ppm; 0: chi_separation_dr(b0_tesla).
  double dr = 0;
  /// Weight of the R2' term relative to the field term (both in ppm).
  double r2prime_weight = 1.0;
  /// R2*-only mode (neither R2 nor R2' given): R2' = max(0, R2* - r2_tissue). A constant tissue R2
  /// is biased wherever the true R2 differs from it (see chi_separation()).
  double r2_tissue = 15.0;  // 1/s
  double lambda = 4e-4;     // TV weight of each component (field in ppm), as TvOptions
  double mu_gradient = 0;   // ADMM penalty of the gradient splits; 0: 100 lambda
  double mu_data = 0.03;    // ADMM penalty of the field split and of the box/R2' split (small: the
                            // sign and R2' constraints bind early; 1.0 needed 4x the iterations)
  double tolerance = 2e-3;  // relative change of (p, d)
  int max_iterations = 200;
};

struct ChiSeparationResult {
  Volume para, dia;  // ppm, para >= 0, dia <= 0, 0 outside the mask
  Volume r2prime;    // the R2' used (1/s), 0 outside the mask
  R2PrimeSource source = R2PrimeSource::r2star_only;
  double dr = 0;     // Hz/ppm used
  int iterations = 0;
  double relative_change = 0;
};

/// Separates the susceptibility sources. Throws std::invalid_argument for inconsistent grids,
/// an empty mask, non-finite inputs inside the mask, both r2 and r2prime, or bad options.
///
/// R2*-only mode (no R2, no R2'): R2' = R2* - r2_tissue with one constant R2 for all tissue. Its
/// known bias: the error R2_true - r2_tissue goes into p - d, so where the true R2 is above the
/// constant (iron-rich deep grey matter, white matter) both para and |dia| come out too large by
/// about (R2_true - r2_tissue) / (2 Dr) each, and too small where it is below (CSF, grey matter);
/// their sum (the plain chi) is unaffected. R2' is clamped at 0 where R2* < r2_tissue.
ChiSeparationResult chi_separation(const ChiSeparationInput& in, const ChiSeparationOptions& o = {},
                                   const InversionCommon& c = {});

}  // namespace qsmtk
