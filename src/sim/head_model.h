#pragma once
// The analytic head: shapes as signed distance functions in mm (phantom frame = array axes,
// origin at the centre of the field of view, x right, y anterior, z superior), painted in order.
// Shapes are defined in the head frame; the head's pose (rigid motion) places it in the scanner
// (phantom) frame, and every query maps the scanner point back into the head: q = R^T (p - t).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "qsmtk/linalg.h"
#include "qsmtk/sim/phantom.h"

namespace qsmtk::sim {

/// Tissue properties at one point. chi = para + dia (ppm); r2star in 1/s.
struct Props {
  double para = 0, dia = 0, m0 = 0, r2star = 0;
  double chi() const { return para + dia; }
};

enum class Region {
  air, scalp, bone, soft_tissue, csf_outer, gm, wm, csf_inner, deep_gm, vein_internal, vein_dural, lesion,
  calcification, sinus_air,
};
/// Regions that make up the brain mask.
bool in_brain(Region r);

struct Structure {
  std::string name;
  Region region = Region::air;
  int32_t label = 0;                          // deep grey matter or lesion index, else 0
  std::function<double(const Vec3&)> sdf;     // < 0 inside, approximately mm
  Vec3 lo{}, hi{};                            // bounding box (mm, head frame)
  std::function<Props(const Vec3&)> props;    // properties at a point inside
  double texture_ppm = 0;                     // SD of smooth para texture added in this tissue
};

class HeadModel {
 public:
  /// Lesion changes of `follow_up` are applied to the lesions of the seed; its head motion
  /// becomes the pose.
  HeadModel(double b0_tesla, uint64_t seed, int lesion_count, const FollowUpChanges& follow_up = {});

  /// Structures in the head frame (sdf, props and bounds take head-frame points).
  const std::vector<Structure>& structures() const { return structures_; }
  /// The last-painted structure containing the scanner-frame point p, or nullptr for air.
  const Structure* structure_at(const Vec3& p) const;
  /// Whether the head is moved (otherwise head frame = scanner frame, and no mapping is done,
  /// so the unmoved phantom is bit-identical to one without a pose).
  bool moved() const { return moved_; }
  /// Scanner-frame point -> head-frame point: q = R^T (p - t).
  Vec3 to_head(const Vec3& p) const { return moved_ ? head_from_scanner_ * (p - translation_) : p; }
  /// Head-frame point -> scanner-frame point: p = R q + t.
  Vec3 to_scanner(const Vec3& q) const { return moved_ ? rotation_ * q + translation_ : q; }
  /// The pose: R^T and t of q = R^T (p - t).
  const Mat3& head_from_scanner() const { return head_from_scanner_; }
  const Vec3& translation() const { return translation_; }
  /// Bounding box of a structure in the scanner frame.
  void scanner_bounds(const Structure& s, Vec3& lo, Vec3& hi) const;
  /// Properties of the surrounding air.
  Props air() const;
  /// Lesions with centres in the head frame.
  const std::vector<Lesion>& lesions() const { return lesions_; }
  /// Deep grey matter labels 1..14: names.
  const std::vector<std::string>& deep_grey_names() const { return deep_grey_names_; }
  double wm_chi_ppm() const;

 private:
  void add(Structure s) { structures_.push_back(std::move(s)); }
  void place_lesions(uint64_t seed, int count, const FollowUpChanges& follow_up);

  double b0_;
  bool moved_ = false;
  Mat3 rotation_ = Mat3::identity(), head_from_scanner_ = Mat3::identity();
  Vec3 translation_{};
  std::vector<Structure> structures_;
  std::vector<Lesion> lesions_;
  std::vector<std::string> deep_grey_names_;
};

}  // namespace qsmtk::sim
