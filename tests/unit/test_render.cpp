// Figure rendering (report/render.h) and PNG output (io/png.h): the PNG decodes to the same pixels
// with a reader written here against the spec, slices show the same anatomy in the same place for
// any array order or flip of the affine, anisotropic voxels keep their aspect, outlines sit exactly
// on a label's edge, and the colour bar carries its tick labels.
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "qsmtk/io/png.h"
#include "qsmtk/report/render.h"
#include "test_util.h"

namespace qsmtk {
namespace {

// ---- A small PNG reader (8-bit RGB, all five row filters), independent of the encoder ------------

uint32_t read_u32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

struct Chunk {
  std::string type, data;
};

std::vector<Chunk> png_chunks(const std::string& png) {
  EXPECT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<Chunk> chunks;
  size_t at = 8;
  while (at + 12 <= png.size()) {
    const uint32_t length = read_u32(png, at);
    Chunk c{png.substr(at + 4, 4), png.substr(at + 8, length)};
    const uint32_t crc = read_u32(png, at + 8 + length);
    const auto* typed = reinterpret_cast<const Bytef*>(png.data() + at + 4);
    EXPECT_EQ(crc, uint32_t(crc32(crc32(0L, Z_NULL, 0), typed, uInt(4 + length)))) << "CRC of " << c.type;
    chunks.push_back(c);
    at += 12 + length;
  }
  EXPECT_EQ(at, png.size()) << "trailing bytes";
  return chunks;
}

RgbImage decode_png(const std::string& png) {
  const std::vector<Chunk> chunks = png_chunks(png);
  EXPECT_GE(chunks.size(), 3u);
  EXPECT_EQ(chunks.front().type, "IHDR");
  EXPECT_EQ(chunks.back().type, "IEND");
  EXPECT_TRUE(chunks.back().data.empty());
  const std::string& h = chunks.front().data;
  EXPECT_EQ(h.size(), 13u);
  RgbImage image;
  image.width = int(read_u32(h, 0));
  image.height = int(read_u32(h, 4));
  EXPECT_EQ(h[8], 8) << "bit depth";
  EXPECT_EQ(h[9], 2) << "colour type RGB";
  EXPECT_EQ(h[10], 0) << "compression";
  EXPECT_EQ(h[11], 0) << "filter method";
  EXPECT_EQ(h[12], 0) << "interlace";
  std::string deflated;
  for (const Chunk& c : chunks)
    if (c.type == "IDAT") deflated += c.data;
  const size_t stride = size_t(image.width) * 3;
  std::vector<uint8_t> raw((stride + 1) * size_t(image.height));
  uLongf raw_size = uLongf(raw.size());
  EXPECT_EQ(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(deflated.data()), uLong(deflated.size())),
            Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  image.rgb.assign(stride * size_t(image.height), 0);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t filter = raw[size_t(y) * (stride + 1)];
    const uint8_t* in = raw.data() + size_t(y) * (stride + 1) + 1;
    uint8_t* out = image.rgb.data() + size_t(y) * stride;
    const uint8_t* up = y > 0 ? out - stride : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= 3 ? out[i - 3] : 0, b = up ? up[i] : 0, c = (up && i >= 3) ? up[i - 3] : 0;
      int predictor = 0;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: ADD_FAILURE() << "filter type " << int(filter); return image;
      }
      out[i] = uint8_t(in[i] + predictor);
    }
  }
  return image;
}

/// Smooth ramps (which favour the sub, up and Paeth filters) and noise (which favours none).
RgbImage test_picture(int w, int h) {
  RgbImage p(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool noisy = y % 7 == 3;
      const uint32_t hash = uint32_t(x * 2654435761u) ^ uint32_t(y * 40503u);
      p.set(x, y, noisy ? Rgb{uint8_t(hash), uint8_t(hash >> 8), uint8_t(hash >> 16)}
                        : Rgb{uint8_t(x * 255 / std::max(1, w - 1)), uint8_t(y * 11), uint8_t(x * y)});
    }
  return p;
}

TEST(PngEncode, RoundTripThroughAnIndependentDecoder) {
  for (auto [w, h] : {std::pair{1, 1}, std::pair{37, 23}, std::pair{300, 4}}) {
    const RgbImage picture = test_picture(w, h);
    const RgbImage back = decode_png(encode_png(picture));
    EXPECT_EQ(back.width, w);
    EXPECT_EQ(back.height, h);
    EXPECT_EQ(back.rgb, picture.rgb) << w << "x" << h;
  }
}

