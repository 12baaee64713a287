// Deterministic random numbers. Every random decision in hgtok is drawn from a
// counter-based stream keyed by (seed, stream id), so the result of sampling
// target t does not depend on which thread samples it or in which order.
#pragma once

#include <cstdint>

namespace hgtok {

/// SplitMix64 (Steele, Lea, Flood 2014): a small, well-mixed 64-bit generator.
class Rng {
  __extension__ typedef unsigned __int128 u128;

 public:
  /// A generator for stream `stream` of seed `seed`; distinct streams are independent.
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept
      : state_(mix(seed ^ mix(stream + 0x9E3779B97F4A7C15ULL))) {}

  /// Next 64 random bits.
  std::uint64_t next() noexcept { return mix(state_ += 0x9E3779B97F4A7C15ULL); }

  /// Uniform integer in [0, n); n must be > 0. Uses Lemire's multiply-shift with rejection.
  std::uint64_t uniform_int(std::uint64_t n) noexcept {
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const std::uint64_t x = next();
      const u128 m = static_cast<u128>(x) * n;
      if (static_cast<std::uint64_t>(m) >= threshold) return static_cast<std::uint64_t>(m >> 64);
    }
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  static std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

}  // namespace hgtok
