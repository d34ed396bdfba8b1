// SplitMix64: a tiny, portable generator whose exact sequence is reproduced bit for bit by the
// NumPy reference and the Numba fallback (python/interplay/estimators/_rng.py). Every sampled
// estimator draws from it, so the same seed gives the same coalitions on every backend.
#pragma once

#include <cstdint>

namespace interplay::sampling {

class SplitMix64 {
  public:
    explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept {
        state_ += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform double in [0, 1) with 53 random bits.
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, k) (k >= 1); floor(u * k) clamped, identical in every backend.
    std::int64_t below(std::int64_t k) noexcept {
        auto j = static_cast<std::int64_t>(uniform() * static_cast<double>(k));
        return j < k ? j : k - 1;
    }

    std::uint64_t state() const noexcept { return state_; }

  private:
    std::uint64_t state_;
};

}  // namespace interplay::sampling
