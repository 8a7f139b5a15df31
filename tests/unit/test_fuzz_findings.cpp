// What fuzzing the parsers found (docs/fuzzing.md, "Findings"), one test per bug; the inputs
// that found them are in fuzz/regressions/. A bug that cannot be fixed at once gets a DISABLED_
// test, enabled with its fix.
#include <gtest/gtest.h>
#include <nifti2_io.h>
#include <sys/resource.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "test_util.h"

using namespace qsmtk;

namespace {

using test::TempDir;
using test::error_of;

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

/// A NIfTI-2 file of 2x2x2 float32 zeros, with header fields changed by `edit`.
void write_nifti2(const std::string& path, const std::function<void(nifti_2_header&)>& edit) {
  nifti_2_header h;
  std::memset(&h, 0, sizeof h);
  h.sizeof_hdr = 540;
  std::memcpy(h.magic, "n+2\0\r\n\032\n", 8);
  h.datatype = NIFTI_TYPE_FLOAT32;
  h.bitpix = 32;
  h.dim[0] = 3;
  for (int i = 1; i < 8; ++i) h.dim[i] = i <= 3 ? 2 : 1;
  for (int i = 0; i < 8; ++i) h.pixdim[i] = 1;
  h.vox_offset = 544;
  h.scl_slope = 1;
  edit(h);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&h), sizeof h);
  const char extension[4] = {0, 0, 0, 0};
  out.write(extension, 4);
  const std::vector<float> data(8, 0.0f);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(float)));
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

// nlohmann::json builds nested values recursively: a sidecar of some 10^5 nested brackets
// (fuzz/regressions/fuzz_sidecar/deep-nesting) overflowed the stack (segfault of qsmtk fieldmap
// --bids at depth 300000; ASan at 10000).
TEST(FuzzFindings, DeeplyNestedJsonIsRefusedNotACrash) {
  const std::string deep = "{\"EchoTime\": " + nested(300000) + "}";
  const std::string msg = error_of([&] { parse_json(deep, "deep.json"); });
  EXPECT_NE(msg.find("deep.json: invalid JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nested more than 256 levels"), std::string::npos) << msg;
  // Up to the limit it parses; brackets inside strings do not count.
  EXPECT_EQ(parse_json(nested(256), "ok.json").size(), 1u);
  const Json j = parse_json("{\"a\": \"" + std::string(1000, '[') + "\\\"[[\"}", "s.json");
  EXPECT_EQ(j["a"].get<std::string>().size(), 1003u);
  // read_json goes through the same check.
  TempDir dir;
  std::ofstream(dir.file("deep.json")) << deep;
  EXPECT_NE(error_of([&] { read_json(dir.file("deep.json")); }).find("nested more than"), std::string::npos);
}

// nifticlib's nifti_convert_n2hdr2nim walks dim[1..dim[0]] before it checks dim[0] <= 7, writing
// past its copy of the header on the stack (fuzz/regressions/fuzz_nifti/nifti2-dim0-*; `qsmtk
// info` segfaults). qsmtk must check dim[0] itself before calling nifti_image_read.
TEST(FuzzFindings, Nifti2WithDim0Over7IsRefusedNotACrash) {
  TempDir dir;
  // The datatype also in the other byte order: a check that guesses the order from dim[0] passes it.
  for (int16_t datatype : {int16_t(NIFTI_TYPE_FLOAT32), int16_t(NIFTI_TYPE_FLOAT32 << 8)})
    for (int64_t dim0 : {int64_t(8), int64_t(1) << 40, int64_t(-1)}) {
      const std::string path = dir.file("dim0.nii");
      write_nifti2(path, [&](nifti_2_header& h) {
        h.dim[0] = dim0;
        h.datatype = datatype;
      });
      const std::string msg = error_of([&] { read_nifti_header(path); });
      EXPECT_NE(msg.find("dim0.nii"), std::string::npos) << dim0 << ": " << msg;
    }
}

// read_nifti's truncation check computes vox_offset + data size in int64: a NIfTI-2 vox_offset
// near INT64_MAX overflows (undefined behaviour; fuzz/regressions/fuzz_nifti/nifti2-vox-offset-*).
// Without UBSan the sum wrapped and the read failed anyway; now the offset is refused first.
TEST(FuzzFindings, Nifti2WithHugeVoxOffsetIsRefused) {
  TempDir dir;
  for (int64_t offset : {INT64_MAX, INT64_MAX - 100}) {
    const std::string path = dir.file("offset.nii");
    write_nifti2(path, [&](nifti_2_header& h) { h.vox_offset = offset; });
    const std::string msg = error_of([&] { read_nifti(path); });
    EXPECT_NE(msg.find("offset.nii"), std::string::npos) << offset << ": " << msg;
  }
}

// A .nii.gz has no file size to check the header against: read_nifti allocated and zero-filled
// the whole declared data before reading (up to kMaxNiftiVoxels x 8 bytes = 16 GiB from a 113-byte
// file; 2 GiB and 17 s for the one here; fuzz/regressions/fuzz_nifti/gzip-declared-size-*). It must
// fail on the missing data (or refuse the size) without taking that memory. (Peak RSS only grows
// if it exceeds the process's earlier peak: run alone, --gtest_filter, to be sure.)
TEST(FuzzFindings, GzipHeaderDeclaringMoreThanItHoldsTakesNoMemory) {
  TempDir dir;
  nifti_1_header h;
  std::memset(&h, 0, sizeof h);
  h.sizeof_hdr = 348;
  h.dim[0] = 3;
  h.dim[1] = h.dim[2] = h.dim[3] = 1024;  // 2^30 int16 voxels: 2 GiB declared
  for (int i = 4; i < 8; ++i) h.dim[i] = 1;
  for (int i = 0; i < 8; ++i) h.pixdim[i] = 1;
  h.datatype = NIFTI_TYPE_INT16;
  h.bitpix = 16;
  h.vox_offset = 352;
  std::memcpy(h.magic, "n+1", 4);
  const std::string path = dir.file("big.nii.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, &h, sizeof h), int(sizeof h));
  ASSERT_EQ(gzclose(f), Z_OK);
  const long before = peak_rss_kb();
  const std::string msg = error_of([&] { read_nifti(path); });
  EXPECT_NE(msg.find("big.nii.gz"), std::string::npos) << msg;
  // Half the declared size: ASan's shadow of an untouched 2 GiB allocation alone takes 256 MiB.
  EXPECT_LT(peak_rss_kb() - before, 1024 * 1024) << "KB more at peak";
}
