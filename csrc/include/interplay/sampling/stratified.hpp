// Size-stratified coalition stream: a seeded, budget-independent sequence of distinct coalitions.
//
// The first B coalitions of the stream are the sample of budget B, so a run with budget B1 is a
// prefix of a run with budget B1 + B2 (anytime refinement reuses every evaluated coalition).
//
//   Phase 1 ("border"): forced sizes (weight +inf) are emitted completely, in the order
//   0, n, 1, n-1, 2, ...; each size's subsets in colex order shuffled by Fisher-Yates.
//   Phase 2: repeatedly draw a size t with probability q[t] / sum(q over open sizes), then a
//   uniformly random t-subset not drawn before (rejection within the size), so each size is
//   sampled without replacement; a size closes when all C(n, t) subsets are drawn (then its
//   stratum is known exactly: the border trick happens by itself). With pairing, the complement
//   of each drawn coalition follows it (the drawn set stays closed under complement).
//
// Outputs per coalition: packed words, its size, and the draw id (a coalition and its paired
// complement share one), which estimators use to form random groups for standard errors.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_set>
#include <vector>

#include "interplay/common/colex.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/sampling/rng.hpp"

namespace interplay::sampling {

// A set of packed coalitions (each `words` uint64) with open addressing on indices into a store.
class CoalitionSet {
  public:
    explicit CoalitionSet(std::size_t words, std::size_t expected = 512) : words_(words) {
        std::size_t cap = 1024;
        while (cap < 2 * expected) cap <<= 1;
        table_.assign(cap, EMPTY);
        store_.reserve(expected * words);
    }

    // Insert the coalition; returns false if it was already present.
    bool insert(const std::uint64_t *c) {
        if ((count_ + 1) * 2 > table_.size()) grow();
        std::size_t h = hash(c) & (table_.size() - 1);
        while (table_[h] != EMPTY) {
            if (equal(&store_[table_[h] * words_], c)) return false;
            h = (h + 1) & (table_.size() - 1);
        }
        table_[h] = count_;
        store_.insert(store_.end(), c, c + words_);
        ++count_;
        return true;
    }
    // Id (order of first insertion) of the coalition, inserting it if new.
    std::uint64_t find_or_insert(const std::uint64_t *c) {
        if ((count_ + 1) * 2 > table_.size()) grow();
        std::size_t h = hash(c) & (table_.size() - 1);
        while (table_[h] != EMPTY) {
            if (equal(&store_[table_[h] * words_], c)) return table_[h];
            h = (h + 1) & (table_.size() - 1);
        }
        table_[h] = count_;
        store_.insert(store_.end(), c, c + words_);
        return count_++;
    }
    bool contains(const std::uint64_t *c) const {
        std::size_t h = hash(c) & (table_.size() - 1);
        while (table_[h] != EMPTY) {
            if (equal(&store_[table_[h] * words_], c)) return true;
            h = (h + 1) & (table_.size() - 1);
        }
        return false;
    }
    std::size_t size() const noexcept { return count_; }

