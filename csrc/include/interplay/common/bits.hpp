// Bit tricks on coalition bitmasks: bit i set <=> player i is in the coalition.
#pragma once

#include <cstdint>

namespace interplay {

inline int popcount64(std::uint64_t x) noexcept { return __builtin_popcountll(x); }

inline int ctz64(std::uint64_t x) noexcept { return __builtin_ctzll(x); }

// True iff `x` is a power of two (x > 0).
inline bool is_pow2(std::uint64_t x) noexcept { return x && !(x & (x - 1)); }

// log2 of a power of two.
inline int log2_pow2(std::uint64_t x) noexcept { return ctz64(x); }

}  // namespace interplay
