// .npy reader/writer: files written by numpy (fixtures from
// tests/reference/make_io_fixtures.py), C++ write -> C++ read round trips,
// and the malformed files the reader must refuse.
#include <cmath>
#include <cstring>
#include <hgtok/io/npy.hpp>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_npy {

using hgtok::Dtype;
using hgtok_test::raw_npy;
using hgtok_test::tests_path;

namespace {

std::string npy(const std::string& name) { return tests_path("fixtures/npy_" + name + ".npy"); }

const hgtok::SafetensorsFile& expected() {
  static const auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/npy_expected.safetensors"));
  return f;
}

}  // namespace

TEST_CASE("npy: files written by numpy read back with numpy's dtype, shape and bytes", "[io][npy]") {
  const std::pair<const char*, Dtype> cases[] = {{"f8", Dtype::F64}, {"f4", Dtype::F32}, {"f2", Dtype::F16},
                                                 {"i8", Dtype::I64}, {"i4", Dtype::I32}, {"u1", Dtype::U8},
                                                 {"b1", Dtype::BOOL}, {"scalar", Dtype::F64}, {"vec", Dtype::I64},
                                                 {"cube", Dtype::F32}, {"v2", Dtype::F32}};
  for (const auto& [name, dtype] : cases) {
    INFO(name);
    const auto a = hgtok::load_npy_array(npy(name));
    const auto& want = expected().at(std::string("npy/") + name);
    CHECK(a.dtype == dtype);
    CHECK(a.dtype == want.dtype);
    CHECK(a.shape == want.shape);
    REQUIRE(a.bytes.size() == want.nbytes);
    CHECK(std::memcmp(a.bytes.data(), want.data, want.nbytes) == 0);
  }
  CHECK(hgtok::load_npy_array(npy("scalar")).shape.empty());
  CHECK(hgtok::load_npy_array(npy("scalar")).numel() == 1);
}

TEST_CASE("npy: float16 converts as numpy's astype(float32)", "[io][npy]") {
  const auto got = hgtok::load_npy_array(npy("f2")).to_vector<float>();
  const auto want = expected().at("npy/f2_as_f4").to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == want[i]);
}

TEST_CASE("npy: load_npy gives an xtensor array of the requested type", "[io][npy]") {
  const xt::xarray<double> cube = hgtok::load_npy<double>(npy("cube"));
  REQUIRE(cube.shape().size() == 3);
  CHECK(cube.shape()[0] == 2);
  CHECK(cube.shape()[1] == 3);
  CHECK(cube.shape()[2] == 4);
  const auto want = expected().at("npy/cube").to_vector<double>();
  // C order: element (i, j, k) is at i*12 + j*4 + k
  CHECK(cube(1, 2, 3) == want[23]);
  CHECK(cube(0, 1, 2) == want[6]);
  const xt::xarray<std::int64_t> vec = hgtok::load_npy<std::int64_t>(npy("vec"));
  CHECK(std::vector<std::int64_t>(vec.begin(), vec.end()) == expected().at("npy/vec").to_vector<std::int64_t>());
}

TEST_CASE("npy: C++ writes byte-identical files to numpy's, and reads them back", "[io][npy]") {
  hgtok_test::TempDir tmp;
  for (const std::string name : {"f8", "f4", "f2", "i8", "i4", "u1", "b1", "scalar", "vec", "cube"}) {
    INFO(name);
    const auto& want = expected().at("npy/" + name);
    hgtok::save_npy(tmp.file(name + ".npy"), want.dtype, want.shape, want.data);
    // numpy 1.0 headers: same dict text, same padding
    CHECK(hgtok_test::read_bytes(tmp.file(name + ".npy")) == hgtok_test::read_bytes(npy(name)));
    const auto a = hgtok::load_npy_array(tmp.file(name + ".npy"));
    CHECK(a.dtype == want.dtype);
    CHECK(a.shape == want.shape);
    REQUIRE(a.bytes.size() == want.nbytes);
    CHECK(std::memcmp(a.bytes.data(), want.data, want.nbytes) == 0);
  }
}

TEST_CASE("npy: matrix and xtensor writers round trip", "[io][npy]") {
  hgtok_test::TempDir tmp;
  const auto values = expected().at("npy/f8").to_vector<double>();
  const hgtok::Matrix<double> m = Eigen::Map<const hgtok::Matrix<double>>(values.data(), 2, 3);
  hgtok::save_npy(tmp.file("m.npy"), m);
  const auto back = hgtok::load_npy<double>(tmp.file("m.npy"));
  REQUIRE(back.shape().size() == 2);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) CHECK(back(i, j) == m(i, j));
  const xt::xarray<float> x = hgtok::load_npy<float>(npy("cube"));
  hgtok::save_npy(tmp.file("x.npy"), x * 2.0f);
  const xt::xarray<float> y = hgtok::load_npy<float>(tmp.file("x.npy"));
  CHECK(y.shape() == x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(y.data()[i] == 2.0f * x.data()[i]);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::save_npy(tmp.file("b.npy"), Dtype::BF16, {1}, values.data()), hgtok::ValueError,
                            "field 'dtype': cannot write BF16");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::save_npy(tmp.file("n.npy"), Dtype::F64, {-2}, values.data()), hgtok::ShapeError,
                            "field 'shape'");
}