TEST(PngEncode, CompressesSmoothImages) {
  RgbImage ramp(256, 256);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) ramp.set(x, y, {uint8_t(x), uint8_t(y), 128});
  EXPECT_LT(encode_png(ramp).size(), ramp.rgb.size() / 20);  // row filters turn ramps into constants
}

TEST(PngEncode, RefusesEmptyOrInconsistentImages) {
  EXPECT_NE(test::error_of([] { encode_png(RgbImage{}); }).find("empty"), std::string::npos);
  RgbImage bad(4, 4);
  bad.rgb.pop_back();
  EXPECT_NE(test::error_of([&] { encode_png(bad); }).find("4x4"), std::string::npos);
}

TEST(PngEncode, WritesTheFileAtomically) {
  test::TempDir dir;
  const RgbImage picture = test_picture(20, 10);
  write_png(dir.file("figure.png"), picture);
  std::ifstream f(dir.file("figure.png"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, encode_png(picture));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 1) << "a temporary file was left";
  const std::string missing = dir.file("no/such/folder/figure.png");
  EXPECT_NE(test::error_of([&] { write_png(missing, picture); }).find(missing), std::string::npos);
}

// ---- Colormaps, windows, text ------------------------------------------------------------------

TEST(RenderColormap, EndpointsAndMidpointAreExact) {
  const Colormap gray = colormap("gray");
  EXPECT_EQ(gray.at(0), (Rgb{0, 0, 0}));
  EXPECT_EQ(gray.at(1), (Rgb{255, 255, 255}));
  EXPECT_EQ(gray.at(0.5), (Rgb{128, 128, 128}));  // 127.5 rounds up
  EXPECT_EQ(gray.at(-3), gray.at(0));
  EXPECT_EQ(gray.at(7), gray.at(1));

  const Colormap rdbu = colormap("rdbu");
  EXPECT_TRUE(rdbu.diverging);
  EXPECT_EQ(rdbu.at(0.5), (Rgb{255, 255, 255}));  // chi 0 is white
  EXPECT_EQ(rdbu.at(0), rdbu.stops.front().colour);
  EXPECT_EQ(rdbu.at(1), rdbu.stops.back().colour);
  EXPECT_GT(rdbu.at(0).b, rdbu.at(0).r);  // negative (diamagnetic) blue
  EXPECT_GT(rdbu.at(1).r, rdbu.at(1).b);  // positive (paramagnetic) red

  const Colormap hot = colormap("hot");
  EXPECT_FALSE(hot.diverging);
  EXPECT_EQ(hot.at(0), (Rgb{0, 0, 0}));
  EXPECT_EQ(hot.at(0.375), (Rgb{255, 0, 0}));
  EXPECT_EQ(hot.at(0.75), (Rgb{255, 255, 0}));
  EXPECT_EQ(hot.at(1), (Rgb{255, 255, 255}));

  const Colormap viridis = colormap("viridis");
  EXPECT_EQ(viridis.at(0), (Rgb{68, 1, 84}));
  EXPECT_EQ(viridis.at(0.5), (Rgb{33, 144, 140}));
  EXPECT_EQ(viridis.at(1), (Rgb{253, 231, 37}));

  for (const std::string& name : colormap_names()) EXPECT_EQ(colormap(name).name, name);
  EXPECT_NE(test::error_of([] { colormap("jet"); }).find("gray, rdbu, hot, viridis"), std::string::npos);
}

TEST(RenderColormap, LabelColoursAreDistinct) {
  for (int a = 1; a <= 10; ++a)
    for (int b = a + 1; b <= 10; ++b) EXPECT_FALSE(label_colour(a) == label_colour(b)) << a << " " << b;
  EXPECT_EQ(label_colour(11), label_colour(1));
}

