// Slice strips of a scan's pipeline stages for the report (see report/figures.h).
#include <cmath>

#include "qsmtk/io/png.h"
#include "qsmtk/report/render.h"
#include "report/figures.h"

namespace qsmtk::report {
namespace {

constexpr int kSlices = 6;

/// Axial slices through the brain with the colour bar at the right.
std::string strip_png(const Volume& image, const std::vector<int64_t>& slices, const SliceStyle& style,
                      const std::vector<Overlay>& overlays, const std::string& units) {
  const RgbImage strip = render_strip(image, Plane::axial, slices, style, overlays, 4);
  ColorbarStyle bar;
  bar.height = std::max(strip.height, 120);
  bar.units = units;
  return encode_png(tile_images({strip, render_colorbar(style.colormap, style.window, bar)}, 2, 8));
}

SliceStyle style_for(const Volume& image, const Mask* within, const char* map, bool symmetric) {
  SliceStyle s;
  s.colormap = colormap(map);
  s.window = robust_window(image, within, 2, 98, symmetric);
  return s;
}

}  // namespace

std::vector<Figure> stage_figures(const ScanReport& r) {
  std::vector<Figure> figures;
  const Mask* mask = r.brain_mask.empty() ? nullptr : &r.brain_mask;
  const std::vector<int64_t> slices = choose_slices(r.chi.grid(), Plane::axial, kSlices, mask);
  if (!r.magnitude.empty()) {
    std::vector<Overlay> overlays;
    if (mask) {
      Overlay o;
      o.mask = mask;
      o.colour = {255, 60, 60};
      overlays.push_back(o);
    }
    figures.push_back({"Brain mask over magnitude", "first echo; the mask's edge in red",
                       strip_png(r.magnitude, slices, style_for(r.magnitude, nullptr, "gray", false), overlays, "")});
  }
  if (!r.wrapped_phase.empty()) {
    SliceStyle s;
    s.colormap = colormap("gray");
    s.window = {-M_PI, M_PI};
    figures.push_back({"Wrapped phase", "first echo, as acquired (radians)", strip_png(r.wrapped_phase, slices, s, {}, "rad")});
  }
  if (!r.unwrapped_phase.empty())
    figures.push_back({"Unwrapped phase", "first echo, after offset removal and unwrapping (radians)",
                       strip_png(r.unwrapped_phase, slices, style_for(r.unwrapped_phase, mask, "gray", false), {}, "rad")});
  if (!r.total_field_hz.empty())
    figures.push_back({"Total field", "unwrapped and combined over echoes (Hz)",
                       strip_png(r.total_field_hz, slices, style_for(r.total_field_hz, mask, "viridis", false), {}, "Hz")});
  if (!r.local_field_hz.empty())
    figures.push_back({"Local field", "after background field removal (Hz)",
                       strip_png(r.local_field_hz, slices, style_for(r.local_field_hz, mask, "rdbu", true), {}, "Hz")});
  {
    Volume chi_ppb = r.chi;
    for (float& x : chi_ppb) x *= 1000.0f;
    std::vector<Overlay> overlays;
    Mask plain, rimmed;
    if (!r.lesions.empty()) {
      plain = Mask(r.lesions.grid());
      rimmed = Mask(r.lesions.grid());
      for (int64_t n = 0; n < r.lesions.voxels(); ++n)
        if (const int32_t l = r.lesions[n]) (r.prl_ids.count(l) ? rimmed : plain)[n] = 1;
      Overlay a, b;
      a.mask = &plain;
      a.colour = {40, 220, 40};
      b.mask = &rimmed;
      b.colour = {255, 40, 40};
      overlays = {a, b};
    }
    figures.push_back({"Susceptibility", r.lesions.empty() ? "chi (ppb)" : "chi (ppb); lesion edges green, PRLs red",
                       strip_png(chi_ppb, slices, style_for(chi_ppb, mask, "gray", true), overlays, "ppb")});
  }
  if (!r.r2star.empty())
    figures.push_back({"R2*", "from the magnitude decay (1/s)",
                       strip_png(r.r2star, slices, style_for(r.r2star, mask, "hot", false), {}, "1/s")});
  return figures;
}

}  // namespace qsmtk::report
