#pragma once
// Slice figures of volumes, in memory: colormaps, slices shown in one fixed anatomical orientation
// whatever the array order of the file, label and mask overlays, strips of panels, text in a
// built-in 5x7 bitmap font and colour bars with labelled ticks. Encode the result with io/png.h.
//
// Display convention (neurological, as FSLeyes and MRIcron show by default):
//   axial    - seen from above: patient's left on the image's left, anterior at the top
//   coronal  - seen from the front: patient's left on the left, superior at the top
//   sagittal - seen from the patient's left: anterior on the left, superior at the top
// Each display direction is sampled along the array axis closest to it in world space (through the
// affine Grid::affine() picks), so oblique data show their nearest plane without interpolation
// across slices. Pixels are square: anisotropic voxels are resampled in-plane.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// An 8-bit RGB picture: rows top to bottom, pixels left to right, 3 bytes per pixel.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;

  RgbImage() = default;
  RgbImage(int width, int height, Rgb fill = {});
  bool empty() const { return width == 0 || height == 0; }
  Rgb at(int x, int y) const;
  void set(int x, int y, Rgb colour);
};

// ---- Colormaps ---------------------------------------------------------------------------------

struct ColorStop {
  double position;  // 0..1, rising along the table
  Rgb colour;
};

/// A colormap as a few control points with linear interpolation between them.
struct Colormap {
  std::string name = "gray";
  std::vector<ColorStop> stops{{0.0, {0, 0, 0}}, {1.0, {255, 255, 255}}};
  bool diverging = false;  // centred on 0: automatic windows are made symmetric
  /// The colour at t (clamped to 0..1); channels rounded to the nearest integer.
  Rgb at(double t) const;
};

/// gray; rdbu (diverging blue-white-red: negative blue, 0 white, positive red, for chi);
/// hot (black-red-yellow-white, for R2* and magnitudes); viridis (perceptually uniform, for fields).
/// Throws std::invalid_argument listing the names for any other.
Colormap colormap(std::string_view name);
std::vector<std::string> colormap_names();

/// Distinct, saturated colours for label ids 1, 2, ... (a cycle of 10 that avoids the colormaps'
/// greys, blues and reds); overlays use them for outlines and fills.
Rgb label_colour(int64_t label);

// ---- Values to colours ---------------------------------------------------------------------------

/// Image values shown at the colormap's two ends (in the image's units).
struct DisplayWindow {
  double lo = 0, hi = 1;
};

/// Percentile window over the finite values of the first frame inside `within` (same dims as the
/// image), or over the nonzero finite values without it. `symmetric` widens it to +-max(|lo|, |hi|)
/// (diverging colormaps). A constant or empty image gets a window of nonzero width around its value.
DisplayWindow robust_window(const Volume& image, const Mask* within = nullptr, double low_percent = 2,
                            double high_percent = 98, bool symmetric = false);

// ---- Planes and slices ---------------------------------------------------------------------------

enum class Plane { axial, coronal, sagittal };
std::string to_string(Plane plane);
/// "axial", "coronal", "sagittal"; throws std::invalid_argument otherwise.
Plane plane_from_string(std::string_view name);

/// How a plane of a grid is shown: the array axis along the display's columns (left to right), rows
/// (top to bottom) and slices (in the order world z, y or x rises: inferior to superior, posterior
/// to anterior, left to right), and whether the display runs against the array index on each.
struct SliceAxes {
  int column_axis = 0, row_axis = 1, slice_axis = 2;
  bool column_reversed = false, row_reversed = false, slice_reversed = false;
  double column_mm = 1, row_mm = 1;  // voxel spacing along the columns and rows
};
SliceAxes slice_axes(const Grid& grid, Plane plane);
/// Number of slices of the plane (the size of its slice axis).
int64_t slice_count(const Grid& grid, Plane plane);

/// `count` evenly spaced slice indices (array indices along the slice axis) through the extent of
/// `extent`'s nonzero voxels (the whole grid without it, or when it is empty), avoiding the extent's
/// first and last slice; one slice is the middle. Duplicates are dropped; ordered as displayed
/// (inferior to superior, posterior to anterior, left to right).
std::vector<int64_t> choose_slices(const Grid& grid, Plane plane, int count, const Mask* extent = nullptr);

