#pragma once
// The built-in numerical head phantom and its MR signal, with ground truth.
//
// Anatomy is analytic (signed-distance shapes in mm, so any resolution can be sampled): a head
// in air, scalp, skull with an air-filled frontal and sphenoid sinus and mastoid air, CSF,
// folded cortex, white matter, ventricles, deep grey matter nuclei, veins in several
// orientations, a calcification, smooth texture and MS lesions (homogeneous, paramagnetic rim,
// partial rim, hypo-diamagnetic). Each tissue has paramagnetic and diamagnetic susceptibility
// (chi = para + dia), R2 and proton density; R2* = R2 + Dr (para - dia) with Dr = 137 Hz/ppm at
// 3 T scaled with B0 (Shin et al., NeuroImage 2021), so R2* and chi are consistent.
//
// The signal is simulated on a grid twice as fine as the output (no inverse crime: the
// complex signal is averaged down, so intravoxel dephasing is real), with a smooth receiver
// phase offset common to all echoes, complex Gaussian noise at a given SNR, natural wrapping,
// oblique B0 (written as an oblique affine) and anisotropic voxels.
//
// A follow-up session of the same subject (same seed) can differ by rigid head motion inside
// the fixed scanner and grid, and by lesion changes (iron gained or lost, a rim gone); new
// lesions come from a larger lesion count (lesions 1..N stay the same when N grows).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

/// Acquisition and geometry of one simulation.
struct SimulationCase {
  std::string name = "std";
  Vec3 voxel_mm{1, 1, 1};
  Vec3 fov_mm{192, 224, 160};
  double b0_tesla = 3.0;
  std::vector<double> echo_times_s;  // default: 5 echoes for the field strength
  double snr = 100;                  // mean brain magnitude at the first echo / noise SD
  Mat3 rotation = Mat3::identity();  // array axes -> scanner axes (oblique slices)
};

/// std | oblique | aniso | lowsnr | 7t, at size "default" or "small" (voxels twice as large).
SimulationCase simulation_case(const std::string& name, const std::string& size = "default");
/// Echo times (s) used when none are given: 5 echoes, spacing suited to the field strength.
std::vector<double> default_echo_times(double b0_tesla);

/// Rigid head motion: the head turns and shifts inside the fixed scanner, grid and B0. A head
/// point p (phantom frame: array-aligned mm, origin at the centre of the field of view) moves
/// to R p + t, with R = Rz * Ry * Rx (rotate about x first, then y, then z; right-handed).
struct HeadMotion {
  Vec3 rotation_deg{};    // about x, y, z (degrees)
  Vec3 translation_mm{};  // t, phantom frame
  bool is_identity() const;
  Mat3 rotation() const;  // R = Rz * Ry * Rx
};

/// The motion in world coordinates of `grid` (its NIfTI affine, mm, RAS): a head point at world
/// x without the motion is at M x with it. Oblique affines give an oblique M.
Mat4 head_motion_world_matrix(const HeadMotion& motion, const Grid& grid);

/// How a follow-up session differs from the baseline of the same seed. None of these draws
/// random numbers, so lesions, texture, phase offset and noise stay those of the seed.
struct FollowUpChanges {
  HeadMotion head_motion;
  std::map<int32_t, double> lesion_change_ppb;  // lesion id -> ppb added to its paramagnetic chi (core and rim)
  std::vector<int32_t> lesions_rim_lost;        // lesions (prl or partial_rim) whose iron rim is gone:
                                                // type "rim_lost", coverage 0, rim = core, prl false
  bool any() const { return !head_motion.is_identity() || !lesion_change_ppb.empty() || !lesions_rim_lost.empty(); }
};

struct SimulationOptions {
  SimulationCase acquisition;
  uint64_t seed = 1;
  int lesion_count = 16;
  bool phase_offset = true;      // smooth receiver phase offset common to all echoes
  bool noise = true;
  int supersampling = 2;         // fine grid = output grid / supersampling per axis (>= 2)
  double pad_fraction = 0.1;     // zero padding per side of the fine FFT grid, fraction of the FOV
                                 // (the far field of periodic images is corrected on a coarse grid)
  FollowUpChanges follow_up;     // built-in phantom only
};

struct DeepGreyRegion {
  int32_t index = 0;
  std::string name;
  double chi_ppm = 0;  // mean of the true chi map over the label
  int64_t voxels = 0;
};

struct Lesion {
  int32_t index = 0;
  std::string name;  // e.g. "lesion03"
  std::string type;  // homogeneous | prl | partial_rim | hypodiamagnetic | rim_lost (follow-up)
  Vec3 centre_mm{};  // phantom (array-aligned) frame, after any head motion
  Vec3 centre_world_mm{};
  double radius_mm = 0;
  double core_chi_ppm = 0;
  double rim_chi_ppm = 0;     // NaN when there is no rim; the core's value when the rim was lost
  double rim_coverage = 0;    // fraction of the edge (azimuth in the slice plane) with rim
  double rim_start_rad = 0;   // azimuth where the rim arc starts
  bool prl = false;           // rim covers >= 2/3 of the edge
  double wm_chi_ppm = 0;      // white matter reference the lesion was built on
  double mean_chi_ppm = 0;    // mean of the true chi map over the label
  int64_t voxels = 0;
};

/// Tissue classes of the truth segmentation (_desc-tissue_dseg).
enum TissueLabel : int32_t {
  kTissueNone = 0, kTissueCSF = 1, kTissueGM = 2, kTissueWM = 3, kTissueDeepGM = 4, kTissueVein = 5,
  kTissueLesion = 6, kTissueCalcification = 7,
};

/// Everything `qsmtk simulate` writes: the MR data and the truth on the output grid.
struct Simulation {
  SimulationOptions options;
  Vec3 b0_direction{};          // array coordinates
  Volume magnitude, phase;      // 4-D (echoes), phase wrapped to [-pi, pi] (float)
  Volume chi;                   // ppm, relative to CSF; air 9.4
  Volume chi_para, chi_dia;     // chi = para + dia (chi-separation truth)
  Volume r2star;                // 1/s, true voxel mean
  Volume total_field_hz, local_field_hz;
  Mask brain_mask;
  LabelImage deep_grey_labels, lesion_labels, tissue_labels;
  std::vector<DeepGreyRegion> deep_grey;
  std::vector<Lesion> lesions;
  double noise_sd = 0;  // per real/imaginary channel
};

/// Simulates the built-in head phantom. Refuses (before any work) a simulation estimated not to
/// fit in memory_budget_bytes().
Simulation simulate_phantom(const SimulationOptions& options);

/// Peak memory (bytes) of a simulation on the output `grid` with these options, including a
/// 15% margin: the fine grid (supersampling^3 times the output) and its FFTs dominate.
int64_t estimate_simulation_peak_bytes(const Grid& grid, const SimulationOptions& options);

/// Forward-simulates a user's chi map (ppm) on its own grid with the same signal model:
/// tissue (mask, or finite non-zero chi) gets proton density 1 and the tissue R2*; the value
/// outside the map is taken from its border (air or zero). Follow-up changes do not apply.
Simulation simulate_from_chi(const Volume& chi, const Mask* tissue_mask, const SimulationOptions& options,
                             double r2star_per_s = 25.0);

}  // namespace qsmtk
