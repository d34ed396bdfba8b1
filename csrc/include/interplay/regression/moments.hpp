// Subset moments streamed from coalition bitmasks: the one accumulation behind every sampled
// estimator (normal equations, Monte-Carlo strata sums, MSR conditional means).
//
//   moments[b, rank(U), j] = sum over rows r with bucket[r] = b and U subset of T_r, |U| <= K,
//                            of weights[r, j]
//
// where rank(U) is U's position among all sets of size <= K ordered by size, then value
// (colex): rank(U) = offset(|U|) + sum_i C(a_i, i) for U = {a_1 < ... < a_u}. A Gram matrix of
// 0/1 monomials is G[S, S'] = moments[rank(S u S')], so the dense design matrix is never formed.
//
// Determinism: an output entry is only written by the thread owning min(U) (min mod threads),
// always in row order, so the sums are bitwise identical for any thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "interplay/common/colex.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"

namespace interplay::regression {

// Visit rank(U) for every U subset of mem[0..t) with 1 <= |U| <= K whose smallest member has
// position >= start in mem (depth = |U| so far, partial = colex partial sum).
template <class F>
inline void visit_subsets(const colex::Table &cr, const int *mem, int t, int start, int depth,
                          std::int64_t partial, F &&f) {
    for (int j = start; j < t; ++j) {
        const std::int64_t r = partial + cr.c(mem[j], depth + 1);
        f(cr.offset(depth + 1) + r);
        if (depth + 1 < cr.k()) visit_subsets(cr, mem, t, j + 1, depth + 1, r, f);
    }
}

// Nested loops for |U| <= 4 (the common case: order-2 Gram matrices), smallest member
// outermost so that thread ownership is decided once per first member. `add(rank)` is called
// for every U with 1 <= |U| <= K whose smallest member is mem[first].
template <class F>
inline void visit_upto4(const std::int64_t *c1, const std::int64_t *c2, const std::int64_t *c3,
                        const std::int64_t *c4, const std::int64_t *off, int t, int K, int first,
                        F &&add) {
    const std::int64_t r1 = c1[first];
    add(off[1] + r1);
    if (K < 2) return;
    for (int b = first + 1; b < t; ++b) {
        const std::int64_t r2 = r1 + c2[b];
        add(off[2] + r2);
        if (K < 3) continue;
        for (int c = b + 1; c < t; ++c) {
            const std::int64_t r3 = r2 + c3[c];
            add(off[3] + r3);
            if (K < 4) continue;
            const std::int64_t base4 = off[4] + r3;
            for (int d = c + 1; d < t; ++d) add(base4 + c4[d]);
        }
    }
}

// sum over rows of sum_{u <= K} C(|T_r|, u), times c: the additions subset_moments/gather do
inline double subset_work(const std::uint64_t *sets, std::size_t m, std::size_t words, int n,
                          int max_order, std::size_t c) {
    const auto K = static_cast<std::size_t>(max_order);
    std::vector<double> upto(static_cast<std::size_t>(n) + 1, 0.0), row(K + 1, 0.0);
    row[0] = 1.0;  // row[u] = C(t, u) as t grows
    for (std::size_t t = 0; t <= static_cast<std::size_t>(n); ++t) {
        if (t > 0)
            for (std::size_t u = std::min(t, K); u >= 1; --u) row[u] += row[u - 1];
        double acc = 0.0;
        for (std::size_t u = 0; u <= K; ++u) acc += row[u];
        upto[t] = acc;
    }
    double work = 0.0;
    for (std::size_t r = 0; r < m; ++r) {
        int t = 0;
        for (std::size_t w = 0; w < words; ++w) t += __builtin_popcountll(sets[r * words + w]);
        work += upto[static_cast<std::size_t>(std::min(t, n))];
    }
    return work * static_cast<double>(c);
}

// out has shape (n_buckets, n_sets, c), zero-initialised by the caller or accumulated into.
inline void subset_moments(const std::uint64_t *sets, std::size_t m, std::size_t words, int n,
                           int max_order, const double *weights, std::size_t c,
                           const std::int64_t *bucket, std::int64_t n_buckets, double *out) {
    colex::Table cr(n, max_order);
    const std::int64_t ns = cr.n_sets();
    for (std::size_t r = 0; r < m; ++r)
        if (bucket && (bucket[r] < 0 || bucket[r] >= n_buckets))
            throw value_error("bucket index out of range");
    const int team_size = team(subset_work(sets, m, words, n, max_order, c));
    ParallelErrors errors;
#pragma omp parallel num_threads(team_size) if (team_size > 1)
    {
#ifdef _OPENMP
        const int T = omp_get_num_threads();
#else
        const int T = 1;
#endif
        const int tid = thread_id();
        errors.run([&] {
            std::vector<int> mem(static_cast<std::size_t>(n));
            std::vector<std::int64_t> cc(static_cast<std::size_t>(5 * (n + 1)), 0);
            std::int64_t off[6] = {0, 0, 0, 0, 0, 0};
            for (int u = 0; u <= max_order && u <= 4; ++u) off[u] = cr.offset(u);
            for (std::size_t r = 0; r < m; ++r) {
                if ((r & 255) == 0) errors.poll();
                const std::int64_t b = bucket ? bucket[r] : 0;
                double *base = out + static_cast<std::size_t>(b * ns) * c;
                const double *w = weights + r * c;
                if (tid == 0)
                    for (std::size_t j = 0; j < c; ++j) base[j] += w[j];  // empty set
                if (max_order == 0) continue;  // only the empty set
                const int t = colex::members_of(sets + r * words, words, mem.data());
                if (max_order <= 4) {
                    std::int64_t *c1 = cc.data(), *c2 = c1 + (n + 1), *c3 = c2 + (n + 1),
                                 *c4 = c3 + (n + 1);
                    for (int i = 0; i < t; ++i) {
                        c1[i] = cr.c(mem[i], 1);
                        if (max_order > 1) c2[i] = cr.c(mem[i], 2);
                        if (max_order > 2) c3[i] = cr.c(mem[i], 3);
                        if (max_order > 3) c4[i] = cr.c(mem[i], 4);
                    }
                    for (int first = 0; first < t; ++first) {
                        if (mem[first] % T != tid) continue;
                        if (c == 1) {
                            const double w0 = w[0];
                            visit_upto4(c1, c2, c3, c4, off, t, max_order, first,
                                        [&](std::int64_t rank) { base[rank] += w0; });
                        } else {
                            visit_upto4(c1, c2, c3, c4, off, t, max_order, first,
                                        [&](std::int64_t rank) {
                                            double *oo = base + static_cast<std::size_t>(rank) * c;
                                            for (std::size_t j = 0; j < c; ++j) oo[j] += w[j];
                                        });
                        }
                    }
                    continue;
                }
                for (int first = 0; first < t; ++first) {
                    if (mem[first] % T != tid) continue;
                    const std::int64_t r1 = cr.c(mem[first], 1);
                    double *o = base + static_cast<std::size_t>(cr.offset(1) + r1) * c;
                    for (std::size_t j = 0; j < c; ++j) o[j] += w[j];
                    if (max_order > 1)
                        visit_subsets(cr, mem.data(), t, first + 1, 1, r1, [&](std::int64_t rank) {
                            double *oo = base + static_cast<std::size_t>(rank) * c;
                            for (std::size_t j = 0; j < c; ++j) oo[j] += w[j];
                        });
                }
            }
        });
    }
    errors.rethrow();
}

// out[r, j] = sum over U subset of T_r, |U| <= K, of coef[rank(U), j]  (the explanation game)
inline void subset_gather(const std::uint64_t *sets, std::size_t m, std::size_t words, int n,
                          int max_order, const double *coef, std::size_t c, double *out) {
    colex::Table cr(n, max_order);
    const int team_size = team(subset_work(sets, m, words, n, max_order, c));
    ParallelErrors errors;
#pragma omp parallel num_threads(team_size) if (team_size > 1)
    {
        std::vector<int> mem(static_cast<std::size_t>(n));
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < static_cast<std::int64_t>(m); ++r) {
            errors.run([&] {
                if ((r & 255) == 0) errors.poll();
                double *o = out + static_cast<std::size_t>(r) * c;
                for (std::size_t j = 0; j < c; ++j) o[j] = coef[j];
                if (max_order == 0) return;
                const int t = colex::members_of(sets + static_cast<std::size_t>(r) * words, words, mem.data());
                visit_subsets(cr, mem.data(), t, 0, 0, 0, [&](std::int64_t rank) {
                    const double *cc = coef + static_cast<std::size_t>(rank) * c;
                    for (std::size_t j = 0; j < c; ++j) o[j] += cc[j];
                });
            });
        }
    }
    errors.rethrow();
}

