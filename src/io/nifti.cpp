#include "qsmtk/io/nifti.h"

#include <nifti2_io.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "qsmtk/io/atomic_file.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"

namespace qsmtk {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

void quiet_library() {
  static std::once_flag once;
  std::call_once(once, [] { nifti_set_debug_level(0); });
}

struct NimDeleter {
  void operator()(nifti_image* nim) const { nifti_image_free(nim); }
};
using NimPtr = std::unique_ptr<nifti_image, NimDeleter>;

Mat4 to_mat4(const nifti_dmat44& m) {
  Mat4 r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r.m[i][j] = m.m[i][j];
  return r;
}

nifti_dmat44 to_dmat44(const Mat4& m) {
  nifti_dmat44 r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r.m[i][j] = m.m[i][j];
  return r;
}

bool has_nifti_extension(const std::string& path) {
  auto ends = [&](const char* e) {
    const size_t n = std::strlen(e);
    return path.size() > n && path.compare(path.size() - n, n, e) == 0;
  };
  return ends(".nii") || ends(".nii.gz");
}

template <typename T>
T byte_swapped(T v) {
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  return v;
}

/// Checks the raw header fields nifticlib trusts before it validates them: it walks dim[1..dim[0]]
/// of a NIfTI-2 header before checking dim[0] <= 7 (a stack overflow; found by fuzz/fuzz_nifti),
/// and it prints its own complaint about an unknown datatype code. The byte order comes from
/// sizeof_hdr (348 or 540 in either order).
void check_raw_header(const std::string& path) {
  int version = 0;
  void* raw = nifti_read_header(path.c_str(), &version, 0);
  if (!raw) return;  // nifti_image_read reports it
  int64_t dim0 = 0;
  int16_t datatype = 0;
  if (version == 2) {
    const auto* h = static_cast<const nifti_2_header*>(raw);
    const bool swap = h->sizeof_hdr != 540;
    dim0 = swap ? byte_swapped(h->dim[0]) : h->dim[0];
    datatype = swap ? byte_swapped(h->datatype) : h->datatype;
  } else {
    const auto* h = static_cast<const nifti_1_header*>(raw);
    const bool swap = h->sizeof_hdr != 348;
    dim0 = swap ? byte_swapped(h->dim[0]) : h->dim[0];
    datatype = swap ? byte_swapped(h->datatype) : h->datatype;
  }
  std::free(raw);
  if (dim0 < 1 || dim0 > 7)
    fail(path, "header gives " + std::to_string(dim0) + " dimensions (dim[0] must be 1 to 7): not a valid NIfTI file");
  if (!nifti_datatype_is_valid(datatype, 1))
    fail(path, "unknown NIfTI datatype code " + std::to_string(datatype) + " in the header");
}

NimPtr open_header(const std::string& path) {
  quiet_library();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "no such file");
  if (fs::is_directory(path, ec)) fail(path, "is a folder, not a NIfTI file");
  if (!has_nifti_extension(path)) fail(path, "not a NIfTI file name (expected .nii or .nii.gz)");
  const auto size = fs::file_size(path, ec);
  if (ec || size == 0) fail(path, "file is empty");
  if (access(path.c_str(), R_OK) != 0) fail(path, "file is not readable");
  check_raw_header(path);
  NimPtr nim(nifti_image_read(path.c_str(), 0));
  if (!nim) fail(path, "not a valid NIfTI-1 or NIfTI-2 file (header unreadable, truncated or inconsistent)");
  return nim;
}

int nifti_version_of(const std::string& path) {
  // nifticlib reports NIfTI-2 files as nifti_type 1 after reading; ask the header itself.
  int version = 0;
  void* hdr = nifti_read_header(path.c_str(), &version, 0);
  std::free(hdr);
  return version;
}