TEST(RenderWindow, PercentilesInsideTheMaskOrOfNonzeroVoxels) {
  Volume v(Grid::centred({10, 10, 2}, {1, 1, 1}));
  Mask m(v.grid());
  for (int64_t n = 0; n < 100; ++n) {
    v[n] = float(n + 1);  // 1..100 in the first slice
    m[n] = 1;
  }
  for (int64_t n = 100; n < 200; ++n) v[n] = 1000;  // outside the mask
  const DisplayWindow w = robust_window(v, &m);
  EXPECT_NEAR(w.lo, 2.98, 1e-9);  // NumPy's default percentile of 1..100
  EXPECT_NEAR(w.hi, 98.02, 1e-9);
  EXPECT_EQ(robust_window(v).hi, 1000);  // without the mask: every nonzero voxel
  const DisplayWindow s = robust_window(v, &m, 2, 98, true);
  EXPECT_DOUBLE_EQ(s.lo, -s.hi);
  EXPECT_NEAR(s.hi, 98.02, 1e-9);
  Volume flat(v.grid(), 1, 5.0f);
  const DisplayWindow f = robust_window(flat);
  EXPECT_LT(f.lo, 5);
  EXPECT_GT(f.hi, 5);
}

TEST(RenderText, WidthsAndGlyphs) {
  EXPECT_EQ(text_width(""), 0);
  EXPECT_EQ(text_width("ppb"), 3 * kGlyphAdvance - 1);
  EXPECT_EQ(text_width("1/s", 2), 2 * (3 * kGlyphAdvance - 1));
  EXPECT_EQ(text_width("\xcf\x87"), kGlyphWidth);  // UTF-8 chi: one '?' glyph
  const RgbImage t = render_text("Hz", {255, 255, 255}, {}, 1, 0);
  EXPECT_EQ(t.width, text_width("Hz"));
  EXPECT_EQ(t.height, kLineHeight);
  const RgbImage p = render_text("p", {255, 255, 255}, {}, 1, 0);
  EXPECT_EQ(p.at(0, 0), (Rgb{0, 0, 0}));  // the x-height starts 2 rows down
  EXPECT_EQ(p.at(0, 2), (Rgb{255, 255, 255}));
  EXPECT_EQ(p.at(0, kLineHeight - 1), (Rgb{255, 255, 255}));  // the stem hangs below the baseline
  EXPECT_EQ(t.at(0, 0), (Rgb{255, 255, 255}));  // H's left stem
  EXPECT_EQ(t.at(2, 0), (Rgb{0, 0, 0}));
  EXPECT_EQ(t.at(2, 3), (Rgb{255, 255, 255}));  // H's bar
  // Every printable character has ink except the space.
  for (char c = 33; c < 127; ++c) {
    const RgbImage g = render_text(std::string(1, c), {255, 255, 255}, {}, 1, 0);
    EXPECT_NE(std::count(g.rgb.begin(), g.rgb.end(), 255), 0) << c;
  }
}

// ---- Slices in the display convention ---------------------------------------------------------

/// Pixels brighter than half.
std::vector<std::pair<int, int>> bright_pixels(const RgbImage& p) {
  std::vector<std::pair<int, int>> out;
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x)
      if (p.at(x, y).r > 127) out.push_back({x, y});
  return out;
}

SliceStyle unit_style() {
  SliceStyle s;
  s.window = {0, 1};
  s.pixel_mm = 1;
  return s;
}

/// A grid whose array axes are `rotation`'s columns (a permutation with signs), sized so that it
/// covers the same world box as the axis-aligned `world_dims` grid, and its voxel index of world
/// position p.
Grid rotated_grid(const Dims& world_dims, const Mat3& rotation) {
  Dims d{};
  for (int a = 0; a < 3; ++a)
    for (int w = 0; w < 3; ++w)
      if (std::fabs(rotation.m[w][a]) > 0.5) d[a] = world_dims[w];
  return Grid::centred(d, {1, 1, 1}, rotation);
}
Dims index_of(const Grid& g, const Vec3& world) {
  const Vec3 v = g.affine().inverse().apply(world);
  return {std::llround(v[0]), std::llround(v[1]), std::llround(v[2])};
}

