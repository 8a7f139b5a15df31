#pragma once
// Dipole inversion: local field (ppm) -> susceptibility chi (ppm). Each method is a function of
// (local field, mask, voxel size via the grid, B0 direction, weights/magnitude where used,
// options), in its own file under src/inversion/, with the published defaults and its paper.
// The defaults were chosen on the phantom cases (docs/accuracy.md) so that they need no tuning
// across field strengths, resolutions and SNR: the field enters in ppm, so lambdas do not scale
// with B0 or echo time.
#include <functional>
#include <string>
#include <vector>

#include "qsmtk/inversion/tkd.h"
#include "qsmtk/kernels/dipole.h"

namespace qsmtk {

enum class InversionMethod { tkd, tsvd, tikhonov, ilsqr, tv, nltv, medi, tgv, rts, ndi };
InversionMethod parse_inversion_method(const std::string& name);  // the CONVENTIONS names
std::string to_string(InversionMethod m);
const std::vector<InversionMethod>& all_inversion_methods();

/// What the methods read. Field and noise in ppm; magnitude in any unit (MEDI's edges).
struct InversionInput {
  const Volume& field;  // local field, ppm; used inside the mask only
  const Mask& mask;
  Vec3 b0{0, 0, 1};  // unit B0 direction in array coordinates
  /// Standard deviation of the field (ppm): data weights min(1, median/noise) and the
  /// discrepancy principle. nullptr: uniform weights.
  const Volume* noise = nullptr;
  const Volume* magnitude = nullptr;  // MEDI: gradient weights from its edges
  const Mask* csf = nullptr;          // MEDI+0: the region held at its mean (ventricles)
  /// Phase in radians per ppm of field at the effective echo time (2 pi gammabar B0 TE): the
  /// scale of the nonlinear (complex exponential) data terms of nltv, medi and ndi. 0: 3 T, 20 ms.
  double radians_per_ppm = 0;
};

/// How a method's regularisation weight is chosen.
enum class LambdaChoice {
  fixed,        // the option's value (default)
  lcurve,       // corner (largest curvature) of log residual vs log regulariser over a sweep
  discrepancy,  // the largest lambda whose weighted residual does not exceed the noise (needs noise)
};

/// Options every method shares.
struct InversionCommon {
  /// Zero padding of the mask's bounding box per side (fraction of its size) for the FFT grid.
  double pad_fraction = 0.05;
  /// Dipole kernel; the discrete one models native-resolution data with oblique B0 better.
  DipoleKernelType kernel = DipoleKernelType::continuous;
  LambdaChoice lambda_choice = LambdaChoice::fixed;
  bool progress = true;  // show progress of iterative methods
};

/// TSVD: like TKD but frequencies with |D| < threshold are set to zero (Wharton et al., MRM
/// 2010;63:1292-1304).
struct TsvdOptions {
  double threshold = 0.1;
};

/// Closed-form Tikhonov: chi = F^-1[ D F(f) / (D^2 + lambda R) ], R = 1 (identity) or |G|^2
/// (gradient, the finite-difference Laplacian symbol) (Bilgic et al., MRM 2014;72:1444-1459).
struct TikhonovOptions {
  enum class Regulariser { identity, gradient } regulariser = Regulariser::gradient;
  double lambda = 0;  // 0: the default of the regulariser (identity 1e-3, gradient 3e-3 mm^2)
};

/// iLSQR (Li et al., NeuroImage 2015;108:111-122): LSQR solution of the weighted problem,
/// stopped early; its streaking component is estimated from the ill-conditioned cone with an
/// edge-preserving prior and subtracted.
struct IlsqrOptions {
  double tolerance = 0.01;  // LSQR's relative residual
  int max_iterations = 50;
  double cone_threshold = 0.1;  // |D| below this is the ill-conditioned cone
  double streak_tolerance = 0.01;  // LSQR of the streaking component (the paper's step 3)
  int streak_max_iterations = 50;
};

/// Weighted total variation by ADMM with the split of FANSI (Milovic et al., MRM
/// 2018;80:814-821): z1 = grad chi, z2 = D chi, every update closed-form (FFT-diagonal or
/// elementwise). `nonlinear` uses the complex exponential data term (nltv).
struct TvOptions {
  double lambda = 4e-4;    // TV weight alpha (field in ppm)
  double mu_gradient = 0;  // ADMM penalty of z1; 0: 100 lambda
  double mu_data = 1.0;    // ADMM penalty of z2
  double tolerance = 5e-3;  // relative change of chi
  int max_iterations = 150;
  int newton_steps = 4;  // nonlinear z2 update
};

/// MEDI (Liu et al., MRM 2012;68:1563; Liu et al., MRM 2011;66:777): nonlinear data term,
/// L1 of the gradient where the magnitude has no edge (M_G), Gauss-Newton with CG inner solves
/// on the lagged-diffusivity quadratic. MEDI+0 (Liu et al., MRM 2018;79:2795-2803) adds
/// lambda_csf ||M_csf (chi - mean_csf chi)||^2.
struct MediOptions {
  double lambda = 2500;  // weight of the data term (field in ppm; larger = less smoothing)
  /// Fraction of the magnitude's gradient components in the mask, the largest, taken as edges
  /// (not regularised). 0.1 was best on the phantom cases (0.05: +2.4, 0.3: +3.0 NRMSE points).
  double edge_fraction = 0.1;
  double lambda_csf = 0;       // MEDI+0 weight; 0 = off (needs input.csf); 100 typical
  int gauss_newton_iterations = 10;
  double tolerance = 0.1;  // stop when the update's norm is below this fraction of chi's
  int cg_iterations = 50;
  double cg_tolerance = 0.01;
};

/// TGV-QSM (Langkammer et al., NeuroImage 2015;111:622-630): second-order total generalised
/// variation with the data term in the Laplacian domain, min alpha1 ||grad chi - w|| +
/// alpha0 ||sym grad w|| + 1/2 ||lap f - (1/3 lap - d_b^2) chi||^2 in the eroded mask, by a
/// primal-dual (Chambolle-Pock) iteration with finite-difference stencils (FFTs only for the start).
/// Warm-started from the closed-form Tikhonov solution (the Laplacian data term barely sees low
/// frequencies, so a cold start needs thousands of iterations). Small phantom, 300 iterations,
/// alpha1 1e-3 (alpha0 = 4 alpha1): true local field 34.2% NRMSE vs TKD 37.9%; pipeline's local
/// field std 62.4% vs 66.2%, lowsnr 72.4% vs 81.7%. alpha1 1e-4 amplified noise (lowsnr 91%),
/// 3e-3 was no better. After 300 iterations chi changes by about 4% per 50 (docs/accuracy.md).
struct TgvOptions {
  double alpha1 = 1e-3;  // first-order weight (field in ppm)
  double alpha0 = 4e-3;  // second-order weight
  int max_iterations = 300;
  double tolerance = 1e-4;  // relative change of chi, checked every 50 iterations
  int erode_voxels = 1;     // the Laplacian needs neighbours: data term in the mask eroded by this
};

/// RTS, rapid two-step (Kames et al., NeuroImage 2018;167:276-283): LSMR-type solve in the
/// well-conditioned k-space (|D| > delta), then TV-regularised filling of the ill-conditioned
/// cone by ADMM, closed form.
struct RtsOptions {
  double delta = 0.15;
  double mu = 1e5;   // weight of staying at the step-1 solution in the well-conditioned region
  double rho = 10;   // ADMM penalty
  double tolerance = 1e-2;
  int max_iterations = 20;
  int lsqr_iterations = 25;
  double lsqr_tolerance = 1e-2;
};

/// NDI, nonlinear dipole inversion (Polak et al., NMR Biomed 2020;33:e4271): gradient descent on
/// ||W (e^{i D chi} - e^{i phi})||^2 + alpha ||chi||^2 with step tau.
struct NdiOptions {
  double alpha = 1e-6;
  double step = 2.0;  // tau, in units of 1 / (radians_per_ppm^2)
  double tolerance = 1e-3;
  int max_iterations = 200;
};

struct InversionOptions {
  InversionCommon common;
  TkdOptions tkd;
  TsvdOptions tsvd;
  TikhonovOptions tikhonov;
  IlsqrOptions ilsqr;
  TvOptions tv;
  TvOptions nltv;
  MediOptions medi;
  TgvOptions tgv;
  RtsOptions rts;
  NdiOptions ndi;
};

struct InversionResult {
  Volume chi;  // ppm, 0 outside the mask
  std::string method;
  int iterations = 0;
  double lambda = 0;  // the regularisation weight used (0 where the method has none)
  std::string lambda_name;  // what lambda is ("alpha", "threshold", ...); empty if none
  bool lambda_automatic = false;
  std::string lambda_choice;  // "fixed", "lcurve", "discrepancy"
  double relative_change = 0;  // at the last iteration (iterative methods)
  std::vector<std::pair<double, double>> lambda_sweep_residual_regulariser;  // when automatic
};

/// One entry point for every method. Throws std::invalid_argument for inconsistent inputs
/// (grids, empty mask, NaN in the field inside the mask, bad options).
InversionResult invert(InversionMethod method, const InversionInput& input, const InversionOptions& options = {});

/// The methods, callable on their own (the same checks as invert()).
InversionResult tsvd(const InversionInput& in, const TsvdOptions& o, const InversionCommon& c = {});
InversionResult tikhonov(const InversionInput& in, const TikhonovOptions& o, const InversionCommon& c = {});
InversionResult ilsqr(const InversionInput& in, const IlsqrOptions& o, const InversionCommon& c = {});
InversionResult tv(const InversionInput& in, const TvOptions& o, bool nonlinear, const InversionCommon& c = {});
InversionResult medi(const InversionInput& in, const MediOptions& o, const InversionCommon& c = {});
InversionResult tgv(const InversionInput& in, const TgvOptions& o, const InversionCommon& c = {});
InversionResult rts(const InversionInput& in, const RtsOptions& o, const InversionCommon& c = {});
InversionResult ndi(const InversionInput& in, const NdiOptions& o, const InversionCommon& c = {});

/// The default of `qsmtk run` and the demo (evidence in docs/accuracy.md).
constexpr InversionMethod kDefaultInversionMethod = InversionMethod::medi;

}  // namespace qsmtk
