// The Python module `qsmtk`: every stage of the library on NumPy arrays (python/README.md).
// Functions release the GIL while they compute, so other Python threads keep running.
#include <pybind11/pybind11.h>

#include "arrays.h"
#include "bindings.h"
#include "qsmtk/log.h"
#include "qsmtk/volume.h"
#include "qsmtk/version.h"

namespace py = pybind11;
using namespace qsmtk::python;

PYBIND11_MODULE(qsmtk, m) {
  m.doc() =
      "qsmtk: quantitative susceptibility mapping and MS iron biomarkers on NumPy arrays.\n\n"
      "Arrays are (x, y, z) or (x, y, z, echo) as nibabel's get_fdata() returns them; geometry comes from\n"
      "affine= (nibabel's img.affine) or voxel_size=. Options are named like the command line's\n"
      "(--bet-f -> bet_f, --lambda -> lambda_) with the same defaults. float32 arrays in Fortran order are\n"
      "used without a copy; float64 and C-ordered arrays are copied. Outputs are float32 (masks uint8,\n"
      "labels int32) in Fortran order. See python/README.md.";
  m.attr("__version__") = qsmtk::version();

  m.def("set_threads", &set_module_threads, py::arg("threads"),
        "Threads for every later call (0: QSMTK_THREADS, OMP_NUM_THREADS or all cores); a call's threads= wins.");
  m.def("get_threads", &module_threads, "The thread count a call without threads= uses.");
  m.def(
      "set_log_level",
      [](const std::string& level) {
        require_choice("level", level, {"quiet", "normal", "verbose"});
        qsmtk::log::set_level(level == "quiet"    ? qsmtk::log::Level::quiet
                              : level == "verbose" ? qsmtk::log::Level::verbose
                                                   : qsmtk::log::Level::normal);
      },
      py::arg("level"),
      "Messages and progress on stderr: quiet (warnings only), normal (the default, as the command line), verbose.");
  m.def(
      "b0_direction",
      [](const py::object& affine) {
        const qsmtk::Grid g = make_grid({1, 1, 1}, affine, py::none());
        const qsmtk::Vec3 b = qsmtk::b0_direction(g);
        return py::make_tuple(b[0], b[1], b[2]);
      },
      py::arg("affine"),
      "The unit B0 direction in array coordinates that qsmtk derives from an affine (CONVENTIONS: R^T z,\n"
      "R the affine's 3x3 part with unit columns), as `qsmtk info` prints it.");

  register_stages(m);
  register_analysis(m);
  register_simulation(m);
}
