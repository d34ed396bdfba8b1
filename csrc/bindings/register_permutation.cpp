// interplay._core.permutation: permutation-sampling plans and accumulators (SII of order k,
// STII of order 2; n <= 64).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <utility>

#include "arrays.hpp"
#include "interplay/sampling/permutation.hpp"

namespace py = pybind11;
using interplay::bind::carray;
using interplay::bind::out_array;

namespace {

py::tuple plan_tuple(interplay::sampling::PermPlan &&res, int n) {
    using interplay::bind::take;
    const auto M = static_cast<py::ssize_t>(res.n_perms);
    const auto U = static_cast<py::ssize_t>(res.plan.size());
    const auto C = static_cast<py::ssize_t>(res.cells.size());
    return py::make_tuple(take(std::move(res.plan), {U, 1}), take(std::move(res.perms), {M, n}),
                          take(std::move(res.cells), {C}), take(std::move(res.cum), {M + 1}));
}

py::tuple stii2_plan(std::uint64_t seed, int n, std::int64_t budget, std::int64_t max_perms) {
    if (max_perms < 0) throw interplay::value_error("max_perms must be >= 0");
    interplay::sampling::PermPlan res;
    {
        py::gil_scoped_release release;
        res = interplay::sampling::stii2_plan(seed, n, budget, max_perms);
    }
    return plan_tuple(std::move(res), n);
}

py::tuple sii_plan(std::uint64_t seed, int n, int k, std::int64_t budget, std::int64_t max_perms) {
    if (max_perms < 0) throw interplay::value_error("max_perms must be >= 0");
    interplay::sampling::PermPlan res;
    {
        py::gil_scoped_release release;
        res = interplay::sampling::sii_plan(seed, n, k, budget, max_perms);
    }
    return plan_tuple(std::move(res), n);
}

// Validates the accumulator's arguments, then runs kernel(perms, cells, M, n, V, d, S1, S2)
// without the GIL.
template <class Kernel>
void run_accumulate(const carray<std::int64_t> &perms, const carray<std::int64_t> &cells,
                    const carray<double> &values, std::int64_t per, std::int64_t n_sets,
                    out_array<double> &S1, out_array<double> &S2, Kernel kernel) {
    interplay::bind::require_ndim(values, 2, 2, "values");
    const auto M = static_cast<std::int64_t>(perms.shape(0));
    const std::int64_t n = perms.shape(1), d = values.shape(1), U = values.shape(0);
    if (cells.ndim() != 1 || cells.shape(0) < M * per)
        throw interplay::value_error("cells must hold n_perms * rows_per_perm ids");
    for (auto *a : {&S1, &S2}) {
        if (a->ndim() != 2 || a->shape(0) != n_sets || a->shape(1) != d)
            throw interplay::value_error("S1 and S2 must have shape (n_sets, d)");
        interplay::bind::require_writeable(*a, "S1/S2");
    }
    const auto *pc = cells.data();
    for (std::int64_t i = 0; i < M * per; ++i)
        if (pc[i] < 0 || pc[i] >= U) throw interplay::value_error("cell id out of range of values");
    const auto *pp = perms.data();
    for (std::int64_t i = 0; i < M * n; ++i)
        if (pp[i] < 0 || pp[i] >= n) throw interplay::value_error("perms must hold players 0..n-1");
    const auto *pv = values.data();
    auto *p1 = S1.mutable_data();
    auto *p2 = S2.mutable_data();
    py::gil_scoped_release release;
    kernel(pp, pc, M, static_cast<int>(n), pv, d, p1, p2);
}

void sii_accumulate(carray<std::int64_t> perms, carray<std::int64_t> cells, int k,
                    carray<double> values, out_array<double> S1, out_array<double> S2,
                    py::object group_obj, py::object SG_obj, py::object hits_obj) {
    interplay::bind::require_ndim(perms, 2, 2, "perms");
    const int n = static_cast<int>(perms.shape(1));
    if (k < 1 || k > 8 || k > n) throw interplay::value_error("k must be in 1..min(8, n)");
    std::int64_t n_sets = 0;
    for (int u = 0; u <= k; ++u) {
        double c = 1.0;
        for (int i = 0; i < u; ++i) c = c * (n - i) / (i + 1);
        n_sets += static_cast<std::int64_t>(c + 0.5);
    }
    // optional per-group sums: group (M,) ids in 0..R-1, SG (R, n_sets, d), both or neither
    carray<std::int64_t> group;
    const std::int64_t *pg = nullptr;
    double *psg = nullptr;
    if (group_obj.is_none() != SG_obj.is_none())
        throw interplay::value_error("group and SG must be given together");
    if (!group_obj.is_none()) {
        group = carray<std::int64_t>::ensure(group_obj);
        if (!group || group.ndim() != 1 || group.shape(0) != perms.shape(0))
            throw interplay::value_error("group must have shape (n_perms,)");
        if (!py::isinstance<out_array<double>>(SG_obj))
            throw interplay::value_error("SG must be a C-contiguous float64 array");
        auto SG = SG_obj.cast<out_array<double>>();
        interplay::bind::require_writeable(SG, "SG");
        if (SG.ndim() != 3 || SG.shape(1) != n_sets || values.ndim() != 2 ||
            SG.shape(2) != values.shape(1))
            throw interplay::value_error("SG must have shape (n_groups, n_sets, d)");
        pg = group.data();
        for (py::ssize_t i = 0; i < group.shape(0); ++i)
            if (pg[i] < 0 || pg[i] >= SG.shape(0))
                throw interplay::value_error("group id out of range of SG");
        psg = SG.mutable_data();
    }
    std::int64_t *ph = nullptr;  // optional window counts (n_sets,)
    if (!hits_obj.is_none()) {
        if (!py::isinstance<out_array<std::int64_t>>(hits_obj))
            throw interplay::value_error("hits must be a C-contiguous int64 array");
        auto hits = hits_obj.cast<out_array<std::int64_t>>();
        interplay::bind::require_writeable(hits, "hits");
        if (hits.ndim() != 1 || hits.shape(0) != n_sets)
            throw interplay::value_error("hits must have shape (n_sets,)");
        ph = hits.mutable_data();
    }
    run_accumulate(perms, cells, values, interplay::sampling::sii_rows_per_perm(n, k), n_sets, S1,
                   S2, [k, pg, psg, ph](auto... a) {
                       interplay::sampling::sii_accumulate(a..., k, pg, psg, ph);
                   });
}

void stii2_accumulate(carray<std::int64_t> perms, carray<std::int64_t> cells,
                      carray<double> values, out_array<double> S1, out_array<double> S2,
                      py::object lo_obj, py::object hi_obj) {
    interplay::bind::require_ndim(perms, 2, 2, "perms");
    const int n = static_cast<int>(perms.shape(1));
    const std::int64_t K2 = static_cast<std::int64_t>(n) * (n - 1) / 2;
    // optional running extremes lo, hi (K2, d): both or neither
    if (lo_obj.is_none() != hi_obj.is_none())
        throw interplay::value_error("lo and hi must be given together");
    double *plo = nullptr, *phi = nullptr;
    if (!lo_obj.is_none()) {
        for (auto *o : {&lo_obj, &hi_obj})
            if (!py::isinstance<out_array<double>>(*o))
                throw interplay::value_error("lo and hi must be C-contiguous float64 arrays");
        auto lo = lo_obj.cast<out_array<double>>(), hi = hi_obj.cast<out_array<double>>();
        for (auto *a : {&lo, &hi}) {
            interplay::bind::require_writeable(*a, "lo/hi");
            if (a->ndim() != 2 || a->shape(0) != K2 || values.ndim() != 2 ||
                a->shape(1) != values.shape(1))
                throw interplay::value_error("lo and hi must have shape (n_pairs, d)");
        }
        plo = lo.mutable_data();
        phi = hi.mutable_data();
    }
    run_accumulate(perms, cells, values, interplay::sampling::stii2_rows_per_perm(n), K2, S1, S2,
                   [plo, phi](auto... a) { interplay::sampling::stii2_accumulate(a..., plo, phi); });
}

}  // namespace