NiftiHeader header_of(const std::string& path, const nifti_image& nim) {
  NiftiHeader h;
  h.version = nifti_version_of(path) == 2 ? 2 : 1;
  h.datatype = nim.datatype;
  h.datatype_name = nifti_datatype_string(nim.datatype);
  h.ndim = static_cast<int>(nim.dim[0]);
  if (h.ndim < 3)
    fail(path, "is a " + std::to_string(h.ndim) + "-D image; qsmtk needs 3-D volumes (or 4-D with echoes)");
  for (int d = 5; d <= h.ndim; ++d)
    if (nim.dim[d] > 1) fail(path, "is a " + std::to_string(h.ndim) + "-D image; only 3-D and 4-D are supported");
  for (int d = 1; d <= std::min(h.ndim, 4); ++d)
    if (nim.dim[d] < 1) fail(path, "header gives dimension " + std::to_string(d) + " as " + std::to_string(nim.dim[d]));
  h.grid.dims = {nim.dim[1], nim.dim[2], nim.dim[3]};
  h.frames = h.ndim >= 4 ? nim.dim[4] : 1;
  int64_t total = 1;
  for (int64_t n : {h.grid.dims[0], h.grid.dims[1], h.grid.dims[2], h.frames}) {
    if (n > kMaxNiftiVoxels || total > kMaxNiftiVoxels / n)
      fail(path, "header declares an implausibly large image (" + std::to_string(h.grid.dims[0]) + "x" +
                     std::to_string(h.grid.dims[1]) + "x" + std::to_string(h.grid.dims[2]) + "x" +
                     std::to_string(h.frames) + "); refusing to allocate it");
    total *= n;
  }
  h.grid.voxel_size = {std::fabs(nim.pixdim[1]), std::fabs(nim.pixdim[2]), std::fabs(nim.pixdim[3])};
  for (double v : h.grid.voxel_size)
    if (!(v > 0) || !std::isfinite(v)) fail(path, "header gives a voxel size of zero or not a number");
  h.grid.sform_code = nim.sform_code;
  h.grid.qform_code = nim.qform_code;
  if (nim.sform_code > 0) h.grid.sform = to_mat4(nim.sto_xyz);
  if (nim.qform_code > 0) h.grid.qform = to_mat4(nim.qto_xyz);
  // Trust the affine's own voxel size (CONVENTIONS: column lengths) when a transform is set.
  h.grid.voxel_size = voxel_size_from_affine(h.grid);
  const bool scaled = std::isfinite(nim.scl_slope) && nim.scl_slope != 0.0;
  h.scl_slope = scaled ? nim.scl_slope : 1.0;
  h.scl_inter = scaled && std::isfinite(nim.scl_inter) ? nim.scl_inter : 0.0;
  h.description = std::string(nim.descrip, strnlen(nim.descrip, sizeof nim.descrip));
  return h;
}

template <typename T>
void convert(const void* src, float* dst, int64_t n, double slope, double inter) {
  const T* s = static_cast<const T*>(src);
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = static_cast<float>(slope * static_cast<double>(s[i]) + inter);
  });
}

}  // namespace

NiftiHeader read_nifti_header(const std::string& path) {
  NimPtr nim = open_header(path);
  return header_of(path, *nim);
}

