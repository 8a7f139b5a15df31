#include "arrays.h"

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "qsmtk/io/multi_echo.h"
#include "qsmtk/parallel.h"
#include "qsmtk/pipeline/method_args.h"

namespace qsmtk::python {
namespace {

std::atomic<int> g_module_threads{0};  // 0: QSMTK_THREADS, OMP_NUM_THREADS or all cores

py::module_ numpy() { return py::module_::import("numpy"); }

std::string type_name(const py::handle& obj) { return py::str(obj.get_type().attr("__name__")); }
std::string shape_text(const py::array& a) { return py::str(a.attr("shape")); }
std::string shape_text(const Dims& d) {
  return "(" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " + std::to_string(d[2]) + ")";
}

py::array require_array(const py::handle& obj, const std::string& name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(name + ": expected a NumPy array, got " + type_name(obj));
  return py::reinterpret_borrow<py::array>(obj);
}

/// The array itself when it already has this dtype, is Fortran-ordered and aligned; else a copy.
py::array fortran(const py::array& a, const py::object& dtype) {
  return numpy().attr("require")(a, dtype, py::make_tuple("F_CONTIGUOUS", "ALIGNED"));
}

void check_spatial(const py::array& a, const std::string& name, const Grid& grid, const std::string& like) {
  if (a.ndim() != 3 || a.shape(0) != grid.dims[0] || a.shape(1) != grid.dims[1] || a.shape(2) != grid.dims[2])
    throw py::value_error(name + ": shape " + shape_text(a) + " does not match " + like + "'s " +
                          shape_text(grid.dims));
}

template <typename T>
T* pointer(const py::array& a) {
  return static_cast<T*>(const_cast<void*>(a.data()));  // read-only arrays are only read (const images)
}

}  // namespace

Volume FloatArray::view(const Grid& grid) const {
  return Volume::view(grid, frames, pointer<float>(array));
}

Volume FloatArray::first_frame(const Grid& grid) const { return Volume::view(grid, 1, pointer<float>(array)); }

FloatArray float_array(const py::handle& obj, const std::string& name, bool allow_4d, bool accept_integers) {
  const py::array a = require_array(obj, name);
  const char kind = a.dtype().kind();
  const bool is_float = kind == 'f' && (a.itemsize() == 4 || a.itemsize() == 8);
  const bool is_integer = kind == 'b' || kind == 'i' || kind == 'u';
  if (!is_float && !(accept_integers && is_integer))
    throw py::type_error(name + ": expected a float32 or float64 array" +
                         std::string(accept_integers ? " (or integers)" : "") + ", got " +
                         std::string(py::str(a.dtype())) + (accept_integers ? "" : " (convert with .astype(np.float32))"));
  if (a.ndim() != 3 && !(allow_4d && a.ndim() == 4))
    throw py::value_error(name + ": expected a 3-D array (x, y, z)" +
                          std::string(allow_4d ? " or a 4-D one (x, y, z, echo)" : "") + ", got shape " +
                          shape_text(a));
  for (int d = 0; d < a.ndim(); ++d)
    if (a.shape(d) == 0) throw py::value_error(name + ": shape " + shape_text(a) + " has an empty axis");
  FloatArray f;
  f.array = fortran(a, numpy().attr("float32"));
  f.name = name;
  f.ndim = int(a.ndim());
  f.dims = {a.shape(0), a.shape(1), a.shape(2)};
  f.frames = a.ndim() == 4 ? a.shape(3) : 1;
  return f;
}

std::optional<FloatArray> optional_float_array(const py::handle& obj, const std::string& name, bool allow_4d) {
  if (obj.is_none()) return std::nullopt;
  return float_array(obj, name, allow_4d);
}

void require_same_shape(const FloatArray& a, const Grid& grid, const std::string& like) {
  if (a.dims != grid.dims)
    throw py::value_error(a.name + ": shape " + shape_text(a.array) + " does not match " + like + "'s " +
                          shape_text(grid.dims));
}

