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

#include "interplay/common/errors.hpp"

namespace interplay::transforms {

enum class Kind : int { zeta = 0, moebius = 1, superset_zeta = 2, superset_moebius = 3 };

// Cache parameters (bytes). Tunable at run time for benchmarks (set via the bindings).
struct Tuning {
    std::size_t block_bytes = std::size_t(256) << 10;  // low pass: 2^L rows * d * 8 <= this
    std::size_t tile_bytes = std::size_t(512) << 10;   // high passes: 2^g rows * W * 8 <= this
    int max_group_bits = 13;                           // g <= this
    std::size_t min_tile_cols = 8;                     // one 64-byte cache line of float64
};

inline Tuning &tuning() {
    static Tuning t;
    return t;
}

namespace detail {

template <Kind K>
inline void butterfly(double *__restrict lo, double *__restrict hi, std::size_t len) noexcept {
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

// Transform a contiguous block of 2^bits rows x d columns over all its bits, in place.
template <Kind K>
inline void block_transform(double *p, int bits, std::size_t d) noexcept {
    const std::size_t total = (std::size_t(1) << bits) * d;
    int j = 0;
    if (d == 1 && bits >= 2) {
        // bits 0 and 1 together on groups of four: avoids length-1 and length-2 inner loops
        for (std::size_t b = 0; b < total; b += 4) {
            double a0 = p[b], a1 = p[b + 1], a2 = p[b + 2], a3 = p[b + 3];
            if constexpr (K == Kind::zeta) {
                a1 += a0; a3 += a2; a2 += a0; a3 += a1;
            } else if constexpr (K == Kind::moebius) {
                a1 -= a0; a3 -= a2; a2 -= a0; a3 -= a1;
            } else if constexpr (K == Kind::superset_zeta) {
                a0 += a1; a2 += a3; a0 += a2; a1 += a3;
            } else {
                a0 -= a1; a2 -= a3; a0 -= a2; a1 -= a3;
            }
            p[b] = a0; p[b + 1] = a1; p[b + 2] = a2; p[b + 3] = a3;
        }
        j = 2;
    }
    for (; j < bits; ++j) {
        const std::size_t half = (std::size_t(1) << j) * d;
        for (std::size_t b = 0; b < total; b += 2 * half) butterfly<K>(p + b, p + b + half, half);
    }
}

// Transform bits [b0, b0+g) of the table (2^n rows x d) in tiles of 2^g rows x W columns.
template <Kind K>
inline void strided_pass(double *t, int n, std::size_t d, int b0, int g, std::size_t W) {
    const std::size_t stride = (std::size_t(1) << b0) * d;  // distance between tile rows
    const std::size_t rows = std::size_t(1) << g;
    const std::size_t outer = std::size_t(1) << (n - b0 - g);
    const std::size_t chunks = (stride + W - 1) / W;
    const std::size_t ntiles = outer * chunks;
    const std::int64_t nt = static_cast<std::int64_t>(ntiles);
#pragma omp parallel for schedule(static) if (ntiles > 1 && (rows * stride * outer) >= (1u << 15))
    for (std::int64_t tile = 0; tile < nt; ++tile) {
        const std::size_t o = std::size_t(tile) / chunks, c = std::size_t(tile) % chunks;
        double *base = t + o * rows * stride + c * W;
        const std::size_t w = std::min(W, stride - c * W);
        for (int j = 0; j < g; ++j) {
            const std::size_t bit = std::size_t(1) << j;
            for (std::size_t r = 0; r < rows; ++r) {
                if (r & bit) continue;
                butterfly<K>(base + r * stride, base + (r | bit) * stride, w);
            }
        }
    }
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
#pragma omp parallel for schedule(static) if (nblocks > 1 && N * d >= (1u << 15))
        for (std::int64_t b = 0; b < nblocks; ++b) {
            double *p = out + std::size_t(b) * blk;
            if (!copied) std::memcpy(p, in + std::size_t(b) * blk, blk * sizeof(double));
            detail::block_transform<K>(p, L, d);
        }
        copied = true;
    }
    if (!copied) {
        const std::int64_t total = static_cast<std::int64_t>(N * d);
        const std::int64_t chunk = std::int64_t(1) << 16;
        const std::int64_t nchunks = (total + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
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
