// Fuzz target: the NIfTI reader (read_nifti_header, read_nifti, read_nifti_mask, read_nifti_labels).
// Input: one control byte, then the file's bytes. Control % 4 picks how the bytes become a file:
//   0  written as x.nii                    2  written as x.nii.gz as they are (a gzip stream, or not)
//   1  gzip-compressed into x.nii.gz       3  written as x.nii, header only
// and (control / 4) % 3 the reader: read_nifti, read_nifti_mask, read_nifti_labels.
// A std::exception is the expected outcome for a bad file; crashes, sanitizer reports, hangs and
// allocations over libFuzzer's -malloc_limit_mb are bugs.
#include <nifti2_io.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "qsmtk/io/nifti.h"

namespace {

std::vector<unsigned char> gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<unsigned char> out(deflateBound(&z, static_cast<uLong>(size)) + 32);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const unsigned control = data[0];
  const uint8_t* bytes = data + 1;
  const size_t n = size - 1;
  const unsigned variant = control % 4, reader = (control / 4) % 3;
  const std::string dir = qsmtk_fuzz::temp_dir();
  std::string path;
  if (variant == 1) {
    path = dir + "/x.nii.gz";
    const auto z = gzip(bytes, n);
    qsmtk_fuzz::write_file(path, z.data(), z.size());
  } else {
    path = dir + (variant == 2 ? "/x.nii.gz" : "/x.nii");
    qsmtk_fuzz::write_file(path, bytes, n);
  }
  try {
    const qsmtk::NiftiHeader h = qsmtk::read_nifti_header(path);
    if (h.version != 1 && h.version != 2) std::abort();
    if (variant != 3) {
      if (reader == 0) {
        qsmtk::NiftiHeader h2;
        const qsmtk::Volume v = qsmtk::read_nifti(path, &h2);
        // What was read must be what the header promised.
        if (v.dims() != h2.grid.dims || v.frames() != h2.frames) std::abort();
      } else if (reader == 1) {
        (void)qsmtk::read_nifti_mask(path);
      } else {
        (void)qsmtk::read_nifti_labels(path);
      }
    }
  } catch (const std::exception&) {
  }
  return 0;
}
