// qsmtk snapshot: chosen slices and planes of an image (chi, fields, R2*) as a PNG figure, with label
// or mask overlays and a colour bar in the displayed units.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/png.h"
#include "qsmtk/report/render.h"
#include "qsmtk/resample.h"
#include "qsmtk/strings.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string image, out, plane = "axial", window, colormap = "gray", mask, units, image_units, title;
  std::string interpolation = "nearest";
  std::vector<std::string> overlays;
  int slices = 1, zoom = 0;
  int64_t slice_index = -1, volume = 0;
  double scale = NAN, alpha = 0.4;
  bool outline = false, colorbar = true;
};

// Panels are magnified until their longer side reaches this, so small grids stay legible.
constexpr int kAutoZoomPixels = 200;

/// The units the image's values are in: --image-units, else the sidecar's Units, else ppm for a
/// BIDS chi map (_Chimap), else unknown ("").
std::string image_units(const Args& a) {
  if (!a.image_units.empty()) return a.image_units;
  const std::string side = sidecar_path(a.image);
  if (std::filesystem::exists(side)) {
    const Json j = read_json(side);
    if (j.contains("Units") && j["Units"].is_string()) return j["Units"].get<std::string>();
  }
  if (std::filesystem::path(a.image).filename().string().find("_Chimap.nii") != std::string::npos) return "ppm";
  return "";
}

struct DisplayUnits {
  std::string name;
  double factor = 1;  // displayed value = image value * factor
};

DisplayUnits display_units(const Args& a, const std::string& from) {
  if (!std::isnan(a.scale)) return {a.units, a.scale};
  if (a.units.empty()) return from == "ppm" ? DisplayUnits{"ppb", 1000} : DisplayUnits{from, 1};  // chi in ppb
  if (a.units == from) return {from, 1};
  static const struct {
    const char *from, *to;
    double factor;
  } conversions[] = {{"ppm", "ppb", 1e3}, {"ppb", "ppm", 1e-3}, {"s", "ms", 1e3}, {"ms", "s", 1e-3}};
  for (const auto& c : conversions)
    if (from == c.from && a.units == c.to) return {a.units, c.factor};
  if (from.empty())
    throw std::invalid_argument(a.image + ": units unknown (no Units in a sidecar); give --image-units or --scale");
  throw std::invalid_argument("--units " + a.units + ": cannot convert from " + from + " (" + a.image +
                              "); give --scale to set the factor");
}

DisplayWindow window_from_option(const std::string& text) {
  const std::vector<double> w = parse_numbers(text, "--window");
  if (w.size() != 2 || !std::isfinite(w[0]) || !std::isfinite(w[1]) || !(w[0] < w[1]))
    throw std::invalid_argument("--window " + text + ": give LO,HI with LO < HI, in the displayed units");
  return {w[0], w[1]};
}

Volume read_volume(const Args& a) {
  NiftiHeader h;
  Volume v = read_nifti(a.image, &h);
  const Dims& d = v.dims();
  if (d[0] < 2 || d[1] < 2 || d[2] < 2)
    throw std::invalid_argument(a.image + ": a " + std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" +
                                std::to_string(d[2]) + " image is not a 3-D volume; snapshot shows slices of volumes");
  if (a.volume >= v.frames())
    throw std::invalid_argument(a.image + ": --volume " + std::to_string(a.volume) + " but the image has " +
                                std::to_string(v.frames()) + " volume(s), numbered from 0");
  return v.frames() > 1 ? v.extract_frame(a.volume) : v;
}

/// --mask on the image's grid, else the image's nonzero voxels: what the window and slices cover.
Mask region_of_interest(const Args& a, const Volume& image) {
  if (!a.mask.empty()) {
    Mask m = read_nifti_mask(a.mask);
    return m.grid().same_space(image.grid()) ? m : resample_nearest(m, image.grid());
  }
  Mask m(image.grid());
  for (int64_t v = 0; v < image.voxels(); ++v) m[v] = std::isfinite(image[v]) && image[v] != 0;
  return m;
}

int64_t count_set(const Mask& m) { return std::count_if(m.begin(), m.end(), [](uint8_t x) { return x != 0; }); }

/// Overlay images (label images or masks) on the image's grid.
std::vector<LabelImage> read_overlays(const Args& a, const Grid& grid) {
  std::vector<LabelImage> images;
  for (const std::string& path : a.overlays) {
    LabelImage l = read_nifti_labels(path);
    images.push_back(l.grid().same_space(grid) ? std::move(l) : resample_nearest(l, grid));
  }
  return images;
}

