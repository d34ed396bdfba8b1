// Subset and superset zeta/Moebius transforms on dense bitmask-indexed tables.
//
// A table holds 2^n rows of d contiguous float64 (row r = coalition with bitmask r). The four
// transforms, for every set S (bit i of S set <=> player i in S):
//
//   zeta             f(S) = sum_{T subset of S}   g(T)
//   moebius          f(S) = sum_{T subset of S}   (-1)^{|S|-|T|} g(T)      (inverse of zeta)
//   superset_zeta    f(S) = sum_{T superset of S} g(T)
//   superset_moebius f(S) = sum_{T superset of S} (-1)^{|T|-|S|} g(T)      (its inverse)
//
// Each is the product over players i of a 2x2 butterfly on the pairs (S, S | i): Yates'
// algorithm, O(n 2^n). The butterflies of different players commute, so the players are
// processed in cache-sized groups, each group one pass over memory:
//
//  * the low pass handles bits [0, L): blocks of 2^L rows (contiguous, fit in L2) are transformed
//    entirely in cache;
//  * each further pass handles a group of g high bits [b, b+g): a tile is 2^g rows, stride 2^b*d
//    apart, of W contiguous columns, with 2^g * W * 8 bytes fitting in L2.
//
// At n = 28 (2 GiB) this is two passes over memory, i.e. about two numpy copies of the table;
// an out-of-place call fuses the copy into the first pass. OpenMP parallelises over blocks and
// tiles; the result does not depend on the number of threads (every butterfly is the same
// two-operand add/subtract whatever the schedule).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"

// The in-cache butterfly loops are compiled twice, for AVX2 and for the baseline ISA, and the
// loader picks one (GCC/Clang function multi-versioning): a portable build that uses AVX2 where
// present. The templates below are force-inlined into those two entry points.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(INTERPLAY_NO_CLONES)
#define INTERPLAY_CLONES __attribute__((target_clones("avx2", "default")))
#define INTERPLAY_FORCE_INLINE inline __attribute__((always_inline))
#else
#define INTERPLAY_CLONES
#define INTERPLAY_FORCE_INLINE inline
#endif