/// One slice in display orientation at its own resolution (no resampling).
struct SliceImage {
  int width = 0, height = 0;
  double column_mm = 1, row_mm = 1;
  std::vector<float> values;  // row-major, top row first
  float at(int x, int y) const { return values[size_t(y) * size_t(width) + size_t(x)]; }
};
/// Throws std::out_of_range for a slice or frame outside the image.
SliceImage extract_slice(const Volume& image, Plane plane, int64_t slice, int64_t frame = 0);

// ---- Rendering -----------------------------------------------------------------------------------

/// Labels or a mask drawn over a slice. Exactly one of `labels` and `mask` is set; it must be on
/// the image's grid (resample_nearest first otherwise).
struct Overlay {
  const LabelImage* labels = nullptr;  // 0 = nothing; each id in label_colour(id)
  const Mask* mask = nullptr;          // nonzero voxels in `colour` (label_colour(1) unless set)
  bool outline = true;                 // true: the 1-pixel inner edge of each label; false: filled
  double alpha = 1.0;                  // opacity of the overlay colour
  bool single_colour = false;          // use `colour` for every label of `labels` too
  Rgb colour = label_colour(1);
};

enum class Interpolation { nearest, bilinear };

struct SliceStyle {
  DisplayWindow window;
  Colormap colormap;
  double pixel_mm = 0;  // output pixel size; 0 = the finer in-plane voxel spacing
  Interpolation interpolation = Interpolation::nearest;  // of the image; overlays are always nearest
  Rgb not_a_number{0, 0, 0};                              // colour of NaN and Inf voxels
};

/// One slice (array index along the plane's slice axis) of frame 0 with its overlays. The result is
/// round(n_columns * column_mm / pixel_mm) x round(n_rows * row_mm / pixel_mm) pixels.
RgbImage render_slice(const Volume& image, Plane plane, int64_t slice, const SliceStyle& style,
                      const std::vector<Overlay>& overlays = {});
/// The slices side by side in one row, `gap` pixels apart.
RgbImage render_strip(const Volume& image, Plane plane, const std::vector<int64_t>& slices, const SliceStyle& style,
                      const std::vector<Overlay>& overlays = {}, int gap = 4, Rgb background = {});

// ---- Layout and text -----------------------------------------------------------------------------

/// Panels in a grid of `columns` columns filled row by row, `gap` pixels between cells; each column
/// is as wide as its widest panel, each row as tall as its tallest, panels centred in their cells.
RgbImage tile_images(const std::vector<RgbImage>& panels, int columns, int gap = 4, Rgb background = {});
/// Copies `picture` onto `canvas` with its top-left corner at (x, y), clipped to the canvas.
void paste(RgbImage& canvas, const RgbImage& picture, int x, int y);

/// Built-in font: printable ASCII in 5x7-pixel glyphs, 1 pixel apart; other characters draw as '?'.
/// A line is kLineHeight tall: g, p, q and y hang 2 pixels below the others' baseline.
constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6, kLineHeight = 9;
int text_width(std::string_view text, int scale = 1);
/// Draws text with its top-left corner at (x, y), each font pixel a scale x scale block; clipped.
void draw_text(RgbImage& canvas, int x, int y, std::string_view text, Rgb colour, int scale = 1);
/// The text on its own picture, with `margin` pixels around it.
RgbImage render_text(std::string_view text, Rgb colour, Rgb background = {}, int scale = 1, int margin = 2);

// ---- Colour bar ----------------------------------------------------------------------------------

struct ColorbarStyle {
  int height = 200;      // of the whole picture, text included (the bar takes what the text leaves)
  int thickness = 14;    // of the bar
  int ticks = 5;         // about this many labelled ticks, at round values
  std::string units;     // written above the bar ("ppb", "Hz", "1/s"); none when empty
  int text_scale = 1;
  Rgb text{255, 255, 255}, background{0, 0, 0};
};
/// Round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi], about `about` of them.
std::vector<double> nice_ticks(double lo, double hi, int about);
/// A tick value with as many decimals as the tick spacing needs ("-50", "0.25", "0").
std::string tick_label(double value, double step);
/// A vertical bar, window.hi at the top, with tick marks and labels on its right.
RgbImage render_colorbar(const Colormap& colormap, const DisplayWindow& window, const ColorbarStyle& style = {});

}  // namespace qsmtk
