#include "qsmtk/report/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "analysis/sorted_statistics.h"
#include "bitmap_font.h"

namespace qsmtk {

// ---- RgbImage -----------------------------------------------------------------------------------

RgbImage::RgbImage(int w, int h, Rgb fill) : width(w), height(h) {
  if (w < 0 || h < 0) throw std::invalid_argument("an image cannot have a negative size");
  rgb.resize(size_t(w) * size_t(h) * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = fill.r;
    rgb[i + 1] = fill.g;
    rgb[i + 2] = fill.b;
  }
}

Rgb RgbImage::at(int x, int y) const {
  const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
  return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

void RgbImage::set(int x, int y, Rgb c) {
  const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
  rgb[i] = c.r;
  rgb[i + 1] = c.g;
  rgb[i + 2] = c.b;
}

// ---- Colormaps ---------------------------------------------------------------------------------

namespace {
uint8_t mix_channel(uint8_t a, uint8_t b, double f) { return uint8_t(std::lround(a + f * (double(b) - double(a)))); }
Rgb mix(Rgb a, Rgb b, double f) { return {mix_channel(a.r, b.r, f), mix_channel(a.g, b.g, f), mix_channel(a.b, b.b, f)}; }
}  // namespace

Rgb Colormap::at(double t) const {
  if (stops.empty()) throw std::logic_error("colormap " + name + " has no colours");
  t = std::clamp(std::isnan(t) ? 0.0 : t, 0.0, 1.0);
  if (t <= stops.front().position) return stops.front().colour;
  for (size_t i = 0; i + 1 < stops.size(); ++i) {
    const ColorStop &a = stops[i], &b = stops[i + 1];
    if (t <= b.position) return b.position > a.position ? mix(a.colour, b.colour, (t - a.position) / (b.position - a.position)) : b.colour;
  }
  return stops.back().colour;
}

Colormap colormap(std::string_view name) {
  Colormap c;
  c.name = std::string(name);
  if (name == "gray") return c;
  if (name == "rdbu") {
    // Diverging, after ColorBrewer's RdBu (Brewer, colorbrewer2.org) turned round so that
    // paramagnetic (positive) is red; our own control points, pure white at 0.
    c.stops = {{0.0, {24, 54, 130}},     {0.15, {40, 100, 180}},  {0.3, {110, 165, 215}},
               {0.42, {200, 222, 238}},  {0.5, {255, 255, 255}},  {0.58, {245, 210, 195}},
               {0.7, {228, 140, 110}},   {0.85, {195, 50, 45}},   {1.0, {110, 10, 30}}};
    c.diverging = true;
    return c;
  }
  if (name == "hot") {
    // Like matplotlib's "hot": red, then green, then blue rise in turn (black-red-yellow-white).
    c.stops = {{0.0, {0, 0, 0}}, {0.375, {255, 0, 0}}, {0.75, {255, 255, 0}}, {1.0, {255, 255, 255}}};
    return c;
  }
  if (name == "viridis") {
    // matplotlib's viridis (van der Walt and Smith, 2015) sampled at nine points.
    c.stops = {{0.0, {68, 1, 84}},       {0.125, {71, 45, 123}},  {0.25, {59, 82, 139}},
               {0.375, {44, 114, 142}},  {0.5, {33, 144, 140}},   {0.625, {39, 173, 129}},
               {0.75, {93, 200, 99}},    {0.875, {170, 220, 50}}, {1.0, {253, 231, 37}}};
    return c;
  }
  std::string names;
  for (const std::string& n : colormap_names()) names += (names.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown colormap '" + std::string(name) + "' (choose " + names + ")");
}

std::vector<std::string> colormap_names() { return {"gray", "rdbu", "hot", "viridis"}; }

Rgb label_colour(int64_t label) {
  static const Rgb palette[10] = {{255, 220, 0},   {0, 220, 60},   {0, 220, 255},  {255, 0, 255},  {255, 140, 0},
                                  {160, 255, 60},  {160, 90, 255}, {255, 120, 180}, {0, 170, 150}, {200, 150, 60}};
  const int64_t id = label < 0 ? -label : label;
  return palette[(std::max<int64_t>(id, 1) - 1) % 10];
}

// ---- Window --------------------------------------------------------------------------------------

DisplayWindow robust_window(const Volume& image, const Mask* within, double low_percent, double high_percent,
                            bool symmetric) {
  if (within && within->dims() != image.dims())
    throw std::invalid_argument("window mask is " + within->grid().describe() + ", the image " + image.grid().describe());
  std::vector<double> values;
  for (int64_t v = 0; v < image.voxels(); ++v) {
    const float x = image[v];
    if (std::isfinite(x) && (within ? (*within)[v] != 0 : x != 0)) values.push_back(x);
  }
  DisplayWindow w;
  if (!values.empty()) {
    std::sort(values.begin(), values.end());
    w.lo = detail::percentile_sorted(values, low_percent / 100);
    w.hi = detail::percentile_sorted(values, high_percent / 100);
  }
  if (symmetric) {
    const double m = std::max(std::fabs(w.lo), std::fabs(w.hi));
    w = {-m, m};
  }
  if (!(w.hi > w.lo)) {  // constant image: a window around its value
    const double half = w.lo == 0 ? 1.0 : 0.5 * std::fabs(w.lo);
    w = {w.lo - half, w.lo + half};
  }
  return w;
}

// ---- Planes --------------------------------------------------------------------------------------

std::string to_string(Plane plane) {
  switch (plane) {
    case Plane::axial: return "axial";
    case Plane::coronal: return "coronal";
    case Plane::sagittal: return "sagittal";
  }
  return "?";
}

Plane plane_from_string(std::string_view name) {
  for (Plane p : {Plane::axial, Plane::coronal, Plane::sagittal})
    if (name == to_string(p)) return p;
  throw std::invalid_argument("unknown plane '" + std::string(name) + "' (choose axial, coronal, sagittal)");
}

namespace {
struct WorldDirection {
  int axis;  // world (RAS+) axis: 0 = x (towards the patient's right), 1 = y (anterior), 2 = z (superior)
  int sign;
};
struct PlaneDirections {
  WorldDirection column, row, slice;
};
// The neurological convention of render.h, as world directions of display columns, rows and slices.
PlaneDirections plane_directions(Plane plane) {
  switch (plane) {
    case Plane::axial: return {{0, +1}, {1, -1}, {2, +1}};
    case Plane::coronal: return {{0, +1}, {2, -1}, {1, +1}};
    case Plane::sagittal: return {{1, -1}, {2, -1}, {0, +1}};
  }
  throw std::logic_error("unknown plane");
}
}  // namespace

SliceAxes slice_axes(const Grid& grid, Plane plane) {
  const Mat3 r = grid.affine().linear();
  const Vec3 size = voxel_size_from_affine(grid);
  // cosine[w][a]: how far array axis a points along world axis w.
  double cosine[3][3];
  for (int w = 0; w < 3; ++w)
    for (int a = 0; a < 3; ++a) cosine[w][a] = size[a] > 0 ? r.m[w][a] / size[a] : (w == a);
  // The assignment of array axes to world axes with the largest total alignment: the closest axes
  // for oblique grids, the exact ones for any permutation or flip of the axes.
  int best[3] = {0, 1, 2}, perm[3] = {0, 1, 2};
  double best_score = -1;
  do {
    const double score = std::fabs(cosine[0][perm[0]]) + std::fabs(cosine[1][perm[1]]) + std::fabs(cosine[2][perm[2]]);
    if (score > best_score + 1e-12) {
      best_score = score;
      std::copy(perm, perm + 3, best);
    }
  } while (std::next_permutation(perm, perm + 3));

  const PlaneDirections d = plane_directions(plane);
  auto reversed = [&](const WorldDirection& dir) { return (cosine[dir.axis][best[dir.axis]] > 0) != (dir.sign > 0); };
  SliceAxes s;
  s.column_axis = best[d.column.axis];
  s.row_axis = best[d.row.axis];
  s.slice_axis = best[d.slice.axis];
  s.column_reversed = reversed(d.column);
  s.row_reversed = reversed(d.row);
  s.slice_reversed = reversed(d.slice);
  s.column_mm = size[s.column_axis];
  s.row_mm = size[s.row_axis];
  return s;
}

int64_t slice_count(const Grid& grid, Plane plane) { return grid.dims[slice_axes(grid, plane).slice_axis]; }

std::vector<int64_t> choose_slices(const Grid& grid, Plane plane, int count, const Mask* extent) {
  if (count < 1) throw std::invalid_argument("choose at least one slice");
  const SliceAxes a = slice_axes(grid, plane);
  const int64_t n = grid.dims[a.slice_axis];
  int64_t first = 0, last = n - 1;
  if (extent) {
    if (extent->dims() != grid.dims)
      throw std::invalid_argument("slice extent mask is " + extent->grid().describe() + ", the image " + grid.describe());
    int64_t lo = n, hi = -1;
    for (int64_t k = 0; k < grid.dims[2]; ++k)
      for (int64_t j = 0; j < grid.dims[1]; ++j)
        for (int64_t i = 0; i < grid.dims[0]; ++i)
          if ((*extent)(i, j, k)) {
            const int64_t s = a.slice_axis == 0 ? i : a.slice_axis == 1 ? j : k;
            lo = std::min(lo, s);
            hi = std::max(hi, s);
          }
    if (hi >= 0) first = lo, last = hi;
  }
  // Evenly spaced inside the extent, its end slices (often nearly empty) left out.
  std::vector<int64_t> slices;
  for (int i = 0; i < count; ++i) {
    const int64_t s = first + std::llround(double(last - first) * (i + 1) / (count + 1));
    if (slices.empty() || slices.back() != s) slices.push_back(s);
  }
  if (a.slice_reversed) std::reverse(slices.begin(), slices.end());
  return slices;
}

// ---- Slices --------------------------------------------------------------------------------------

namespace {
/// The voxels of one slice in display order (row-major, top row first), at their own resolution.
template <typename T>
std::vector<T> display_values(const Image<T>& image, const SliceAxes& a, int64_t slice, int64_t frame, int* width,
                              int* height) {
  const Dims& n = image.dims();
  if (slice < 0 || slice >= n[a.slice_axis])
    throw std::out_of_range("slice " + std::to_string(slice) + " is outside 0.." + std::to_string(n[a.slice_axis] - 1));
  if (frame < 0 || frame >= image.frames())
    throw std::out_of_range("frame " + std::to_string(frame) + " is outside 0.." + std::to_string(image.frames() - 1));
  const int64_t stride[3] = {1, n[0], n[0] * n[1]};
  const int64_t w = n[a.column_axis], h = n[a.row_axis];
  const int64_t base = frame * image.voxels() + slice * stride[a.slice_axis];
  std::vector<T> out(size_t(w * h));
  for (int64_t y = 0; y < h; ++y) {
    const int64_t row = (a.row_reversed ? h - 1 - y : y) * stride[a.row_axis];
    for (int64_t x = 0; x < w; ++x) {
      const int64_t col = (a.column_reversed ? w - 1 - x : x) * stride[a.column_axis];
      out[size_t(y * w + x)] = image.data()[base + row + col];
    }
  }
  *width = int(w);
  *height = int(h);
  return out;
}

/// Output pixels of a slice resampled to square pixels, and where each samples the slice.
struct PixelGrid {
  int source_width, source_height, width, height;
  double step_x, step_y;  // source pixels per output pixel
  double source_x(int x) const { return (x + 0.5) * step_x - 0.5; }
  double source_y(int y) const { return (y + 0.5) * step_y - 0.5; }
  int nearest_x(int x) const { return std::clamp(int(std::floor(source_x(x) + 0.5)), 0, source_width - 1); }
  int nearest_y(int y) const { return std::clamp(int(std::floor(source_y(y) + 0.5)), 0, source_height - 1); }
};

PixelGrid pixel_grid(int source_width, int source_height, double column_mm, double row_mm, double pixel_mm) {
  const double pixel = pixel_mm > 0 ? pixel_mm : std::min(column_mm, row_mm);
  PixelGrid g;
  g.source_width = source_width;
  g.source_height = source_height;
  g.width = std::max(1, int(std::lround(source_width * column_mm / pixel)));
  g.height = std::max(1, int(std::lround(source_height * row_mm / pixel)));
  if (int64_t(g.width) * g.height > (int64_t(1) << 28))
    throw std::invalid_argument("a slice of " + std::to_string(g.width) + "x" + std::to_string(g.height) +
                                " pixels is too large; choose a larger pixel size");
  // Spread the source exactly over the output, so rounding of the size never crops the slice.
  g.step_x = double(source_width) / g.width;
  g.step_y = double(source_height) / g.height;
  return g;
}

float bilinear(const SliceImage& s, double u, double v) {
  u = std::clamp(u, 0.0, double(s.width - 1));
  v = std::clamp(v, 0.0, double(s.height - 1));
  const int x0 = int(u), y0 = int(v), x1 = std::min(x0 + 1, s.width - 1), y1 = std::min(y0 + 1, s.height - 1);
  const double fx = u - x0, fy = v - y0;
  const double top = s.at(x0, y0) + fx * (s.at(x1, y0) - s.at(x0, y0));
  const double bottom = s.at(x0, y1) + fx * (s.at(x1, y1) - s.at(x0, y1));
  return float(top + fy * (bottom - top));
}

/// The overlay's label under each output pixel (nearest voxel).
std::vector<int64_t> overlay_labels(const Overlay& o, const SliceAxes& a, int64_t slice, const PixelGrid& g) {
  int w = 0, h = 0;
  std::vector<int64_t> source;
  if (o.labels) {
    const std::vector<int32_t> v = display_values(*o.labels, a, slice, 0, &w, &h);
    source.assign(v.begin(), v.end());
  } else {
    const std::vector<uint8_t> v = display_values(*o.mask, a, slice, 0, &w, &h);
    source.assign(v.begin(), v.end());
  }
  std::vector<int64_t> out(size_t(g.width) * size_t(g.height));
  for (int y = 0; y < g.height; ++y) {
    const int sy = g.nearest_y(y);
    for (int x = 0; x < g.width; ++x) out[size_t(y) * g.width + x] = source[size_t(sy) * w + g.nearest_x(x)];
  }
  return out;
}

void draw_overlay(RgbImage& picture, const Overlay& o, const std::vector<int64_t>& labels) {
  const int w = picture.width, h = picture.height;
  auto label = [&](int x, int y) { return labels[size_t(y) * w + x]; };
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int64_t l = label(x, y);
      if (l == 0) continue;
      // The inner edge: a labelled pixel with a 4-neighbour of another label or outside the picture.
      if (o.outline && x > 0 && y > 0 && x + 1 < w && y + 1 < h && label(x - 1, y) == l && label(x + 1, y) == l &&
          label(x, y - 1) == l && label(x, y + 1) == l)
        continue;
      const Rgb colour = (o.mask || o.single_colour) ? o.colour : label_colour(l);
      picture.set(x, y, mix(picture.at(x, y), colour, std::clamp(o.alpha, 0.0, 1.0)));
    }
}
}  // namespace

SliceImage extract_slice(const Volume& image, Plane plane, int64_t slice, int64_t frame) {
  const SliceAxes a = slice_axes(image.grid(), plane);
  SliceImage s;
  s.values = display_values(image, a, slice, frame, &s.width, &s.height);
  s.column_mm = a.column_mm;
  s.row_mm = a.row_mm;
  return s;
}

RgbImage render_slice(const Volume& image, Plane plane, int64_t slice, const SliceStyle& style,
                      const std::vector<Overlay>& overlays) {
  for (const Overlay& o : overlays) {
    if (!o.labels == !o.mask) throw std::invalid_argument("an overlay needs labels or a mask (one of them)");
    require_same_space(image.grid(), o.labels ? o.labels->grid() : o.mask->grid(), "overlay and image");
  }
  const SliceImage s = extract_slice(image, plane, slice);
  const PixelGrid g = pixel_grid(s.width, s.height, s.column_mm, s.row_mm, style.pixel_mm);
  const double lo = style.window.lo, range = style.window.hi - style.window.lo;
  if (!(range > 0)) throw std::invalid_argument("the display window needs lo < hi");
  RgbImage picture(g.width, g.height);
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x) {
      const float v = style.interpolation == Interpolation::bilinear ? bilinear(s, g.source_x(x), g.source_y(y))
                                                                     : s.at(g.nearest_x(x), g.nearest_y(y));
      picture.set(x, y, std::isfinite(v) ? style.colormap.at((v - lo) / range) : style.not_a_number);
    }
  const SliceAxes a = slice_axes(image.grid(), plane);
  for (const Overlay& o : overlays) draw_overlay(picture, o, overlay_labels(o, a, slice, g));
  return picture;
}

RgbImage render_strip(const Volume& image, Plane plane, const std::vector<int64_t>& slices, const SliceStyle& style,
                      const std::vector<Overlay>& overlays, int gap, Rgb background) {
  if (slices.empty()) throw std::invalid_argument("a strip needs at least one slice");
  std::vector<RgbImage> panels;
  for (int64_t s : slices) panels.push_back(render_slice(image, plane, s, style, overlays));
  return tile_images(panels, int(panels.size()), gap, background);
}

// ---- Layout --------------------------------------------------------------------------------------

void paste(RgbImage& canvas, const RgbImage& picture, int x, int y) {
  const int x0 = std::max(0, x), x1 = std::min(canvas.width, x + picture.width);
  for (int cy = std::max(0, y); cy < std::min(canvas.height, y + picture.height); ++cy)
    for (int cx = x0; cx < x1; ++cx) canvas.set(cx, cy, picture.at(cx - x, cy - y));
}

RgbImage tile_images(const std::vector<RgbImage>& panels, int columns, int gap, Rgb background) {
  if (panels.empty()) return {};
  const int n = int(panels.size());
  columns = std::clamp(columns, 1, n);
  const int rows = (n + columns - 1) / columns;
  std::vector<int> column_width(size_t(columns), 0), row_height(size_t(rows), 0);
  for (int i = 0; i < n; ++i) {
    column_width[size_t(i % columns)] = std::max(column_width[size_t(i % columns)], panels[size_t(i)].width);
    row_height[size_t(i / columns)] = std::max(row_height[size_t(i / columns)], panels[size_t(i)].height);
  }
  std::vector<int> column_x(size_t(columns), 0), row_y(size_t(rows), 0);
  for (int c = 1; c < columns; ++c) column_x[size_t(c)] = column_x[size_t(c - 1)] + column_width[size_t(c - 1)] + gap;
  for (int r = 1; r < rows; ++r) row_y[size_t(r)] = row_y[size_t(r - 1)] + row_height[size_t(r - 1)] + gap;
  RgbImage out(column_x.back() + column_width.back(), row_y.back() + row_height.back(), background);
  for (int i = 0; i < n; ++i) {
    const RgbImage& p = panels[size_t(i)];
    const int c = i % columns, r = i / columns;
    paste(out, p, column_x[size_t(c)] + (column_width[size_t(c)] - p.width) / 2,
          row_y[size_t(r)] + (row_height[size_t(r)] - p.height) / 2);
  }
  return out;
}

// ---- Text ----------------------------------------------------------------------------------------

namespace {
/// The text as font characters: one per UTF-8 code point, '?' for anything beyond ASCII.
std::string font_characters(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) out.push_back(char(c));
    else if (c >= 0xC0) out.push_back('?');  // a multi-byte sequence starts; its continuation bytes are skipped
  }
  return out;
}
}  // namespace

