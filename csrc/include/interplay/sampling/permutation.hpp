// Permutation sampling for STII of order 2 (n <= 64 players, one word per coalition): the plan
// of distinct coalitions and the accumulation of the discrete derivatives, in one pass each.
//
// The plan reproduces the NumPy reference of PermutationSTII (python/interplay/estimators/
// _permutation.py) row for row: the forced rows (empty set, the n singletons, the full set),
// then per permutation pi of the seeded stream (sampling::permutations) the n + 1 prefixes
// P_0..P_n, the C(n,2) rows T_ab u {later} and the C(n,2) rows T_ab u {a, b}, pairs {a < b} in
// colex order, where T_ab = P_{min(pos a, pos b)} is the prefix before the pair's first member.
// Rows are deduplicated as they are generated (distinct rows numbered in order of first
// occurrence) and generation stops at the first permutation that would take the number of
// distinct rows past the budget, so the plan is a prefix of a budget-independent stream.
#pragma once

#include <cstdint>
#include <vector>

#include "interplay/common/errors.hpp"
#include "interplay/sampling/stratified.hpp"

namespace interplay::sampling {

// Open-addressing map from 64-bit keys to dense ids (first-come numbering), packed entries so a
// probe touches one cache line. Fixed capacity (a power of two above twice the keys it will hold).
class DenseIds64 {
  public:
    explicit DenseIds64(std::size_t max_keys) {
        std::size_t cap = 64;
        while (cap < 2 * max_keys) cap <<= 1;
        slots_.assign(cap, Slot{0, -1});
        mask_ = cap - 1;
    }
    // id of key, inserting it with id `next` if absent (then returns next).
    std::int64_t find_or_insert(std::uint64_t key, std::int64_t next) noexcept {
        std::size_t h = static_cast<std::size_t>(mix_key(key)) & mask_;
        while (true) {
            Slot &s = slots_[h];
            if (s.id < 0) {
                s.key = key;
                s.id = next;
                return next;
            }
            if (s.key == key) return s.id;
            h = (h + 1) & mask_;
        }
    }

  private:
    struct Slot {
        std::uint64_t key;
        std::int64_t id;
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

struct Stii2Plan {
    std::vector<std::uint64_t> plan;  // distinct rows in order of first occurrence
    std::vector<std::int64_t> perms;  // (n_perms, n)
    std::vector<std::int64_t> cells;  // (n + 2 + n_perms * per,) id of every generated row
    std::vector<std::int64_t> cum;    // (n_perms + 1,) distinct rows after the forced rows, perm j
    std::int64_t n_perms = 0;
};

inline std::int64_t stii2_rows_per_perm(int n) {
    return static_cast<std::int64_t>(n) + 1 + static_cast<std::int64_t>(n) * (n - 1);
}

inline Stii2Plan stii2_plan(std::uint64_t seed, int n, std::int64_t budget, std::int64_t max_perms) {
    if (n < 2 || n > 64) throw value_error("stii2_plan needs 2 <= n_players <= 64");
    const std::int64_t per = stii2_rows_per_perm(n);
    const std::int64_t nf = n + 2;
    if (budget < nf) throw value_error("budget is below the forced coalitions");
    const std::uint64_t full = n == 64 ? ~0ULL : ((1ULL << n) - 1ULL);
    // distinct rows never exceed budget + one permutation's rows, nor 2^n
    std::size_t max_keys = static_cast<std::size_t>(budget + per);
    if (n < 62 && max_keys > (std::size_t{1} << n)) max_keys = std::size_t{1} << n;
    DenseIds64 ids(max_keys);
    Stii2Plan out;
    out.plan.reserve(static_cast<std::size_t>(budget) + 1);
    out.cells.reserve(static_cast<std::size_t>(nf + 4 * per));
    auto push = [&](std::uint64_t row) {
        const auto next = static_cast<std::int64_t>(out.plan.size());
        const std::int64_t id = ids.find_or_insert(row, next);
        if (id == next) out.plan.push_back(row);
        out.cells.push_back(id);
    };
    push(0ULL);
    for (int i = 0; i < n; ++i) push(1ULL << i);
    push(full);
    out.cum.push_back(static_cast<std::int64_t>(out.plan.size()));

    std::vector<std::int64_t> p(n), pos(n);
    std::vector<std::uint64_t> prefix(n + 1);
    for (std::int64_t j = 0; j < max_perms; ++j) {
        permutations(seed, j, 1, n, p.data());
        prefix[0] = 0;
        for (int i = 0; i < n; ++i) {
            prefix[i + 1] = prefix[i] | (1ULL << p[i]);
            pos[p[i]] = i;
        }
        const std::size_t plan_before = out.plan.size(), cells_before = out.cells.size();
        for (int i = 0; i <= n; ++i) push(prefix[i]);
        for (int pass = 0; pass < 2; ++pass) {
            for (int b = 1; b < n; ++b) {
                for (int a = 0; a < b; ++a) {
                    const bool a_first = pos[a] < pos[b];
                    const std::int64_t first = a_first ? pos[a] : pos[b];
                    const int later = a_first ? b : a;
                    const std::uint64_t T = prefix[first + pass];
                    push(T | (1ULL << later));
                }
            }
        }
        if (static_cast<std::int64_t>(out.plan.size()) > budget) {
            out.plan.resize(plan_before);  // this permutation does not fit: drop it
            out.cells.resize(cells_before);
            break;
        }
        out.perms.insert(out.perms.end(), p.begin(), p.end());
        out.cum.push_back(static_cast<std::int64_t>(out.plan.size()));
        ++out.n_perms;
    }
    return out;
}

// S1[q, :] += delta, S2[q, :] += delta^2 over the M permutations, where for the pair q = {a < b}
// delta = v(T u {a, b}) - v(T u {first}) - v(T u {later}) + v(T) and T is the prefix before the
// pair's first member: the four cells are P_f, P_{f+1}, T u {later}, T u {a, b}.
inline void stii2_accumulate(const std::int64_t *perms, const std::int64_t *cells, std::int64_t M,
                             int n, const double *V, std::int64_t d, double *S1, double *S2) {
    const std::int64_t per = stii2_rows_per_perm(n);
    const std::int64_t K2 = static_cast<std::int64_t>(n) * (n - 1) / 2;
    std::vector<std::int64_t> pos(n);
    for (std::int64_t m = 0; m < M; ++m) {
        const std::int64_t *p = perms + m * n;
        const std::int64_t *c = cells + m * per;
        for (int i = 0; i < n; ++i) pos[p[i]] = i;
        const std::int64_t *xj = c + n + 1, *xij = c + n + 1 + K2;
        std::int64_t q = 0;
        for (int b = 1; b < n; ++b) {
            for (int a = 0; a < b; ++a, ++q) {
                const std::int64_t f = pos[a] < pos[b] ? pos[a] : pos[b];
                const double *v0 = V + c[f] * d, *v1 = V + c[f + 1] * d;
                const double *vj = V + xj[q] * d, *vij = V + xij[q] * d;
                double *s1 = S1 + q * d, *s2 = S2 + q * d;
                for (std::int64_t t = 0; t < d; ++t) {
                    const double delta = vij[t] - v1[t] - vj[t] + v0[t];
                    s1[t] += delta;
                    s2[t] += delta * delta;
                }
            }
        }
    }
}

}  // namespace interplay::sampling
