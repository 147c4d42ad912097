// fastdnn._core: the engine's thin Python face. Converts arrays, releases the
// GIL around compute, and nothing else: all logic is in cpp/ or in Python.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_kernels(py::module_& module);
void bind_network(py::module_& module);

PYBIND11_MODULE(_core, module) {
  module.doc() = "fastdnn's C++ engine (private: use fastdnn's estimators)";
  bind_kernels(module);
  bind_network(module);
}
