// interplay._core.fidelity: evaluation of explanation-implied games.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "interplay/fidelity/explanation_game.hpp"

namespace py = pybind11;
using interplay::bind::carray;
using interplay::bind::out_array;

namespace {

void explanation_game(carray<std::uint64_t> sets, carray<double> values,
                      carray<std::uint64_t> coalitions, out_array<double> out) {
    // Shapes were validated in Python; re-check the invariants that protect memory.
    if (sets.ndim() != 2 || values.ndim() != 2 || coalitions.ndim() != 2 || out.ndim() != 2)
        throw interplay::value_error("explanation_game: all arrays must be 2-D");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    const auto d = static_cast<std::size_t>(values.shape(1));
    const auto nb = static_cast<std::size_t>(coalitions.shape(0));
    if (static_cast<std::size_t>(values.shape(0)) != m)
        throw interplay::value_error("values must have one row per set");
    if (static_cast<std::size_t>(coalitions.shape(1)) != words)
        throw interplay::value_error("coalitions must have as many words as sets");
    if (static_cast<std::size_t>(out.shape(0)) != nb || static_cast<std::size_t>(out.shape(1)) != d)
        throw interplay::value_error("out must have shape (n_coalitions, d)");
    interplay::bind::require_writeable(out, "out");
    const auto *ps = sets.data();
    const auto *pv = values.data();
    const auto *pc = coalitions.data();
    auto *po = out.mutable_data();
    py::gil_scoped_release release;
    interplay::fidelity::explanation_game(ps, pv, m, d, pc, nb, words, po);
}

}  // namespace

void register_fidelity(py::module_ &m) {
    m.doc() = "Explanation-implied games";
    m.def("explanation_game", &explanation_game, py::arg("sets"), py::arg("values"),
          py::arg("coalitions"), py::arg("out").noconvert(),
          "out[b] = sum of values[r] over sets[r] subset of coalitions[b] (packed words).");
}