Volume read_nifti(const std::string& path, NiftiHeader* header_out) {
  NimPtr nim = open_header(path);
  const NiftiHeader h = header_of(path, *nim);
  switch (h.datatype) {
    case NIFTI_TYPE_UINT8: case NIFTI_TYPE_INT8: case NIFTI_TYPE_INT16: case NIFTI_TYPE_UINT16:
    case NIFTI_TYPE_INT32: case NIFTI_TYPE_UINT32: case NIFTI_TYPE_FLOAT32: case NIFTI_TYPE_FLOAT64:
      break;
    default:
      fail(path, "unsupported NIfTI datatype " + h.datatype_name + " (code " + std::to_string(h.datatype) +
                     "); supported: uint8, int8, int16, uint16, int32, uint32, float32, float64");
  }
  // The data's offset: within the file (compressed: within any plausible header and extensions),
  // so that the sums below cannot overflow.
  const bool gz = nifti_is_gzfile(nim->iname);
  std::error_code size_ec;
  const int64_t file_bytes = static_cast<int64_t>(std::filesystem::file_size(nim->iname, size_ec));
  if (nim->iname_offset < 0 || nim->iname_offset > (gz ? int64_t(1) << 32 : file_bytes))
    fail(path, "header gives a data offset (vox_offset " + std::to_string(nim->iname_offset) + ") beyond the file");
  // For an uncompressed file the size must cover the data the header promises.
  if (!gz && !size_ec) {
    const int64_t need = nim->iname_offset + static_cast<int64_t>(nim->nbyper) * h.grid.voxels() * h.frames;
    if (file_bytes < need)
      fail(path, "file is truncated: the header promises " + std::to_string(need) + " bytes, the file holds " +
                     std::to_string(file_bytes));
  }
  // Read the voxels ourselves: nifticlib's loader silently turns NaN and Inf into 0, and qsmtk
  // must see them to report them.
  const int64_t values = h.grid.voxels() * h.frames;
  const int64_t bytes = static_cast<int64_t>(nim->nbyper) * values;
  // The stored bytes and their float32 copy; a compressed file's header is believed only this far.
  require_memory(bytes + int64_t(sizeof(float)) * values, path + " (" + h.grid.describe() + ")");
  // Read in blocks taken as the data arrive, so a header that promises more than the file holds
  // fails having taken only what the file held. 64 MiB is a multiple of every datatype's size.
  constexpr int64_t kBlock = int64_t(1) << 26;
  std::vector<std::unique_ptr<char[]>> blocks;
  znzFile fp = znzopen(nim->iname, "rb", gz);
  if (znz_isnull(fp)) fail(path, "cannot open the image data");
  // znzseek returns 0 (plain file) or the new offset (gzip); check where we are instead.
  bool ok = znzseek(fp, static_cast<znz_off_t>(nim->iname_offset), SEEK_SET) >= 0 && znztell(fp) == nim->iname_offset;
  for (int64_t done = 0; ok && done < bytes; done += kBlock) {
    const int64_t n = std::min(bytes - done, kBlock);
    blocks.emplace_back(new char[static_cast<size_t>(n)]);  // not zero-filled: znzread writes it
    ok = znzread(blocks.back().get(), 1, static_cast<size_t>(n), fp) == static_cast<size_t>(n);
  }
  znzclose(fp);
  if (!ok)
    fail(path, "image data could not be read: the file is truncated or corrupt, or its header promises more data (" +
                   std::to_string(bytes) + " bytes) than it holds");
  Volume v(h.grid, h.frames);
  const bool swap = nim->byteorder != nifti_short_order() && nim->swapsize > 1;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const int64_t first = int64_t(b) * kBlock / nim->nbyper;
    const int64_t n = std::min(values - first, kBlock / nim->nbyper);
    char* data = blocks[b].get();
    if (swap) nifti_swap_Nbytes(n, nim->swapsize, data);
    float* out = v.data() + first;
    switch (h.datatype) {
      case NIFTI_TYPE_UINT8: convert<uint8_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_INT8: convert<int8_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_INT16: convert<int16_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_UINT16: convert<uint16_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_INT32: convert<int32_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_UINT32: convert<uint32_t>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_FLOAT32: convert<float>(data, out, n, h.scl_slope, h.scl_inter); break;
      case NIFTI_TYPE_FLOAT64: convert<double>(data, out, n, h.scl_slope, h.scl_inter); break;
    }
    blocks[b].reset();  // each block goes once converted
  }
  if (header_out) *header_out = h;
  return v;
}

Mask read_nifti_mask(const std::string& path) {
  const Volume v = read_nifti(path);
  if (v.frames() != 1) fail(path, "a mask must be 3-D, this image has " + std::to_string(v.frames()) + " frames");
  Mask m(v.grid());
  int64_t inside = 0;
  for (int64_t i = 0; i < v.size(); ++i) {
    m[i] = (v[i] != 0.0f && !std::isnan(v[i])) ? 1 : 0;
    inside += m[i];
  }
  if (inside == 0) fail(path, "the mask is empty (no nonzero voxel)");
  return m;
}

LabelImage read_nifti_labels(const std::string& path) {
  const Volume v = read_nifti(path);
  if (v.frames() != 1) fail(path, "a label image must be 3-D, this image has " + std::to_string(v.frames()) + " frames");
  LabelImage l(v.grid());
  for (int64_t i = 0; i < v.size(); ++i) {
    const float x = v[i];
    if (!std::isfinite(x) || x != std::round(x) || std::fabs(x) > 2e9f)
      fail(path, "label images must hold whole numbers; found " + std::to_string(x));
    l[i] = static_cast<int32_t>(x);
  }
  return l;
}