  private:
    static constexpr std::uint64_t EMPTY = std::numeric_limits<std::uint64_t>::max();
    std::size_t hash(const std::uint64_t *c) const noexcept {
        std::uint64_t h = 0x243F6A8885A308D3ULL;
        for (std::size_t w = 0; w < words_; ++w) {
            std::uint64_t z = c[w] + h + 0x9E3779B97F4A7C15ULL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            h = z ^ (z >> 31);
        }
        return static_cast<std::size_t>(h);
    }
    bool equal(const std::uint64_t *a, const std::uint64_t *b) const noexcept {
        for (std::size_t w = 0; w < words_; ++w)
            if (a[w] != b[w]) return false;
        return true;
    }
    void grow() {
        std::vector<std::uint64_t> old(table_.size() * 2, EMPTY);
        old.swap(table_);
        for (std::uint64_t idx : old) {
            if (idx == EMPTY) continue;
            std::size_t h = hash(&store_[idx * words_]) & (table_.size() - 1);
            while (table_[h] != EMPTY) h = (h + 1) & (table_.size() - 1);
            table_[h] = idx;
        }
    }
    std::size_t words_;
    std::size_t count_ = 0;
    std::vector<std::uint64_t> table_;
    std::vector<std::uint64_t> store_;
};

struct StreamOutput {
    std::vector<std::uint64_t> sets;  // (m, words)
    std::vector<std::int64_t> sizes;  // (m,)
    std::vector<std::int64_t> draw;   // (m,)
};

// q: (n+1,) weights, +inf = forced. Stops after `budget` coalitions or when every size with
// positive weight is exhausted.
inline StreamOutput stratified_stream(int n, const double *q, bool pairing, std::uint64_t seed,
                                      std::int64_t budget) {
    if (n < 1) throw value_error("n_players must be >= 1");
    const std::size_t words = static_cast<std::size_t>((n + 63) / 64);
    SplitMix64 rng(seed);
    // sized for the coalitions the stream will emit (at most 2^n; reserved up to 2^20 rows):
    // grown by doubling, the tables and outputs faulted in about twice their final pages
    std::size_t expect = static_cast<std::size_t>(std::min<std::int64_t>(budget, 1LL << 20));
    if (n < 20) expect = std::min(expect, std::size_t{1} << n);
    CoalitionSet seen(words, expect);
    StreamOutput out;
    out.sets.reserve(expect * words);
    out.sizes.reserve(expect);
    out.draw.reserve(expect);
    std::vector<double> cap(static_cast<std::size_t>(n + 1));
    std::vector<double> cnt(static_cast<std::size_t>(n + 1), 0.0);
    for (int t = 0; t <= n; ++t) cap[t] = colex::binomial(n, t);
    std::int64_t emitted = 0, draw_id = 0;
    std::vector<std::uint64_t> buf(words);

    auto emit = [&](const std::uint64_t *c, int t, std::int64_t id) {
        out.sets.insert(out.sets.end(), c, c + words);
        out.sizes.push_back(t);
        out.draw.push_back(id);
        cnt[t] += 1.0;
        ++emitted;
    };
    auto complement = [&](const std::uint64_t *c, std::uint64_t *dst) {
        for (std::size_t w = 0; w < words; ++w) dst[w] = ~c[w];
        if (n % 64) dst[words - 1] &= (1ULL << (n % 64)) - 1;
    };

    // Phase 1: forced sizes
    std::vector<int> order;
    for (int a = 0, b = n; a <= b; ++a, --b) {
        order.push_back(a);
        if (b != a) order.push_back(b);
    }
    std::vector<std::uint64_t> all;
    for (int t : order) {
        if (!(std::isinf(q[t]) && q[t] > 0)) continue;
        if (emitted >= budget) break;
        colex::subsets_of_size(n, t, words, all);
        const std::int64_t c = static_cast<std::int64_t>(all.size() / words);
        for (std::int64_t i = c - 1; i > 0; --i) {  // Fisher-Yates
            std::int64_t j = rng.below(i + 1);
            for (std::size_t w = 0; w < words; ++w) std::swap(all[i * words + w], all[j * words + w]);
        }
        for (std::int64_t i = 0; i < c && emitted < budget; ++i) {
            const std::uint64_t *s = &all[i * words];
            if (seen.insert(s)) emit(s, t, draw_id++);
        }
    }

    // Phase 2: sizes drawn from q over open, finite, positive-weight sizes
    std::vector<int> open;
    for (int t = 0; t <= n; ++t)
        if (q[t] > 0 && !std::isinf(q[t]) && cnt[t] < cap[t]) open.push_back(t);
    std::vector<int> perm(static_cast<std::size_t>(n));
    while (emitted < budget && !open.empty()) {
        double total = 0.0;
        for (int t : open) total += q[t];
        const double u = rng.uniform() * total;
        double acc = 0.0;
        std::size_t pick = open.size() - 1;
        for (std::size_t i = 0; i < open.size(); ++i) {
            acc += q[open[i]];
            if (u < acc) {
                pick = i;
                break;
            }
        }
        const int t = open[pick];
        const bool take_in = t <= n - t;
        const int draws = take_in ? t : n - t;
        while (true) {
            for (int i = 0; i < n; ++i) perm[i] = i;
            for (int i = 0; i < draws; ++i) {
                std::int64_t j = i + rng.below(n - i);
                std::swap(perm[i], perm[j]);
            }
            std::fill(buf.begin(), buf.end(), take_in ? 0ULL : ~0ULL);
            if (!take_in && n % 64) buf[words - 1] = (1ULL << (n % 64)) - 1;
            for (int i = 0; i < draws; ++i) {
                const int p = perm[i];
                if (take_in)
                    buf[p / 64] |= 1ULL << (p % 64);
                else
                    buf[p / 64] &= ~(1ULL << (p % 64));
            }
            if (seen.insert(buf.data())) break;
        }
        const std::int64_t id = draw_id++;
        emit(buf.data(), t, id);
        if (pairing && emitted < budget) {
            std::vector<std::uint64_t> comp(words);
            complement(buf.data(), comp.data());
            if (seen.insert(comp.data())) emit(comp.data(), n - t, id);
        }
        open.clear();
        for (int s = 0; s <= n; ++s)
            if (q[s] > 0 && !std::isinf(q[s]) && cnt[s] < cap[s]) open.push_back(s);
    }
    return out;
}

inline std::uint64_t mix_key(std::uint64_t z) noexcept {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Deduplicate rows: ids[r] = number of the distinct row in order of first occurrence;
// first[u] = row of the first occurrence of distinct row u.
inline void first_occurrence(const std::uint64_t *rows, std::size_t m, std::size_t words,
                             std::int64_t *ids, std::vector<std::int64_t> &first) {
    if (words == 1) {  // one word: keys stored inline (no indirection through a store)
        std::size_t cap = 1024;
        while (cap < 2 * m) cap <<= 1;
        std::vector<std::uint64_t> keys(cap);
        std::vector<std::int64_t> vals(cap, -1);
        first.clear();
        for (std::size_t r = 0; r < m; ++r) {
            const std::uint64_t x = rows[r];
            std::size_t h = static_cast<std::size_t>(mix_key(x)) & (cap - 1);
            while (vals[h] >= 0 && keys[h] != x) h = (h + 1) & (cap - 1);
            if (vals[h] < 0) {
                keys[h] = x;
                vals[h] = static_cast<std::int64_t>(first.size());
                first.push_back(static_cast<std::int64_t>(r));
            }
            ids[r] = vals[h];
        }
        return;
    }
    CoalitionSet seen(words, m);
    first.clear();
    for (std::size_t r = 0; r < m; ++r) {
        const std::uint64_t id = seen.find_or_insert(rows + r * words);
        if (id == first.size()) first.push_back(static_cast<std::int64_t>(r));
        ids[r] = static_cast<std::int64_t>(id);
    }
}

// Permutations number start..start+count-1 of the seeded stream: permutation j is drawn by
// Fisher-Yates (positions n-1 down to 1) from its own generator SplitMix64(mix(seed ^ mix(j))),
// so any range is generated independently of the others.
inline std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

inline void permutations(std::uint64_t seed, std::int64_t start, std::int64_t count, int n,
                         std::int64_t *out) {
    for (std::int64_t r = 0; r < count; ++r) {
        const std::uint64_t j = static_cast<std::uint64_t>(start + r);
        SplitMix64 rng(mix64(seed ^ mix64(j + 0x9E3779B97F4A7C15ULL)));
        std::int64_t *p = out + r * n;
        for (int i = 0; i < n; ++i) p[i] = i;
        for (int i = n - 1; i > 0; --i) {
            const std::int64_t k = rng.below(i + 1);
            std::swap(p[i], p[k]);
        }
    }
}

}  // namespace interplay::sampling
