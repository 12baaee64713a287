// safetensors reader/writer and WeightStore: every dtype, F16/BF16 conversion
// against torch's own conversion (fixture from tests/reference/make_io_fixtures.py),
// zero copy, round trips, and every malformed-header case the reader must refuse.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <hgtok/io/safetensors.hpp>
#include <hgtok/io/weight_store.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_safetensors {

using hgtok::Dtype;
using hgtok::SafetensorsFile;
using hgtok::SafetensorsWriter;
using hgtok_test::raw_safetensors;
using hgtok_test::tests_path;

namespace {

const std::string kDtypes = "fixtures/io_dtypes.safetensors";

SafetensorsFile from(const std::string& json, std::size_t data_bytes) {
  return SafetensorsFile::from_bytes(raw_safetensors(json, data_bytes), "bad.safetensors");
}

bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

}  // namespace

TEST_CASE("safetensors: the fixture written by safetensors.torch holds every dtype", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  const std::pair<const char*, Dtype> expected[] = {{"f64", Dtype::F64}, {"f32", Dtype::F32}, {"f16", Dtype::F16},
                                                    {"bf16", Dtype::BF16}, {"i64", Dtype::I64}, {"i32", Dtype::I32},
                                                    {"u8", Dtype::U8},   {"bool", Dtype::BOOL}};
  for (const auto& [name, dtype] : expected) {
    INFO(name);
    REQUIRE(f.contains(name));
    CHECK(f.at(name).dtype == dtype);
  }
  CHECK(f.metadata().at("made_by") == "make_io_fixtures.py");
  CHECK(f.at("f64").shape == hgtok::Shape{5, 5});
  CHECK(f.at("u8").shape == hgtok::Shape{7});
  // names() is in data order: strictly ascending data pointers.
  for (std::size_t i = 1; i < f.names().size(); ++i) CHECK(f.at(f.names()[i - 1]).data < f.at(f.names()[i]).data);
}

TEST_CASE("safetensors: F16 and BF16 convert to float exactly as torch's .float()", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  for (const std::string half : {"f16", "bf16"}) {
    INFO(half);
    const auto got = f.at(half).to_vector<float>(true);
    const auto want = f.at(half + "_as_f32").to_vector<float>();
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      INFO("element " << i << ": " << got[i] << " vs " << want[i]);
      CHECK(same_float(got[i], want[i]));
    }
    // to double goes through the same float value
    const auto as_double = f.at(half).to_vector<double>(true);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(same_float(static_cast<float>(as_double[i]), want[i]));
    // without conversion, the dtype is named
    HGTOK_REQUIRE_THROWS_WITH(f.at(half).to_vector<float>(false), hgtok::ShapeError, "needs conversion");
  }
  const auto f64 = f.at("f64").to_vector<float>();
  const auto f64_as_f32 = f.at("f64_as_f32").to_vector<float>();
  for (std::size_t i = 0; i < f64.size(); ++i) CHECK(same_float(f64[i], f64_as_f32[i]));
}

TEST_CASE("safetensors: as<T>() is zero copy, pointing into the mapping", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  const auto file_bytes = hgtok_test::read_bytes(tests_path(kDtypes));
  REQUIRE(f.byte_size() == file_bytes.size());
  const auto& v = f.at("f32");
  const float* p = v.as<float>();
  const auto* lo = f.bytes();
  const auto* hi = f.bytes() + f.byte_size();
  CHECK(reinterpret_cast<const unsigned char*>(p) >= lo);
  CHECK(reinterpret_cast<const unsigned char*>(p + v.numel()) <= hi);
  CHECK(reinterpret_cast<const unsigned char*>(p) == v.data);
  // the bytes there are the file's bytes, and a copy of the file object shares the mapping
  CHECK(std::memcmp(p, file_bytes.data() + (v.data - lo), v.nbytes) == 0);
  const SafetensorsFile copy = f;
  CHECK(copy.at("f32").as<float>() == p);
  CHECK(f.at("i64").as<std::int64_t>()[5] == std::numeric_limits<std::int64_t>::max());
  // a typed view of the wrong dtype names the tensor
  HGTOK_REQUIRE_THROWS_WITH(v.as<double>(), hgtok::ShapeError, "field 'f32'");
  HGTOK_REQUIRE_THROWS_WITH(v.as<double>(), hgtok::ShapeError, "dtype is F32, expected F64");
}

