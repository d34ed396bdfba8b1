// Size-weighted superset sums of a Moebius table, gathered at the small sets.
//
// Every index interplay computes exactly is, in Moebius space,
//
//     phi(S) = sum_{T superset of S} c(|S|, |T|) m(T),        min_order <= |S| <= k,
//
// with a weight matrix c of shape (k+1, n+1) (the "size-weight policy" of the index). The output
// holds the sets of sizes min_order..k, size-major, each size in increasing bitmask value (which
// is colexicographic order, so a set's row is offset[s] + sum_i C(c_i, i) over its sorted
// elements c_1 < ... < c_s: the combinatorial number system).
//
// Three methods, chosen by the caller's plan:
//  * fused: one read of m. For each block of 2^L rows sharing high part H (|H| = h), in cache:
//    a(L') = c(s, h + |L'|) m(H u L'), a superset zeta over the L low bits, then the in-block sums
//    r(S_lo) are added to phi(S_hi u S_lo) for every S_hi subset of H with |S_hi| = s - |S_lo|.
//    Work (k+1) (L/2 + 1) 2^n d plus a scatter that grows like 2^n C(n, k) / 2^k: the method for
//    small k.
//  * per_order: for each order s, a full-table copy weighted by c(s, |T|), an in-place superset
//    zeta, and a gather of the size-s rows. Work (k+1) transforms and one extra table: any k.
//  * gather: c(s, t) = [s == t] (the Moebius index): just gather m at the requested sets.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interplay/common/bits.hpp"
#include "interplay/common/colex.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"
#include "interplay/transforms/subset.hpp"

