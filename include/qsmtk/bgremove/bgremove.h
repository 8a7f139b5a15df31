#pragma once
// Background field removal: from the total field (any unit, e.g. Hz) inside a brain mask to the
// local field of the sources inside it. Each method returns the local field and the mask it is
// valid on (SMV methods erode the mask by their kernel radius; PDF and LBV do not erode).
#include <string>
#include <vector>

#include "qsmtk/kernels/dipole.h"
#include "qsmtk/volume.h"

namespace qsmtk {

struct LocalField {
  Volume field;           // local field, same unit as the input, 0 outside `mask`
  Mask mask;              // where it is valid
  int iterations = 0;     // for iterative methods
  double residual = 0;    // final relative residual (iterative methods)
  std::string method;
};

/// SHARP (Schweser et al., NeuroImage 2011;54:2789-2807): high-pass the total field with the
/// SMV kernel (delta - S), keep the mask eroded by the radius, deconvolve by (1 - S) where
/// |1 - S| >= threshold (truncated SVD).
/// Radius 9 mm: at 6 mm the truncated low frequencies cost 27% NRMSE on the phantom and 17% of
/// the field of compact internal sources (docs/accuracy.md); larger radii erode more brain.
struct SharpOptions {
  double radius_mm = 9.0;
  double threshold = 0.05;
};
LocalField sharp(const Volume& total, const Mask& mask, const SharpOptions& options = {});

/// V-SHARP (Li et al., NeuroImage 2011;55:1645-1656; Wu et al., MRM 2012;67:137-147): SHARP with
/// radii from large to small; every voxel takes the largest radius whose ball fits in the mask,
/// so only the smallest radius is eroded; deconvolution by the largest kernel.
struct VsharpOptions {
  double max_radius_mm = 12.0;
  double min_radius_mm = 0;  // 0: twice the largest voxel dimension
  double step_mm = 0;        // 0: the largest voxel dimension
  double threshold = 0.05;
};
LocalField vsharp(const Volume& total, const Mask& mask, const VsharpOptions& options = {});

/// RESHARP (Sun & Wilman, MRM 2014;71:1151-1157): Tikhonov-regularised SHARP, argmin_x
/// ||M_e C (x - f)||^2 + lambda ||x||^2 with C = delta - S, by conjugate gradients.
/// Radius 6 mm and lambda 1e-4 from the table in docs/accuracy.md (at 4 mm / 5e-4 the phantom's
/// NRMSE was 23% and internal sources lost 17%).
struct ResharpOptions {
  double radius_mm = 6.0;
  double lambda = 1e-4;
  double tolerance = 1e-4;  // 1e-6 changes the phantom's NRMSE by 0.3 points at twice the time
  int max_iterations = 200;
};
LocalField resharp(const Volume& total, const Mask& mask, const ResharpOptions& options = {});

/// PDF, projection onto dipole fields (Liu et al., NMR Biomed 2011;24:1129-1136): the background
/// is the field of the sources outside the mask that best explains the total field inside it
/// (weighted least squares; with a noise map, weights min(1, median noise / noise)), solved by
/// conjugate gradients on the normal
/// equations. B0 direction in array coordinates; the FFT grid is the field of view padded by
/// pad_fraction per side. The discrete dipole kernel is the default: with oblique B0 the sampled
/// continuous kernel is not harmonic off the sources, so its "outside" fields also fit part of
/// the internal field (10.7% vs 9.4% lost on the internal-source test).
/// PDF cannot keep the part of an internal field that is itself a field of outside sources
/// inside the mask (dipole fields are not orthogonal): about 2.3 (a/R)^1.5 of a sphere of
/// radius a in a spherical mask of radius R, and more for sources at the boundary (cortex).
struct PdfOptions {
  double tolerance = 1e-3;
  int max_iterations = 100;
  double pad_fraction = 0;  // padding changed the phantom's NRMSE by < 0.5 points at twice the time
  DipoleKernelType kernel = DipoleKernelType::discrete;
};
LocalField pdf(const Volume& total, const Mask& mask, const Vec3& b0, const Volume* noise = nullptr,
               const PdfOptions& options = {});

/// LBV, Laplacian boundary value (Zhou et al., NMR Biomed 2014;27:312-319): the background obeys
/// Laplace's equation inside the mask with the total field as its value on the mask's boundary
/// layer; solved by conjugate gradients preconditioned with a fast (DST) Poisson solver on the
/// mask's bounding box. The boundary layer itself is not part of the result.
struct LbvOptions {
  double tolerance = 1e-4;
  int max_iterations = 500;
};
LocalField lbv(const Volume& total, const Mask& mask, const LbvOptions& options = {});

/// iSMV (Wen et al., MRM 2014;72:1065-1071): the background has the SMV mean-value property
/// inside the eroded mask and equals the total field on the removed rim. Wen iterates b <- S b;
/// this solves for the same fixed point by conjugate gradients to relative residual `tolerance`.
struct IsmvOptions {
  double radius_mm = 0;  // 0: twice the largest voxel dimension
  double tolerance = 1e-4;
  int max_iterations = 500;
};
LocalField ismv(const Volume& total, const Mask& mask, const IsmvOptions& options = {});

enum class BackgroundMethod { sharp, vsharp, resharp, pdf, lbv, ismv };
/// The default of `qsmtk run`, `bgremove` and the demo: of the methods that keep the whole brain
/// (cortex and juxtacortical lesions included), the most accurate on the phantom cases; the
/// evidence is the table in docs/accuracy.md.
constexpr BackgroundMethod kDefaultBackgroundMethod = BackgroundMethod::pdf;
BackgroundMethod parse_background_method(const std::string& name);  // the CONVENTIONS names
std::string to_string(BackgroundMethod m);

struct BackgroundOptions {
  SharpOptions sharp;
  VsharpOptions vsharp;
  ResharpOptions resharp;
  PdfOptions pdf;
  LbvOptions lbv;
  IsmvOptions ismv;
};

/// One entry point for every method; b0 and noise are used by PDF only.
LocalField remove_background(BackgroundMethod method, const Volume& total, const Mask& mask, const Vec3& b0,
                             const Volume* noise = nullptr, const BackgroundOptions& options = {});

}  // namespace qsmtk
