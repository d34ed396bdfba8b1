// interplay._core: builds one submodule per concept. Each csrc/bindings/register_<name>.cpp
// provides register_<name>(module); CMake generates the list (interplay_registrations.inc).
#include <pybind11/pybind11.h>

#include "interplay/common/errors.hpp"

namespace py = pybind11;

#define INTERPLAY_REGISTER(name) void register_##name(py::module_ &m);
#include "interplay_registrations.inc"
#undef INTERPLAY_REGISTER

PYBIND11_MODULE(_core, m) {
    m.doc() = "interplay compiled core (C++, OpenMP)";
    py::register_exception<interplay::value_error>(m, "CoreValueError", PyExc_ValueError);
#define INTERPLAY_REGISTER(name)                  \
    {                                             \
        py::module_ sub = m.def_submodule(#name); \
        register_##name(sub);                     \
    }
#include "interplay_registrations.inc"
#undef INTERPLAY_REGISTER
}