int text_width(std::string_view text, int scale) {
  const size_t n = font_characters(text).size();
  return n == 0 ? 0 : int(n) * kGlyphAdvance * scale - (kGlyphAdvance - kGlyphWidth) * scale;
}

void draw_text(RgbImage& canvas, int x, int y, std::string_view text, Rgb colour, int scale) {
  int pen = x;
  for (char c : font_characters(text)) {
    const detail::Glyph g = detail::glyph(c);
    for (int gy = 0; gy < kGlyphHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx) {
        if (!(g.rows[size_t(gy)] & (1u << (kGlyphWidth - 1 - gx)))) continue;
        for (int sy = 0; sy < scale; ++sy)
          for (int sx = 0; sx < scale; ++sx) {
            const int px = pen + gx * scale + sx, py = y + (g.drop + gy) * scale + sy;
            if (px >= 0 && py >= 0 && px < canvas.width && py < canvas.height) canvas.set(px, py, colour);
          }
      }
    pen += kGlyphAdvance * scale;
  }
}

RgbImage render_text(std::string_view text, Rgb colour, Rgb background, int scale, int margin) {
  RgbImage out(text_width(text, scale) + 2 * margin, kLineHeight * scale + 2 * margin, background);
  draw_text(out, margin, margin, text, colour, scale);
  return out;
}

