#pragma once
// Rigid (6-parameter) registration of one 3-D image to another with elastix (Klein et al., IEEE
// TMI 2010; Shamonin et al., Front Neuroinform 2014), run as a program: a multi-resolution
// Euler transform found by adaptive stochastic gradient descent on Mattes mutual information
// (or mean squares / normalised correlation for images of the same contrast). The images are
// handed over as temporary NIfTI files; the result is read back from elastix's transform file.
//
// Conventions: a transform maps a world position (NIfTI RAS mm) in the FIXED image's space to the
// position of the same anatomy in the MOVING image's space (elastix's direction), so the moving
// image resampled onto the fixed grid is resample_linear(moving, fixed.grid(), &transform).
// Euler angles in this interface are in degrees with R = Rz * Ry * Rx (about x first).
#include <cstdint>
#include <string>

#include "qsmtk/linalg.h"
#include "qsmtk/volume.h"

namespace qsmtk {

/// x -> R x + t with R = Rz(angles[2]) * Ry(angles[1]) * Rx(angles[0]), angles in degrees.
Mat4 rigid_matrix(const Vec3& rotation_deg, const Vec3& translation_mm);
/// Euler angles (degrees, R = Rz Ry Rx) of a rotation matrix.
Vec3 euler_angles_deg(const Mat3& rotation);
/// Angle (degrees) of the rotation part of a rigid transform.
double rotation_angle_deg(const Mat3& rotation);
/// Largest displacement (mm) that `transform` gives the centres of the voxels in `mask`
/// (how far a rigid transform, e.g. an error transform, moves the anatomy at most).
double max_displacement_mm(const Mat4& transform, const Mask& mask);

enum class RegistrationMetric { mutual_information, mean_squares, correlation };
const char* to_string(RegistrationMetric m);
RegistrationMetric registration_metric_from_string(const std::string& name);  // mi | ms | ncc

struct RigidRegistrationOptions {
  RegistrationMetric metric = RegistrationMetric::mutual_information;
  int resolutions = 3;            // Gaussian pyramid levels
  int iterations = 250;           // per level
  int spatial_samples = 6000;     // random samples per iteration
  uint64_t seed = 1;              // elastix's RandomSeed: the same inputs give the same transform
  int threads = 0;                // 0: all the threads qsmtk uses
  std::string program = "elastix";
  std::string work_parent;        // temporary files go under here (default: the system temp folder)
};

struct RigidRegistrationResult {
  Mat4 transform = Mat4::identity();  // fixed world -> moving world (see above)
  double seconds = 0;
  std::string engine;                 // e.g. "elastix 5.0.1"
};

/// Registers `moving` to `fixed` (both 3-D, any grids and affines). Masks (optional, on their
/// image's grid) restrict where the metric is evaluated. Throws std::runtime_error when elastix
/// is missing or fails (with the tail of its log).
RigidRegistrationResult register_rigid(const Volume& fixed, const Volume& moving, const Mask* fixed_mask = nullptr,
                                       const Mask* moving_mask = nullptr, const RigidRegistrationOptions& options = {});

/// The elastix parameter file register_rigid uses.
std::string elastix_rigid_parameters(const RigidRegistrationOptions& options);
/// A transform from the text of an elastix TransformParameters file holding an EulerTransform
/// (ITK's LPS world, ComputeZYX honoured), converted to the RAS convention above.
Mat4 parse_elastix_euler_transform(const std::string& text);

}  // namespace qsmtk