namespace interplay::indices {

// Popcounts of 16-bit values (the portable popcount instruction needs -mpopcnt; a table
// lookup is as fast in these streaming loops and needs no CPU dispatch).
struct PopTable {
    unsigned char pc[1 << 16];
    PopTable() {
        pc[0] = 0;
        for (int i = 1; i < (1 << 16); ++i) pc[i] = static_cast<unsigned char>(pc[i >> 1] + (i & 1));
    }
    int operator()(std::uint64_t x) const noexcept {
        return pc[x & 0xFFFF] + pc[(x >> 16) & 0xFFFF] + pc[(x >> 32) & 0xFFFF] + pc[x >> 48];
    }
};

inline const PopTable &poptable() {
    static const PopTable t;
    return t;
}

struct Weights {
    const double *c;  // (k+1) x (n+1), row-major
    int n;
    int k;
    double operator()(int s, int t) const noexcept { return c[std::size_t(s) * (n + 1) + t]; }
};

// ---------------------------------------------------------------------------------- gather
// out[row] = m[S] for the sets of sizes min_order..k (the Moebius index).
inline void gather(const double *m, int n, std::size_t d, int min_order, int k, double *out) {
    const std::uint64_t rows = colex::n_sets(n, min_order, k);
    std::vector<std::uint64_t> sets(rows);
    colex::enumerate_sets(n, min_order, k, sets.data());
    const std::int64_t nr = static_cast<std::int64_t>(rows);
    const int team_size = team(double(rows * d));
#pragma omp parallel for schedule(static) num_threads(team_size) if (team_size > 1)
    for (std::int64_t r = 0; r < nr; ++r)
        std::memcpy(out + std::size_t(r) * d, m + sets[std::size_t(r)] * d, d * sizeof(double));
}

// ---------------------------------------------------------------------------------- per order
// `work` is a scratch table of 2^n x d. When all rows of c agree on t >= s (the weights depend on
// |T| only), one transform serves all orders.
inline void per_order(const double *m, int n, std::size_t d, Weights w, int min_order,
                      double *work, double *out) {
    const int k = w.k;
    const std::size_t N = std::size_t(1) << n;
    const auto off = colex::size_offsets(n, min_order, k);
    const std::int64_t nn = static_cast<std::int64_t>(N);
    const int team_size = team(double(N * d));
    const auto &pt = poptable();
    if (min_order == 0) {
        // the empty set: a weighted sum, no transform. 64 fixed chunks of the table (not one per
        // thread), each summed serially and added in chunk order: the same bits for any thread count
        constexpr std::int64_t nc = 64;
        std::vector<double> part(static_cast<std::size_t>(nc) * d, 0.0);
        ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team_size) if (team_size > 1)
        for (std::int64_t q = 0; q < nc; ++q) {
            errors.run([&] {
                double *acc = part.data() + std::size_t(q) * d;
                for (std::int64_t T = nn * q / nc; T < nn * (q + 1) / nc; ++T) {
                    if ((T & 0xFFFF) == 0) errors.poll();
                    const double c = w(0, pt(std::uint64_t(T)));
                    if (c == 0.0) continue;
                    const double *src = m + std::size_t(T) * d;
                    for (std::size_t j = 0; j < d; ++j) acc[j] += c * src[j];
                }
            });
        }
        errors.rethrow();
        for (std::size_t j = 0; j < d; ++j) out[j] = 0.0;
        for (std::int64_t q = 0; q < nc; ++q)
            for (std::size_t j = 0; j < d; ++j) out[j] += part[std::size_t(q) * d + j];
    }
    const int s0 = std::max(min_order, 1);
    if (s0 > k) return;
    // when the rows s >= 1 agree on t >= s (weights depend on |T| only) one transform serves all
    bool size_only = true;
    for (int s = s0 + 1; s <= k && size_only; ++s)
        for (int t = s; t <= n; ++t)
            if (w(s, t) != w(s0, t)) size_only = false;
    std::vector<std::uint64_t> sets;
    bool work_ready = false;
    for (int s = s0; s <= k; ++s) {
        bool identity = true;
        for (int t = s; t <= n && identity; ++t) identity = w(s, t) == (t == s ? 1.0 : 0.0);
        const double *src_table = m;
        if (!identity) {
            if (!work_ready || !size_only) {
                const int ws = s;
#pragma omp parallel for schedule(dynamic, 4096) num_threads(team_size) if (team_size > 1)
                for (std::int64_t T = 0; T < nn; ++T) {
                    const double c = w(ws, pt(std::uint64_t(T)));
                    const double *src = m + std::size_t(T) * d;
                    double *dst = work + std::size_t(T) * d;
                    for (std::size_t j = 0; j < d; ++j) dst[j] = c * src[j];
                }
                transforms::transform<transforms::Kind::superset_zeta>(work, work, n, d);
                work_ready = true;
            }
            src_table = work;
        }
        const std::uint64_t cnt = off[std::size_t(s) + 1] - off[std::size_t(s)];
        sets.resize(cnt);
        colex::enumerate_sets(n, s, s, sets.data());
        double *dst = out + off[std::size_t(s)] * d;
        const std::int64_t nc = static_cast<std::int64_t>(cnt);
        const int copy_team = team(double(cnt * d));
#pragma omp parallel for schedule(static) num_threads(copy_team) if (copy_team > 1)
        for (std::int64_t r = 0; r < nc; ++r)
            std::memcpy(dst + std::size_t(r) * d, src_table + sets[std::size_t(r)] * d,
                        d * sizeof(double));
    }
}

// ---------------------------------------------------------------------------------- fused
// Block bits L of the fused method: in-cache transform work grows like L per element, the
// scatter to S_hi subset of H like C(n-L, 2) per block of 2^L rows; pick the L minimising a
// simple model of both (levels beyond L1 cost double).
inline int fused_block_bits(int n, std::size_t d) {
    int best = 0;
    double best_cost = 1e300;
    const int lmax = std::min(n, 16);
    for (int L = 0; L <= lmax; ++L) {
        const double bytes = double(std::size_t(1) << L) * double(d) * 8.0;
        if (L > 0 && bytes > double(std::size_t(1) << 20)) break;  // keep a block in L2
        int l1 = L;
        while (l1 > 0 && double(std::size_t(1) << l1) * double(d) * 8.0 > 32768.0) --l1;
        const double hi = double(n - L);
        const double cost = 0.11 * double(L + (L - l1)) * double(d) +
                            (7.5 + double(d)) * 0.5 * hi * hi / double(std::size_t(1) << L);
        if (cost < best_cost) {
            best_cost = cost;
            best = L;
        }
    }
    return best;
}

