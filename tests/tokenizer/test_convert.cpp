// Tokenizer directories written by tools/convert_checkpoint.py (tests/fixtures/convert/*/tokenizer, made by
// tests/reference/make_convert_fixtures.py with --dtype float64; tests/python/test_convert.py checks that the
// converter still writes exactly these) load with Tokenizer<double>::load and tokenize to their source models'
// outputs: HiGPT's graph tower + stage-1 graph_projector run with HiGPT's own code, PyG models with HGTConv / HANConv
// layers and a Linear (one HAN model on metapaths), and HetGNN weights in hgtok's naming (the hetgnn_static reference, identity projector).
#include <catch2/catch.hpp>
#include <cmath>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace test_convert {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string dir(const std::string& c) { return tests_path("fixtures/convert/" + c); }

/// max |tokens - want|, want given as rows of `width` values.
double worst(const GraphTokens<double>& t, const std::vector<double>& want, Index width) {
  REQUIRE(t.width() == width);
  REQUIRE(static_cast<std::size_t>(t.size()) * static_cast<std::size_t>(width) == want.size());
  double err = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(t.size()); ++r)
    for (std::size_t k = 0; k < static_cast<std::size_t>(width); ++k)
      err = std::max(err, std::abs(t.tokens(r, k) - want[r * static_cast<std::size_t>(width) + k]));
  return err;
}

}  // namespace

TEST_CASE("a converted HiGPT-layout checkpoint tokenizes to HiGPT's outputs (double)", "[tokenizer][convert]") {
  const auto tok = Tokenizer<double>::load(dir("higpt/tokenizer"));
  CHECK(tok.config().kernel == "meta_hgt");
  CHECK(tok.config().variant == "inference");
  const auto g = load_graph<double>(dir("higpt/graph.safetensors"));
  const auto table = EmbeddingTable<double>::load(dir("higpt/table.safetensors"));
  const auto expected = WeightStore::load(dir("higpt/expected.safetensors"));
  const auto order = nlohmann::json::parse(SafetensorsFile::open(dir("higpt/expected.safetensors")).metadata().at("hetero_key_order"))
                         .get<std::vector<std::string>>();
  const auto tokens = tok.tokenize(g, {order, &table});
  REQUIRE(tokens.spans.size() == order.size());
  CHECK(tokens.spans[0].type == order[0]);
  CHECK(worst(tokens, expected.view("tokens_stage1").to_vector<double>(), tok.config().llm_dim) <= 1e-10);
}

TEST_CASE("converted PyG HGTConv / HANConv models tokenize to their outputs (double)", "[tokenizer][convert]") {
  // pyg_han_metapath: PyG ran the model after AddMetaPaths; the tokenizer adds the config's metapaths itself.
  for (const std::string c : {"pyg_hgt", "pyg_han", "pyg_han_metapath"}) {
    INFO(c);
    const auto tok = Tokenizer<double>::load(dir(c + "/tokenizer"));
    CHECK(tok.config().kernel == (c == "pyg_hgt" ? "hgt" : "han"));
    const auto g = load_graph<double>(dir(c + "/graph.safetensors"));
    const auto order = nlohmann::json::parse(SafetensorsFile::open(dir(c + "/expected.safetensors")).metadata().at("order"))
                           .get<std::vector<std::string>>();
    const auto want = WeightStore::load(dir(c + "/expected.safetensors")).view("tokens").to_vector<double>();
    CHECK(worst(tok.tokenize(g, {order}), want, tok.config().llm_dim) <= 1e-10);
  }
}

TEST_CASE("converted HetGNN weights tokenize to the HetGNN reference (double, identity projector)", "[tokenizer][convert]") {
  const auto tok = Tokenizer<double>::load(dir("hetgnn/tokenizer"));
  const auto g = load_graph<double>(tests_path("fixtures/hetgnn_static_graph.safetensors"));
  const auto ref = WeightStore::load(tests_path("fixtures/hetgnn_static.safetensors"));
  const std::vector<std::string> order{"venue", "author", "paper"};
  std::vector<double> want;
  for (const auto& t : order) {
    const auto v = ref.view("expected/" + t).to_vector<double>();
    want.insert(want.end(), v.begin(), v.end());
  }
  CHECK(worst(tok.tokenize(g, {order}), want, tok.config().llm_dim) <= 1e-10);
}

}  // namespace test_convert
