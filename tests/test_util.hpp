// Helpers shared by hgtok's tests.
#pragma once

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hgtok/core/limits.hpp"
#include "hgtok/io/read_file.hpp"

namespace hgtok_test {

/// Path of a file under tests/ (fixtures, data).
inline std::string tests_path(const std::string& rel) { return std::string(HGTOK_TESTS_DIR) + "/" + rel; }

/// A fresh temporary directory, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hgtok_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path = ::mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<unsigned char> read_bytes(const std::string& path) { return hgtok::detail::read_file_bytes(path); }

/// An .npy (version 1.0) from a raw header dict and `data_bytes` zero data bytes.
inline std::vector<unsigned char> raw_npy(const std::string& dict, std::size_t data_bytes) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h.push_back(' ');
  h.push_back('\n');
  const unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(h.size() & 0xFF),
                                      static_cast<unsigned char>(h.size() >> 8)};
  std::vector<unsigned char> out(sizeof preamble + h.size() + data_bytes, 0);
  std::memcpy(out.data(), preamble, sizeof preamble);
  std::memcpy(out.data() + sizeof preamble, h.data(), h.size());
  return out;
}

/// A safetensors buffer from a raw JSON header (declared length `declared`, default its size) and `data_bytes` data bytes.
inline std::vector<unsigned char> raw_safetensors(const std::string& json, std::size_t data_bytes, std::uint64_t declared = ~0ULL) {
  const std::uint64_t n = declared == ~0ULL ? json.size() : declared;
  std::vector<unsigned char> out(8 + json.size() + data_bytes);
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<unsigned char>((n >> (8 * i)) & 0xFF);
  std::copy(json.begin(), json.end(), out.begin() + 8);
  for (std::size_t i = 0; i < data_bytes; ++i) out[8 + json.size() + i] = static_cast<unsigned char>(i);
  return out;
}

/// Restores hgtok::limits() at scope exit, for tests that lower a limit.
struct LimitsGuard {
  hgtok::Limits saved = hgtok::limits();
  ~LimitsGuard() { hgtok::limits() = saved; }
};

}  // namespace hgtok_test

/// Checks that `expr` throws exception type E whose message contains `needle`.
#define HGTOK_REQUIRE_THROWS_WITH(expr, E, needle) \
  REQUIRE_THROWS_MATCHES(expr, E, Catch::Matchers::Predicate<E>([&](const E& e_) { return std::string(e_.what()).find(needle) != std::string::npos; }, std::string("message contains: ") + (needle)))
