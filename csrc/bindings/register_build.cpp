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
    m.def("max_threads", &interplay::max_threads, "Most OpenMP threads a kernel's region uses.");
    m.def(
        "set_max_threads",
        [](int n) {
            if (n < 0) throw py::value_error("set_max_threads: n must be >= 0 (0: OpenMP's default)");
            interplay::thread_cap().store(n, std::memory_order_relaxed);
        },
        py::arg("n"),
        "Cap every region of the engine at n threads (0: OpenMP's default); torch's untouched.");
    m.def("team", &interplay::team, py::arg("work"),
          "Threads a region of `work` elementary operations uses (one per ~4M operations).");
}
