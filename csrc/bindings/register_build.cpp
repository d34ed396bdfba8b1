// interplay._core.build: how this extension was compiled (used by interplay.show_config()).
#include <pybind11/pybind11.h>

#include "interplay/common/parallel.hpp"

namespace py = pybind11;

#ifndef INTERPLAY_VERSION
#define INTERPLAY_VERSION "dev"
#endif
#ifndef INTERPLAY_COMPILER
#define INTERPLAY_COMPILER "unknown"
#endif

void register_build(py::module_ &m) {
    m.doc() = "Build information of the compiled core";
    m.attr("version") = INTERPLAY_VERSION;
    m.attr("compiler") = INTERPLAY_COMPILER;
    m.attr("openmp") = interplay::openmp_enabled();
#ifdef INTERPLAY_WITH_CUDA
    m.attr("cuda") = true;
#else
    m.attr("cuda") = false;
#endif
#ifdef NDEBUG
    m.attr("debug") = false;
#else
    m.attr("debug") = true;
#endif
    m.def("max_threads", &interplay::max_threads, "Number of OpenMP threads kernels will use.");
}