TEST_CASE("safetensors: write/read round trip of every dtype", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  SafetensorsWriter w;
  for (const auto& v : f.tensors()) w.add_raw(v.name, v.dtype, v.shape, v.data, v.nbytes);
  w.set_metadata("origin", "round trip");
  hgtok_test::TempDir tmp;
  w.save(tmp.file("rt.safetensors"));
  const auto g = SafetensorsFile::open(tmp.file("rt.safetensors"));
  REQUIRE(g.size() == f.size());
  CHECK(g.metadata().at("origin") == "round trip");
  for (const auto& v : f.tensors()) {
    INFO(v.name);
    const auto& u = g.at(v.name);
    CHECK(u.dtype == v.dtype);
    CHECK(u.shape == v.shape);
    REQUIRE(u.nbytes == v.nbytes);
    CHECK(std::memcmp(u.data, v.data, v.nbytes) == 0);
    // the writer aligns every tensor to its element size
    CHECK(reinterpret_cast<std::uintptr_t>(u.data) % hgtok::dtype_size(u.dtype) == 0);
  }
  // to_bytes() is the file's content
  CHECK(w.to_bytes() == hgtok_test::read_bytes(tmp.file("rt.safetensors")));
  // and the file leaves no temporary behind
  CHECK_FALSE(std::filesystem::exists(tmp.file("rt.safetensors.tmp")));
}

TEST_CASE("safetensors: typed writer API round trips and stays aligned", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  const auto f64 = f.at("f64").to_vector<double>();
  const auto i32 = f.at("i32").to_vector<std::int32_t>();
  const auto u8 = f.at("u8").to_vector<std::uint8_t>();
  hgtok::Matrix<float> m = Eigen::Map<const hgtok::Matrix<double>>(f64.data(), 5, 5).cast<float>();
  SafetensorsWriter w;
  w.add("a_u8", u8);  // a 1-byte tensor first, to check the 8-byte tensors stay aligned after it
  w.add("b_f64", hgtok::Shape{5, 5}, f64.data());
  w.add("c_mat", m);
  w.add("d_i32", hgtok::Shape{4, 3}, i32.data());
  const auto g = SafetensorsFile::from_bytes(w.to_bytes());
  CHECK(g.at("b_f64").shape == hgtok::Shape{5, 5});
  const double* d = g.at("b_f64").as<double>();
  for (std::size_t i = 0; i < f64.size(); ++i) CHECK((d[i] == f64[i] || (std::isnan(d[i]) && std::isnan(f64[i]))));
  const float* mf = g.at("c_mat").as<float>();
  for (Eigen::Index i = 0; i < m.size(); ++i) CHECK(same_float(mf[i], m.data()[i]));
  CHECK(g.at("d_i32").to_vector<std::int32_t>() == i32);
  CHECK(g.at("a_u8").to_vector<std::uint8_t>() == u8);
  CHECK(g.at("a_u8").as<std::uint8_t>()[0] == u8[0]);
}

TEST_CASE("safetensors writer: bad tensors are refused", "[io][safetensors]") {
  SafetensorsWriter w;
  const float x[3] = {1, 2, 3};
  HGTOK_REQUIRE_THROWS_WITH(w.add_raw("t", Dtype::F32, {2, 2}, x, sizeof x), hgtok::ShapeError, "needs 16 bytes, got 12");
  HGTOK_REQUIRE_THROWS_WITH(w.add_raw("t", Dtype::F32, {-1, 3}, x, sizeof x), hgtok::ShapeError, "field 't'");
  HGTOK_REQUIRE_THROWS_WITH(w.add_raw("__metadata__", Dtype::F32, {3}, x, sizeof x), hgtok::ValueError, "__metadata__");
  w.add_raw("t", Dtype::F32, {3}, x, sizeof x);
  HGTOK_REQUIRE_THROWS_WITH(w.add_raw("t", Dtype::F32, {3}, x, sizeof x), hgtok::ValueError, "field 't'");
  HGTOK_REQUIRE_THROWS_WITH(w.add_raw("big", Dtype::F64, {std::int64_t(1) << 62, 8}, x, 0), hgtok::ShapeError, "overflows");
}

