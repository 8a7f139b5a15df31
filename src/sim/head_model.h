#pragma once
// The analytic head: shapes as signed distance functions in mm (phantom frame = array axes,
// origin at the centre of the field of view, x right, y anterior, z superior), painted in order.
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
  Vec3 lo{}, hi{};                            // bounding box (mm)
  std::function<Props(const Vec3&)> props;    // properties at a point inside
  double texture_ppm = 0;                     // SD of smooth para texture added in this tissue
};

class HeadModel {
 public:
  HeadModel(double b0_tesla, uint64_t seed, int lesion_count);

  const std::vector<Structure>& structures() const { return structures_; }
  /// The last-painted structure containing p, or nullptr for air.
  const Structure* structure_at(const Vec3& p) const;
  /// Properties of the surrounding air.
  Props air() const;
  const std::vector<Lesion>& lesions() const { return lesions_; }
  /// Deep grey matter labels 1..14: names.
  const std::vector<std::string>& deep_grey_names() const { return deep_grey_names_; }
  double wm_chi_ppm() const;

 private:
  void add(Structure s) { structures_.push_back(std::move(s)); }
  void place_lesions(uint64_t seed, int count);

  double b0_;
  std::vector<Structure> structures_;
  std::vector<Lesion> lesions_;
  std::vector<std::string> deep_grey_names_;
};

}  // namespace qsmtk::sim
