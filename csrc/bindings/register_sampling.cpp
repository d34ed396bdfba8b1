// interplay._core.sampling: coalition streams and subset-moment accumulation for the sampled
// estimators (python/interplay/estimators).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <utility>

#include "arrays.hpp"
#include "interplay/regression/dual.hpp"
#include "interplay/regression/moments.hpp"
#include "interplay/sampling/stratified.hpp"
#include "interplay/sampling/student_t.hpp"

namespace py = pybind11;
using interplay::bind::carray;
using interplay::bind::out_array;

namespace {

py::tuple stratified_stream(int n, carray<double> q, bool pairing, std::uint64_t seed,
                            std::int64_t budget) {
    if (q.ndim() != 1 || q.shape(0) != n + 1)
        throw interplay::value_error("size_weights must have shape (n_players + 1,)");
    if (budget < 0) throw interplay::value_error("budget must be >= 0");
    interplay::sampling::StreamOutput res;
    {
        py::gil_scoped_release release;
        res = interplay::sampling::stratified_stream(n, q.data(), pairing, seed, budget);
    }
    using interplay::bind::take;
    const auto words = static_cast<py::ssize_t>((n + 63) / 64);
    const auto m = static_cast<py::ssize_t>(res.sizes.size());
    return py::make_tuple(take(std::move(res.sets), {m, words}), take(std::move(res.sizes), {m}),
                          take(std::move(res.draw), {m}));
}

void subset_moments(carray<std::uint64_t> sets, int n, int max_order, carray<double> weights,
                    py::object bucket_obj, out_array<double> out) {
    interplay::bind::require_ndim(sets, 2, 2, "sets");
    interplay::bind::require_ndim(weights, 2, 2, "weights");
    interplay::bind::require_ndim(out, 3, 3, "out");
    interplay::bind::require_writeable(out, "out");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    if (words != static_cast<std::size_t>((n + 63) / 64))
        throw interplay::value_error("sets must have ceil(n / 64) words per row");
    if (static_cast<std::size_t>(weights.shape(0)) != m)
        throw interplay::value_error("weights must have one row per set");
    const auto c = static_cast<std::size_t>(weights.shape(1));
    interplay::colex::Table cr(n, max_order);
    if (out.shape(1) != cr.n_sets() || static_cast<std::size_t>(out.shape(2)) != c)
        throw interplay::value_error("out must have shape (n_buckets, n_sets, c)");
    carray<std::int64_t> bucket;
    const std::int64_t *pb = nullptr;
    if (!bucket_obj.is_none()) {
        bucket = carray<std::int64_t>::ensure(bucket_obj);
        if (!bucket || bucket.ndim() != 1 || static_cast<std::size_t>(bucket.shape(0)) != m)
            throw interplay::value_error("bucket must have shape (m,)");
        pb = bucket.data();
    } else if (out.shape(0) != 1) {
        throw interplay::value_error("out must have one bucket when bucket is None");
    }
    const auto *ps = sets.data();
    const auto *pw = weights.data();
    auto *po = out.mutable_data();
    const std::int64_t nb = out.shape(0);
    py::gil_scoped_release release;
    interplay::regression::subset_moments(ps, m, words, n, max_order, pw, c, pb, nb, po);
}

void subset_gather(carray<std::uint64_t> sets, int n, int max_order, carray<double> coef,
                   out_array<double> out) {
    interplay::bind::require_ndim(sets, 2, 2, "sets");
    interplay::bind::require_ndim(coef, 2, 2, "coef");
    interplay::bind::require_ndim(out, 2, 2, "out");
    interplay::bind::require_writeable(out, "out");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    if (words != static_cast<std::size_t>((n + 63) / 64))
        throw interplay::value_error("sets must have ceil(n / 64) words per row");
    interplay::colex::Table cr(n, max_order);
    const auto c = static_cast<std::size_t>(coef.shape(1));
    if (coef.shape(0) != cr.n_sets()) throw interplay::value_error("coef must have n_sets rows");
    if (static_cast<std::size_t>(out.shape(0)) != m || static_cast<std::size_t>(out.shape(1)) != c)
        throw interplay::value_error("out must have shape (m, c)");
    const auto *ps = sets.data();
    const auto *pc = coef.data();
    auto *po = out.mutable_data();
    py::gil_scoped_release release;
    interplay::regression::subset_gather(ps, m, words, n, max_order, pc, c, po);
}

void intersection_kernel(carray<std::uint64_t> sets, int n, carray<double> table,
                         out_array<double> out) {
    interplay::bind::require_ndim(sets, 2, 2, "sets");
    interplay::bind::require_ndim(table, 1, 1, "table");
    interplay::bind::require_ndim(out, 2, 2, "out");
    interplay::bind::require_writeable(out, "out");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    if (n < 0 || words != static_cast<std::size_t>((n + 63) / 64))
        throw interplay::value_error("sets must have ceil(n / 64) words per row");
    if (table.shape(0) < n + 1) throw interplay::value_error("table must have >= n + 1 entries");
    if (static_cast<std::size_t>(out.shape(0)) != m || static_cast<std::size_t>(out.shape(1)) != m)
        throw interplay::value_error("out must have shape (m, m)");
    const auto *ps = sets.data();
    const auto *pt = table.data();
    auto *po = out.mutable_data();
    py::gil_scoped_release release;
    interplay::regression::intersection_kernel(ps, m, words, pt, po);
}

void complement_fold(carray<double> src, int n, int max_order, out_array<double> out) {
    interplay::bind::require_ndim(src, 3, 3, "src");
    interplay::bind::require_ndim(out, 3, 3, "out");
    interplay::bind::require_writeable(out, "out");
    if (n < 0 || max_order < 0) throw interplay::value_error("n and max_order must be >= 0");
    interplay::colex::Table cr(n, max_order);
    for (int d = 0; d < 3; ++d)
        if (src.shape(d) != out.shape(d))
            throw interplay::value_error("src and out must have the same shape");
    if (src.shape(1) != cr.n_sets())
        throw interplay::value_error("src must have shape (n_buckets, n_sets(<= max_order), c)");
    const auto *ps = src.data();
    auto *po = out.mutable_data();
    const std::int64_t nb = src.shape(0);
    const auto c = static_cast<std::size_t>(src.shape(2));
    py::gil_scoped_release release;
    interplay::regression::complement_fold(ps, nb, n, max_order, c, po);
}

py::array_t<std::int64_t> set_ranks(carray<std::uint64_t> sets, int n, int max_order) {
    interplay::bind::require_ndim(sets, 2, 2, "sets");
    const auto m = static_cast<std::size_t>(sets.shape(0));
    const auto words = static_cast<std::size_t>(sets.shape(1));
    if (words != static_cast<std::size_t>((n + 63) / 64))
        throw interplay::value_error("sets must have ceil(n / 64) words per row");
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(m));
    const auto *ps = sets.data();
    auto *po = out.mutable_data();
    {
        py::gil_scoped_release release;
        interplay::regression::set_ranks(ps, m, words, n, max_order, po);
    }
    return out;
}

