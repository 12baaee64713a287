// config.json's HetGNN choices (tokenizer/config.hpp, kernels.hpp; docs/hetgnn.md): the "openhgnn" preset, the
// fields that override it, their JSON round trip, the layer and sampler they select, and bad values.
#include <nlohmann/json.hpp>
#include <string>

#include "hgtok/graph/io.hpp"
#include "hgtok/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace test_hetgnn_config {

using namespace hgtok;
using json = nlohmann::json;

namespace {

json base(const std::string& kernel = "hetgnn") {
  json c = {{"kernel", kernel},    {"hidden_channels", 8}, {"num_layers", 1}, {"llm_dim", 4}, {"content_dim", 8},
            {"restart_prob", 0.5}, {"walk_length", 20},    {"top_k", 3},      {"seed", 1},    {"projector", "linear"}};
  if (kernel == "hetgnn") {
    c["node_types"] = {"a", "b"};
    c["edge_types"] = {"a__to__b", "b__to__a"};
  } else {
    c["embedding_dim"] = 6;
  }
  return c;
}

TokenizerConfig parse(const json& j) { return TokenizerConfig::from_json(j, "config.json"); }

HeteroGraph<double> small_graph() {
  HeteroGraph<double> g;
  g.add_node_type("a", Matrix<double>::Random(6, 8));
  g.add_node_type("b", Matrix<double>::Random(5, 16));
  g.add_edge_type({"a", "to", "b"}, std::vector<Index>{0, 1, 2, 3, 1, 2, 3, 4});
  g.add_edge_type({"b", "to", "a"}, std::vector<Index>{0, 1, 2, 3, 1, 2, 3, 4});
  return g;
}

}  // namespace

TEST_CASE("config: hgtok's defaults write nothing new; the openhgnn preset selects OpenHGNN's four choices",
          "[tokenizer][hetgnn][openhgnn]") {
  const auto plain = parse(base());
  CHECK(plain.empty_neighbors == "drop");
  CHECK(plain.content_encoder == "per_type");
  CHECK(!plain.attention_bias);
  CHECK(plain.walk == "hgtok");
  CHECK(plain.to_json() == base());  // default configs (and their files) are unchanged
  auto j = base();
  j["compat"] = "openhgnn";
  const auto c = parse(j);
  CHECK(c.empty_neighbors == "zero");
  CHECK(c.content_encoder == "shared");
  CHECK(c.attention_bias);
  CHECK(c.walk == "openhgnn");
  CHECK(c.walks_per_node == 10);
  CHECK(c.to_json() == j);
  CHECK(hetgnn_options(c) == HetGNNOptions::openhgnn());
  // An explicit field overrides the preset and is written back.
  j["empty_neighbors"] = "drop";
  j["walks_per_node"] = 3;
  const auto o = parse(j);
  CHECK(o.empty_neighbors == "drop");
  CHECK(o.walks_per_node == 3);
  CHECK(parse(o.to_json()).to_json() == j);
  // Each choice alone, without the preset.
  auto alone = base();
  alone["walk"] = "openhgnn";
  alone["attention_bias"] = true;
  const auto a = parse(alone);
  CHECK(a.walk == "openhgnn");
  CHECK(a.content_encoder == "per_type");
  CHECK(a.to_json() == alone);
  auto meta = base("meta_hetgnn");
  meta["walk"] = "openhgnn";
  CHECK(parse(meta).walk == "openhgnn");
}

TEST_CASE("config: the preset's tokenizer has OpenHGNN's layer and walk, and round-trips through save and load",
          "[tokenizer][hetgnn][openhgnn]") {
  auto j = base();
  j["compat"] = "openhgnn";
  const auto tok = Tokenizer<double>::random(parse(j), 3);
  const auto& layer = std::get<HetGNN<double>>(tok.layers().at(0));
  CHECK(layer.options() == HetGNNOptions::openhgnn());
  CHECK(layer.attention_bias("a") != 0.0);  // drawn like every other weight
  const auto g = small_graph();
  const auto out = tok.encode(g);
  // The layer ran on OpenHGNNWalk's lists (counting the start node), not RandomWalkWithRestart's.
  const auto nb = OpenHGNNWalk(0.5, 20, 10, {{"a", 3}, {"b", 3}}, 1).sample(g);
  const auto expected = layer.forward(g, nb);
  for (const auto& [t, m] : expected) CHECK((out.at(t).array() == m.array()).all());
  const auto rwr = layer.forward(g, RandomWalkWithRestart(0.5, 20, 3, 1).sample(g));
  CHECK((out.at("a").array() != rwr.at("a").array()).any());
  hgtok_test::TempDir tmp;
  const std::string dir = tmp.file("tokenizer");
  tok.save(dir);
  const auto back = Tokenizer<double>::load(dir);
  CHECK(back.config().to_json() == j);
  const auto again = back.encode(g);
  for (const auto& [t, m] : out) CHECK((again.at(t).array() == m.array()).all());
}

TEST_CASE("config: bad HetGNN choices are named", "[tokenizer][hetgnn][openhgnn][errors]") {
  auto with = [](json j, const char* key, json v) {
    j[key] = std::move(v);
    return j;
  };
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "compat", "dgl")), ValueError, "unknown preset 'dgl' (openhgnn)");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "compat", 1)), FormatError, "compat");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "empty_neighbors", "pad")), ValueError,
                            "unknown value 'pad' (drop or zero)");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "content_encoder", "one")), ValueError, "content_encoder");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "attention_bias", "yes")), FormatError, "attention_bias");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "walk", "dgl")), ValueError, "unknown value 'dgl' (hgtok or openhgnn)");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base(), "walks_per_node", 4)), FormatError, "only the openhgnn walk");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(with(base(), "walk", "openhgnn"), "walks_per_node", 0)), FormatError,
                            "walks_per_node");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base("meta_hetgnn"), "compat", "openhgnn")), FormatError,
                            "only hetgnn has an OpenHGNN preset");
  HGTOK_REQUIRE_THROWS_WITH(parse(with(base("meta_hetgnn"), "empty_neighbors", "zero")), FormatError,
                            "empty_neighbors");
  auto shared = with(base(), "content_encoder", "shared");
  shared["content_dim"] = {{"a", 8}, {"b", 4}};
  HGTOK_REQUIRE_THROWS_WITH(parse(shared), ValueError, "content_encoder 'shared' reads one content width");
}

}  // namespace test_hetgnn_config