namespace {

/// An image and a writer holding the same tensors: the fixture's, plus a U8 tensor "pad" of `pad` bytes (to move
/// the file's size across block boundaries), both with the same metadata. The image is filled through data<T>().
std::pair<hgtok::SafetensorsImage, SafetensorsWriter> image_and_writer(const SafetensorsFile& f, std::size_t pad) {
  std::vector<hgtok::SafetensorsImage::Tensor> specs;
  SafetensorsWriter w;
  std::vector<unsigned char> pad_bytes(pad);
  for (std::size_t i = 0; i < pad; ++i) pad_bytes[i] = static_cast<unsigned char>(i * 7 + 3);
  for (const auto& v : f.tensors()) {
    specs.push_back({v.name, v.dtype, v.shape});
    w.add_raw(v.name, v.dtype, v.shape, v.data, v.nbytes);
  }
  specs.push_back({"pad", Dtype::U8, {static_cast<std::int64_t>(pad)}});
  w.add_raw("pad", Dtype::U8, {static_cast<std::int64_t>(pad)}, pad_bytes.data(), pad);
  w.set_metadata("origin", "image");
  hgtok::SafetensorsImage image(specs, {{"origin", "image"}});
  for (const auto& v : f.tensors())
    if (v.nbytes > 0) std::memcpy(image.raw(v.name), v.data, v.nbytes);
  if (pad > 0) std::memcpy(image.data<std::uint8_t>("pad"), pad_bytes.data(), pad);  // data() of an empty vector may be null
  return {std::move(image), std::move(w)};
}

}  // namespace

TEST_CASE("SafetensorsImage: the same bytes as SafetensorsWriter, saved whole at every block boundary", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  hgtok_test::TempDir tmp;
  std::vector<std::string> dirs{tmp.path.string()};
  if (std::filesystem::is_directory("/dev/shm")) dirs.push_back("/dev/shm");  // tmpfs (direct I/O only since Linux 6.6)
  const std::size_t base = image_and_writer(f, 0).first.size();
  // sizes below one block, exactly one and two blocks (no tail: nothing left for the ordinary write), and past
  for (std::size_t target : {std::size_t(0), std::size_t(4096), std::size_t(8192), std::size_t(3 * 4096 + 1000)}) {
    std::size_t pad = target > base ? target - base : 0;
    auto [image, writer] = image_and_writer(f, pad);
    while (target > base && image.size() != target && pad > 0) {  // the header grows with the digits of pad
      --pad;
      std::tie(image, writer) = image_and_writer(f, pad);
    }
    INFO("file size " << image.size());
    if (target > base) REQUIRE(image.size() == target);
    const auto expected = writer.to_bytes();
    REQUIRE(image.size() == expected.size());
    CHECK(std::memcmp(image.bytes(), expected.data(), expected.size()) == 0);
    for (const auto& dir : dirs) {
      INFO(dir);
      const std::string path = (std::filesystem::path(dir) / ("hgtok_image_" + std::to_string(::getpid()) + ".safetensors")).string();
      for (bool direct : {true, false}) {
        INFO("direct " << direct);
        image.save(path, direct);
        CHECK(hgtok_test::read_bytes(path) == expected);
        CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
        const auto g = SafetensorsFile::open(path);
        CHECK(g.metadata().at("origin") == "image");
        CHECK(g.at("pad").nbytes == pad);
        image.save(path, direct);  // overwriting an existing file
        CHECK(hgtok_test::read_bytes(path) == expected);
        std::filesystem::remove(path);
      }
    }
  }
}