TEST(RenderSlice, BrightVoxelLandsAtTheExpectedPixelInEachPlane) {
  // Identity affine (x right, y anterior, z superior); voxel (2, 3, 4) of 10x12x14.
  Volume v(Grid::centred({10, 12, 14}, {1, 1, 1}));
  v(2, 3, 4) = 1;
  const SliceStyle s = unit_style();
  const RgbImage axial = render_slice(v, Plane::axial, 4, s);
  EXPECT_EQ(axial.width, 10);
  EXPECT_EQ(axial.height, 12);
  EXPECT_EQ(bright_pixels(axial), (std::vector<std::pair<int, int>>{{2, 12 - 1 - 3}}));  // anterior up
  const RgbImage coronal = render_slice(v, Plane::coronal, 3, s);
  EXPECT_EQ(coronal.width, 10);
  EXPECT_EQ(coronal.height, 14);
  EXPECT_EQ(bright_pixels(coronal), (std::vector<std::pair<int, int>>{{2, 14 - 1 - 4}}));  // superior up
  const RgbImage sagittal = render_slice(v, Plane::sagittal, 2, s);
  EXPECT_EQ(sagittal.width, 12);
  EXPECT_EQ(sagittal.height, 14);
  EXPECT_EQ(bright_pixels(sagittal), (std::vector<std::pair<int, int>>{{12 - 1 - 3, 14 - 1 - 4}}));  // anterior left
  // Other slices are dark.
  EXPECT_TRUE(bright_pixels(render_slice(v, Plane::axial, 5, s)).empty());
  EXPECT_NE(test::error_of([&] { render_slice(v, Plane::axial, 14, s); }).find("outside 0..13"), std::string::npos);
}

TEST(RenderSlice, FlippedAndRotatedAffinesShowTheSameAnatomy) {
  const Dims world_dims{10, 12, 14};
  const Grid reference = Grid::centred(world_dims, {1, 1, 1});
  const Vec3 bright_world = reference.affine().apply({2, 3, 4});
  Mat3 permuted;  // array axes: i along -z, j along +x, k along -y
  permuted.m = {{{0, 1, 0}, {0, 0, -1}, {-1, 0, 0}}};
  const std::vector<std::pair<std::string, Mat3>> orientations = {
      {"x flipped", Mat3::diagonal({-1, 1, 1})},
      {"all flipped", Mat3::diagonal({-1, -1, -1})},
      {"90 degrees about z", Mat3::rotation({0, 0, 1}, M_PI / 2)},
      {"90 degrees about x", Mat3::rotation({1, 0, 0}, M_PI / 2)},
      {"permuted", permuted}};
  // Reference images: a bright voxel and a pattern that differs under every flip.
  auto pattern = [](const Vec3& w) {
    const int64_t x = std::llround(2 * w[0]), y = std::llround(2 * w[1]), z = std::llround(2 * w[2]);
    return float(((x * 73856093) ^ (y * 19349663) ^ (z * 83492791)) & 0xff) / 255.0f;
  };
  auto fill = [&](const Grid& g) {
    Volume v(g);
    for (int64_t k = 0; k < g.dims[2]; ++k)
      for (int64_t j = 0; j < g.dims[1]; ++j)
        for (int64_t i = 0; i < g.dims[0]; ++i)
          v(i, j, k) = pattern(g.affine().apply({double(i), double(j), double(k)}));
    return v;
  };
  Volume ref_bright(reference);
  ref_bright(2, 3, 4) = 1;
  const Volume ref_pattern = fill(reference);
  const SliceStyle s = unit_style();
  for (const auto& [name, rotation] : orientations) {
    SCOPED_TRACE(name);
    const Grid g = rotated_grid(world_dims, rotation);
    Volume bright(g);
    const Dims at = index_of(g, bright_world);
    bright(at[0], at[1], at[2]) = 1;
    const Volume pat = fill(g);
    for (Plane p : {Plane::axial, Plane::coronal, Plane::sagittal}) {
      SCOPED_TRACE(to_string(p));
      const int64_t ref_slice = p == Plane::axial ? 4 : p == Plane::coronal ? 3 : 2;
      const int64_t slice = at[slice_axes(g, p).slice_axis];
      EXPECT_EQ(slice_count(g, p), slice_count(reference, p));
      EXPECT_EQ(bright_pixels(render_slice(bright, p, slice, s)), bright_pixels(render_slice(ref_bright, p, ref_slice, s)));
      for (int64_t n : {int64_t(0), slice_count(g, p) / 2, slice_count(g, p) - 1}) {
        // Slice n of the reference in display order is the same world plane as slice m here.
        const SliceAxes ra = slice_axes(reference, p), ga = slice_axes(g, p);
        const int64_t count = slice_count(g, p);
        const int64_t display = ra.slice_reversed ? count - 1 - n : n;
        const int64_t m = ga.slice_reversed ? count - 1 - display : display;
        EXPECT_EQ(render_slice(pat, p, m, s).rgb, render_slice(ref_pattern, p, n, s).rgb) << "slice " << n;
      }
    }
  }
}

