#pragma once
// Grid (dimensions, voxel size, NIfTI orientation) and the image containers every algorithm uses.
// Layout is NIfTI's: x fastest, then y, then z, then the echo/time axis.
#include <array>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "qsmtk/aligned.h"
#include "qsmtk/linalg.h"

namespace qsmtk {

using Dims = std::array<int64_t, 3>;
inline int64_t voxel_count(const Dims& d) { return d[0] * d[1] * d[2]; }

/// The spatial grid of an image: what NIfTI's header says about where voxels are.
struct Grid {
  Dims dims{1, 1, 1};
  Vec3 voxel_size{1, 1, 1};  // mm
  Mat4 sform = Mat4::identity();
  int sform_code = 0;  // NIFTI_XFORM_* ; 0 = unset
  Mat4 qform = Mat4::identity();
  int qform_code = 0;

  /// An axis-aligned or rotated grid centred on the world origin, with sform and qform set
  /// (code 1, scanner anatomical). `rotation` maps array axes to world axes.
  static Grid centred(const Dims& dims, const Vec3& voxel_size, const Mat3& rotation = Mat3::identity());

  int64_t voxels() const { return voxel_count(dims); }
  /// The affine NIfTI says to use: sform when sform_code > 0, else qform when qform_code > 0,
  /// else the pixdim scaling (NIfTI "method 1").
  Mat4 affine() const;
  /// Same dims, and affines equal to `tol_mm` (over the field of view).
  bool same_space(const Grid& other, double tol_mm = 1e-3) const;
  std::string describe() const;  // "192x224x160 at 1x1x1 mm"
};

/// Unit B0 direction in array coordinates: b = R^T [0 0 1], R the affine's 3x3 part with each
/// column divided by its length (CONVENTIONS.md). Correct for oblique and anisotropic grids.
Vec3 b0_direction(const Grid& grid);
/// Voxel size implied by the affine in use (column lengths); pixdim when no transform is set.
Vec3 voxel_size_from_affine(const Grid& grid);

/// A 3-D image or a stack of 3-D frames (echoes), element type T.
template <typename T>
class Image {
 public:
  Image() = default;
  explicit Image(const Grid& grid, int64_t frames = 1, T fill = T{})
      : grid_(grid), frames_(frames), data_(static_cast<size_t>(grid.voxels() * frames), fill) {
    if (frames < 1) throw std::invalid_argument("an image needs at least one frame");
    ptr_ = data_.data();
    size_ = static_cast<int64_t>(data_.size());
  }
  /// An image over memory owned elsewhere (e.g. a NumPy array in the Python module), laid out
  /// like ours (x fastest), without copying it. The memory must outlive the image; a copy of a
  /// view owns its data, so algorithms that copy an input never write into the caller's memory.
  static Image view(const Grid& grid, int64_t frames, T* data) {
    if (frames < 1) throw std::invalid_argument("an image needs at least one frame");
    Image v;
    v.grid_ = grid;
    v.frames_ = frames;
    v.ptr_ = data;
    v.size_ = grid.voxels() * frames;
    return v;
  }
  bool is_view() const { return ptr_ != nullptr && data_.empty(); }

  Image(const Image& o) : grid_(o.grid_), frames_(o.frames_), data_(o.begin(), o.end()) { adopt_storage(); }
  Image(Image&& o) noexcept
      : grid_(std::move(o.grid_)), frames_(o.frames_), data_(std::move(o.data_)), ptr_(o.ptr_), size_(o.size_) {
    o.ptr_ = nullptr;
    o.size_ = 0;
  }
  Image& operator=(const Image& o) {
    if (this != &o) {
      grid_ = o.grid_;
      frames_ = o.frames_;
      data_.assign(o.begin(), o.end());
      adopt_storage();
    }
    return *this;
  }
  Image& operator=(Image&& o) noexcept {
    if (this != &o) {
      grid_ = std::move(o.grid_);
      frames_ = o.frames_;
      data_ = std::move(o.data_);
      ptr_ = o.ptr_;
      size_ = o.size_;
      o.ptr_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }

  const Grid& grid() const { return grid_; }
  Grid& grid() { return grid_; }
  const Dims& dims() const { return grid_.dims; }
  int64_t nx() const { return grid_.dims[0]; }
  int64_t ny() const { return grid_.dims[1]; }
  int64_t nz() const { return grid_.dims[2]; }
  int64_t frames() const { return frames_; }
  int64_t voxels() const { return grid_.voxels(); }  // per frame
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  T* frame(int64_t t) { return ptr_ + t * voxels(); }
  const T* frame(int64_t t) const { return ptr_ + t * voxels(); }
  int64_t index(int64_t i, int64_t j, int64_t k) const { return i + nx() * (j + ny() * k); }
  T& operator()(int64_t i, int64_t j, int64_t k, int64_t t = 0) { return ptr_[index(i, j, k) + t * voxels()]; }
  const T& operator()(int64_t i, int64_t j, int64_t k, int64_t t = 0) const {
    return ptr_[index(i, j, k) + t * voxels()];
  }
  T& operator[](int64_t n) { return ptr_[n]; }
  const T& operator[](int64_t n) const { return ptr_[n]; }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

  /// A 3-D image holding a copy of frame t, same grid.
  Image<T> extract_frame(int64_t t) const {
    Image<T> r(grid_);
    std::copy(frame(t), frame(t) + voxels(), r.data());
    return r;
  }

 private:
  void adopt_storage() {
    ptr_ = data_.data();
    size_ = static_cast<int64_t>(data_.size());
  }

  Grid grid_;
  int64_t frames_ = 0;
  AlignedVector<T> data_;  // the pixels, or empty for a view
  T* ptr_ = nullptr;       // data_.data(), or the viewed memory
  int64_t size_ = 0;
};

using Volume = Image<float>;                      // chi, fields, magnitude, phase
using ComplexVolume = Image<std::complex<float>>;  // complex multi-echo signal
using Mask = Image<uint8_t>;                      // 0 / 1
using LabelImage = Image<int32_t>;                // integer labels, 0 = background

/// Throws std::invalid_argument naming `what` when the grids differ.
void require_same_space(const Grid& a, const Grid& b, const std::string& what);

}  // namespace qsmtk
