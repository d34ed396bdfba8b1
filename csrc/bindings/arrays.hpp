// The array boundary shared by all bindings.
//
// Inputs are `py::array_t<T, c_style | forcecast>` (converted once, at the edge). Output
// buffers are taken with .noconvert() by the caller: pybind11 would otherwise copy a
// wrong-dtype output buffer, write the copy and drop it without a word.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

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

// A NumPy array that takes over the buffer of a kernel's std::vector (no copy: the vector
// lives in a capsule, the array's base). A copy into a fresh array wrote every page twice,
// and the fresh array's pages were faulted in on every call.
template <class T>
py::array_t<T> take(std::vector<T> &&v, std::vector<py::ssize_t> shape) {
    auto owned = std::make_unique<std::vector<T>>(std::move(v));
    T *data = owned->data();
    py::capsule base(owned.get(), [](void *p) { delete static_cast<std::vector<T> *>(p); });
    owned.release();  // the capsule owns it now
    return py::array_t<T>(std::move(shape), data, base);
}

}  // namespace interplay::bind