namespace interplay::transforms {

enum class Kind : int { zeta = 0, moebius = 1, superset_zeta = 2, superset_moebius = 3 };

// Cache parameters (bytes). Tunable at run time for benchmarks (set via the bindings).

struct Tuning {
    std::size_t block_bytes = std::size_t(1) << 20;    // low pass: 2^L rows * d * 8 <= this
    std::size_t tile_bytes = std::size_t(1) << 20;     // high passes: 2^g rows * W * 8 <= this
    int max_group_bits = 13;                           // g <= this
    std::size_t min_tile_cols = 8;                     // one 64-byte cache line of float64
};

inline Tuning &tuning() {
    static Tuning t;
    return t;
}

namespace detail {

template <Kind K>
INTERPLAY_FORCE_INLINE void butterfly(double *__restrict lo, double *__restrict hi, std::size_t len) noexcept {
    if constexpr (K == Kind::zeta) {
        for (std::size_t i = 0; i < len; ++i) hi[i] += lo[i];
    } else if constexpr (K == Kind::moebius) {
        for (std::size_t i = 0; i < len; ++i) hi[i] -= lo[i];
    } else if constexpr (K == Kind::superset_zeta) {
        for (std::size_t i = 0; i < len; ++i) lo[i] += hi[i];
    } else {
        for (std::size_t i = 0; i < len; ++i) lo[i] -= hi[i];
    }
}

// One, two or three levels at once (radix 2, 4, 8): element q of a group of 8 sits at offset
// q * half; loading the 8, applying the levels in registers and storing once cuts the loads and
// stores per level by up to three (the in-cache passes are load/store bound).
template <Kind K>
INTERPLAY_FORCE_INLINE void op(double &lo, double &hi) noexcept {
    if constexpr (K == Kind::zeta) hi += lo;
    else if constexpr (K == Kind::moebius) hi -= lo;
    else if constexpr (K == Kind::superset_zeta) lo += hi;
    else lo -= hi;
}

template <Kind K>
INTERPLAY_FORCE_INLINE void radix8(double *__restrict p, std::size_t total, std::size_t half) noexcept {
    const std::size_t h = half;
    for (std::size_t b = 0; b < total; b += 8 * h) {
        double *__restrict q0 = p + b;
        double *__restrict q1 = q0 + h;
        double *__restrict q2 = q0 + 2 * h;
        double *__restrict q3 = q0 + 3 * h;
        double *__restrict q4 = q0 + 4 * h;
        double *__restrict q5 = q0 + 5 * h;
        double *__restrict q6 = q0 + 6 * h;
        double *__restrict q7 = q0 + 7 * h;
        for (std::size_t i = 0; i < h; ++i) {
            double x0 = q0[i], x1 = q1[i], x2 = q2[i], x3 = q3[i];
            double x4 = q4[i], x5 = q5[i], x6 = q6[i], x7 = q7[i];
            op<K>(x0, x1); op<K>(x2, x3); op<K>(x4, x5); op<K>(x6, x7);
            op<K>(x0, x2); op<K>(x1, x3); op<K>(x4, x6); op<K>(x5, x7);
            op<K>(x0, x4); op<K>(x1, x5); op<K>(x2, x6); op<K>(x3, x7);
            q0[i] = x0; q1[i] = x1; q2[i] = x2; q3[i] = x3;
            q4[i] = x4; q5[i] = x5; q6[i] = x6; q7[i] = x7;
        }
    }
}

template <Kind K>
INTERPLAY_FORCE_INLINE void radix4(double *__restrict p, std::size_t total, std::size_t half) noexcept {
    const std::size_t h = half;
    for (std::size_t b = 0; b < total; b += 4 * h) {
        double *__restrict q0 = p + b;
        double *__restrict q1 = q0 + h;
        double *__restrict q2 = q0 + 2 * h;
        double *__restrict q3 = q0 + 3 * h;
        for (std::size_t i = 0; i < h; ++i) {
            double x0 = q0[i], x1 = q1[i], x2 = q2[i], x3 = q3[i];
            op<K>(x0, x1); op<K>(x2, x3);
            op<K>(x0, x2); op<K>(x1, x3);
            q0[i] = x0; q1[i] = x1; q2[i] = x2; q3[i] = x3;
        }
    }
}

template <Kind K>
INTERPLAY_FORCE_INLINE void radix2(double *__restrict p, std::size_t total, std::size_t half) noexcept {
    for (std::size_t b = 0; b < total; b += 2 * half) butterfly<K>(p + b, p + b + half, half);
}

// Levels [j0, j1) of a contiguous block (level j pairs elements 2^j * d apart).
template <Kind K>
INTERPLAY_FORCE_INLINE void levels(double *p, std::size_t total, std::size_t d, int j0, int j1) noexcept {
    int j = j0;
    while (j < j1) {
        const std::size_t half = (std::size_t(1) << j) * d;
        const int left = j1 - j;
        if (left >= 3) {
            radix8<K>(p, total, half);
            j += 3;
        } else if (left == 2) {
            radix4<K>(p, total, half);
            j += 2;
        } else {
            radix2<K>(p, total, half);
            j += 1;
        }
    }
}

// Transform a contiguous block of 2^bits rows x d columns over all its bits, in place: first
// L1-sized sub-blocks over their own bits, then the remaining levels over the whole block.
// Levels j0.. of the block (j0 > 0: the caller has done the lowest levels already).
template <Kind K>
INTERPLAY_FORCE_INLINE void block_transform(double *p, int bits, std::size_t d, int j0 = 0) noexcept {
    const std::size_t total = (std::size_t(1) << bits) * d;
    int b1 = 0;
    while (b1 < bits && (std::size_t(2) << b1) * d * sizeof(double) <= (std::size_t(16) << 10)) ++b1;
    const std::size_t sub = (std::size_t(1) << b1) * d;
    if (b1 > j0)
        for (std::size_t b = 0; b < total; b += sub) levels<K>(p + b, sub, d, j0, b1);
    levels<K>(p, total, d, std::max(b1, j0), bits);
}

// Multi-versioned entry points (see INTERPLAY_CLONES); static: one copy per translation unit.
INTERPLAY_CLONES static void block_levels(int kind, double *p, int bits, std::size_t d, int j0) {
    switch (kind) {
        case 0: block_transform<Kind::zeta>(p, bits, d, j0); break;
        case 1: block_transform<Kind::moebius>(p, bits, d, j0); break;
        case 2: block_transform<Kind::superset_zeta>(p, bits, d, j0); break;
        default: block_transform<Kind::superset_moebius>(p, bits, d, j0); break;
    }
}

INTERPLAY_CLONES static void tile_levels(int kind, double *p, std::size_t total, std::size_t w, int g) {
    switch (kind) {
        case 0: levels<Kind::zeta>(p, total, w, 0, g); break;
        case 1: levels<Kind::moebius>(p, total, w, 0, g); break;
        case 2: levels<Kind::superset_zeta>(p, total, w, 0, g); break;
        default: levels<Kind::superset_moebius>(p, total, w, 0, g); break;
    }
}

// Transform bits [b0, b0+g) of the table (2^n rows x d) in tiles of 2^g rows x W columns.
// The tile's rows are 2^b0 * d apart: a power-of-two stride that maps every row to the same
// cache sets, so working on them in place thrashes an 8-way cache. Each tile is therefore
// gathered into a contiguous scratch buffer, transformed there as a block, and scattered back
// (each row copy is one long contiguous run).
template <Kind K>
inline void strided_pass(double *t, int n, std::size_t d, int b0, int g, std::size_t W) {
    const std::size_t stride = (std::size_t(1) << b0) * d;  // distance between tile rows
    const std::size_t rows = std::size_t(1) << g;
    const std::size_t outer = std::size_t(1) << (n - b0 - g);
    const std::size_t chunks = (stride + W - 1) / W;
    const std::size_t ntiles = outer * chunks;
    const std::int64_t nt = static_cast<std::int64_t>(ntiles);
    const int team_size = static_cast<int>(
        std::min<std::size_t>(team(double(rows * stride * outer) * g), ntiles));
    ParallelErrors errors;
#pragma omp parallel num_threads(team_size) if (team_size > 1)
    {
        std::vector<double> scratch(rows * W);
        double *sc = scratch.data();
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t tile = 0; tile < nt; ++tile) errors.run([&] {
            errors.poll();
            const std::size_t o = std::size_t(tile) / chunks, c = std::size_t(tile) % chunks;
            double *base = t + o * rows * stride + c * W;
            const std::size_t w = std::min(W, stride - c * W);
            // rows are far apart: no hardware prefetcher follows them, so fetch a few rows ahead
            constexpr std::size_t ahead = 8;
            for (std::size_t r = 0; r < rows; ++r) {
                if (r + ahead < rows) {
                    const double *next = base + (r + ahead) * stride;
                    for (std::size_t off = 0; off < w; off += 8) __builtin_prefetch(next + off, 0, 0);
                }
                std::memcpy(sc + r * w, base + r * stride, w * sizeof(double));
            }
            tile_levels(int(K), sc, rows * w, w, g);
            for (std::size_t r = 0; r < rows; ++r)
                std::memcpy(base + r * stride, sc + r * w, w * sizeof(double));
        });
    }
    errors.rethrow();
}

inline int floor_log2(std::size_t x) noexcept {
    int b = -1;
    while (x) {
        x >>= 1;
        ++b;
    }
    return b;
}

}  // namespace detail

