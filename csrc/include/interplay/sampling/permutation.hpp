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

#include <algorithm>
#include <cstdint>
#include <vector>

#include "interplay/common/colex.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/sampling/stratified.hpp"

namespace interplay::sampling {

// Open-addressing map from 64-bit keys to dense ids (first-come numbering), packed entries so a
// probe touches one cache line. Fixed capacity (a power of two above twice the keys it will hold).
class DenseIds64 {
  public:
    // The slots live in a per-thread buffer kept between plans of up to 2^20 slots (16 MB): a
    // fresh 512 KB table per plan (budget 1e4) cost about as much CPU in page faults as the plan.
    explicit DenseIds64(std::size_t max_keys) {
        std::size_t cap = 64;
        while (cap < 2 * max_keys) cap <<= 1;
        if (scratch().size() < cap) scratch().resize(cap);
        std::fill_n(scratch().begin(), cap, Slot{0, -1});
        slots_ = scratch().data();
        mask_ = cap - 1;
    }
    DenseIds64(const DenseIds64 &) = delete;
    DenseIds64 &operator=(const DenseIds64 &) = delete;
    ~DenseIds64() {
        if (scratch().size() > (std::size_t{1} << 20)) std::vector<Slot>().swap(scratch());
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
    static std::vector<Slot> &scratch() {
        static thread_local std::vector<Slot> slots;
        return slots;
    }
    Slot *slots_ = nullptr;
    std::size_t mask_ = 0;
};

struct PermPlan {
    std::vector<std::uint64_t> plan;  // distinct rows in order of first occurrence
    std::vector<std::int64_t> perms;  // (n_perms, n)
    std::vector<std::int64_t> cells;  // (n_forced + n_perms * per,) id of every generated row
    std::vector<std::int64_t> cum;    // (n_perms + 1,) distinct rows after the forced rows, perm j
    std::int64_t n_perms = 0;
};

inline std::uint64_t full_mask(int n) { return n == 64 ? ~0ULL : ((1ULL << n) - 1ULL); }

// The streaming planner shared by the permutation estimators: push the forced rows, then for
// each permutation j of the seeded stream emit(p, pos, prefix, push) its `per` rows; a
// permutation whose rows take the distinct count past `budget` is dropped and ends the plan.
template <class Emit>
PermPlan plan_permutations(std::uint64_t seed, int n, std::int64_t budget, std::int64_t max_perms,
                           const std::vector<std::uint64_t> &forced, std::int64_t per, Emit emit) {
    if (n < 1 || n > 64) throw value_error("permutation plans need 1 <= n_players <= 64");
    const auto nf = static_cast<std::int64_t>(forced.size());
    if (budget < nf) throw value_error("budget is below the forced coalitions");
    // distinct rows never exceed budget + one permutation's rows, nor 2^n
    std::size_t max_keys = static_cast<std::size_t>(budget + per);
    if (n < 62 && max_keys > (std::size_t{1} << n)) max_keys = std::size_t{1} << n;
    DenseIds64 ids(max_keys);
    PermPlan out;
    out.plan.reserve(static_cast<std::size_t>(budget) + 1);
    out.cells.reserve(static_cast<std::size_t>(nf + 4 * per));
    auto push = [&](std::uint64_t row) {
        const auto next = static_cast<std::int64_t>(out.plan.size());
        const std::int64_t id = ids.find_or_insert(row, next);
        if (id == next) out.plan.push_back(row);
        out.cells.push_back(id);
    };
    for (auto row : forced) push(row);
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
        emit(p, pos, prefix, push);
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

inline std::int64_t stii2_rows_per_perm(int n) {
    return static_cast<std::int64_t>(n) + 1 + static_cast<std::int64_t>(n) * (n - 1);
}

// STII order 2. Forced rows: the empty set, the n singletons, the full set.
inline PermPlan stii2_plan(std::uint64_t seed, int n, std::int64_t budget, std::int64_t max_perms) {
    if (n < 2 || n > 64) throw value_error("stii2_plan needs 2 <= n_players <= 64");
    std::vector<std::uint64_t> forced{0ULL};
    for (int i = 0; i < n; ++i) forced.push_back(1ULL << i);
    forced.push_back(full_mask(n));
    return plan_permutations(
        seed, n, budget, max_perms, forced, stii2_rows_per_perm(n),
        [n](const std::vector<std::int64_t> &, const std::vector<std::int64_t> &pos,
            const std::vector<std::uint64_t> &prefix, auto &push) {
            for (int i = 0; i <= n; ++i) push(prefix[i]);
            for (int pass = 0; pass < 2; ++pass) {
                for (int b = 1; b < n; ++b) {
                    for (int a = 0; a < b; ++a) {
                        const bool a_first = pos[a] < pos[b];
                        const std::int64_t first = a_first ? pos[a] : pos[b];
                        push(prefix[first + pass] | (1ULL << (a_first ? b : a)));
                    }
                }
            }
        });
}

inline std::int64_t sii_rows_per_perm(int n, int k) {
    return k == 1 ? n + 1 : (static_cast<std::int64_t>(n) + 1) << k;
}

// SII (and SV, k-SII) of order k: per permutation the prefixes P_0..P_n (k = 1), or for each
// prefix position q = 0..n and mask L over the next k positions the row P_q u {pi_{q+i} : bit i
// of L} (positions beyond n dropped). Forced rows: the empty and the full set.
inline PermPlan sii_plan(std::uint64_t seed, int n, int k, std::int64_t budget,
                         std::int64_t max_perms) {
    if (k < 1 || k > 8) throw value_error("sii_plan needs 1 <= max_order <= 8");
    return plan_permutations(
        seed, n, budget, max_perms, {0ULL, full_mask(n)}, sii_rows_per_perm(n, k),
        [n, k](const std::vector<std::int64_t> &p, const std::vector<std::int64_t> &,
               const std::vector<std::uint64_t> &prefix, auto &push) {
            if (k == 1) {
                for (int i = 0; i <= n; ++i) push(prefix[i]);
                return;
            }
            for (int q = 0; q <= n; ++q) {
                for (int L = 0; L < (1 << k); ++L) {
                    std::uint64_t row = prefix[q];
                    for (int i = 0; i < k; ++i)
                        if (((L >> i) & 1) && q + i < n) row |= 1ULL << p[q + i];
                    push(row);
                }
            }
        });
}

// S1/S2 of permutation-sampling SII: for each permutation, window size s = 0..k and start q,
// contrib = C(n, s) / (n - s + 1) * sum_{L subset [s]} (-1)^{s - |L|} v(cell(q, L)) is added to
// the window's set (ranked by size, then colex); the n + 1 empty windows of a permutation are
// summed before squaring. rank(S) = offset(n, s) + sum_i C(c_i, i + 1), c sorted ascending.
// With group (M,) and SG (n_groups, n_sets, d) given, each contribution is also added to
// SG[group[m], rank(window)]: the sums of random groups of permutations (k-SII's covariance)
// in the same pass, S1 and S2 unchanged. With hits (n_sets,) given, hits[rank(window)] counts the
// permutations in which the set is a window (every permutation for |S| <= 1).
inline void sii_accumulate(const std::int64_t *perms, const std::int64_t *cells, std::int64_t M,
                           int n, const double *V, std::int64_t d, double *S1, double *S2, int k,
                           const std::int64_t *group = nullptr, double *SG = nullptr,
                           std::int64_t *hits = nullptr) {
    const std::int64_t per = sii_rows_per_perm(n, k);
    const colex::Table C(n, k);
    const std::int64_t n_sets = C.n_sets();
    std::vector<double> tot(d);
    std::vector<int> mem(static_cast<std::size_t>(k));
    std::vector<const double *> rows(std::size_t{1} << k);
    std::vector<double> sign(std::size_t{1} << k);
    for (std::int64_t m = 0; m < M; ++m) {
        const std::int64_t *p = perms + m * n;
        const std::int64_t *c = cells + m * per;
        // empty windows: the n + 1 prefixes, weight 1 / (n + 1), summed before squaring
        const double c0 = 1.0 / static_cast<double>(n + 1);
        double *sg = SG ? SG + group[m] * n_sets * d : nullptr;
        std::fill(tot.begin(), tot.end(), 0.0);
        for (int q = 0; q <= n; ++q) {
            const double *v = V + (k == 1 ? c[q] : c[static_cast<std::int64_t>(q) << k]) * d;
            for (std::int64_t t = 0; t < d; ++t) tot[t] += v[t];
        }
        for (std::int64_t t = 0; t < d; ++t) {
            const double x = c0 * tot[t];
            S1[t] += x;
            S2[t] += x * x;
            if (sg) sg[t] += x;
        }
        if (hits) ++hits[0];
        if (k == 1) {  // SV windows: the marginal contribution of pi_q to the prefix P_q
            for (int q = 0; q < n; ++q) {
                if (hits) ++hits[1 + p[q]];
                const double *v0 = V + c[q] * d, *v1 = V + c[q + 1] * d;
                double *s1 = S1 + (1 + p[q]) * d, *s2 = S2 + (1 + p[q]) * d;
                for (std::int64_t t = 0; t < d; ++t) {
                    const double x = v1[t] - v0[t];  // C(n, 1) / n = 1
                    s1[t] += x;
                    s2[t] += x * x;
                    if (sg) sg[(1 + p[q]) * d + t] += x;
                }
            }
            continue;
        }
        for (int s = 1; s <= k && s <= n; ++s) {
            const double csz = static_cast<double>(C.c(n, s)) / static_cast<double>(n - s + 1);
            const int nL = 1 << s;
            for (int L = 0; L < nL; ++L)
                sign[L] = ((s - __builtin_popcount(static_cast<unsigned>(L))) & 1) ? -csz : csz;
            for (int q = 0; q + s <= n; ++q) {
                const std::int64_t *cq = c + (static_cast<std::int64_t>(q) << k);
                for (int L = 0; L < nL; ++L) rows[L] = V + cq[L] * d;
                for (int i = 0; i < s; ++i) mem[i] = static_cast<int>(p[q + i]);
                std::sort(mem.begin(), mem.begin() + s);
                const std::int64_t r = C.rank(mem.data(), s);
                if (hits) ++hits[r];
                double *s1 = S1 + r * d, *s2 = S2 + r * d;
                for (std::int64_t t = 0; t < d; ++t) {
                    double x = 0.0;
                    for (int L = 0; L < nL; ++L) x += sign[L] * rows[L][t];
                    s1[t] += x;
                    s2[t] += x * x;
                    if (sg) sg[r * d + t] += x;
                }
            }
        }
    }
}

// S1[q, :] += delta, S2[q, :] += delta^2 over the M permutations, where for the pair q = {a < b}
// delta = v(T u {a, b}) - v(T u {first}) - v(T u {later}) + v(T) and T is the prefix before the
// pair's first member: the four cells are P_f, P_{f+1}, T u {later}, T u {a, b}. With lo and hi
// (both or neither), lo[q, :] / hi[q, :] become the smallest / largest delta seen (min / max).
inline void stii2_accumulate(const std::int64_t *perms, const std::int64_t *cells, std::int64_t M,
                             int n, const double *V, std::int64_t d, double *S1, double *S2,
                             double *lo = nullptr, double *hi = nullptr) {
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
                    if (lo) {
                        if (delta < lo[q * d + t]) lo[q * d + t] = delta;
                        if (delta > hi[q * d + t]) hi[q * d + t] = delta;
                    }
                }
            }
        }
    }
}

}  // namespace interplay::sampling
