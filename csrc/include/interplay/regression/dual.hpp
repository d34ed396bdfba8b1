// Kernel (dual) form of the subset-basis regressions: for 0/1 monomial features
// phi_T[S] = [S subset T], |S| in [lo, k], the m x m matrix Phi Phi^T is
//
//   (Phi Phi^T)[a, b] = sum_{j = lo}^{k} C(|T_a n T_b|, j) = table[popcount(T_a & T_b)],
//
// so it needs only popcounts of the bitmask intersections, never Phi (K columns).
// out[a, b] = table[|T_a n T_b|] for any table of length >= n + 1 (symmetric; each entry is
// computed once and mirrored; rows split over OpenMP threads, deterministic).
#pragma once

#include <algorithm>
#include <cstdint>

#include "interplay/common/bits.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"

namespace interplay::regression {

// One row of the upper triangle: row[b] = table[|T_a n T_b|] for b >= a.
inline void intersection_row(const std::uint64_t *sets, std::size_t m, std::size_t words,
                             std::size_t a, const double *table, double *row) {
    const std::uint64_t *ta = sets + a * words;
    for (std::size_t b = a; b < m; ++b) {
        const std::uint64_t *tb = sets + b * words;
        int c = 0;
        for (std::size_t w = 0; w < words; ++w) c += popcount64(ta[w] & tb[w]);
        row[b] = table[c];
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same with the POPCNT instruction (the portable build would call libgcc's table popcount,
// 3x slower); chosen at run time by __builtin_cpu_supports.
__attribute__((target("popcnt"))) inline void intersection_row_popcnt(
    const std::uint64_t *sets, std::size_t m, std::size_t words, std::size_t a,
    const double *table, double *row) {
    const std::uint64_t *ta = sets + a * words;
    for (std::size_t b = a; b < m; ++b) {
        const std::uint64_t *tb = sets + b * words;
        int c = 0;
        for (std::size_t w = 0; w < words; ++w) c += __builtin_popcountll(ta[w] & tb[w]);
        row[b] = table[c];
    }
}
#endif

inline void intersection_kernel(const std::uint64_t *sets, std::size_t m, std::size_t words,
                                const double *table, double *out) {
    // m^2 / 2 entries, each `words` popcounts and a table look-up
    const int team_size = team(0.5 * double(m) * double(m) * double(words + 1));
#if defined(__x86_64__) && defined(__GNUC__)
    const bool fast = __builtin_cpu_supports("popcnt");
#else
    const bool fast = false;
#endif
    ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 16) num_threads(team_size) if (team_size > 1)
    for (std::int64_t a = 0; a < static_cast<std::int64_t>(m); ++a) {
        errors.run([&] { errors.poll(); });
        if (errors.failed()) continue;
        double *row = out + static_cast<std::size_t>(a) * m;
#if defined(__x86_64__) && defined(__GNUC__)
        if (fast) {
            intersection_row_popcnt(sets, m, words, static_cast<std::size_t>(a), table, row);
            continue;
        }
#endif
        (void)fast;
        intersection_row(sets, m, words, static_cast<std::size_t>(a), table, row);
    }
    errors.rethrow();
    // mirror the upper triangle in 64 x 64 tiles (cache-friendly transpose; a separate pass,
    // so no two threads write the same entry)
    constexpr std::int64_t tile = 64;
    const auto mm = static_cast<std::int64_t>(m);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team_size) if (team_size > 1)
    for (std::int64_t i0 = 0; i0 < mm; i0 += tile) {
        for (std::int64_t j0 = 0; j0 <= i0; j0 += tile) {
            const std::int64_t i1 = std::min(i0 + tile, mm), j1 = std::min(j0 + tile, mm);
            for (std::int64_t i = i0; i < i1; ++i) {
                double *row = out + static_cast<std::size_t>(i) * m;
                for (std::int64_t j = j0; j < std::min(j1, i); ++j)
                    row[j] = out[static_cast<std::size_t>(j) * m + static_cast<std::size_t>(i)];
            }
        }
    }
}

}  // namespace interplay::regression
