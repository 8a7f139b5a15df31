#pragma once
// NumPy arrays <-> the library's images, geometry from an affine or a voxel size, threads, and
// JSON records as Python objects: what every function of the module shares.
//
// Layout: the library stores x fastest (index i + nx*(j + ny*k), then the echo), which is NumPy's
// Fortran order for an (x, y, z[, echo]) array as nibabel returns it. A float32 input in Fortran
// order is used in place (no copy, never written); anything else (float64, C order, other strides)
// is converted into a Fortran-ordered float32 copy first. Outputs are Fortran-ordered arrays that
// own the library's buffers (no copy).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <vector>

#include "qsmtk/io/json.h"
#include "qsmtk/volume.h"

namespace qsmtk::python {
namespace py = pybind11;

/// A float image argument: the caller's array when it is float32 in Fortran order, else a
/// converted copy. `array` must outlive every image made by view().
struct FloatArray {
  py::array array;
  std::string name;  // the argument's name, for messages
  Dims dims{};
  int64_t frames = 1;
  int ndim = 3;
  /// The whole array as an image on `grid` (dims must be this array's).
  Volume view(const Grid& grid) const;
  /// The first 3-D frame (e.g. the first echo's magnitude), also without a copy.
  Volume first_frame(const Grid& grid) const;
};

/// Checks and converts a float argument: a NumPy array of float32 or float64 (TypeError
/// otherwise; with `accept_integers` also bool and integers, converted), with 3 dimensions, or 4
/// when `allow_4d` (ValueError otherwise), none of them 0.
FloatArray float_array(const py::handle& obj, const std::string& name, bool allow_4d = false,
                       bool accept_integers = false);
/// None -> nullopt, else float_array.
std::optional<FloatArray> optional_float_array(const py::handle& obj, const std::string& name, bool allow_4d = false);

/// A mask argument (bool, integer or float: nonzero and not NaN is inside, as qsmtk reads mask
/// files), 3-D with the shape of `grid` (that of the argument named `like`); a bool array in
/// Fortran order is used in place. `keep` holds the array the mask reads.
Mask mask_image(const py::handle& obj, const std::string& name, const Grid& grid, const std::string& like,
                py::object& keep);
/// A label argument (integers, or floats holding whole numbers, as qsmtk reads label files).
LabelImage label_image(const py::handle& obj, const std::string& name, const Grid& grid, const std::string& like,
                       py::object& keep);
/// ValueError unless the float argument `a` has the spatial shape of `grid` (that of `like`).
void require_same_shape(const FloatArray& a, const Grid& grid, const std::string& like);

/// The grid of an argument's dims: from `affine` (4x4, world RAS mm, as nibabel's img.affine) or
/// `voxel_size` (3 numbers in mm: an axis-aligned grid). Exactly one of them (ValueError).
Grid make_grid(const Dims& dims, const py::handle& affine, const py::handle& voxel_size);
/// The affine in use as a 4x4 float64 array.
py::array affine_array(const Grid& grid);
/// A b0_dir argument (three numbers) normalised, or nullopt for None.
std::optional<Vec3> b0_argument(const py::handle& b0_dir);

/// Echo times: a string with its unit as on the command line ("5,10,15ms") or numbers in seconds.
std::vector<double> echo_times_argument(const py::handle& obj, const std::string& name);

/// Outputs: NumPy arrays over the images' buffers, Fortran order, shape (x, y, z) or, with several
/// frames or `four_d`, (x, y, z, frames).
py::array to_numpy(Volume&& image, bool four_d = false);
py::array to_numpy(Mask&& image);
py::array to_numpy(LabelImage&& image);

/// A JSON record as Python objects (dict, list, float, ...); NaN becomes None, as in the sidecars.
py::object to_python(const Json& j);

/// Sets the thread count for this call in the calling thread (OpenMP's setting is per thread):
/// `threads` when > 0, else the module's (set_threads), else QSMTK_THREADS or all cores.
void use_threads(int threads);
void set_module_threads(int threads);
int module_threads();

/// A string option that must be one of `choices` (ValueError naming the option otherwise).
void require_choice(const std::string& name, const std::string& value, const std::vector<std::string>& choices);

}  // namespace qsmtk::python