TEST(RenderSlice, ObliqueGridsShowTheClosestPlane) {
  const SliceAxes slight = slice_axes(Grid::centred({8, 8, 8}, {1, 1, 1}, Mat3::rotation({1, 0, 0}, 20 * M_PI / 180)),
                                      Plane::axial);
  EXPECT_EQ(slight.slice_axis, 2);
  EXPECT_EQ(slight.column_axis, 0);
  EXPECT_EQ(slight.row_axis, 1);
  EXPECT_TRUE(slight.row_reversed);  // anterior (+y) at the top
  // Tilted 70 degrees about x: array j is mostly superior, k mostly posterior.
  const SliceAxes steep = slice_axes(Grid::centred({8, 8, 8}, {1, 1, 1}, Mat3::rotation({1, 0, 0}, 70 * M_PI / 180)),
                                     Plane::axial);
  EXPECT_EQ(steep.slice_axis, 1);
  EXPECT_FALSE(steep.slice_reversed);
  EXPECT_EQ(steep.row_axis, 2);
  EXPECT_FALSE(steep.row_reversed);  // k runs posterior, down the display
}

TEST(RenderSlice, AnisotropicVoxelsKeepTheirAspect) {
  Volume v(Grid::centred({8, 10, 6}, {1, 1, 3}));
  v(2, 4, 2) = 1;
  const SliceStyle s = unit_style();
  const RgbImage coronal = render_slice(v, Plane::coronal, 4, s);
  EXPECT_EQ(coronal.width, 8);
  EXPECT_EQ(coronal.height, 18);  // 6 slices of 3 mm at 1 mm pixels
  EXPECT_EQ(bright_pixels(coronal),
            (std::vector<std::pair<int, int>>{{2, 9}, {2, 10}, {2, 11}}));  // slice 2 from the bottom, 3 pixels tall
  const RgbImage sagittal = render_slice(v, Plane::sagittal, 2, s);
  EXPECT_EQ(sagittal.width, 10);
  EXPECT_EQ(sagittal.height, 18);
  const RgbImage axial = render_slice(v, Plane::axial, 2, s);
  EXPECT_EQ(axial.width, 8);
  EXPECT_EQ(axial.height, 10);
  // Default pixel size: the finer in-plane spacing; a finer pixel scales both sides.
  SliceStyle fine = s;
  fine.pixel_mm = 0;
  EXPECT_EQ(render_slice(v, Plane::coronal, 4, fine).height, 18);
  fine.pixel_mm = 0.5;
  const RgbImage zoomed = render_slice(v, Plane::coronal, 4, fine);
  EXPECT_EQ(zoomed.width, 16);
  EXPECT_EQ(zoomed.height, 36);
  EXPECT_EQ(bright_pixels(zoomed).size(), 2u * 6u);
  // In-plane anisotropy too: 0.5 x 1 mm voxels.
  Volume w(Grid::centred({8, 8, 4}, {0.5, 1, 1}));
  const RgbImage a = render_slice(w, Plane::axial, 1, unit_style());
  EXPECT_EQ(a.width, 4);
  EXPECT_EQ(a.height, 8);
}

TEST(RenderSlice, BilinearInterpolationBlendsNeighbours) {
  Volume v(Grid::centred({2, 2, 2}, {1, 1, 1}));
  v(1, 0, 0) = 1;
  v(1, 1, 0) = 1;
  SliceStyle s = unit_style();
  s.pixel_mm = 0.25;
  s.interpolation = Interpolation::bilinear;
  const RgbImage p = render_slice(v, Plane::axial, 0, s);
  ASSERT_EQ(p.width, 8);
  EXPECT_EQ(p.at(0, 4).r, 0);    // clamped at the dark column
  EXPECT_EQ(p.at(7, 4).r, 255);  // and the bright one
  EXPECT_GT(p.at(4, 4).r, 0);
  EXPECT_LT(p.at(4, 4).r, 255);
  EXPECT_LE(p.at(3, 4).r, p.at(4, 4).r);
}

TEST(RenderSlice, NonFiniteVoxelsGetTheirOwnColour) {
  Volume v(Grid::centred({3, 3, 3}, {1, 1, 1}));
  v(1, 1, 1) = NAN;
  SliceStyle s = unit_style();
  s.not_a_number = {0, 255, 0};
  EXPECT_EQ(render_slice(v, Plane::axial, 1, s).at(1, 1), (Rgb{0, 255, 0}));
}