Mask mask_image(const py::handle& obj, const std::string& name, const Grid& grid, const std::string& like,
                py::object& keep) {
  const py::array a = require_array(obj, name);
  check_spatial(a, name, grid, like);
  const char kind = a.dtype().kind();
  py::array inside;
  if (kind == 'b') inside = a;
  else if (kind == 'i' || kind == 'u') inside = a.attr("__ne__")(0);
  else if (kind == 'f') inside = numpy().attr("logical_and")(a.attr("__ne__")(0), numpy().attr("logical_not")(numpy().attr("isnan")(a)));
  else
    throw py::type_error(name + ": expected a boolean, integer or float mask, got " + std::string(py::str(a.dtype())));
  const py::array m = fortran(inside, numpy().attr("bool_"));
  keep = m;
  return Mask::view(grid, 1, pointer<uint8_t>(m));  // NumPy's bool is one byte, 0 or 1
}

LabelImage label_image(const py::handle& obj, const std::string& name, const Grid& grid, const std::string& like,
                       py::object& keep) {
  const py::array a = require_array(obj, name);
  check_spatial(a, name, grid, like);
  const char kind = a.dtype().kind();
  const py::module_ np = numpy();
  if (kind == 'f') {
    if (!np.attr("isfinite")(a).attr("all")().cast<bool>() ||
        !a.attr("__eq__")(np.attr("round")(a)).attr("all")().cast<bool>())
      throw py::value_error(name + ": label images must hold whole numbers (found NaN, Inf or fractions)");
  } else if (kind != 'i' && kind != 'u' && kind != 'b') {
    throw py::type_error(name + ": expected an integer label array, got " + std::string(py::str(a.dtype())));
  }
  if (kind != 'b') {
    const double lo = a.attr("min")().cast<double>(), hi = a.attr("max")().cast<double>();
    if (lo < -2e9 || hi > 2e9) throw py::value_error(name + ": labels beyond +-2e9 do not fit 32-bit labels");
  }
  const py::array l = fortran(a, np.attr("int32"));
  keep = l;
  return LabelImage::view(grid, 1, pointer<int32_t>(l));
}

Grid make_grid(const Dims& dims, const py::handle& affine, const py::handle& voxel_size) {
  if (affine.is_none() == voxel_size.is_none())
    throw py::value_error(affine.is_none() ? "give the geometry: affine= (4x4, world mm, as nibabel's img.affine) or "
                                             "voxel_size= (3 numbers, mm)"
                                           : "give affine= or voxel_size=, not both");
  const py::module_ np = numpy();
  Grid g;
  g.dims = dims;
  if (!voxel_size.is_none()) {
    py::array_t<double> v;
    try {
      v = np.attr("asarray")(voxel_size, np.attr("float64")).attr("ravel")();
    } catch (const py::error_already_set&) {
      throw py::type_error("voxel_size: expected 3 numbers (mm)");
    }
    if (v.size() != 3) throw py::value_error("voxel_size: expected 3 numbers (mm), got " + std::to_string(v.size()));
    for (int d = 0; d < 3; ++d) {
      if (!(v.at(d) > 0) || !std::isfinite(v.at(d)))
        throw py::value_error("voxel_size: " + std::to_string(v.at(d)) + " is not a positive size in mm");
      g.voxel_size[d] = v.at(d);
    }
    return g;  // no transform set: NIfTI's "method 1", axis-aligned, B0 along the third axis
  }
  py::array_t<double> m;
  try {
    m = np.attr("asarray")(affine, np.attr("float64"));
  } catch (const py::error_already_set&) {
    throw py::type_error("affine: expected a 4x4 matrix of numbers");
  }
  if (m.ndim() != 2 || m.shape(0) != 4 || m.shape(1) != 4)
    throw py::value_error("affine: expected a 4x4 matrix, got shape " + shape_text(m));
  Mat4 a;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      a.m[r][c] = m.at(r, c);
      if (!std::isfinite(a.m[r][c])) throw py::value_error("affine: holds NaN or Inf");
    }
  if (a.m[3][0] != 0 || a.m[3][1] != 0 || a.m[3][2] != 0 || a.m[3][3] != 1)
    throw py::value_error("affine: the last row must be 0 0 0 1");
  if (!(std::fabs(a.linear().determinant()) > 0)) throw py::value_error("affine: the 3x3 part is singular");
  g.sform = g.qform = a;
  g.sform_code = g.qform_code = 1;  // scanner anatomical, as the NIfTI files qsmtk reads
  g.voxel_size = voxel_size_from_affine(g);
  return g;
}