TEST_CASE("SafetensorsImage: a reused buffer gives the same bytes as a fresh one", "[io][safetensors]") {
  using hgtok::SafetensorsImage;
  const auto fill = [](SafetensorsImage& im, std::int64_t n, bool all) {
    float* x = im.data<float>("x");
    for (std::int64_t i = 0; i < (all ? n : n / 2); ++i) x[i] = static_cast<float>(i) + 0.5f;
    im.data<std::int64_t>("n")[0] = n;
  };
  const auto specs = [](std::int64_t n) {
    return std::vector<SafetensorsImage::Tensor>{{"x", Dtype::F32, {n}}, {"n", Dtype::I64, {1}}};
  };
  SafetensorsImage storage(specs(5000), {{"k", "v"}});
  fill(storage, 5000, true);
  const unsigned char* first = storage.bytes();
  // smaller: the same buffer, and the half left unfilled is zero as in a fresh image
  SafetensorsImage reused(specs(3000), {{"k", "v"}}, std::move(storage));
  CHECK(reused.bytes() == first);
  fill(reused, 3000, false);
  SafetensorsImage fresh(specs(3000), {{"k", "v"}});
  fill(fresh, 3000, false);
  REQUIRE(reused.size() == fresh.size());
  CHECK(std::memcmp(reused.bytes(), fresh.bytes(), fresh.size()) == 0);
  // the storage is left empty: no tensors, nothing to save
  CHECK(storage.size() == 0);
  HGTOK_REQUIRE_THROWS_WITH(storage.data<float>("x"), hgtok::ValueError, "no such tensor");
  hgtok_test::TempDir tmp;
  HGTOK_REQUIRE_THROWS_WITH(storage.save(tmp.file("e.safetensors")), hgtok::ValueError, "empty");
  // larger than the storage: a new buffer, same bytes as a fresh one
  SafetensorsImage grown(specs(9000), {}, std::move(reused));
  fill(grown, 9000, true);
  SafetensorsImage fresh_grown(specs(9000));
  fill(fresh_grown, 9000, true);
  REQUIRE(grown.size() == fresh_grown.size());
  CHECK(std::memcmp(grown.bytes(), fresh_grown.bytes(), grown.size()) == 0);
  grown.save(tmp.file("g.safetensors"));
  CHECK(SafetensorsFile::open(tmp.file("g.safetensors")).at("x").as<float>()[8999] == 8999.5f);
}

TEST_CASE("SafetensorsImage: bad tensors, names, dtypes and paths are refused", "[io][safetensors][bad]") {
  using hgtok::SafetensorsImage;
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsImage({{"t", Dtype::F32, {-1, 3}}}), hgtok::ShapeError, "field 't'");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsImage({{"t", Dtype::F32, {-1, 3}}}), hgtok::ShapeError, "negative dimension");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsImage({{"__metadata__", Dtype::F32, {3}}}), hgtok::ValueError, "__metadata__");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsImage({{"t", Dtype::F32, {3}}, {"t", Dtype::I64, {2}}}), hgtok::ValueError, "field 't'");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsImage({{"big", Dtype::F64, {std::int64_t(1) << 62, 8}}}), hgtok::ShapeError, "overflows");
  SafetensorsImage image({{"t", Dtype::F32, {3}}, {"empty", Dtype::I64, {0}}});
  HGTOK_REQUIRE_THROWS_WITH(image.data<double>("t"), hgtok::ShapeError, "dtype is F32, asked for F64");
  HGTOK_REQUIRE_THROWS_WITH(image.data<float>("u"), hgtok::ValueError, "field 'u'");
  HGTOK_REQUIRE_THROWS_WITH(image.raw("u"), hgtok::ValueError, "no such tensor");
  // unfilled bytes are zero
  const float* t = image.data<float>("t");
  CHECK((t[0] == 0.0f && t[1] == 0.0f && t[2] == 0.0f));
  CHECK(SafetensorsFile::from_bytes(std::vector<unsigned char>(image.bytes(), image.bytes() + image.size())).at("empty").nbytes == 0);
  hgtok_test::TempDir tmp;
  const std::string missing = tmp.file("no_such_dir/x.safetensors");
  HGTOK_REQUIRE_THROWS_WITH(image.save(missing), hgtok::IOError, missing);
  HGTOK_REQUIRE_THROWS_WITH(image.save(missing), hgtok::IOError, "cannot open for writing");
}

TEST_CASE("safetensors: truncated files", "[io][safetensors][bad]") {
  SafetensorsWriter w;
  const double d[4] = {1, 2, 3, 4};
  w.add("w", hgtok::Shape{4}, d);
  const auto good = w.to_bytes();
  REQUIRE_NOTHROW(SafetensorsFile::from_bytes(good));
  hgtok_test::TempDir tmp;
  auto cut = [&](std::size_t n) {
    hgtok_test::write_bytes(tmp.file("cut.safetensors"), std::vector<unsigned char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    return tmp.file("cut.safetensors");
  };
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(0)), hgtok::FormatError, "field 'header_length'");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(5)), hgtok::FormatError, "fewer than the 8-byte header length");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(20)), hgtok::FormatError, "field 'header_length'");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(good.size() - 1)), hgtok::FormatError, "field 'w.data_offsets'");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(good.size() - 1)), hgtok::FormatError, "past the data section");
  // the message names the file
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(cut(good.size() - 1)), hgtok::FormatError, tmp.file("cut.safetensors"));
}

