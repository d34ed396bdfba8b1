// Binomial coefficients and colex ranks of sets of players: the one definition every kernel uses.
//
// A set is a bitmask (bit i <=> player i), packed in 64-bit words for n > 64. Sets of one size
// ordered by value are in colexicographic order, and the rank of S = {c_1 < ... < c_s} among
// the s-sets is sum_i C(c_i, i) (the combinatorial number system). Collections of sets of sizes
// min_order..k are size-major, so a set's row is offset(s) + rank(S); Python's interplay._sets
// uses the same order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace interplay::colex {

// C(n, k) as a double, by the multiplicative formula rounded to an integer: exact below 2^53,
// finite for every n a coalition stream can hold (sizes of all n + 1 strata).
inline double binomial(int n, int k) {
    if (k < 0 || k > n) return 0.0;
    k = k < n - k ? k : n - k;
    double r = 1.0;
    for (int i = 1; i <= k; ++i) r = r * static_cast<double>(n - k + i) / static_cast<double>(i);
    return std::round(r);
}

// Pascal table C(a, i) for a <= n, i <= k, and the row offsets of sizes 0..k. Entries are int64
// and bounded by max_{i <= k} C(n, i), so they are exact whenever the sum_{s <= k} C(n, s) sets
// they rank fit in memory.
class Table {
  public:
    Table(int n, int k) : n_(n), k_(k) {
        c_.assign(static_cast<std::size_t>(n + 1) * static_cast<std::size_t>(k + 1), 0);
        for (int a = 0; a <= n; ++a) {
            c_[idx(a, 0)] = 1;
            for (int i = 1; i <= k && i <= a; ++i)
                c_[idx(a, i)] = c_[idx(a - 1, i - 1)] + (i <= a - 1 ? c_[idx(a - 1, i)] : 0);
        }
        offset_.assign(static_cast<std::size_t>(k + 2), 0);
        for (int u = 0; u <= k; ++u) offset_[u + 1] = offset_[u] + c_[idx(n, u)];
    }
    // C(a, i) for 0 <= a <= n, 0 <= i <= k (unchecked: the hot loops' form).
    std::int64_t c(int a, int i) const noexcept { return c_[idx(a, i)]; }
    // C(a, b), 0 outside the table's range.
    std::int64_t operator()(int a, int b) const noexcept {
        return (a < 0 || b < 0 || a > n_ || b > k_) ? 0 : c_[idx(a, b)];
    }
    // Number of sets of sizes < u: sum_{s < u} C(n, s), for u <= k + 1.
    std::int64_t offset(int u) const noexcept { return offset_[static_cast<std::size_t>(u)]; }
    std::int64_t n_sets() const noexcept { return offset_[static_cast<std::size_t>(k_) + 1]; }
    // Row of the set with sorted members mem[0..u) among all sets of sizes <= k.
    std::int64_t rank(const int *mem, int u) const noexcept {
        std::int64_t r = offset(u);
        for (int i = 0; i < u; ++i) r += c(mem[i], i + 1);
        return r;
    }
    int n() const noexcept { return n_; }
    int k() const noexcept { return k_; }

  private:
    std::size_t idx(int a, int i) const noexcept {
        return static_cast<std::size_t>(a) * static_cast<std::size_t>(k_ + 1) + static_cast<std::size_t>(i);
    }
    int n_, k_;
    std::vector<std::int64_t> c_;
    std::vector<std::int64_t> offset_;
};

// C(a, b) for all a, b <= 64 (every entry fits: C(64, 32) < 2^63), built once.
inline const Table &table64() {
    static const Table t(64, 64);
    return t;
}

// Row offsets of sizes min_order..k over n <= 64 players: off[s] = sum_{min_order <= s' < s}
// C(n, s'); k + 2 entries.
inline std::vector<std::uint64_t> size_offsets(int n, int min_order, int k) {
    const auto &C = table64();
    std::vector<std::uint64_t> off(std::size_t(k) + 2, 0);
    std::uint64_t acc = 0;
    for (int s = 0; s <= k + 1; ++s) {
        off[std::size_t(s)] = acc;
        if (s >= min_order && s <= k) acc += static_cast<std::uint64_t>(C(n, s));
    }
    return off;
}

inline std::uint64_t n_sets(int n, int min_order, int k) {
    return size_offsets(n, min_order, k)[std::size_t(k) + 1];
}

// Rank of a one-word set among the sets of its size.
inline std::uint64_t rank_in_size(std::uint64_t set) noexcept {
    const auto &C = table64();
    std::uint64_t rank = 0;
    int i = 1;
    while (set) {
        rank += static_cast<std::uint64_t>(C.c(__builtin_ctzll(set), i++));
        set &= set - 1;
    }
    return rank;
}

// Sorted members of a set packed in `words` words; returns the size.
inline int members_of(const std::uint64_t *set, std::size_t words, int *mem) {
    int t = 0;
    for (std::size_t w = 0; w < words; ++w) {
        std::uint64_t x = set[w];
        while (x) {
            mem[t++] = static_cast<int>(64 * w) + __builtin_ctzll(x);
            x &= x - 1;
        }
    }
    return t;
}

// All sets of sizes min_order..k of n <= 64 players, size-major, by value (Gosper's hack).
inline void enumerate_sets(int n, int min_order, int k, std::uint64_t *out) {
    std::size_t row = 0;
    for (int s = min_order; s <= k; ++s) {
        if (s == 0) {
            out[row++] = 0;
            continue;
        }
        std::uint64_t x = (s == 64) ? ~std::uint64_t(0) : ((std::uint64_t(1) << s) - 1);
        const std::uint64_t limit = std::uint64_t(1) << n;
        while (x < limit) {
            out[row++] = x;
            const std::uint64_t c = x & (~x + 1);
            const std::uint64_t r = x + c;
            if (r == 0) break;
            x = (((r ^ x) >> 2) / c) | r;
        }
    }
}

// All t-subsets of n players (any n), `words` words each, by value, appended to a cleared `out`.
inline void subsets_of_size(int n, int t, std::size_t words, std::vector<std::uint64_t> &out) {
    out.clear();
    if (t < 0 || t > n) return;
    std::vector<int> c(static_cast<std::size_t>(t));
    for (int i = 0; i < t; ++i) c[i] = i;
    while (true) {
        std::size_t base = out.size();
        out.resize(base + words, 0);
        for (int i = 0; i < t; ++i) out[base + c[i] / 64] |= 1ULL << (c[i] % 64);
        // next combination in colex order
        int i = 0;
        while (i < t && (i + 1 < t ? c[i] + 1 == c[i + 1] : c[i] + 1 == n)) ++i;
        if (i == t) break;
        c[i] += 1;
        for (int j = 0; j < i; ++j) c[j] = j;
    }
}

}  // namespace interplay::colex