namespace {

void write_raw(const std::string& path, const Grid& grid, int64_t frames, int datatype, const void* data,
               const std::string& description) {
  quiet_library();
  const bool big = grid.dims[0] > 32767 || grid.dims[1] > 32767 || grid.dims[2] > 32767 || frames > 32767;
  const int64_t dims[8] = {frames > 1 ? 4 : 3, grid.dims[0], grid.dims[1], grid.dims[2], frames, 1, 1, 1};
  NimPtr nim(nifti_make_new_nim(dims, datatype, 0));
  if (!nim) fail(path, "cannot build a NIfTI header");
  nim->nifti_type = big ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
  const Vec3 vs = grid.voxel_size;
  nim->dx = nim->pixdim[1] = vs[0];
  nim->dy = nim->pixdim[2] = vs[1];
  nim->dz = nim->pixdim[3] = vs[2];
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->time_units = NIFTI_UNITS_SEC;
  nim->qform_code = grid.qform_code;
  nim->sform_code = grid.sform_code;
  if (grid.qform_code > 0) {
    nim->qto_xyz = to_dmat44(grid.qform);
    double dx, dy, dz;
    nifti_dmat44_to_quatern(nim->qto_xyz, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                            &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz, &nim->qfac);
  }
  if (grid.sform_code > 0) nim->sto_xyz = to_dmat44(grid.sform);
  std::strncpy(nim->descrip, description.c_str(), sizeof nim->descrip - 1);
  nim->iname_offset = big ? 544 : 352;  // header + 4-byte extension flag (nifti_set_iname_offset gives 0 for v2)

  const int64_t bytes = static_cast<int64_t>(nim->nbyper) * nim->nvox;
  AtomicOutput out(path);
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  znzFile fp = znzopen(out.temp_path().c_str(), gz ? "wb1" : "wb", gz ? 1 : 0);
  if (znz_isnull(fp)) fail(path, "cannot open for writing (folder missing or not writable?)");
  bool ok = true;
  if (big) {
    nifti_2_header hdr;
    ok = nifti_convert_nim2n2hdr(nim.get(), &hdr) == 0 && znzwrite(&hdr, sizeof hdr, 1, fp) == 1;
  } else {
    nifti_1_header hdr;
    ok = nifti_convert_nim2n1hdr(nim.get(), &hdr) == 0 && znzwrite(&hdr, sizeof hdr, 1, fp) == 1;
  }
  const char extender[4] = {0, 0, 0, 0};
  ok = ok && znzwrite(extender, 1, 4, fp) == 4;
  // Write in pieces: znzwrite takes a size_t count that gzwrite narrows to unsigned int.
  const char* p = static_cast<const char*>(data);
  for (int64_t done = 0; ok && done < bytes;) {
    const int64_t chunk = std::min<int64_t>(bytes - done, int64_t(1) << 28);
    ok = znzwrite(p + done, 1, static_cast<size_t>(chunk), fp) == static_cast<size_t>(chunk);
    done += chunk;
  }
  const int closed = znzclose(fp);
  if (!ok || closed != 0) fail(path, "write failed (disk full or folder not writable?)");
  out.commit();
}

}  // namespace

void write_nifti(const std::string& path, const Volume& image, const std::string& description) {
  write_raw(path, image.grid(), image.frames(), NIFTI_TYPE_FLOAT32, image.data(), description);
}

void write_nifti(const std::string& path, const Mask& mask, const std::string& description) {
  write_raw(path, mask.grid(), mask.frames(), NIFTI_TYPE_UINT8, mask.data(), description);
}

void write_nifti(const std::string& path, const LabelImage& labels, const std::string& description) {
  bool fits16 = true;
  for (int32_t v : labels) fits16 = fits16 && v >= -32768 && v <= 32767;
  if (!fits16) {
    write_raw(path, labels.grid(), labels.frames(), NIFTI_TYPE_INT32, labels.data(), description);
    return;
  }
  AlignedVector<int16_t> narrow(labels.begin(), labels.end());
  write_raw(path, labels.grid(), labels.frames(), NIFTI_TYPE_INT16, narrow.data(), description);
}

}  // namespace qsmtk