// ---- Overlays ----------------------------------------------------------------------------------

TEST(RenderOverlay, OutlinesSitExactlyOnTheEdgeOfALabel) {
  Volume v(Grid::centred({12, 12, 5}, {1, 1, 1}));
  LabelImage labels(v.grid());
  for (int64_t j = 2; j <= 8; ++j)
    for (int64_t i = 3; i <= 7; ++i) labels(i, j, 2) = 4;
  Overlay o;
  o.labels = &labels;
  const RgbImage p = render_slice(v, Plane::axial, 2, unit_style(), {o});
  // Display x = i, y = 11 - j: the box spans x 3..7, y 3..9.
  int outline = 0;
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x) {
      const bool inside = x >= 3 && x <= 7 && y >= 3 && y <= 9;
      const bool edge = inside && (x == 3 || x == 7 || y == 3 || y == 9);
      EXPECT_EQ(p.at(x, y), edge ? label_colour(4) : Rgb{}) << x << "," << y;
      outline += edge;
    }
  EXPECT_EQ(outline, 2 * 5 + 2 * 5);

  // At twice the resolution the outline stays one pixel thick, on the inner edge.
  SliceStyle fine = unit_style();
  fine.pixel_mm = 0.5;
  const RgbImage z = render_slice(v, Plane::axial, 2, fine, {o});
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x) {
      const bool inside = x >= 6 && x <= 15 && y >= 6 && y <= 19;
      const bool edge = inside && (x == 6 || x == 15 || y == 6 || y == 19);
      EXPECT_EQ(z.at(x, y), edge ? label_colour(4) : Rgb{}) << x << "," << y;
    }

  // Filled with alpha over a gray base; a mask overlay in its own colour.
  Volume half(v.grid(), 1, 0.5f);
  Overlay filled = o;
  filled.outline = false;
  filled.alpha = 0.5;
  const RgbImage f = render_slice(half, Plane::axial, 2, unit_style(), {filled});
  const Rgb base = colormap("gray").at(0.5), c = label_colour(4);
  auto blend = [](uint8_t a, uint8_t b) { return uint8_t(std::lround(a + 0.5 * (double(b) - a))); };
  EXPECT_EQ(f.at(5, 6), (Rgb{blend(base.r, c.r), blend(base.g, c.g), blend(base.b, c.b)}));
  EXPECT_EQ(f.at(0, 0), base);
  Mask m(v.grid());
  m(0, 0, 2) = 1;  // a corner voxel: display (0, 11)
  Overlay mo;
  mo.mask = &m;
  mo.colour = {1, 2, 3};
  EXPECT_EQ(render_slice(v, Plane::axial, 2, unit_style(), {mo}).at(0, 11), (Rgb{1, 2, 3}));
  // Overlays must be on the image's grid.
  LabelImage other(Grid::centred({12, 12, 6}, {1, 1, 1}));
  Overlay wrong;
  wrong.labels = &other;
  EXPECT_FALSE(test::error_of([&] { render_slice(v, Plane::axial, 2, unit_style(), {wrong}); }).empty());
}

// ---- Slice choice, tiling, colour bar ----------------------------------------------------------

TEST(RenderLayout, SlicesEvenlyThroughTheMaskExtent) {
  const Grid g = Grid::centred({8, 8, 40}, {1, 1, 1});
  Mask m(g);
  for (int64_t k = 10; k <= 29; ++k) m(4, 4, k) = 1;
  EXPECT_EQ(choose_slices(g, Plane::axial, 1, &m), (std::vector<int64_t>{20}));
  EXPECT_EQ(choose_slices(g, Plane::axial, 4, &m), (std::vector<int64_t>{14, 18, 21, 25}));
  EXPECT_EQ(choose_slices(g, Plane::axial, 1), (std::vector<int64_t>{20}));  // 0..39 without a mask
  EXPECT_EQ(choose_slices(g, Plane::coronal, 1, &m), (std::vector<int64_t>{4}));
  EXPECT_EQ(choose_slices(g, Plane::axial, 100, &m).size(), 20u);  // no duplicates
  // A grid whose k runs inferior: still listed inferior to superior.
  const Grid down = Grid::centred({8, 8, 40}, {1, 1, 1}, Mat3::diagonal({1, 1, -1}));
  Mask md(down);
  for (int64_t k = 10; k <= 29; ++k) md(4, 4, k) = 1;
  EXPECT_EQ(choose_slices(down, Plane::axial, 4, &md), (std::vector<int64_t>{25, 21, 18, 14}));
}

