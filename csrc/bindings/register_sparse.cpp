// interplay._core.sparse: kernels of the sparse Moebius recovery (method="sparse").
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "interplay/sparse/containment.hpp"

namespace py = pybind11;
using interplay::bind::carray;
using interplay::bind::out_array;

namespace {

void containment(carray<std::uint64_t> sets, carray<std::uint64_t> coalitions,
                 out_array<double> out) {
    if (sets.ndim() != 2 || coalitions.ndim() != 2 || out.ndim() != 2)
        throw interplay::value_error("containment: all arrays must be 2-D");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    const auto nb = static_cast<std::size_t>(coalitions.shape(0));
    if (static_cast<std::size_t>(coalitions.shape(1)) != words)
        throw interplay::value_error("coalitions must have as many words as sets");
    if (static_cast<std::size_t>(out.shape(0)) != nb || static_cast<std::size_t>(out.shape(1)) != m)
        throw interplay::value_error("out must have shape (n_coalitions, n_sets)");
    interplay::bind::require_writeable(out, "out");
    const auto *ps = sets.data();
    const auto *pc = coalitions.data();
    auto *po = out.mutable_data();
    py::gil_scoped_release release;
    interplay::sparse::containment(ps, m, pc, nb, words, po);
}

}  // namespace

void register_sparse(py::module_ &m) {
    m.doc() = "Sparse Moebius recovery (method='sparse')";
    m.def("containment", &containment, py::arg("sets"), py::arg("coalitions"),
          py::arg("out").noconvert(),
          "out[b, r] = 1.0 if sets[r] is a subset of coalitions[b] (packed words), else 0.0.");
}