py::tuple first_occurrence(carray<std::uint64_t> rows) {
    interplay::bind::require_ndim(rows, 2, 2, "rows");
    const auto m = static_cast<std::size_t>(rows.shape(0));
    const auto words = static_cast<std::size_t>(rows.shape(1));
    py::array_t<std::int64_t> ids(static_cast<py::ssize_t>(m));
    std::vector<std::int64_t> first;
    const auto *pr = rows.data();
    auto *pi = ids.mutable_data();
    {
        py::gil_scoped_release release;
        interplay::sampling::first_occurrence(pr, m, words, pi, first);
    }
    const auto u = static_cast<py::ssize_t>(first.size());
    return py::make_tuple(interplay::bind::take(std::move(first), {u}), ids);
}

py::array_t<std::int64_t> permutations(std::uint64_t seed, std::int64_t start, std::int64_t count,
                                       int n) {
    if (count < 0 || start < 0 || n < 1) throw interplay::value_error("invalid permutation range");
    py::array_t<std::int64_t> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
    auto *po = out.mutable_data();
    {
        py::gil_scoped_release release;
        interplay::sampling::permutations(seed, start, count, n, po);
    }
    return out;
}

py::array_t<double> t975(carray<double> df) {
    const auto m = static_cast<std::size_t>(df.size());
    py::array_t<double> out(static_cast<py::ssize_t>(m));
    const auto *pd = df.data();
    auto *po = out.mutable_data();
    {
        py::gil_scoped_release release;
        for (std::size_t i = 0; i < m; ++i) po[i] = interplay::sampling::t975(pd[i]);
    }
    return out;
}

}  // namespace

void register_sampling(py::module_ &m) {
    m.doc() = "Coalition streams and subset moments for the sampled estimators";
    m.def("stratified_stream", &stratified_stream, py::arg("n"), py::arg("size_weights"),
          py::arg("pairing"), py::arg("seed"), py::arg("budget"),
          "First `budget` coalitions of the size-stratified stream: (sets (m, W), sizes, draw ids).");
    m.def("subset_moments", &subset_moments, py::arg("sets"), py::arg("n"), py::arg("max_order"),
          py::arg("weights"), py::arg("bucket"), py::arg("out").noconvert(),
          "out[b, rank(U), :] += weights[r] for U subset of sets[r], |U| <= max_order.");
    m.def("subset_gather", &subset_gather, py::arg("sets"), py::arg("n"), py::arg("max_order"),
          py::arg("coef"), py::arg("out").noconvert(),
          "out[r] = sum of coef[rank(U)] over U subset of sets[r], |U| <= max_order.");
    m.def("intersection_kernel", &intersection_kernel, py::arg("sets"), py::arg("n"),
          py::arg("table"), py::arg("out").noconvert(),
          "out[a, b] = table[popcount(sets[a] & sets[b])] (m x m; the dual regression kernel).");
    m.def("complement_fold", &complement_fold, py::arg("src"), py::arg("n"), py::arg("max_order"),
          py::arg("out").noconvert(),
          "out[b, rank(U)] += sum over A subset of U of (-1)^|A| src[b, rank(A)], |U| <= max_order "
          "(subset moments of complements -> subset moments).");
    m.def("first_occurrence", &first_occurrence, py::arg("rows"),
          "Dedup rows (m, W): (first row of each distinct row in order of first occurrence, "
          "id of each row's distinct row).");
    m.def("permutations", &permutations, py::arg("seed"), py::arg("start"), py::arg("count"),
          py::arg("n"), "Permutations start..start+count-1 of the seeded stream, (count, n).");
    m.def("set_ranks", &set_ranks, py::arg("sets"), py::arg("n"), py::arg("max_order"),
          "Rank of each set among sets of size <= max_order (size, then value); -1 if larger.");
    m.def("t975", &t975, py::arg("df"),
          "The 0.975 quantile of Student's t at each df (> 0; NaN otherwise), flattened.");
}