// ---- Colour bar ----------------------------------------------------------------------------------

namespace {
double nice_step(double range, int about) {
  const double raw = range / std::max(1, about - 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}
}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int about) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return {lo};
  const double step = nice_step(hi - lo, std::max(2, about));
  std::vector<double> ticks;
  const double tolerance = 1e-9 * step;
  for (int64_t k = int64_t(std::ceil((lo - tolerance) / step)); k * step <= hi + tolerance; ++k)
    ticks.push_back(k == 0 ? 0.0 : double(k) * step);  // k * step, not a running sum: no drift
  return ticks;
}

std::string tick_label(double value, double step) {
  const int decimals = step > 0 ? std::max(0, -int(std::floor(std::log10(step) + 1e-9))) : 0;
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string s = text;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // no "-0"
  return s;
}

RgbImage render_colorbar(const Colormap& colormap, const DisplayWindow& window, const ColorbarStyle& style) {
  if (!(window.hi > window.lo)) throw std::invalid_argument("the colour bar needs a window with lo < hi");
  const int scale = std::max(1, style.text_scale), text_h = kGlyphHeight * scale, pad = 3 * scale;
  const int tick_length = 3 * scale;
  // Room above for the units and half the top label, below for half the bottom label (tick labels
  // are digits: no descenders).
  const int top = pad + (style.units.empty() ? 0 : kLineHeight * scale + pad) + text_h / 2 + 1;
  const int bottom = text_h / 2 + pad + 1;
  const int length = std::max(8, style.height - top - bottom);
  const int bar_x = pad + 1, thickness = std::max(2, style.thickness);
  const int label_x = bar_x + thickness + 1 + tick_length + 2 * scale;

  const std::vector<double> ticks = nice_ticks(window.lo, window.hi, style.ticks);
  const double step = ticks.size() >= 2 ? ticks[1] - ticks[0] : window.hi - window.lo;
  std::vector<std::string> labels;
  int label_w = 0;
  for (double t : ticks) {
    labels.push_back(tick_label(t, step));
    label_w = std::max(label_w, text_width(labels.back(), scale));
  }
  const int width = std::max(label_x + label_w + pad, pad + text_width(style.units, scale) + pad);
  RgbImage out(width, top + length + bottom, style.background);

  // Frame, then the colours: hi at the top row, lo at the bottom row, exactly.
  for (int y = top - 1; y <= top + length; ++y)
    for (int x = bar_x - 1; x <= bar_x + thickness; ++x) out.set(x, y, style.text);
  for (int y = 0; y < length; ++y) {
    const Rgb c = colormap.at(length > 1 ? 1.0 - double(y) / (length - 1) : 1.0);
    for (int x = 0; x < thickness; ++x) out.set(bar_x + x, top + y, c);
  }
  const double range = window.hi - window.lo;
  for (size_t i = 0; i < ticks.size(); ++i) {
    const int y = top + int(std::lround((1.0 - (ticks[i] - window.lo) / range) * (length - 1)));
    for (int x = 0; x < tick_length; ++x)
      for (int w = 0; w < scale; ++w) out.set(bar_x + thickness + 1 + x, std::min(y + w, out.height - 1), style.text);
    draw_text(out, label_x, y - text_h / 2, labels[i], style.text, scale);
  }
  if (!style.units.empty()) draw_text(out, pad, pad, style.units, style.text, scale);
  return out;
}

}  // namespace qsmtk
