#include "qsmtk/io/png.h"

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "qsmtk/io/atomic_file.h"
#include "qsmtk/report/render.h"

namespace qsmtk {
namespace {

void append_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xff));
}

/// length, type, data, CRC-32 of type + data (PNG spec, section 5.3).
void append_chunk(std::string& out, const char type[4], const std::string& data) {
  append_u32(out, uint32_t(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out += data;
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + type_at);
  append_u32(out, uint32_t(crc32(crc32(0L, Z_NULL, 0), bytes, uInt(4 + data.size()))));
}

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/// Each row with the filter (none, sub, up, average, paeth) whose output has the smallest sum of
/// absolute signed bytes: the heuristic the PNG spec recommends (section 12.8), which lets deflate
/// find the smooth gradients of colormaps and colour bars.
std::string filtered_rows(const RgbImage& image) {
  const size_t stride = size_t(image.width) * 3;
  std::string out;
  out.reserve((stride + 1) * size_t(image.height));
  std::string candidate[5];
  for (auto& c : candidate) c.resize(stride);
  const std::vector<uint8_t> zero_row(stride, 0);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* row = image.rgb.data() + size_t(y) * stride;
    const uint8_t* up = y > 0 ? row - stride : zero_row.data();
    long best_cost = -1;
    int best = 0;
    for (int f = 0; f < 5; ++f) {
      long cost = 0;
      for (size_t i = 0; i < stride; ++i) {
        const int a = i >= 3 ? row[i - 3] : 0, b = up[i], c = i >= 3 ? up[i - 3] : 0;
        const int predictor = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
        const uint8_t v = uint8_t(row[i] - predictor);
        candidate[f][i] = char(v);
        cost += v < 128 ? v : 256 - v;
      }
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = f;
      }
    }
    out.push_back(char(best));
    out += candidate[best];
  }
  return out;
}

}  // namespace

std::string encode_png(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0) throw std::invalid_argument("PNG: empty image");
  if (image.rgb.size() != size_t(image.width) * size_t(image.height) * 3)
    throw std::invalid_argument("PNG: the pixel buffer does not match " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + " RGB");
  std::string png("\x89PNG\r\n\x1a\n", 8);

  std::string header;
  append_u32(header, uint32_t(image.width));
  append_u32(header, uint32_t(image.height));
  header += std::string{char(8), char(2), char(0), char(0), char(0)};  // 8 bits, RGB, deflate, filters, no interlace
  append_chunk(png, "IHDR", header);

  const std::string raw = filtered_rows(image);
  uLongf size = compressBound(uLong(raw.size()));
  std::string deflated(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                uLong(raw.size()), 9) != Z_OK)
    throw std::runtime_error("PNG: zlib could not compress the image");
  deflated.resize(size);
  append_chunk(png, "IDAT", deflated);
  append_chunk(png, "IEND", "");
  return png;
}

void write_png(const std::string& path, const RgbImage& image) {
  const std::string bytes = encode_png(image);
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open for writing (folder missing or not writable?)");
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.flush();
    if (!f) throw std::runtime_error(path + ": write failed (disk full?)");
  }
  out.commit();
}

}  // namespace qsmtk
