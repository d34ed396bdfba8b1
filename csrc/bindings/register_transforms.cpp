// interplay._core.transforms: subset/superset zeta and Moebius transforms (GIL released).
#include <pybind11/pybind11.h>

#include <string>

#include "arrays.hpp"
#include "interplay/common/bits.hpp"
#include "interplay/transforms/subset.hpp"

namespace py = pybind11;
using interplay::bind::out_array;

namespace {

// (n, d) of a (2^n,) or (2^n, d) table.
std::pair<int, std::size_t> table_shape(const py::array &a, const char *name) {
    interplay::bind::require_ndim(a, 1, 2, name);
    const auto rows = static_cast<std::uint64_t>(a.shape(0));
    if (!interplay::is_pow2(rows))
        throw interplay::value_error(std::string(name) + " must have a power-of-two length 2**n");
    const std::size_t d = a.ndim() == 2 ? static_cast<std::size_t>(a.shape(1)) : 1;
    return {interplay::log2_pow2(rows), d};
}

void run(int kind, const out_array<double> &in, out_array<double> &out) {
    const auto [n, d] = table_shape(in, "values");
    const auto [n2, d2] = table_shape(out, "out");
    if (n != n2 || d != d2 || in.ndim() != out.ndim())
        throw interplay::value_error("out must have the same shape as values");
    interplay::bind::require_writeable(out, "out");
    if (kind < 0 || kind > 3) throw interplay::value_error("unknown transform kind");
    const double *src = in.data();
    double *dst = out.mutable_data();
    {
        py::gil_scoped_release release;
        interplay::transforms::transform(static_cast<interplay::transforms::Kind>(kind), src,
                                         dst, n, d);
    }
}

}  // namespace

void register_transforms(py::module_ &m) {
    m.doc() = "Cache-blocked subset/superset zeta and Moebius transforms (OpenMP)";
    auto def = [&m](const char *name, int kind, const char *doc) {
        m.def(
            name,
            [kind](const out_array<double> &values, out_array<double> out) { run(kind, values, out); },
            py::arg("values").noconvert(), py::arg("out").noconvert(), doc);
    };
    def("zeta", 0, "out[S] = sum_{T subset S} values[T]; out may be values (in place).");
    def("moebius", 1, "out[S] = sum_{T subset S} (-1)^{|S|-|T|} values[T]; in place allowed.");
    def("superset_zeta", 2, "out[S] = sum_{T superset S} values[T]; in place allowed.");
    def("superset_moebius", 3,
        "out[S] = sum_{T superset S} (-1)^{|T|-|S|} values[T]; in place allowed.");
    m.def(
        "n_passes",
        [](int n, std::size_t d) { return interplay::transforms::n_passes(n, d); },
        py::arg("n"), py::arg("d") = 1, "Passes over memory a transform of (2^n, d) makes.");
    m.def(
        "set_tuning",
        [](std::size_t block_bytes, std::size_t tile_bytes, int max_group_bits) {
            if (block_bytes < 64 || tile_bytes < 64 || max_group_bits < 1)
                throw interplay::value_error("tuning values too small");
            auto &t = interplay::transforms::tuning();
            t.block_bytes = block_bytes;
            t.tile_bytes = tile_bytes;
            t.max_group_bits = max_group_bits;
        },
        py::arg("block_bytes"), py::arg("tile_bytes"), py::arg("max_group_bits"),
        "Set the cache parameters (for benchmarks).");
    m.def("get_tuning", []() {
        const auto &t = interplay::transforms::tuning();
        return py::make_tuple(t.block_bytes, t.tile_bytes, t.max_group_bits);
    });
}