// Number of low bits handled in cache by the first pass.
inline int low_bits(int n, std::size_t d, const Tuning &tn = tuning()) noexcept {
    const std::size_t rows = tn.block_bytes / (8 * d);
    if (rows < 2) return 0;
    return std::min(n, detail::floor_log2(rows));
}

// Number of passes over memory the transform makes (for benchmarks and plans).
inline int n_passes(int n, std::size_t d, const Tuning &tn = tuning()) noexcept {
    const int L = low_bits(n, d, tn);
    int passes = L > 0 ? 1 : 0;
    int rest = n - L;
    if (rest > 0) {
        const int gmax = std::max(1, tn.max_group_bits);
        passes += (rest + gmax - 1) / gmax;
    }
    return passes;
}

// Transform `in` (2^n x d) into `out`; `out` may equal `in` (in place). Not aliased otherwise.
template <Kind K>
void transform(const double *in, double *out, int n, std::size_t d, const Tuning &tn = tuning()) {
    if (n < 0 || n > 62) throw value_error("transform: n must be in [0, 62]");
    if (d == 0) return;
    const std::size_t N = std::size_t(1) << n;
    const int L = low_bits(n, d, tn);
    bool copied = (in == out);
    if (L > 0) {
        const std::size_t blk = (std::size_t(1) << L) * d;
        const std::int64_t nblocks = static_cast<std::int64_t>(N >> L);
        const int team_size = static_cast<int>(
            std::min<std::int64_t>(team(double(N * d) * L), nblocks));
        ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team_size) if (team_size > 1)
        for (std::int64_t b = 0; b < nblocks; ++b) errors.run([&] {
            errors.poll();
            double *p = out + std::size_t(b) * blk;
            if (!copied) std::memcpy(p, in + std::size_t(b) * blk, blk * sizeof(double));
            detail::block_levels(int(K), p, L, d, 0);
        });
        errors.rethrow();
        copied = true;
    }
    if (!copied) {
        const std::int64_t total = static_cast<std::int64_t>(N * d);
        const std::int64_t chunk = std::int64_t(1) << 16;
        const std::int64_t nchunks = (total + chunk - 1) / chunk;
        const int team_size = team(double(total));
#pragma omp parallel for schedule(dynamic, 1) num_threads(team_size) if (team_size > 1)
        for (std::int64_t c = 0; c < nchunks; ++c) {
            const std::int64_t lo = c * chunk, hi = std::min(total, lo + chunk);
            std::memcpy(out + lo, in + lo, std::size_t(hi - lo) * sizeof(double));
        }
    }
    int rest = n - L;
    if (rest <= 0) return;
    const int gmax = std::max(1, tn.max_group_bits);
    const int npass = (rest + gmax - 1) / gmax;
    int b0 = L;
    for (int pass = 0; pass < npass; ++pass) {
        // split the remaining bits evenly over the remaining passes
        const int g = (rest + (npass - pass) - 1) / (npass - pass);
        const std::size_t stride = (std::size_t(1) << b0) * d;
        std::size_t W = tn.tile_bytes / (8 * (std::size_t(1) << g));
        W = std::max<std::size_t>(W, tn.min_tile_cols);
        W = std::min(W, stride);
        detail::strided_pass<K>(out, n, d, b0, g, W);
        b0 += g;
        rest -= g;
    }
}

inline void transform(Kind k, const double *in, double *out, int n, std::size_t d,
                      const Tuning &tn = tuning()) {
    switch (k) {
        case Kind::zeta: return transform<Kind::zeta>(in, out, n, d, tn);
        case Kind::moebius: return transform<Kind::moebius>(in, out, n, d, tn);
        case Kind::superset_zeta: return transform<Kind::superset_zeta>(in, out, n, d, tn);
        case Kind::superset_moebius: return transform<Kind::superset_moebius>(in, out, n, d, tn);
    }
}

}  // namespace interplay::transforms
