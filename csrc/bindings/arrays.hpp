// The array boundary shared by all bindings.
//
// Inputs are `py::array_t<T, c_style | forcecast>` (converted once, at the edge). Output
// buffers are taken with .noconvert() by the caller: pybind11 would otherwise copy a
// wrong-dtype output buffer, write the copy and drop it without a word.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "interplay/common/errors.hpp"

namespace interplay::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Output/in-place buffers: exact dtype, C-contiguous, writeable; never converted.
template <class T>
using out_array = py::array_t<T, py::array::c_style>;

inline void require_ndim(const py::array &a, int lo, int hi, const char *name) {
    if (a.ndim() < lo || a.ndim() > hi) {
        throw value_error(std::string(name) + " must have " + std::to_string(lo) +
                          (lo == hi ? "" : " to " + std::to_string(hi)) + " dimensions, got " +
                          std::to_string(a.ndim()));
    }
}

inline void require_writeable(const py::array &a, const char *name) {
    if (!a.writeable()) throw value_error(std::string(name) + " must be writeable");
}

}  // namespace interplay::bind
