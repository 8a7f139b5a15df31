#include "qsmtk/crop.h"

#include <algorithm>
#include <stdexcept>

namespace qsmtk {

Box bounding_box(const Mask& m, int64_t margin) {
  Dims lo{INT64_MAX, INT64_MAX, INT64_MAX}, hi{-1, -1, -1};
  for (int64_t k = 0; k < m.nz(); ++k)
    for (int64_t j = 0; j < m.ny(); ++j)
      for (int64_t i = 0; i < m.nx(); ++i)
        if (m(i, j, k)) {
          const int64_t idx[3] = {i, j, k};
          for (int d = 0; d < 3; ++d) lo[d] = std::min(lo[d], idx[d]), hi[d] = std::max(hi[d], idx[d]);
        }
  if (hi[0] < 0) throw std::invalid_argument("the mask is empty");
  Box b;
  for (int d = 0; d < 3; ++d) {
    b.lo[d] = std::max<int64_t>(0, lo[d] - margin);
    b.size[d] = std::min<int64_t>(m.dims()[d] - 1, hi[d] + margin) - b.lo[d] + 1;
  }
  return b;
}

namespace {
Grid sub_grid(const Grid& g, const Box& b) {
  Grid s = g;
  s.dims = b.size;
  const Vec3 shift{double(b.lo[0]), double(b.lo[1]), double(b.lo[2])};
  for (Mat4* a : {&s.sform, &s.qform}) {
    const Vec3 t = a->apply(shift);
    for (int r = 0; r < 3; ++r) a->m[r][3] = t[r];
  }
  return s;
}
}  // namespace

template <typename T>
Image<T> crop(const Image<T>& v, const Box& b) {
  Image<T> out(sub_grid(v.grid(), b), v.frames());
  for (int64_t t = 0; t < v.frames(); ++t)
    for (int64_t k = 0; k < b.size[2]; ++k)
      for (int64_t j = 0; j < b.size[1]; ++j) {
        const T* src = v.frame(t) + v.index(b.lo[0], b.lo[1] + j, b.lo[2] + k);
        std::copy(src, src + b.size[0], out.frame(t) + out.index(0, j, k));
      }
  return out;
}

template <typename T>
void paste(const Image<T>& part, const Box& b, Image<T>& into) {
  for (int64_t t = 0; t < part.frames(); ++t)
    for (int64_t k = 0; k < b.size[2]; ++k)
      for (int64_t j = 0; j < b.size[1]; ++j) {
        const T* src = part.frame(t) + part.index(0, j, k);
        std::copy(src, src + b.size[0], into.frame(t) + into.index(b.lo[0], b.lo[1] + j, b.lo[2] + k));
      }
}

template Image<float> crop(const Image<float>&, const Box&);
template Image<uint8_t> crop(const Image<uint8_t>&, const Box&);
template Image<int32_t> crop(const Image<int32_t>&, const Box&);
template void paste(const Image<float>&, const Box&, Image<float>&);
template void paste(const Image<uint8_t>&, const Box&, Image<uint8_t>&);
template void paste(const Image<int32_t>&, const Box&, Image<int32_t>&);

}  // namespace qsmtk
