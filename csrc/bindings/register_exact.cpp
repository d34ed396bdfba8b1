// interplay._core.exact: size-weighted superset sums of a Moebius table (GIL released).
#include <pybind11/pybind11.h>

#include <string>

#include "arrays.hpp"
#include "interplay/common/bits.hpp"
#include "interplay/indices/weighted_superset.hpp"

namespace py = pybind11;
using interplay::bind::out_array;

void register_exact(py::module_ &m) {
    m.doc() = "Exact interaction indices from a Moebius table (size-weight policies)";
    m.def(
        "weighted_superset",
        [](const out_array<double> &moebius, const out_array<double> &weights, int min_order,
           const std::string &method, out_array<double> out, int block_bits) {
            interplay::bind::require_ndim(moebius, 1, 2, "moebius");
            const auto rows = static_cast<std::uint64_t>(moebius.shape(0));
            if (!interplay::is_pow2(rows))
                throw interplay::value_error("moebius must have a power-of-two length 2**n");
            const int n = interplay::log2_pow2(rows);
            const std::size_t d = moebius.ndim() == 2 ? std::size_t(moebius.shape(1)) : 1;
            if (weights.ndim() != 2 || weights.shape(1) != n + 1 || weights.shape(0) < 1)
                throw interplay::value_error("weights must have shape (k+1, n+1)");
            const int k = int(weights.shape(0)) - 1;
            if (k > n || min_order < 0 || min_order > k)
                throw interplay::value_error("need 0 <= min_order <= k <= n");
            const std::uint64_t m_rows = interplay::colex::n_sets(n, min_order, k);
            if (out.ndim() != moebius.ndim() || std::uint64_t(out.shape(0)) != m_rows ||
                (out.ndim() == 2 && std::size_t(out.shape(1)) != d))
                throw interplay::value_error("out has the wrong shape");
            interplay::bind::require_writeable(out, "out");
            interplay::indices::Weights w{weights.data(), n, k};
            const double *src = moebius.data();
            double *dst = out.mutable_data();
            if (method == "gather") {
                py::gil_scoped_release release;
                interplay::indices::gather(src, n, d, min_order, k, dst);
            } else if (method == "fused") {
                py::gil_scoped_release release;
                interplay::indices::fused(src, n, d, w, min_order, dst, block_bits);
            } else if (method == "per_order") {
                py::array_t<double> work(std::vector<py::ssize_t>{py::ssize_t(rows * d)});
                double *wp = work.mutable_data();
                py::gil_scoped_release release;
                interplay::indices::per_order(src, n, d, w, min_order, wp, dst);
            } else {
                throw interplay::value_error("method must be 'fused', 'per_order' or 'gather'");
            }
        },
        py::arg("moebius").noconvert(), py::arg("weights").noconvert(), py::arg("min_order"),
        py::arg("method"), py::arg("out").noconvert(), py::arg("block_bits") = -1,
        "out[S] = sum_{T superset S} weights[|S|, |T|] moebius[T] for min_order <= |S| <= k.");
    m.def(
        "enumerate_sets",
        [](int n, int min_order, int k) {
            if (n < 0 || n > 62 || min_order < 0 || k > n || min_order > k)
                throw interplay::value_error("need 0 <= min_order <= k <= n <= 62");
            const std::uint64_t rows = interplay::colex::n_sets(n, min_order, k);
            py::array_t<std::uint64_t> out(std::vector<py::ssize_t>{py::ssize_t(rows)});
            std::uint64_t *p = out.mutable_data();
            {
                py::gil_scoped_release release;
                interplay::colex::enumerate_sets(n, min_order, k, p);
            }
            return out;
        },
        py::arg("n"), py::arg("min_order"), py::arg("max_order"),
        "Bitmasks of all sets with min_order <= |S| <= max_order, by size then value.");
    m.def("fused_cost", &interplay::indices::fused_cost, py::arg("n"), py::arg("d"),
          py::arg("min_order"), py::arg("k"));
    m.def("per_order_cost", &interplay::indices::per_order_cost, py::arg("n"), py::arg("d"),
          py::arg("min_order"), py::arg("k"));
}