/// A binary mask takes the colour of its place in the list, a label image a colour per label.
std::vector<Overlay> overlay_styles(const Args& a, const std::vector<LabelImage>& images) {
  std::vector<Overlay> drawn;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto [lo, hi] = std::minmax_element(images[i].begin(), images[i].end());
    Overlay d;
    d.labels = &images[i];
    d.outline = a.outline;
    d.alpha = a.outline ? 1.0 : a.alpha;
    d.single_colour = *lo >= 0 && *hi <= 1;
    d.colour = label_colour(int64_t(i) + 1);
    drawn.push_back(d);
  }
  return drawn;
}

std::vector<Plane> planes_of(const std::string& name) {
  if (name == "all") return {Plane::axial, Plane::coronal, Plane::sagittal};
  return {plane_from_string(name)};
}

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}
}  // namespace

Command snapshot_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "snapshot";
  c.summary = "Render slices of an image (chi, fields, R2*) with overlays and a colour bar to PNG";
  c.description =
      "Draws chosen slices of one or all planes of IMAGE into one PNG: a row of panels per plane, a colour bar with "
      "labelled ticks in the displayed units, and an optional title. Orientation is neurological whatever the "
      "file's array order: axial and coronal with the patient's left on the left (anterior, superior at the top), "
      "sagittal seen from the left (anterior on the left); each display direction follows the array axis closest "
      "to it through the affine, so oblique data show their nearest plane. Pixels are square (anisotropic voxels "
      "are resampled in the plane) and small grids are magnified (--zoom). Slices: --slices N evenly spaced "
      "through the mask's extent (1 = the middle) or --slice-index I (the array index along the axis closest to "
      "the plane's normal). Values: chi maps (Units ppm in the JSON sidecar, or a _Chimap name) are shown in ppb; "
      "--units converts between ppm and ppb or s and ms, --scale sets any factor. The default window is the "
      "2nd-98th percentile inside --mask (or the nonzero voxels), symmetric about 0 for the diverging rdbu "
      "colormap. Overlays (label images or masks, resampled nearest-neighbour when on another grid) are filled "
      "with --alpha or outlined (--outline, 1 pixel); a label image gets a colour per label, a mask the colour of "
      "its place in the list. A 4-D image shows its first volume unless --volume says otherwise.";
  c.declare = [a](CLI::App& app) {
    app.add_option("--image", a->image, "Image to show (NIfTI, 3-D or 4-D)")->required()->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Output figure (.png)")->required();
    app.add_option("--plane", a->plane, "Plane, or all three as rows")
        ->check(CLI::IsMember({"axial", "coronal", "sagittal", "all"}))
        ->capture_default_str();
    auto* slices = app.add_option("--slices", a->slices, "Number of slices per plane, evenly spaced through the mask")
                       ->check(CLI::PositiveNumber)
                       ->capture_default_str();
    app.add_option("--slice-index", a->slice_index,
                   "One slice by its array index along the axis closest to the plane's normal (one plane only)")
        ->check(CLI::NonNegativeNumber)
        ->excludes(slices);
    app.add_option("--volume", a->volume, "Volume of a 4-D image to show, from 0")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--window", a->window,
                   "Values at the colormap's ends, LO,HI in the displayed units (e.g. -150,150 for chi in ppb); "
                   "default: 2nd-98th percentile, symmetric for rdbu");
    app.add_option("--colormap", a->colormap, "Colormap")
        ->check(CLI::IsMember(colormap_names()))
        ->capture_default_str();
    app.add_option("--mask", a->mask, "Voxels the automatic window and slice range come from (default: nonzero voxels)")
        ->check(CLI::ExistingFile);
    app.add_option("--overlay", a->overlays, "Label image or mask drawn over the slices (repeatable)")
        ->check(CLI::ExistingFile);
    app.add_flag("--outline", a->outline, "Draw overlays as 1-pixel outlines instead of filled");
    app.add_option("--alpha", a->alpha, "Opacity of filled overlays")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--units", a->units,
                   "Displayed units: ppb or ppm for chi, ms or s for times (default: ppb for ppm images, else the "
                   "image's own)");
    app.add_option("--scale", a->scale, "Multiply the values by this for display (with --units naming the result)");
    app.add_option("--image-units", a->image_units, "Units of the image's values when its sidecar has no Units");
    app.add_flag("--colorbar,!--no-colorbar", a->colorbar, "Draw the colour bar (default) or not");
    app.add_option("--title", a->title, "Title above the panels (ASCII)");
    app.add_option("--zoom", a->zoom,
                   "Output pixels per finest voxel (0 = enough for panels of about " +
                       std::to_string(kAutoZoomPixels) + " pixels)")
        ->check(CLI::Range(0, 32))
        ->capture_default_str();
    app.add_option("--interpolation", a->interpolation, "In-plane interpolation of the image (overlays: nearest)")
        ->check(CLI::IsMember({"nearest", "linear"}))
        ->capture_default_str();
  };
  c.run = [a]() {
    check_output_file(a->out, {a->image, a->mask});
    const std::vector<Plane> planes = planes_of(a->plane);
    if (a->slice_index >= 0 && planes.size() > 1)
      throw std::invalid_argument("--slice-index needs one --plane, not all");
    Volume image = read_volume(*a);
    const DisplayUnits units = display_units(*a, image_units(*a));
    if (units.factor != 1)
      for (float& v : image) v = float(v * units.factor);
    const Mask roi = region_of_interest(*a, image);
    const Mask* region = count_set(roi) > 0 ? &roi : nullptr;
    if (!region && !a->mask.empty()) throw std::invalid_argument(a->mask + ": the mask is empty");

    SliceStyle style;
    style.colormap = colormap(a->colormap);
    style.window = a->window.empty() ? robust_window(image, region, 2, 98, style.colormap.diverging)
                                     : window_from_option(a->window);
    style.interpolation = a->interpolation == "linear" ? Interpolation::bilinear : Interpolation::nearest;
    const std::vector<LabelImage> overlay_images = read_overlays(*a, image.grid());
    const std::vector<Overlay> overlays = overlay_styles(*a, overlay_images);

    // One pixel size for every plane, so the rows of --plane all share a scale.
    const Vec3 voxel = voxel_size_from_affine(image.grid());
    const double finest = std::min({voxel[0], voxel[1], voxel[2]});
    int zoom = a->zoom;
    if (zoom == 0) {
      double longest_mm = 0;
      for (Plane p : planes) {
        const SliceAxes ax = slice_axes(image.grid(), p);
        longest_mm = std::max({longest_mm, ax.column_mm * image.dims()[ax.column_axis], ax.row_mm * image.dims()[ax.row_axis]});
      }
      zoom = std::max(1, int(std::ceil(kAutoZoomPixels / (longest_mm / finest))));
    }
    style.pixel_mm = finest / zoom;

    std::vector<RgbImage> rows;
    std::string chosen;
    for (Plane p : planes) {
      std::vector<int64_t> slices;
      if (a->slice_index >= 0) {
        const int64_t n = slice_count(image.grid(), p);
        if (a->slice_index >= n)
          throw std::invalid_argument("--slice-index " + std::to_string(a->slice_index) + " is outside 0.." +
                                      std::to_string(n - 1) + " for the " + to_string(p) + " plane of " + a->image);
        slices = {a->slice_index};
      } else {
        slices = choose_slices(image.grid(), p, a->slices, region);
      }
      rows.push_back(render_strip(image, p, slices, style, overlays, 4));
      chosen += (chosen.empty() ? "" : "; ") + to_string(p) + " " + join(slices);
    }
    const RgbImage strips = tile_images(rows, 1, 8);

    const int text_scale = strips.height >= 400 ? 2 : 1;
    std::vector<RgbImage> body{strips};
    if (a->colorbar) {
      ColorbarStyle bar;
      bar.height = strips.height;
      bar.units = units.name;
      bar.text_scale = text_scale;
      bar.thickness = 7 * text_scale * 2;
      body.push_back(render_colorbar(style.colormap, style.window, bar));
    }
    std::vector<RgbImage> parts;
    if (!a->title.empty()) parts.push_back(render_text(a->title, {255, 255, 255}, {}, 2 * text_scale, 0));
    parts.push_back(tile_images(body, int(body.size()), 8));
    const RgbImage content = tile_images(parts, 1, 8);
    const int margin = 8;
    RgbImage figure(content.width + 2 * margin, content.height + 2 * margin);
    paste(figure, content, margin, margin);
    write_png(a->out, figure);

    std::printf("%dx%d pixels (%s; window %g..%g%s%s) -> %s\n", figure.width, figure.height, chosen.c_str(),
                style.window.lo, style.window.hi, units.name.empty() ? "" : " ", units.name.c_str(), a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
