// The game implied by an interaction explanation: v_hat(T) = sum over held sets S subset of T
// of e_S (Grabisch 1997; the p-faithfulness of FIxLIP, Tsai et al. 2023 for FSII/FBII).
//
// Sets and coalitions are bitmasks packed in W little-endian uint64 words each.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interplay/common/parallel.hpp"

namespace interplay::fidelity {

// out[b, :] = sum_{r : sets[r] subset of coalitions[b]} values[r, :]
// sets: (m, W), values: (m, d), coalitions: (nb, W), out: (nb, d); all C-contiguous.
inline void explanation_game(const std::uint64_t *sets, const double *values, std::size_t m,
                             std::size_t d, const std::uint64_t *coalitions, std::size_t nb,
                             std::size_t words, double *out) {
    const int team_size = team(double(nb) * double(m) * double(words + d));
#pragma omp parallel for schedule(dynamic, 16) num_threads(team_size) if (team_size > 1)
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(nb); ++b) {
        const std::uint64_t *c = coalitions + static_cast<std::size_t>(b) * words;
        double *o = out + static_cast<std::size_t>(b) * d;
        for (std::size_t k = 0; k < d; ++k) o[k] = 0.0;
        if (words == 1) {
            const std::uint64_t outside = ~c[0];
            if (d == 1) {
                double acc = 0.0;
                for (std::size_t r = 0; r < m; ++r) acc += (sets[r] & outside) ? 0.0 : values[r];
                o[0] = acc;
            } else {
                for (std::size_t r = 0; r < m; ++r) {
                    if (sets[r] & outside) continue;
                    const double *v = values + r * d;
                    for (std::size_t k = 0; k < d; ++k) o[k] += v[k];
                }
            }
        } else {
            for (std::size_t r = 0; r < m; ++r) {
                const std::uint64_t *s = sets + r * words;
                bool subset = true;
                for (std::size_t w = 0; w < words && subset; ++w) subset = (s[w] & ~c[w]) == 0;
                if (!subset) continue;
                const double *v = values + r * d;
                for (std::size_t k = 0; k < d; ++k) o[k] += v[k];
            }
        }
    }
}

}  // namespace interplay::fidelity
