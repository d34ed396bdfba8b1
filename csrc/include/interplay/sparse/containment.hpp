// The containment design of a sparse Moebius fit: X[b, r] = 1 if sets[r] is a subset of
// coalitions[b] (v(T) = sum_{S subset T} m(S), Grabisch 1997), the least-squares design that
// method="sparse" refits its recovered support on.
//
// Sets and coalitions are bitmasks packed in W little-endian uint64 words each.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interplay/common/parallel.hpp"

namespace interplay::sparse {

// out[b, r] = [sets[r] subset of coalitions[b]]; sets: (m, W), coalitions: (nb, W),
// out: (nb, m) float64; all C-contiguous.
inline void containment(const std::uint64_t *sets, std::size_t m, const std::uint64_t *coalitions,
                        std::size_t nb, std::size_t words, double *out) {
    const int team_size = team(double(nb) * double(m) * double(words));
#pragma omp parallel for schedule(dynamic, 16) num_threads(team_size) if (team_size > 1)
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(nb); ++b) {
        const std::uint64_t *c = coalitions + static_cast<std::size_t>(b) * words;
        double *o = out + static_cast<std::size_t>(b) * m;
        for (std::size_t r = 0; r < m; ++r) {
            const std::uint64_t *s = sets + r * words;
            bool subset = true;
            for (std::size_t w = 0; w < words && subset; ++w) subset = (s[w] & ~c[w]) == 0;
            o[r] = subset ? 1.0 : 0.0;
        }
    }
}

}  // namespace interplay::sparse
