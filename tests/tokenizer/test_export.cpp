// GraphTokens export: safetensors in the layout Python's safetensors package writes (fixture from
// tests/reference/make_tokenizer_fixtures.py), npy, and the zero-copy DLPack hand-off (tokenizer/dlpack_tokens.hpp).
#include <catch2/catch.hpp>
#include <hgtok/hgtok.hpp>
#include <hgtok/tokenizer/dlpack_tokens.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_export {

using namespace hgtok;
using hgtok_test::TempDir;
using hgtok_test::tests_path;

namespace {

GraphTokens<float> case0_tokens() {
  const auto g = load_graph<float>(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors");
  const auto table = EmbeddingTable<float>::load(tests_path("fixtures/tokenizer_table.safetensors"));
  const auto tok = Tokenizer<float>::load(tests_path("fixtures/tokenizer_linear"));
  const auto sub = NeighborSampler({3, 2}, 7).sample(g, "movie", 0);  // case 0 of the fixture
  return tok.tokenize(sub, {{"movie", "director", "actor"}, &table});
}

}  // namespace

TEST_CASE("export: hgtok's safetensors file has the layout and values of the Python-written one", "[tokenizer][export]") {
  const auto tokens = case0_tokens();
  TempDir dir;
  tokens.save_safetensors(dir.file("t.safetensors"));
  const auto mine = SafetensorsFile::open(dir.file("t.safetensors"));
  const auto python = SafetensorsFile::open(tests_path("fixtures/tokenizer_export.safetensors"));
  REQUIRE(mine.size() == python.size());
  for (const auto& name : python.names()) {
    INFO(name);
    REQUIRE(mine.contains(name));
    REQUIRE(mine.at(name).dtype == python.at(name).dtype);
    REQUIRE(mine.at(name).shape == python.at(name).shape);
  }
  REQUIRE(mine.at("node_ids").to_vector<Index>() == python.at("node_ids").to_vector<Index>());
  const auto a = mine.at("tokens").to_vector<float>(), b = python.at("tokens").to_vector<float>();
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(std::abs(a[i] - b[i]) <= 1e-5f);
  REQUIRE(nlohmann::json::parse(mine.metadata().at("spans")) == nlohmann::json::parse(python.metadata().at("spans")));

  // Both files read back as GraphTokens with the same spans and ids.
  const auto back = GraphTokens<float>::load_safetensors(dir.file("t.safetensors"));
  const bool same = back.tokens == tokens.tokens;
  REQUIRE(same);
  const auto from_python = GraphTokens<float>::load_safetensors(tests_path("fixtures/tokenizer_export.safetensors"));
  REQUIRE(from_python.node_ids == tokens.node_ids);
  REQUIRE(from_python.spans.size() == tokens.spans.size());
  for (std::size_t i = 0; i < tokens.spans.size(); ++i) {
    REQUIRE(from_python.spans[i].type == tokens.spans[i].type);
    REQUIRE(from_python.spans[i].type_id == tokens.spans[i].type_id);
    REQUIRE(from_python.spans[i].offset == tokens.spans[i].offset);
    REQUIRE(from_python.spans[i].count == tokens.spans[i].count);
  }
}

TEST_CASE("export: npy holds the token tensor", "[tokenizer][export]") {
  const auto tokens = case0_tokens();
  TempDir dir;
  tokens.save_npy(dir.file("t.npy"));
  const auto back = load_npy<float>(dir.file("t.npy"));
  REQUIRE(back.dimension() == 2);
  const bool same = back == tokens.tokens;
  REQUIRE(same);
}

TEST_CASE("export: bad GraphTokens files are clear errors", "[tokenizer][export]") {
  TempDir dir;
  auto write = [&](const std::string& spans, Index ids) {
    SafetensorsWriter w;
    std::vector<float> t(6, 1.0f);
    std::vector<Index> n(static_cast<std::size_t>(ids), 0);
    w.add("tokens", Shape{3, 2}, t.data());
    w.add("node_ids", Shape{ids}, n.data());
    if (!spans.empty()) w.set_metadata("spans", spans);
    w.save(dir.file("bad.safetensors"));
  };
  write(R"([{"type":"movie","type_id":0,"offset":0,"count":3}])", 2);
  HGTOK_REQUIRE_THROWS_WITH(GraphTokens<float>::load_safetensors(dir.file("bad.safetensors")), FormatError, "2 ids for 3 rows");
  write("", 3);
  HGTOK_REQUIRE_THROWS_WITH(GraphTokens<float>::load_safetensors(dir.file("bad.safetensors")), FormatError, "spans");
  write(R"([{"type":"movie","type_id":0,"offset":1,"count":2}])", 3);
  HGTOK_REQUIRE_THROWS_WITH(GraphTokens<float>::load_safetensors(dir.file("bad.safetensors")), FormatError, "does not continue at row 0");
  write(R"([{"type":"movie","type_id":0,"offset":0,"count":2}])", 3);
  HGTOK_REQUIRE_THROWS_WITH(GraphTokens<float>::load_safetensors(dir.file("bad.safetensors")), FormatError, "cover 2 of 3 rows");
  write(R"({"type":"movie"})", 3);
  HGTOK_REQUIRE_THROWS_WITH(GraphTokens<float>::load_safetensors(dir.file("bad.safetensors")), FormatError, "not a JSON array");
}

TEST_CASE("export: DLPack hands the token buffer over without a copy", "[tokenizer][export][dlpack]") {
  auto tokens = case0_tokens();
  const xt::xarray<float> copy = tokens.tokens;
  const float* before = tokens.tokens.data();
  DLManagedTensor* m = to_dlpack(std::move(tokens));
  REQUIRE(m != nullptr);
  const DLTensor& t = m->dl_tensor;
  REQUIRE(t.data == before);  // zero copy
  REQUIRE(t.ndim == 2);
  REQUIRE(t.shape[0] == static_cast<std::int64_t>(copy.shape()[0]));
  REQUIRE(t.shape[1] == 40);
  REQUIRE(t.strides[0] == 40);
  REQUIRE(t.strides[1] == 1);
  REQUIRE(t.dtype.code == kDLFloat);
  REQUIRE(t.dtype.bits == 32);
  REQUIRE(t.dtype.lanes == 1);
  REQUIRE(t.device.device_type == kDLCPU);
  REQUIRE(t.byte_offset == 0);
  const auto view = dlpack_matrix<float>(t);
  for (Index i = 0; i < view.rows(); ++i)
    for (Index j = 0; j < view.cols(); ++j) REQUIRE(view(i, j) == copy(static_cast<std::size_t>(i), static_cast<std::size_t>(j)));
  m->deleter(m);  // frees; ASan reports a leak or double free if the capsule is wrong

  xt::xarray<double> d = xt::xarray<double>::from_shape({2, 3});
  DLManagedTensor* md = to_dlpack(std::move(d));
  REQUIRE(md->dl_tensor.dtype.bits == 64);
  HGTOK_REQUIRE_THROWS_WITH(dlpack_matrix<float>(md->dl_tensor), ValueError, "expected float32");
  DLTensor bad = md->dl_tensor;
  bad.device.device_type = kDLCUDA;
  HGTOK_REQUIRE_THROWS_WITH(dlpack_matrix<double>(bad), ValueError, "kDLCPU");
  bad = md->dl_tensor;
  std::int64_t strides[2] = {1, 2};
  bad.strides = strides;
  HGTOK_REQUIRE_THROWS_WITH(dlpack_matrix<double>(bad), ShapeError, "row-major");
  bad = md->dl_tensor;
  bad.ndim = 3;
  HGTOK_REQUIRE_THROWS_WITH(dlpack_matrix<double>(bad), ShapeError, "ndim");
  md->deleter(md);
}

}  // namespace test_export