TEST_CASE("safetensors: header length beyond the file, or above the limit", "[io][safetensors][bad]") {
  const std::string json = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})";
  REQUIRE_NOTHROW(SafetensorsFile::from_bytes(raw_safetensors(json, 2)));
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::from_bytes(raw_safetensors(json, 2, json.size() + 3)), hgtok::FormatError,
                            "field 'header_length': header length " + std::to_string(json.size() + 3) + " is beyond the file");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::from_bytes(raw_safetensors(json, 2, ~0ULL - 1)), hgtok::FormatError, "header_length");
  // a header above 100 MB (a sparse file; nothing is read or allocated)
  hgtok_test::TempDir tmp;
  const std::string path = tmp.file("huge_header.safetensors");
  hgtok_test::write_bytes(path, raw_safetensors("", 0, SafetensorsFile::kMaxHeaderBytes + 1));
  std::filesystem::resize_file(path, SafetensorsFile::kMaxHeaderBytes + 64);
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(path), hgtok::FormatError, "exceeds the limit");
}

TEST_CASE("safetensors: header that is not JSON, or not an object", "[io][safetensors][bad]") {
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a": {"dtype": "F32", )", 0), hgtok::FormatError, "field 'header': header is not valid JSON");
  HGTOK_REQUIRE_THROWS_WITH(from("\xff\xfe garbage", 0), hgtok::FormatError, "field 'header'");
  HGTOK_REQUIRE_THROWS_WITH(from("[1, 2]", 0), hgtok::FormatError, "field 'header': header is not a JSON object");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a": 3})", 0), hgtok::FormatError, "field 'a': tensor entry is not an object");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"__metadata__": {"k": 1}})", 0), hgtok::FormatError, "field '__metadata__.k'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"__metadata__": [1]})", 0), hgtok::FormatError, "field '__metadata__'");
  // deeply nested JSON is refused while parsing, past limits().max_json_depth (issue 18: consumers such as dump() recurse)
  const std::string deep = R"({"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  HGTOK_REQUIRE_THROWS_WITH(from(deep, 0), hgtok::ResourceError, "field 'header': JSON nests deeper than max_json_depth");
}

TEST_CASE("safetensors: data_offsets reversed, past the end, overlapping, malformed", "[io][safetensors][bad]") {
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", 8), hgtok::FormatError,
                            "field 'a.data_offsets': reversed: begin 4 > end 0");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", 8), hgtok::FormatError,
                            "field 'a.data_offsets': end 16 is past the data section (8 bytes)");
  HGTOK_REQUIRE_THROWS_WITH(
      from(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})", 12),
      hgtok::FormatError, "field 'b.data_offsets': overlaps tensor 'a'");
  // two tensors sharing one range overlap too
  HGTOK_REQUIRE_THROWS_WITH(
      from(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})", 8),
      hgtok::FormatError, "overlaps tensor");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 8), hgtok::FormatError,
                            "field 'a.data_offsets'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", 8), hgtok::FormatError,
                            "field 'a.data_offsets'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"a":{"dtype":"U8","shape":[1]}})", 8), hgtok::FormatError, "field 'a.data_offsets'");
  // adjacent tensors are fine
  REQUIRE_NOTHROW(
      from(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8));
}

TEST_CASE("safetensors: dtype, shape and byte count must agree", "[io][safetensors][bad]") {
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), hgtok::ShapeError,
                            "field 'w': dtype F32 x shape [3] needs 12 bytes, data_offsets give 8");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"F64","shape":[2,2],"data_offsets":[0,16]}})", 16), hgtok::ShapeError,
                            "needs 32 bytes");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2), hgtok::FormatError,
                            "field 'w.dtype': unsupported dtype 'F8_E4M3'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,2]}})", 2), hgtok::FormatError,
                            "field 'w.dtype'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", 2), hgtok::FormatError,
                            "field 'w.shape'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}})", 2), hgtok::FormatError,
                            "field 'w.shape'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":"2","data_offsets":[0,2]}})", 2), hgtok::FormatError,
                            "field 'w.shape'");
}

