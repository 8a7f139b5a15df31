#include "qsmtk/bgremove/bgremove.h"

#include <cmath>
#include <stdexcept>

namespace qsmtk {

BackgroundMethod parse_background_method(const std::string& n) {
  if (n == "sharp") return BackgroundMethod::sharp;
  if (n == "vsharp") return BackgroundMethod::vsharp;
  if (n == "resharp") return BackgroundMethod::resharp;
  if (n == "pdf") return BackgroundMethod::pdf;
  if (n == "lbv") return BackgroundMethod::lbv;
  if (n == "ismv") return BackgroundMethod::ismv;
  throw std::invalid_argument("unknown background removal method '" + n + "' (sharp, vsharp, resharp, pdf, lbv, ismv)");
}

std::string to_string(BackgroundMethod m) {
  switch (m) {
    case BackgroundMethod::sharp: return "sharp";
    case BackgroundMethod::vsharp: return "vsharp";
    case BackgroundMethod::resharp: return "resharp";
    case BackgroundMethod::pdf: return "pdf";
    case BackgroundMethod::lbv: return "lbv";
    case BackgroundMethod::ismv: return "ismv";
  }
  return "?";
}

LocalField remove_background(BackgroundMethod m, const Volume& total, const Mask& mask, const Vec3& b0,
                             const Volume* noise, const BackgroundOptions& o) {
  if (total.frames() != 1) throw std::invalid_argument("background removal takes one 3-D field map");
  require_same_space(total.grid(), mask.grid(), "background removal: field and mask");
  int64_t inside = 0, bad = 0;
  for (int64_t q = 0; q < mask.voxels(); ++q)
    if (mask[q]) ++inside, bad += !std::isfinite(total[q]);
  if (inside == 0) throw std::invalid_argument("background removal: the mask is empty");
  if (bad) throw std::invalid_argument("background removal: the field has " + std::to_string(bad) +
                                       " NaN/Inf voxels inside the mask");
  switch (m) {
    case BackgroundMethod::sharp: return sharp(total, mask, o.sharp);
    case BackgroundMethod::vsharp: return vsharp(total, mask, o.vsharp);
    case BackgroundMethod::resharp: return resharp(total, mask, o.resharp);
    case BackgroundMethod::pdf: return pdf(total, mask, b0, noise, o.pdf);
    case BackgroundMethod::lbv: return lbv(total, mask, o.lbv);
    case BackgroundMethod::ismv: return ismv(total, mask, o.ismv);
  }
  throw std::invalid_argument("unknown background removal method");
}

}  // namespace qsmtk