void register_permutation(py::module_ &m) {
    m.doc() = "Permutation-sampling plans and accumulators (SII order k, STII order 2)";
    m.def("stii2_plan", &stii2_plan, py::arg("seed"), py::arg("n"), py::arg("budget"),
          py::arg("max_perms"),
          "Plan of PermutationSTII (order 2, n <= 64): (distinct rows (U, 1), permutations "
          "(M, n), id of every generated row, distinct rows after the forced rows and each "
          "permutation (M + 1,)).");
    m.def("sii_plan", &sii_plan, py::arg("seed"), py::arg("n"), py::arg("k"), py::arg("budget"),
          py::arg("max_perms"),
          "Plan of PermutationSII (order k, n <= 64), same outputs as stii2_plan.");
    m.def("sii_accumulate", &sii_accumulate, py::arg("perms"), py::arg("cells"), py::arg("k"),
          py::arg("values"), py::arg("S1").noconvert(), py::arg("S2").noconvert(),
          py::arg("group") = py::none(), py::arg("SG") = py::none(),
          py::arg("hits") = py::none(),
          "S1/S2[rank(window)] += contribution and its square per permutation (SII, order k); "
          "with group (M,) and SG (n_groups, n_sets, d), SG[group[m], rank(window)] += "
          "contribution as well; with hits (n_sets,) int64, hits[rank(window)] += 1.");
    m.def("stii2_accumulate", &stii2_accumulate, py::arg("perms"), py::arg("cells"),
          py::arg("values"), py::arg("S1").noconvert(), py::arg("S2").noconvert(),
          py::arg("lo") = py::none(), py::arg("hi") = py::none(),
          "S1/S2[pair] += delta and delta^2 of the pair's discrete derivative per permutation; "
          "with lo and hi (n_pairs, d), their running minimum and maximum of delta.");
}