inline void fused(const double *m, int n, std::size_t d, Weights w, int min_order, double *out,
                  int block_bits = -1) {
    const int k = w.k;
    const auto &C = colex::table64();
    const int L = std::min(16, block_bits >= 0 ? std::min(block_bits, n) : fused_block_bits(n, d));
    const auto &pt = poptable();  // L <= 16 is required below (pt.pc[r] for r < 2^L)
    const std::size_t B = std::size_t(1) << L;
    const std::size_t nblocks = std::size_t(1) << (n - L);
    const auto off = colex::size_offsets(n, min_order, k);
    const std::size_t rows = off[std::size_t(k) + 1];

    // low sets by size (value order) with their colex ranks
    const int kl = std::min(k, L);
    std::vector<std::vector<std::uint64_t>> low(std::size_t(kl) + 1);
    for (int s = 0; s <= kl; ++s) {
        low[std::size_t(s)].resize(C(L, s));
        colex::enumerate_sets(L, s, s, low[std::size_t(s)].data());
    }
    std::vector<std::vector<std::uint64_t>> low_rank(low.size());
    for (std::size_t s = 0; s < low.size(); ++s)
        for (auto x : low[s]) low_rank[s].push_back(colex::rank_in_size(x));

    // which orders have any non-zero weight
    std::vector<char> active(std::size_t(k) + 1, 0);
    for (int s = min_order; s <= k; ++s)
        for (int t = s; t <= n; ++t)
            if (w(s, t) != 0.0) active[std::size_t(s)] = 1;

    // Blocks are cut into `nchunks` contiguous chunks, a number set by the problem alone (not
    // the thread count); each chunk is summed serially into its own accumulator and the
    // accumulators are added to `out` in chunk order after the region, so the result is bitwise
    // identical for any number of threads. Up to 64 chunks, fewer when adding an accumulator
    // (rows x d) would cost more than an eighth of a chunk's work (2^n d / nchunks). Chunks are
    // handed out dynamically and never wait for each other (no `ordered`): on a busy machine a
    // descheduled thread then holds up only the chunk it is in, where an ordered hand-over
    // made every chunk wait for its predecessor's thread (exact n = 20 at two threads under
    // load spun 3.5-5x the CPU of one thread: bench/RESULTS.md, issue 12).
    const std::int64_t nb = static_cast<std::int64_t>(nblocks);
    const std::int64_t nchunks = std::clamp<std::int64_t>(
        std::int64_t((std::size_t(1) << n) / (8 * rows)), 1, std::min<std::int64_t>(nb, 64));
    // work (k + 1) (L / 2 + 1) 2^n d (see the top of this file)
    const int nthreads = static_cast<int>(std::min<std::int64_t>(
        team(double(k + 1) * (L / 2 + 1) * double(std::size_t(1) << n) * double(d)), nchunks));
    std::vector<double> part(std::size_t(nchunks) * rows * d, 0.0);
    ParallelErrors errors;

#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
    {
        std::vector<double> scratch(B * d);
        std::vector<double> wrow(std::size_t(L) + 1);
        std::vector<int> hb, comb;  // positions of H's players; a combination of them
        hb.reserve(std::size_t(n));  // no allocation inside the loop: nothing in it throws
        comb.reserve(std::size_t(k) + 1);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t chunk = 0; chunk < nchunks; ++chunk) {
            double *const acc = part.data() + std::size_t(chunk) * rows * d;
            const std::int64_t blk0 = nb * chunk / nchunks, blk1 = nb * (chunk + 1) / nchunks;
            for (std::int64_t blk = blk0; blk < blk1; ++blk) {
                errors.run([&] { errors.poll(); });
                if (errors.failed()) break;
                const std::uint64_t H = std::uint64_t(blk);
                const int h = popcount64(H);
                hb.clear();
                for (std::uint64_t x = H; x; x &= x - 1) hb.push_back(ctz64(x) + L);
                const double *mb = m + std::size_t(blk) * B * d;
                for (int s = min_order; s <= k; ++s) {
                    if (!active[std::size_t(s)]) continue;
                    // no S_lo of size <= min(s, L) can be completed by H
                    if (s - std::min(s, L) > h) continue;
                    bool nonzero = false;
                    for (int lp = 0; lp <= L; ++lp) {
                        const int t = h + lp;
                        wrow[std::size_t(lp)] = (t >= s && t <= n) ? w(s, t) : 0.0;
                        nonzero = nonzero || wrow[std::size_t(lp)] != 0.0;
                    }
                    if (!nonzero) continue;
                    if (s == 0) {
                        // only the empty set: the block's weighted total (no scratch, no transform)
                        double *dst = acc + off[0] * d;
                        if (d == 1) {
                            double t0 = 0.0, t1 = 0.0;
                            std::size_t r = 0;
                            for (; r + 1 < B; r += 2) {
                                t0 += wrow[pt.pc[r]] * mb[r];
                                t1 += wrow[pt.pc[r + 1]] * mb[r + 1];
                            }
                            for (; r < B; ++r) t0 += wrow[pt.pc[r]] * mb[r];
                            dst[0] += t0 + t1;
                        } else {
                            for (std::size_t r = 0; r < B; ++r) {
                                const double c = wrow[pt.pc[r]];
                                for (std::size_t j = 0; j < d; ++j) dst[j] += c * mb[r * d + j];
                            }
                        }
                        continue;
                    }
                    int done = 0;  // levels of the in-block superset zeta already applied
                    if (d == 1 && L >= 3) {
                        // weight and apply the three lowest levels in registers (one sweep)
                        double *sc = scratch.data();
                        for (std::size_t b = 0; b < B; b += 8) {
                            const double *wb = wrow.data() + pt.pc[b];
                            double x0 = wb[0] * mb[b], x1 = wb[1] * mb[b + 1];
                            double x2 = wb[1] * mb[b + 2], x3 = wb[2] * mb[b + 3];
                            double x4 = wb[1] * mb[b + 4], x5 = wb[2] * mb[b + 5];
                            double x6 = wb[2] * mb[b + 6], x7 = wb[3] * mb[b + 7];
                            x0 += x1; x2 += x3; x4 += x5; x6 += x7;
                            x0 += x2; x1 += x3; x4 += x6; x5 += x7;
                            x0 += x4; x1 += x5; x2 += x6; x3 += x7;
                            sc[b] = x0; sc[b + 1] = x1; sc[b + 2] = x2; sc[b + 3] = x3;
                            sc[b + 4] = x4; sc[b + 5] = x5; sc[b + 6] = x6; sc[b + 7] = x7;
                        }
                        done = 3;
                    } else {
                        for (std::size_t r = 0; r < B; ++r) {
                            const double c = wrow[std::size_t(pt.pc[r])];
                            const double *src = mb + r * d;
                            double *dst = scratch.data() + r * d;
                            for (std::size_t j = 0; j < d; ++j) dst[j] = c * src[j];
                        }
                    }
                    if (L > done)
                        transforms::detail::block_levels(int(transforms::Kind::superset_zeta),
                                                         scratch.data(), L, d, done);
                    const int smax_lo = std::min(s, L);
                    for (int s_lo = 0; s_lo <= smax_lo; ++s_lo) {
                        const int s_hi = s - s_lo;
                        if (s_hi > h) continue;
                        const auto &ls = low[std::size_t(s_lo)];
                        const auto &lr = low_rank[std::size_t(s_lo)];
                        const std::size_t nls = ls.size();
                        auto add_rows = [&](std::size_t base) {
                            if (d == 1) {
                                double *dst = acc + base;
                                const double *sc = scratch.data();
                                for (std::size_t q = 0; q < nls; ++q) dst[lr[q]] += sc[ls[q]];
                            } else {
                                for (std::size_t q = 0; q < nls; ++q) {
                                    double *dst = acc + (base + lr[q]) * d;
                                    const double *src = scratch.data() + ls[q] * d;
                                    for (std::size_t j = 0; j < d; ++j) dst[j] += src[j];
                                }
                            }
                        };
                        const std::size_t base0 = off[std::size_t(s)];
                        if (s_hi == 0) {
                            add_rows(base0);
                        } else if (s_hi == 1) {
                            for (int x = 0; x < h; ++x)
                                add_rows(base0 + C(hb[std::size_t(x)], s_lo + 1));
                        } else if (s_hi == 2) {
                            for (int y = 1; y < h; ++y) {
                                const std::size_t by = base0 + C(hb[std::size_t(y)], s_lo + 2);
                                for (int x = 0; x < y; ++x)
                                    add_rows(by + C(hb[std::size_t(x)], s_lo + 1));
                            }
                        } else {
                            // enumerate s_hi-combinations of hb (indices ascending)
                            comb.resize(std::size_t(s_hi));
                            for (int i = 0; i < s_hi; ++i) comb[std::size_t(i)] = i;
                            while (true) {
                                std::uint64_t hi_rank = 0;
                                for (int i = 0; i < s_hi; ++i)
                                    hi_rank +=
                                        C(hb[std::size_t(comb[std::size_t(i)])], s_lo + i + 1);
                                add_rows(base0 + hi_rank);
                                int i = s_hi - 1;
                                while (i >= 0 && comb[std::size_t(i)] == h - s_hi + i) --i;
                                if (i < 0) break;
                                ++comb[std::size_t(i)];
                                for (int j = i + 1; j < s_hi; ++j)
                                    comb[std::size_t(j)] = comb[std::size_t(j - 1)] + 1;
                            }
                        }
                    }
                }
            }
        }
    }
    errors.rethrow();
    std::fill(out, out + rows * d, 0.0);
    for (std::int64_t chunk = 0; chunk < nchunks; ++chunk) {
        const double *acc = part.data() + std::size_t(chunk) * rows * d;
        for (std::size_t i = 0; i < rows * d; ++i) out[i] += acc[i];
    }
}

// Work estimates (flop-like units) used by plans to choose a method.
inline double fused_cost(int n, std::size_t d, int min_order, int k) {
    const auto &C = colex::table64();
    const int L = fused_block_bits(n, d);
    const double N = double(std::size_t(1) << n);
    double cost = 0;
    for (int s = min_order; s <= k; ++s) {
        cost += (0.5 * L + 2.0) * N * double(d);
        for (int s_lo = 0; s_lo <= std::min(s, L); ++s_lo) {
            const int s_hi = s - s_lo;
            if (s_hi > n - L) continue;
            // sum over H of C(h, s_hi) = C(n-L, s_hi) 2^(n-L-s_hi); times C(L, s_lo) low sets
            cost += double(C(L, s_lo)) * double(C(n - L, s_hi)) *
                    double(std::size_t(1) << (n - L - s_hi)) * double(d);
        }
    }
    return cost;
}

inline double per_order_cost(int n, std::size_t d, int min_order, int k) {
    // each order: weighted copy + ~2 passes; memory traffic counts as ~8 flop per element per pass
    const double N = double(std::size_t(1) << n);
    return double(k - min_order + 1) * (0.5 * n + 3 * 8.0) * N * double(d);
}

}  // namespace interplay::indices
