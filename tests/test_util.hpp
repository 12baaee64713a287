// Helpers shared by hgtok's tests.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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

inline std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace hgtok_test

/// Checks that `expr` throws exception type E whose message contains `needle`.
#define HGTOK_REQUIRE_THROWS_WITH(expr, E, needle) \
  REQUIRE_THROWS_MATCHES(expr, E, Catch::Matchers::Predicate<E>([&](const E& e_) { return std::string(e_.what()).find(needle) != std::string::npos; }, std::string("message contains: ") + (needle)))
