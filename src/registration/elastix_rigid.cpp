// Rigid registration through elastix run as a program (see registration/rigid.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/process.h"
#include "qsmtk/registration/rigid.h"

namespace qsmtk {
namespace fs = std::filesystem;

namespace {
constexpr double kDeg = M_PI / 180;

Mat3 rotation_x(double a) { return Mat3::rotation({1, 0, 0}, a); }
Mat3 rotation_y(double a) { return Mat3::rotation({0, 1, 0}, a); }
Mat3 rotation_z(double a) { return Mat3::rotation({0, 0, 1}, a); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The last `lines` lines of a log, for error messages.
std::string tail(const std::string& text, int lines) {
  size_t pos = text.size();
  for (int n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

/// Values of an elastix parameter "(Name v1 v2 ...)", quotes removed; empty when absent.
std::vector<std::string> parameter(const std::string& text, const std::string& name) {
  const std::regex line("\\(" + name + "\\s+([^)]*)\\)");
  std::smatch m;
  if (!std::regex_search(text, m, line)) return {};
  std::vector<std::string> values;
  std::istringstream in(m[1].str());
  for (std::string v; in >> v;) {
    v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
    values.push_back(v);
  }
  return values;
}

std::vector<double> numbers(const std::string& text, const std::string& name, size_t count) {
  const auto values = parameter(text, name);
  if (values.size() != count)
    throw std::runtime_error("elastix transform: expected " + std::to_string(count) + " values for " + name);
  std::vector<double> r;
  for (const auto& v : values) r.push_back(std::stod(v));
  return r;
}

}  // namespace

Mat4 rigid_matrix(const Vec3& rotation_deg, const Vec3& translation_mm) {
  const Mat3 r = rotation_z(rotation_deg[2] * kDeg) * rotation_y(rotation_deg[1] * kDeg) *
                 rotation_x(rotation_deg[0] * kDeg);
  return Mat4::from(r, translation_mm);
}

Vec3 euler_angles_deg(const Mat3& r) {
  // R = Rz Ry Rx: R[2][0] = -sin(y), R[2][1] = cos(y) sin(x), R[2][2] = cos(y) cos(x),
  // R[1][0] = sin(z) cos(y), R[0][0] = cos(z) cos(y).
  const double y = std::asin(std::clamp(-r.m[2][0], -1.0, 1.0));
  const double x = std::atan2(r.m[2][1], r.m[2][2]);
  const double z = std::atan2(r.m[1][0], r.m[0][0]);
  return {x / kDeg, y / kDeg, z / kDeg};
}

double rotation_angle_deg(const Mat3& r) {
  const double trace = r.m[0][0] + r.m[1][1] + r.m[2][2];
  return std::acos(std::clamp((trace - 1) / 2, -1.0, 1.0)) / kDeg;
}

double max_displacement_mm(const Mat4& transform, const Mask& mask) {
  const Mat4 affine = mask.grid().affine();
  const Dims& n = mask.dims();
  double worst = 0;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        if (!mask(i, j, k)) continue;
        const Vec3 x = affine.apply({double(i), double(j), double(k)});
        worst = std::max(worst, norm(transform.apply(x) - x));
      }
  return worst;
}

const char* to_string(RegistrationMetric m) {
  switch (m) {
    case RegistrationMetric::mutual_information: return "mi";
    case RegistrationMetric::mean_squares: return "ms";
    case RegistrationMetric::correlation: return "ncc";
  }
  return "?";
}

RegistrationMetric registration_metric_from_string(const std::string& name) {
  if (name == "mi") return RegistrationMetric::mutual_information;
  if (name == "ms") return RegistrationMetric::mean_squares;
  if (name == "ncc") return RegistrationMetric::correlation;
  throw std::invalid_argument("unknown registration metric '" + name + "' (mi, ms, ncc)");
}

std::string elastix_rigid_parameters(const RigidRegistrationOptions& o) {
  const char* metric = o.metric == RegistrationMetric::mutual_information ? "AdvancedMattesMutualInformation"
                       : o.metric == RegistrationMetric::mean_squares      ? "AdvancedMeanSquares"
                                                                           : "AdvancedNormalizedCorrelation";
  std::ostringstream p;
  p << "// qsmtk rigid registration (Euler transform, multi-resolution, ASGD)\n"
    << "(FixedInternalImagePixelType \"float\")\n(MovingInternalImagePixelType \"float\")\n"
    << "(FixedImageDimension 3)\n(MovingImageDimension 3)\n(UseDirectionCosines \"true\")\n"
    << "(Registration \"MultiResolutionRegistration\")\n"
    << "(FixedImagePyramid \"FixedSmoothingImagePyramid\")\n(MovingImagePyramid \"MovingSmoothingImagePyramid\")\n"
    << "(NumberOfResolutions " << o.resolutions << ")\n"
    << "(Interpolator \"BSplineInterpolator\")\n(BSplineInterpolationOrder 1)\n"
    << "(ResampleInterpolator \"FinalBSplineInterpolator\")\n(FinalBSplineInterpolationOrder 1)\n"
    << "(Resampler \"DefaultResampler\")\n(DefaultPixelValue 0)\n"
    << "(Transform \"EulerTransform\")\n(ComputeZYX \"false\")\n"
    << "(AutomaticTransformInitialization \"true\")\n(AutomaticTransformInitializationMethod \"GeometricalCenter\")\n"
    << "(AutomaticScalesEstimation \"true\")\n(HowToCombineTransforms \"Compose\")\n"
    << "(Metric \"" << metric << "\")\n(NumberOfHistogramBins 32)\n"
    << "(Optimizer \"AdaptiveStochasticGradientDescent\")\n(MaximumNumberOfIterations " << o.iterations << ")\n"
    << "(ImageSampler \"RandomCoordinate\")\n(NumberOfSpatialSamples " << o.spatial_samples << ")\n"
    << "(NewSamplesEveryIteration \"true\")\n(CheckNumberOfSamples \"true\")\n(ErodeMask \"false\")\n"
    << "(RandomSeed " << (o.seed % 2147483647) << ")\n"
    << "(WriteResultImage \"false\")\n(WriteTransformParametersEachIteration \"false\")\n";
  return p.str();
}

Mat4 parse_elastix_euler_transform(const std::string& text) {
  const auto kind = parameter(text, "Transform");
  if (kind.size() != 1 || kind[0] != "EulerTransform")
    throw std::runtime_error("elastix transform: expected an EulerTransform");
  const auto initial = parameter(text, "InitialTransformParametersFileName");
  if (!initial.empty() && initial[0] != "NoInitialTransform")
    throw std::runtime_error("elastix transform: chained initial transforms are not supported");
  const auto p = numbers(text, "TransformParameters", 6);
  const auto c = numbers(text, "CenterOfRotationPoint", 3);
  const auto zyx = parameter(text, "ComputeZYX");
  const bool compute_zyx = !zyx.empty() && zyx[0] == "true";
  // ITK's Euler3DTransform: R = Rz Rx Ry by default, Rz Ry Rx with ComputeZYX; x -> R (x - c) + c + t.
  const Mat3 r = compute_zyx ? rotation_z(p[2]) * rotation_y(p[1]) * rotation_x(p[0])
                             : rotation_z(p[2]) * rotation_x(p[0]) * rotation_y(p[1]);
  const Vec3 centre{c[0], c[1], c[2]}, t{p[3], p[4], p[5]};
  const Mat4 lps = Mat4::from(r, centre + t - r * centre);
  // ITK's world is LPS: flip x and y on both sides to get the RAS transform.
  const Mat4 flip = Mat4::from(Mat3::diagonal({-1, -1, 1}), {0, 0, 0});
  return flip * lps * flip;
}

RigidRegistrationResult register_rigid(const Volume& fixed, const Volume& moving, const Mask* fixed_mask,
                                       const Mask* moving_mask, const RigidRegistrationOptions& o) {
  if (fixed.frames() != 1 || moving.frames() != 1) throw std::invalid_argument("register_rigid: needs 3-D images");
  if (fixed_mask && !fixed_mask->grid().same_space(fixed.grid()))
    throw std::invalid_argument("register_rigid: the fixed mask is not on the fixed image's grid");
  if (moving_mask && !moving_mask->grid().same_space(moving.grid()))
    throw std::invalid_argument("register_rigid: the moving mask is not on the moving image's grid");
  if (!program_available(o.program))
    throw std::runtime_error("rigid registration needs elastix (Debian package 'elastix'), not found on PATH");

  const auto start = std::chrono::steady_clock::now();
  const std::string parent = o.work_parent.empty() ? fs::temp_directory_path().string() : o.work_parent;
  const fs::path work = make_temp_dir(parent, ".qsmtk-elastix-");
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{work};

  write_nifti((work / "fixed.nii.gz").string(), fixed);
  write_nifti((work / "moving.nii.gz").string(), moving);
  {
    std::ofstream params(work / "rigid.txt");
    params << elastix_rigid_parameters(o);
  }
  std::vector<std::string> argv = {o.program, "-f", (work / "fixed.nii.gz").string(), "-m",
                                   (work / "moving.nii.gz").string(), "-p", (work / "rigid.txt").string(),
                                   "-out", work.string(), "-threads", std::to_string(o.threads > 0 ? o.threads : threads())};
  if (fixed_mask) {
    write_nifti((work / "fixed_mask.nii.gz").string(), *fixed_mask);
    argv.insert(argv.end(), {"-fMask", (work / "fixed_mask.nii.gz").string()});
  }
  if (moving_mask) {
    write_nifti((work / "moving_mask.nii.gz").string(), *moving_mask);
    argv.insert(argv.end(), {"-mMask", (work / "moving_mask.nii.gz").string()});
  }
  const fs::path log_path = work / "run.log";
  const int rc = run_program(argv, log_path.string());
  const fs::path transform_path = work / "TransformParameters.0.txt";
  if (rc != 0 || !fs::exists(transform_path))
    throw std::runtime_error("elastix failed (exit " + std::to_string(rc) + "): " + tail(read_text(log_path), 8));

  RigidRegistrationResult r;
  r.transform = parse_elastix_euler_transform(read_text(transform_path));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string version = program_output({o.program, "--version"});
  const auto pos = version.find("version:");
  r.engine = "elastix" + (pos == std::string::npos ? std::string() : " " + version.substr(pos + 9, version.find('\n', pos) - pos - 9));
  return r;
}

}  // namespace qsmtk
