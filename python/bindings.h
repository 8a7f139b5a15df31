#pragma once
// The module's functions, registered by topic (python/qsmtk_module.cpp calls these).
#include <pybind11/pybind11.h>

namespace qsmtk::python {

void register_stages(pybind11::module_& m);      // stages.cpp: brain_mask ... run_pipeline
void register_analysis(pybind11::module_& m);    // analysis.cpp: lesions, roistats, compare
void register_simulation(pybind11::module_& m);  // simulation.cpp: simulate

}  // namespace qsmtk::python
