// Hostile inputs to the tensor readers (issue 18, docs/security.md): shapes whose size arithmetic overflows, JSON
// nested past the depth limit, files that are not regular files or are larger than max_file_bytes. Each must give
// the documented hgtok error naming the field, never a crash or an allocation sized by the input.
#include <sys/stat.h>

#include <hgtok/io/json.hpp>
#include <hgtok/io/npy.hpp>
#include <hgtok/io/read_file.hpp>
#include <hgtok/io/safetensors.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace test_hostile_io {

using hgtok_test::LimitsGuard;
using hgtok_test::raw_npy;
using hgtok_test::raw_safetensors;

/// `depth` nested JSON lists around `inner`.
std::string nested_lists(std::size_t depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST_CASE("hostile: npy shapes whose product overflows once a zero dimension is skipped", "[io][npy][hostile]") {
  // (1, 0, 99999999, 99999999999999900, 3): zero elements, but the later dimensions overflow xtensor's strides.
  const auto zero_dim = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 0, 99999999, 99999999999999900, 3), }", 0);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(zero_dim, "z.npy"), hgtok::ShapeError, "field 'shape'");
  // (2**62, 2, 0): the product of the non-zero dimensions overflows int64 (numel() used to overflow).
  const auto signed_overflow = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 2, 0), }", 0);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(signed_overflow, "s.npy"), hgtok::ShapeError, "overflows int64");
  // Bytes overflowing int64 while elements do not: 2**61 f8 elements.
  const auto byte_overflow = raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 0), }", 0);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(byte_overflow, "b.npy"), hgtok::ShapeError, "field 'shape'");
  // A legitimate empty array still reads.
  const auto empty = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0, 5), }", 0);
  CHECK(hgtok::parse_npy(empty, "e.npy").numel() == 0);
}

TEST_CASE("hostile: safetensors shapes checked in full, zero dimension or not", "[io][safetensors][hostile]") {
  const std::string json = R"({"t": {"dtype": "F32", "shape": [1, 0, 99999999, 99999999999999900, 3], "data_offsets": [0, 0]}})";
  HGTOK_REQUIRE_THROWS_WITH(hgtok::SafetensorsFile::from_bytes(raw_safetensors(json, 0), "z.safetensors"), hgtok::ShapeError,
                            "field 't.shape'");
  CHECK_THROWS_AS(hgtok::detail::checked_numel({4611686018427387904, 2, 0}, "s", "shape"), hgtok::ShapeError);
  CHECK_THROWS_AS(hgtok::detail::checked_numel({-1, 0}, "s", "shape"), hgtok::ShapeError);
  CHECK(hgtok::detail::checked_numel({}, "s", "shape") == 1);
  CHECK(hgtok::detail::checked_nbytes({3, 0, 5}, 8, "s", "shape") == 0);
  CHECK(hgtok::detail::checked_nbytes({3, 5}, 8, "s", "shape") == 120);
}

TEST_CASE("hostile: a safetensors header nested 100,000 levels is refused while parsing", "[io][safetensors][hostile]") {
  // The shape element is nested 100,000 deep; building the message with dump() used to overflow the stack.
  const std::string json = R"({"t": {"dtype": "F32", "shape": [)" + nested_lists(100000) + R"(], "data_offsets": [0, 4]}})";
  HGTOK_REQUIRE_THROWS_WITH(hgtok::SafetensorsFile::from_bytes(raw_safetensors(json, 4), "deep.safetensors"),
                            hgtok::ResourceError, "field 'header': JSON nests deeper than max_json_depth = 128");
}

TEST_CASE("hostile: JSON depth is a limit that can be changed", "[io][json][hostile]") {
  LimitsGuard guard;
  CHECK(hgtok::detail::parse_json(nested_lists(120), "s", "f").is_array());
  hgtok::limits().max_json_depth = 10;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::parse_json(nested_lists(11), "s", "f"), hgtok::ResourceError, "field 'f'");
  CHECK_NOTHROW(hgtok::detail::parse_json(nested_lists(9), "s", "f"));
  // Objects count as levels too.
  std::string objects = "1";
  for (int i = 0; i < 11; ++i) objects = "{\"a\": " + objects + "}";
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::parse_json(objects, "s", "f"), hgtok::ResourceError, "max_json_depth = 10");
}

TEST_CASE("hostile: values quoted in messages are cut short", "[io][json][hostile]") {
  std::string ones = "[1";
  for (int i = 0; i < 50000; ++i) ones += ",1";
  const auto big = hgtok::detail::parse_json(ones + "]", "s", "f");
  const std::string excerpt = hgtok::detail::json_excerpt(big);
  CHECK(excerpt.size() == 83);
  CHECK(excerpt.substr(80) == "...");
  CHECK(hgtok::detail::json_excerpt(hgtok::detail::parse_json("[1, 2]", "s", "f")) == "[1,2]");
  // A wrong-typed data_offsets holding a long list is quoted briefly.
  const std::string json = R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [)" + std::string(5000, ' ') + "\"x\"" +
                           std::string(5000, ' ') + "]}}";
  try {
    hgtok::SafetensorsFile::from_bytes(raw_safetensors(json, 4), "o.safetensors");
    FAIL("no error");
  } catch (const hgtok::FormatError& e) {
    CHECK(e.field() == "t.data_offsets");
    CHECK(std::string(e.what()).size() < 300);
  }
}

TEST_CASE("hostile: a parse error quoting a 100 kB token is cut short", "[io][json][hostile]") {
  try {
    hgtok::detail::parse_json("[" + std::string(100000, '1') + "]", "s", "f");
    FAIL("no error");
  } catch (const hgtok::FormatError& e) {
    CHECK(e.field() == "f");
    CHECK(e.reason().size() < 300);
  }
}

TEST_CASE("hostile: files read into memory must be regular and within max_file_bytes", "[io][hostile]") {
  hgtok_test::TempDir dir;
  // A device never ends: refused before reading (it used to read until std::bad_alloc).
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array("/dev/zero"), hgtok::IOError, "not a regular file");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::read_json_file("/dev/zero", "config"), hgtok::IOError, "field 'config'");
  // A FIFO without a writer would block forever in a plain open().
  const std::string fifo = dir.file("fifo.npy");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(fifo), hgtok::IOError, "not a regular file");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::SafetensorsFile::open(fifo), hgtok::IOError, "not a regular file");
  // A directory.
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::read_file_text(dir.path.string()), hgtok::IOError, "not a regular file");
  // The size limit, checked from the file's size before reading.
  const std::string big = dir.file("big.npy");
  hgtok_test::write_bytes(big, raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (256,), }", 1024));
  CHECK(hgtok::load_npy_array(big).numel() == 256);
  LimitsGuard guard;
  hgtok::limits().max_file_bytes = 1000;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(big), hgtok::ResourceError, "above max_file_bytes = 1000");
}

}  // namespace test_hostile_io
