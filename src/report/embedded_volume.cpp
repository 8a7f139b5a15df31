// NIfTI-1 writing to memory for the report (see embedded_volume.h).
#include "report/embedded_volume.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace qsmtk::report {
namespace {

template <typename T>
void put(std::string& buf, size_t offset, T value) {
  std::memcpy(buf.data() + offset, &value, sizeof(T));
}

}  // namespace

std::string nifti_gz(const Volume& v, StoredType type, double slope, double inter, const std::string& description) {
  if (v.frames() != 1) throw std::invalid_argument("report: only 3-D volumes are embedded");
  if (!(slope != 0)) throw std::invalid_argument("report: zero scale slope");
  const Grid& g = v.grid();
  const int bytes = type == StoredType::uint8 ? 1 : 2;
  // NIfTI-1 (Cox et al. 2004): 348-byte header, 4 bytes of extension flag, then the data.
  std::string file(352 + size_t(v.voxels()) * bytes, '\0');
  put<int32_t>(file, 0, 348);
  const int16_t dims[8] = {3, int16_t(g.dims[0]), int16_t(g.dims[1]), int16_t(g.dims[2]), 1, 1, 1, 1};
  if (g.dims[0] > 32767 || g.dims[1] > 32767 || g.dims[2] > 32767) throw std::invalid_argument("report: volume too large");
  for (int i = 0; i < 8; ++i) put<int16_t>(file, 40 + 2 * i, dims[i]);
  put<int16_t>(file, 70, type == StoredType::uint8 ? 2 : 4);  // NIFTI_TYPE_UINT8 / INT16
  put<int16_t>(file, 72, int16_t(8 * bytes));
  const float pixdim[8] = {1, float(g.voxel_size[0]), float(g.voxel_size[1]), float(g.voxel_size[2]), 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put<float>(file, 76 + 4 * i, pixdim[i]);
  put<float>(file, 108, 352.0f);
  put<float>(file, 112, float(slope));
  put<float>(file, 116, float(inter));
  file[123] = 2;  // mm
  std::strncpy(file.data() + 148, description.c_str(), 79);
  put<int16_t>(file, 252, 0);  // qform unset: the sform is the geometry
  put<int16_t>(file, 254, 1);  // NIFTI_XFORM_SCANNER_ANAT
  const Mat4 a = g.affine();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) put<float>(file, 280 + 16 * r + 4 * c, float(a.m[r][c]));
  std::memcpy(file.data() + 344, "n+1\0", 4);
  const double lo = type == StoredType::uint8 ? 0 : -32768, hi = type == StoredType::uint8 ? 255 : 32767;
  for (int64_t n = 0; n < v.voxels(); ++n) {
    const double x = std::isfinite(v[n]) ? std::clamp(std::round((v[n] - inter) / slope), lo, hi) : 0.0;
    if (type == StoredType::uint8)
      file[352 + size_t(n)] = char(uint8_t(x));
    else
      put<int16_t>(file, 352 + 2 * size_t(n), int16_t(x));
  }
  return gzip(file);
}

std::string gzip(std::string_view bytes, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)  // +16: gzip wrapper
    throw std::runtime_error("report: zlib deflateInit2 failed");
  std::string out(deflateBound(&z, uLong(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("report: gzip compression failed");
  out.resize(written);
  return out;
}

std::string base64(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace qsmtk::report
