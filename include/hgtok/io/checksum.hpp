// A 64-bit checksum of byte ranges, streamed: compiled graph files (graph/compiled_graph.hpp) record the checksum
// of the file they were compiled from and of each edge_index they index, so a stale or edited file is found.
// Not cryptographic: it finds accidents (a file edited or replaced after compiling), not an adversary, who could
// as well write a consistent file. Four independent lanes of 64-bit multiply-rotate rounds (the xxHash64 round)
// over 32-byte blocks, so it runs at memory speed (the byte-serial FNV-1a of tokenizer/batch.hpp is about 8x
// slower, which matters for gigabytes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace hgtok::detail {

class Checksum {
 public:
  /// Adds n bytes; the result depends only on the concatenation of everything added, not on how it is split.
  void add(const unsigned char* p, std::size_t n) {
    total_ += n;
    if (fill_ > 0) {  // complete a block started by an earlier call
      const std::size_t take = std::min(n, sizeof block_ - fill_);
      std::memcpy(block_ + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ < sizeof block_) return;
      round(block_);
      fill_ = 0;
    }
    for (; n >= sizeof block_; p += sizeof block_, n -= sizeof block_) round(p);
    std::memcpy(block_, p, n);
    fill_ = n;
  }

  /// The checksum of everything added so far.
  std::uint64_t value() const {
    std::uint64_t h = rotl(lane_[0], 1) + rotl(lane_[1], 7) + rotl(lane_[2], 12) + rotl(lane_[3], 18);
    h = (h ^ total_) * kP1;
    for (std::size_t i = 0; i < fill_; ++i) h = rotl(h ^ (block_[i] * kP3), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    return h ^ (h >> 32);
  }

  /// value() as 16 lower-case hex digits.
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value()));
    return buf;
  }

 private:
  static constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ULL, kP2 = 0xC2B2AE3D27D4EB4FULL, kP3 = 0x165667B19E3779F9ULL;
  static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  void round(const unsigned char* p) {
    for (int i = 0; i < 4; ++i) {
      std::uint64_t w;
      std::memcpy(&w, p + 8 * i, 8);
      lane_[i] = rotl(lane_[i] + w * kP2, 31) * kP1;
    }
  }
  std::uint64_t lane_[4] = {kP1 + kP2, kP2, 0, 0 - kP1};
  unsigned char block_[32] = {};
  std::size_t fill_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace hgtok::detail