py::array affine_array(const Grid& grid) {
  const Mat4 a = grid.affine();
  py::array_t<double> out({4, 4});
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out.mutable_at(r, c) = a.m[r][c];
  return out;
}

std::optional<Vec3> b0_argument(const py::handle& b0_dir) {
  if (b0_dir.is_none()) return std::nullopt;
  py::array_t<double> v;
  try {
    v = numpy().attr("asarray")(b0_dir, numpy().attr("float64")).attr("ravel")();
  } catch (const py::error_already_set&) {
    throw py::type_error("b0_dir: expected three numbers (x, y, z in array coordinates)");
  }
  if (v.size() != 3) throw py::value_error("b0_dir: expected three numbers (x, y, z in array coordinates)");
  return normalized_b0({v.at(0), v.at(1), v.at(2)}, "b0_dir");
}

std::vector<double> echo_times_argument(const py::handle& obj, const std::string& name) {
  if (py::isinstance<py::str>(obj)) return parse_echo_times(obj.cast<std::string>());
  py::array_t<double> v;
  try {
    v = numpy().attr("asarray")(obj, numpy().attr("float64")).attr("ravel")();
  } catch (const py::error_already_set&) {
    throw py::type_error(name + ": give the echo times in seconds (a sequence of numbers) or as text with the unit, "
                                "e.g. '5,10,15ms'");
  }
  std::vector<double> te(v.data(), v.data() + v.size());
  for (double t : te)
    if (!std::isfinite(t)) throw py::value_error(name + ": holds NaN or Inf");
  return te;
}

namespace {
template <typename T>
py::array image_to_numpy(Image<T>&& image, bool four_d) {
  if (image.empty()) throw std::logic_error("qsmtk: an expected result is missing");  // never a null array
  if (image.is_view()) image = Image<T>(image);  // own the pixels before handing them over
  auto* owned = new Image<T>(std::move(image));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Image<T>*>(p); });
  const auto s = py::ssize_t(sizeof(T));
  std::vector<py::ssize_t> shape = {owned->nx(), owned->ny(), owned->nz()};
  std::vector<py::ssize_t> strides = {s, s * owned->nx(), s * owned->nx() * owned->ny()};
  if (four_d || owned->frames() > 1) shape.push_back(owned->frames()), strides.push_back(s * owned->voxels());
  return py::array(py::dtype::of<T>(), shape, strides, owned->data(), free_when_done);
}
}  // namespace

py::array to_numpy(Volume&& image, bool four_d) { return image_to_numpy(std::move(image), four_d); }
py::array to_numpy(Mask&& image) { return image_to_numpy(std::move(image), false); }
py::array to_numpy(LabelImage&& image) { return image_to_numpy(std::move(image), false); }

py::object to_python(const Json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

void use_threads(int threads) {
  if (threads < 0) throw py::value_error("threads must be >= 0 (0: qsmtk.set_threads, QSMTK_THREADS or all cores)");
  set_threads(threads > 0 ? threads : g_module_threads.load());
}

void set_module_threads(int threads) {
  if (threads < 0) throw py::value_error("threads must be >= 0 (0: QSMTK_THREADS, OMP_NUM_THREADS or all cores)");
  g_module_threads = threads;
  set_threads(threads);
}

int module_threads() {
  set_threads(g_module_threads.load());
  return qsmtk::threads();
}

void require_choice(const std::string& name, const std::string& value, const std::vector<std::string>& choices) {
  std::string list;
  for (const std::string& c : choices) {
    if (value == c) return;
    list += (list.empty() ? "" : ", ") + c;
  }
  throw py::value_error(name + " '" + value + "' is not one of " + list);
}

}  // namespace qsmtk::python