// Subset moments of complements -> subset moments. For rows accumulated through their
// complements N minus T (few subsets when |T| > n/2), [U subset T] = sum_{A subset U} (-1)^{|A|}
// [A subset N minus T], hence
//
//   out[b, rank(U), j] += sum over A subset U of (-1)^{|A|} src[b, rank(A), j]   (|U| <= K)
//
// src and out have shape (n_buckets, n_sets(<= K), c). Each U is written by one iteration only,
// summing its 2^|U| terms in a fixed order (bitwise identical for any thread count).
inline void complement_fold(const double *src, std::int64_t n_buckets, int n, int max_order,
                            std::size_t c, double *out) {
    if (max_order > 62) throw value_error("complement_fold: max_order must be <= 62");
    colex::Table cr(n, max_order);
    const std::int64_t ns = cr.n_sets();
    const std::size_t plane = static_cast<std::size_t>(ns) * c;
    ParallelErrors errors;
    for (int s = 0; s <= max_order && s <= n; ++s) {
        const std::int64_t lo = cr.offset(s), count = cr.offset(s + 1) - lo;
        const int team_size = team(static_cast<double>(count) * static_cast<double>(std::uint64_t{1} << s) *
                                   static_cast<double>(n_buckets) * static_cast<double>(c));
#pragma omp parallel num_threads(team_size) if (team_size > 1)
        {
            std::vector<int> mem(static_cast<std::size_t>(s) + 1);
#pragma omp for schedule(static)
            for (std::int64_t q = 0; q < count; ++q) {
                errors.run([&] {
                    if ((q & 255) == 0) errors.poll();
                    // colex unrank: the largest a with C(a, i) <= rest, from the top member down
                    std::int64_t rest = q;
                    int a = n - 1;
                    for (int i = s; i >= 1; --i) {
                        while (cr.c(a, i) > rest) --a;
                        mem[static_cast<std::size_t>(i - 1)] = a;
                        rest -= cr.c(a, i);
                        --a;
                    }
                    const std::uint64_t nsub = std::uint64_t{1} << s;
                    for (std::int64_t b = 0; b < n_buckets; ++b) {
                        double *o = out + static_cast<std::size_t>(b) * plane +
                                    static_cast<std::size_t>(lo + q) * c;
                        const double *sb = src + static_cast<std::size_t>(b) * plane;
                        for (std::uint64_t L = 0; L < nsub; ++L) {
                            int u = 0;
                            std::int64_t rank = 0;
                            for (int i = 0; i < s; ++i)
                                if (L >> i & 1) rank += cr.c(mem[static_cast<std::size_t>(i)], ++u);
                            rank += cr.offset(u);
                            const double *x = sb + static_cast<std::size_t>(rank) * c;
                            if (u % 2)
                                for (std::size_t j = 0; j < c; ++j) o[j] -= x[j];
                            else
                                for (std::size_t j = 0; j < c; ++j) o[j] += x[j];
                        }
                    }
                });
            }
        }
        errors.rethrow();
    }
}

// rank of each set (|set| <= max_order, else -1)
inline void set_ranks(const std::uint64_t *sets, std::size_t m, std::size_t words, int n,
                      int max_order, std::int64_t *out) {
    colex::Table cr(n, max_order);
    std::vector<int> mem(static_cast<std::size_t>(n));
    for (std::size_t r = 0; r < m; ++r) {
        const int t = colex::members_of(sets + r * words, words, mem.data());
        if (t > max_order) {
            out[r] = -1;
            continue;
        }
        out[r] = cr.rank(mem.data(), t);
    }
}

}  // namespace interplay::regression