TEST_CASE("safetensors: shapes whose product overflows are refused before any use", "[io][safetensors][bad]") {
  // 2^32 * 2^32 overflows int64
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0),
                            hgtok::ShapeError, "field 'w.shape'");
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0),
                            hgtok::ShapeError, "overflows");
  // element count fits, byte count does not: 2^61 F64 elements
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})", 8),
                            hgtok::ShapeError, "field 'w.shape'");
  // a single dimension above int64
  HGTOK_REQUIRE_THROWS_WITH(from(R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})", 0),
                            hgtok::ShapeError, "overflows int64");
  // a huge shape with a zero dimension is empty, and fine
  const auto f = from(R"({"w":{"dtype":"F32","shape":[0,4294967296],"data_offsets":[0,0]}})", 0);
  CHECK(f.at("w").numel() == 0);
  CHECK(f.at("w").to_vector<float>().empty());
}

TEST_CASE("safetensors: unknown tensors and missing files", "[io][safetensors][bad]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  HGTOK_REQUIRE_THROWS_WITH(f.at("nope"), hgtok::LookupError, "field 'nope': no such tensor");
  HGTOK_REQUIRE_THROWS_WITH(f.at("nope"), hgtok::LookupError, "io_dtypes.safetensors");
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open("/nonexistent/x.safetensors"), hgtok::IOError, "/nonexistent/x.safetensors");
  hgtok_test::TempDir tmp;
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(tmp.path.string()), hgtok::IOError, "not a regular file");
}

TEST_CASE("safetensors: float to integer conversion refuses NaN and out-of-range values", "[io][safetensors][bad]") {
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  // f64 holds +-inf and 3e38: none fits an int64
  HGTOK_REQUIRE_THROWS_WITH(f.at("f64").to_vector<std::int64_t>(), hgtok::ValueError, "field 'f64'");
  HGTOK_REQUIRE_THROWS_WITH(f.at("bf16").to_vector<std::int32_t>(), hgtok::ValueError, "does not fit");
  // integral float values in range convert
  CHECK(f.at("bool").to_vector<std::int32_t>().size() == 5);
}

TEST_CASE("WeightStore: shape-checked typed access, add, save and reload", "[io][weights]") {
  const auto s = hgtok::WeightStore::load(tests_path(kDtypes));
  CHECK(s.size() == 11);
  CHECK(s.contains("f32"));
  CHECK(s.shape("i32") == hgtok::Shape{4, 3});
  const auto f = SafetensorsFile::open(tests_path(kDtypes));
  const auto want = f.at("f16_as_f32").to_vector<float>();
  const hgtok::Matrix<float> m = s.matrix<float>("f16", 5, 5);  // converted from F16
  for (Eigen::Index i = 0; i < m.size(); ++i) CHECK(same_float(m.data()[i], want[static_cast<std::size_t>(i)]));
  const auto u8 = s.vector<std::int64_t>("u8", 7);
  const std::uint8_t* raw = f.at("u8").as<std::uint8_t>();
  for (Eigen::Index i = 0; i < 7; ++i) CHECK(u8[i] == raw[i]);
  HGTOK_REQUIRE_THROWS_WITH(s.matrix<float>("f32", 5, 4), hgtok::ShapeError, "field 'f32': shape is [5, 5], expected [5, 4]");
  HGTOK_REQUIRE_THROWS_WITH(s.vector<float>("kqv_lin.weight", 3), hgtok::LookupError, "field 'kqv_lin.weight'");
  HGTOK_REQUIRE_THROWS_WITH(s.vector<float>("kqv_lin.weight", 3), hgtok::LookupError, "io_dtypes.safetensors");

  hgtok::WeightStore t = s;  // copies share the mapping
  hgtok::Matrix<double> w = s.matrix<double>("f64", 5, 5).block(0, 0, 3, 5);
  t.add("lin.weight", w);
  hgtok::Vector<float> b = s.vector<float>("bool", 5);
  t.add("lin.bias", b);
  HGTOK_REQUIRE_THROWS_WITH(t.add<float>("neg", hgtok::Shape{-1}, nullptr), hgtok::ShapeError, "field 'neg'");
  hgtok_test::TempDir tmp;
  t.save(tmp.file("w.safetensors"));
  const auto u = hgtok::WeightStore::load(tmp.file("w.safetensors"));
  CHECK(u.names() == t.names());
  CHECK(u.matrix<double>("lin.weight", 3, 5) == w);
  CHECK(u.vector<float>("lin.bias", 5) == b);
  CHECK(u.view("bf16").dtype == Dtype::BF16);
  CHECK(std::memcmp(u.view("bf16").data, s.view("bf16").data, s.view("bf16").nbytes) == 0);
}

