// interplay._core: builds one submodule per concept. Each csrc/bindings/register_<name>.cpp
// provides register_<name>(module); CMake generates the list (interplay_registrations.inc).
#include <pybind11/pybind11.h>
#include <pythread.h>

#include "interplay/common/errors.hpp"

namespace py = pybind11;

#define INTERPLAY_REGISTER(name) void register_##name(py::module_ &m);
#include "interplay_registrations.inc"
#undef INTERPLAY_REGISTER

namespace {

unsigned long main_thread_ident = 0;
PyObject *pending[3] = {nullptr, nullptr, nullptr};  // the signal handler's exception

// Installed as interplay::interrupt_check: runs Python's signal handlers from a kernel's
// calling thread (only the main thread receives them), keeping what they raised.
int check_signals() {
    if (PyThread_get_thread_ident() != main_thread_ident) return 0;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return 0;
    Py_XDECREF(pending[0]);
    Py_XDECREF(pending[1]);
    Py_XDECREF(pending[2]);
    PyErr_Fetch(&pending[0], &pending[1], &pending[2]);
    return 1;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "interplay compiled core (C++, OpenMP)";
    py::register_exception<interplay::value_error>(m, "CoreValueError", PyExc_ValueError);
    main_thread_ident =
        py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    interplay::interrupt_check().store(&check_signals);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const interplay::interrupted &) {
            if (pending[0]) {
                PyErr_Restore(pending[0], pending[1], pending[2]);
                pending[0] = pending[1] = pending[2] = nullptr;
            } else {
                PyErr_SetNone(PyExc_KeyboardInterrupt);
            }
        }
    });
#define INTERPLAY_REGISTER(name)                  \
    {                                             \
        py::module_ sub = m.def_submodule(#name); \
        register_##name(sub);                     \
    }
#include "interplay_registrations.inc"
#undef INTERPLAY_REGISTER
}