TEST_CASE("npy: unsupported dtypes are refused, naming descr", "[io][npy][bad]") {
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(npy("c8")), hgtok::FormatError, "field 'descr': unsupported dtype '<c8'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(npy("be_f4")), hgtok::FormatError, "field 'descr': unsupported dtype '>f4'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(npy("u3")), hgtok::FormatError, "unsupported dtype '<U3'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(npy("c8")), hgtok::FormatError, npy("c8"));
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4), "s.npy"),
      hgtok::FormatError, "field 'descr'");
}

TEST_CASE("npy: Fortran order is refused", "[io][npy][bad]") {
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array(npy("fortran")), hgtok::FormatError,
                            "field 'fortran_order': Fortran-order arrays are not supported");
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", 4), "s.npy"),
      hgtok::FormatError, "field 'fortran_order'");
}

TEST_CASE("npy: truncated files", "[io][npy][bad]") {
  const auto good = hgtok_test::read_bytes(npy("f4"));
  auto cut = [&](std::size_t n) { return std::vector<unsigned char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)); };
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(cut(good.size() - 3), "t.npy"), hgtok::ShapeError,
                            "field 'shape': shape [2, 3] of <f4 needs 24 bytes, the file holds 21");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(cut(40), "t.npy"), hgtok::FormatError, "field 'header_length'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(cut(9), "t.npy"), hgtok::FormatError, "field 'magic'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(cut(0), "t.npy"), hgtok::FormatError, "field 'magic'");
  // trailing bytes are as wrong as missing ones
  auto longer = good;
  longer.push_back(0);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(longer, "t.npy"), hgtok::ShapeError, "the file holds 25");
  // a version 2.0 file cut inside its 4-byte header length
  const auto v2 = hgtok_test::read_bytes(npy("v2"));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(std::vector<unsigned char>(v2.begin(), v2.begin() + 11), "v2.npy"),
                            hgtok::FormatError, "field 'header_length'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_npy_array("/nonexistent/a.npy"), hgtok::IOError, "/nonexistent/a.npy");
}

TEST_CASE("npy: the shape is checked against the file size before anything is allocated", "[io][npy][bad]") {
  // 10^12 x 10^12 elements overflow; 10^9 x 10^3 fit but the file holds 8 bytes
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", 8), "s.npy"),
      hgtok::ShapeError, "field 'shape'");
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000), }", 8), "s.npy"),
      hgtok::ShapeError, "needs 8000000000000 bytes, the file holds 8");
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8), "s.npy"),
      hgtok::ShapeError, "dimension overflows int64");
  // exactly int64 max parses (then fails the size check); one more overflows
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775807,), }", 8), "s.npy"),
      hgtok::ShapeError, "needs 9223372036854775807 bytes");
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775808,), }", 8), "s.npy"),
      hgtok::ShapeError, "dimension overflows int64");
  HGTOK_REQUIRE_THROWS_WITH(
      hgtok::parse_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", 8), "s.npy"),
      hgtok::FormatError, "field 'shape'");
}

TEST_CASE("npy: malformed headers", "[io][npy][bad]") {
  auto parse = [](const std::string& dict) { return hgtok::parse_npy(raw_npy(dict, 4), "h.npy"); };
  REQUIRE_NOTHROW(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"));
  HGTOK_REQUIRE_THROWS_WITH(parse("{'fortran_order': False, 'shape': (1,), }"), hgtok::FormatError, "field 'descr': missing");
  HGTOK_REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'shape': (1,), }"), hgtok::FormatError, "field 'fortran_order': missing");
  HGTOK_REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'fortran_order': False, }"), hgtok::FormatError, "field 'shape': missing");
  HGTOK_REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"), hgtok::FormatError,
                            "unexpected key 'extra'");
  HGTOK_REQUIRE_THROWS_WITH(parse("{'descr': '<f4, 'fortran_order': False"), hgtok::FormatError,
                            "field 'header key': expected a quoted string");
  HGTOK_REQUIRE_THROWS_WITH(parse("'descr'"), hgtok::FormatError, "field 'header'");
  auto bad_version = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
  bad_version[6] = 9;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_npy(bad_version, "h.npy"), hgtok::FormatError, "field 'version'");
}

}  // namespace test_npy