TEST_CASE("WeightStore: chunked reads of large tensors, transposed reads, shapes-only stores", "[io][weights]") {
  // Tensors above the 8 Mi-element chunk: F16 values, and an F16 NaN in the second chunk.
  const std::int64_t rows = 3, cols = 3000000, n = rows * cols;
  std::vector<std::uint16_t> big(static_cast<std::size_t>(n)), nan(static_cast<std::size_t>(n), 0x3C00);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint16_t>(0x3C00 + (i * 7919) % 2048);
  nan[8500000] = 0x7E00;
  hgtok_test::TempDir tmp;
  SafetensorsWriter w;
  w.add_raw("big", Dtype::F16, {rows, cols}, big.data(), big.size() * 2);
  w.add_raw("nan", Dtype::F16, {n}, nan.data(), nan.size() * 2);
  w.save(tmp.file("big.safetensors"));
  const auto file = SafetensorsFile::open(tmp.file("big.safetensors"));
  const auto want = file.at("big").to_vector<float>();  // one piece, no page release
  const auto s = hgtok::WeightStore::load(tmp.file("big.safetensors"));
  const hgtok::Matrix<float> m = s.matrix<float>("big", rows, cols);
  REQUIRE(std::memcmp(m.data(), want.data(), want.size() * sizeof(float)) == 0);
  // The pages released after the first read fault back in unchanged.
  const hgtok::Matrix<float> again = s.matrix<float>("big", rows, cols);
  CHECK(std::memcmp(again.data(), want.data(), want.size() * sizeof(float)) == 0);
  const hgtok::Matrix<float> t = s.matrix_transposed<float>("big", rows, cols);
  REQUIRE(t.rows() == cols);
  REQUIRE(t.cols() == rows);
  CHECK(t == m.transpose());
  CHECK(s.tensor<float>("big", {rows, cols}) == want);
  HGTOK_REQUIRE_THROWS_WITH(s.matrix_transposed<float>("big", cols, rows), hgtok::ShapeError, "shape is [3, 3000000]");
  // A conversion error names the element by its index in the tensor, not in its chunk.
  HGTOK_REQUIRE_THROWS_WITH(s.vector<std::int64_t>("nan", n), hgtok::ValueError, "element 8500000 (");
  HGTOK_REQUIRE_THROWS_WITH(s.vector<std::int64_t>("nan", n), hgtok::ValueError, "field 'nan'");

  // add_transposed stores mᵀ; a shapes-only store records names and shapes, and refuses reads and saves.
  hgtok::Matrix<double> a(2, 3);
  a << 1, 2, 3, 4, 5, 6;
  hgtok::WeightStore u;
  u.add_transposed("at", a);
  CHECK(u.shape("at") == hgtok::Shape{3, 2});
  CHECK(u.matrix<double>("at", 3, 2) == a.transpose());
  CHECK(u.matrix_transposed<double>("at", 3, 2) == a);
  auto shapes = hgtok::WeightStore::shapes_only();
  shapes.add("a", a);
  shapes.add_transposed("at", a);
  CHECK(shapes.names() == std::vector<std::string>{"a", "at"});
  CHECK(shapes.shape("at") == hgtok::Shape{3, 2});
  HGTOK_REQUIRE_THROWS_WITH(shapes.view("a"), hgtok::ValueError, "records shapes only");
  HGTOK_REQUIRE_THROWS_WITH(shapes.matrix<double>("a", 2, 3), hgtok::ValueError, "records shapes only");
  HGTOK_REQUIRE_THROWS_WITH(shapes.save(tmp.file("x.safetensors")), hgtok::ValueError, "records shapes only");
  HGTOK_REQUIRE_THROWS_WITH(shapes.shape("b"), hgtok::LookupError, "field 'b'");
}

}  // namespace test_safetensors