TEST(RenderLayout, TilesPanelsInAGrid) {
  const RgbImage a(3, 2, {10, 0, 0}), b(5, 4, {20, 0, 0}), c(2, 2, {30, 0, 0});
  const RgbImage t = tile_images({a, b, c}, 2, 1, {1, 1, 1});
  EXPECT_EQ(t.width, 3 + 1 + 5);
  EXPECT_EQ(t.height, 4 + 1 + 2);
  EXPECT_EQ(t.at(0, 1), (Rgb{10, 0, 0}));  // a centred vertically in a 4-pixel row: rows 1..2
  EXPECT_EQ(t.at(0, 0), (Rgb{1, 1, 1}));
  EXPECT_EQ(t.at(4, 0), (Rgb{20, 0, 0}));
  EXPECT_EQ(t.at(3, 0), (Rgb{1, 1, 1}));  // the gap
  EXPECT_EQ(t.at(1, 5), (Rgb{30, 0, 0}));  // c in the 3-pixel column, its spare pixel on the right
  EXPECT_EQ(t.at(2, 5), (Rgb{1, 1, 1}));
  Volume v(Grid::centred({6, 5, 4}, {1, 1, 1}));
  const RgbImage strip = render_strip(v, Plane::axial, {0, 1, 2}, unit_style(), {}, 2);
  EXPECT_EQ(strip.width, 3 * 6 + 2 * 2);
  EXPECT_EQ(strip.height, 5);
}

TEST(RenderColorbar, TicksAtRoundValuesWithLabels) {
  EXPECT_EQ(nice_ticks(-100, 100, 5), (std::vector<double>{-100, -50, 0, 50, 100}));
  EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(nice_ticks(-0.13, 0.13, 5).front(), -0.1);
  EXPECT_EQ(tick_label(-50, 50), "-50");
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0");
  EXPECT_EQ(tick_label(2000, 500), "2000");

  ColorbarStyle style;
  style.height = 160;
  style.units = "ppb";
  const Colormap rdbu = colormap("rdbu");
  const RgbImage bar = render_colorbar(rdbu, {-100, 100}, style);
  EXPECT_EQ(bar.height, 160);
  // The bar's own colours run from hi at the top to lo at the bottom.
  const int x = 3 + 1 + style.thickness / 2;
  int top = 0;
  while (top < bar.height && !(bar.at(x, top) == rdbu.at(1))) ++top;
  ASSERT_LT(top, bar.height);
  int bottom = bar.height - 1;
  while (bottom > 0 && !(bar.at(x, bottom) == rdbu.at(0))) --bottom;
  EXPECT_GT(bottom - top, 100);
  for (int y = top; y <= bottom; y += 7) EXPECT_EQ(bar.at(x, y), rdbu.at(1.0 - double(y - top) / (bottom - top))) << y;
  // Tick labels: text-coloured pixels right of the bar along its length, and the units above it.
  const Rgb white{255, 255, 255};
  int label_ink = 0, units_ink = 0;
  for (int y = 0; y < bar.height; ++y)
    for (int px = 0; px < bar.width; ++px) {
      if (!(bar.at(px, y) == white)) continue;
      if (px > 3 + 1 + style.thickness + 4 && y >= top - 4) ++label_ink;
      if (y < top - 4) ++units_ink;
    }
  EXPECT_GT(label_ink, 5 * 10);  // five labels of a few glyphs
  EXPECT_GT(units_ink, 10);
  // Each tick's label sits at its height: ink around the middle (0) row.
  int middle_ink = 0;
  for (int y = (top + bottom) / 2 - 3; y <= (top + bottom) / 2 + 3; ++y)
    for (int px = 3 + 1 + style.thickness + 4; px < bar.width; ++px) middle_ink += bar.at(px, y) == white;
  EXPECT_GT(middle_ink, 5);
  EXPECT_NE(test::error_of([&] { render_colorbar(rdbu, {1, 1}, style); }).find("lo < hi"), std::string::npos);
}

}  // namespace
}  // namespace qsmtk
