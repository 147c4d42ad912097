#pragma once

#include <pybind11/numpy.h>

// An array argument the engine only reads: C-contiguous and aligned, numpy
// converting or copying it where it is not. forcecast alone passes an
// unaligned array (a view into a byte buffer at an odd offset) through as it
// is, and the kernels' reads of its elements are then undefined behaviour.
template <class T>
using EngineArray = pybind11::array_t<T, pybind11::array::c_style | pybind11::array::forcecast |
                                             pybind11::detail::npy_api::NPY_ARRAY_ALIGNED_>;
