// tokenizer/tokenizer.hpp + llm_projector.hpp: the whole path (graph -> subgraph -> MetaHGT x 2 -> projector ->
// tokens) against the PyTorch pipeline of tests/reference/make_tokenizer_fixtures.py, both projectors, float and
// double; config/weights round trip; bad configs, weights and type orders.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_tokenizer {

using namespace hgtok;
using hgtok_test::TempDir;
using hgtok_test::tests_path;

namespace {

const std::string kData = std::string(HGTOK_SOURCE_DIR) + "/examples/data/";

template <class T>
const HeteroGraph<T>& sample_graph() {
  static const auto g = load_graph<T>(kData + "imdb_sample.safetensors");
  return g;
}
template <class T>
const EmbeddingTable<T>& fixture_table() {
  static const auto t = EmbeddingTable<T>::load(tests_path("fixtures/tokenizer_table.safetensors"));
  return t;
}
const EmbeddingTable<float>& imdb_table() {
  static const auto t = EmbeddingTable<float>::load(kData + "imdb_types.safetensors");
  return t;
}
TokenizerConfig small_config() {
  TokenizerConfig c;
  c.in_channels = 16;
  c.hidden_channels = 32;
  c.heads = 4;
  c.num_layers = 2;
  c.embedding_dim = imdb_table().dim();
  c.llm_dim = 24;
  return c;
}

const SafetensorsFile& expected() {
  static const auto f = SafetensorsFile::open(tests_path("fixtures/tokenizer_expected.safetensors"));
  return f;
}

template <class T>
double max_abs_diff(const xt::xarray<T>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double d = 0;
  std::size_t i = 0;
  for (auto v : got) d = std::max(d, std::abs(static_cast<double>(v) - want[i++]));
  return d;
}

template <class T>
void check_parity(const std::string& dir, const std::string& kind, double tol) {
  const auto tok = Tokenizer<T>::load(tests_path("fixtures/" + dir));
  const auto cases = nlohmann::json::parse(expected().metadata().at("cases"));
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& cs = cases[c];
    std::map<std::string, std::vector<Index>> per_relation;
    if (cs.contains("per_relation")) per_relation = cs["per_relation"].get<std::map<std::string, std::vector<Index>>>();
    const NeighborSampler sampler(cs["fanouts"].get<std::vector<Index>>(), per_relation, cs["seed"].get<std::uint64_t>());
    const auto sub = sampler.sample(sample_graph<T>(), "movie", cs["target"].get<Index>());
    const auto order = cs["order"].get<std::vector<std::string>>();
    const auto tokens = tok.tokenize(sub, {order, &fixture_table<T>()});
    const std::string prefix = "case" + std::to_string(c) + "/";
    const auto want = expected().at(prefix + kind + "/tokens");
    REQUIRE(tokens.width() == 40);
    REQUIRE(tokens.size() == want.shape[0]);
    INFO("case " << c << " " << kind);
    REQUIRE(max_abs_diff(tokens.tokens, want.template to_vector<double>()) <= tol);
    if (kind == "linear") {  // spans and node ids follow the order and the reference's subgraph ids
      std::vector<Index> ids;
      Index offset = 0;
      REQUIRE(tokens.spans.size() == order.size());
      for (std::size_t i = 0; i < order.size(); ++i) {
        const auto want_ids = expected().at(prefix + "ids/" + order[i]).template to_vector<Index>();
        REQUIRE(tokens.spans[i].type == order[i]);
        REQUIRE(tokens.spans[i].offset == offset);
        REQUIRE(tokens.spans[i].count == static_cast<Index>(want_ids.size()));
        REQUIRE(tokens.spans[i].type_id == sample_graph<T>().node_type_id(order[i]));
        offset += tokens.spans[i].count;
        ids.insert(ids.end(), want_ids.begin(), want_ids.end());
      }
      REQUIRE(tokens.node_ids == ids);
    } else {
      REQUIRE(tokens.spans.size() == 1);
      REQUIRE(tokens.spans[0].type == "prefix");
      REQUIRE(tokens.spans[0].count == 3);
    }
  }
}

}  // namespace

TEST_CASE("tokenizer: graph -> subgraph -> MetaHGT -> graph_projector equals the PyTorch pipeline", "[tokenizer][parity]") {
  check_parity<double>("tokenizer_linear", "linear", 1e-10);
  check_parity<float>("tokenizer_linear", "linear", 1e-5);
}

TEST_CASE("tokenizer: G-Retriever prefix projector (mean pool, MLP, k tokens) equals PyTorch", "[tokenizer][parity]") {
  check_parity<double>("tokenizer_prefix", "prefix", 1e-10);
  check_parity<float>("tokenizer_prefix", "prefix", 1e-5);
}

TEST_CASE("tokenizer: save/load round-trips to identical weights and tokens", "[tokenizer]") {
  const auto& g = sample_graph<float>();
  for (const std::string projector : {"linear", "mlp_prefix"}) {
    auto config = small_config();
    config.projector = projector;
    config.num_prefix_tokens = projector == "linear" ? 0 : 2;
    const auto tok = Tokenizer<float>::random(config, 3);
    const auto sub = NeighborSampler({4, 3}, 5).sample(g, "movie", 3);
    const auto tokens = tok.tokenize(sub, {{"actor", "movie", "director"}, &imdb_table()});
    REQUIRE(tokens.width() == 24);
    for (auto v : tokens.tokens) REQUIRE(std::isfinite(v));
    TempDir dir;
    tok.save(dir.file("tok"));
    const auto loaded = Tokenizer<float>::load(dir.file("tok"));
    REQUIRE(loaded.config().to_json() == config.to_json());
    // The projector's float weights are kept packed for the GEMM kernel where it runs (the tokens below are the
    // same bytes as before the round trip, and the parity cases above run on packed weights too).
    const bool kernel = detail::gemm_uses_kernel<float>();
    REQUIRE((loaded.projector().first().packed() != nullptr) == kernel);
    if (projector != "linear") REQUIRE((loaded.projector().second().packed() != nullptr) == kernel);
    const auto again = loaded.tokenize(sub, {{"actor", "movie", "director"}, &imdb_table()});
    const bool same_tokens = again.tokens == tokens.tokens;
    REQUIRE(same_tokens);
    loaded.save(dir.file("tok2"));  // saving what was loaded gives the same weights file
    REQUIRE(hgtok_test::read_bytes(dir.file("tok/weights.safetensors")) ==
            hgtok_test::read_bytes(dir.file("tok2/weights.safetensors")));
  }
  // Another seed, other weights.
  const auto a = Tokenizer<float>::random(small_config(), 3), b = Tokenizer<float>::random(small_config(), 4);
  const auto ta = a.tokenize(sample_graph<float>(), {{"movie"}, &imdb_table()});
  const auto tb = b.tokenize(sample_graph<float>(), {{"movie"}, &imdb_table()});
  const bool differ = ta.tokens != tb.tokens;
  REQUIRE(differ);
}

TEST_CASE("tokenizer: same tokens at 1 and 2 threads", "[tokenizer]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto tok = Tokenizer<float>::load(tests_path("fixtures/tokenizer_linear"));
  const auto& g = sample_graph<float>();
  set_num_threads(1);
  const auto t1 = tok.tokenize(g, {{"movie", "director", "actor"}, &fixture_table<float>()});
  set_num_threads(2);
  const auto t2 = tok.tokenize(g, {{"movie", "director", "actor"}, &fixture_table<float>()});
  set_num_threads(0);
  const bool same = t1.tokens == t2.tokens;
  REQUIRE(same);
  REQUIRE(t1.size() == g.num_nodes());
}

TEST_CASE("tokenizer: bad type orders and inputs are clear errors", "[tokenizer]") {
  const auto tok = Tokenizer<float>::random(small_config(), 1);
  const auto& g = sample_graph<float>();
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, {{"movie", "studio"}, &imdb_table()}), LookupError, "unknown node type 'studio'");
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, {{"movie", "movie"}, &imdb_table()}), ValueError, "listed twice");
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, {{}, &imdb_table()}), ValueError, "type_order");
  std::map<std::string, std::vector<Index>> short_ids{{"movie", {1, 2}}};
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, {{"movie"}, &imdb_table(), &short_ids}), ValueError, "original_ids");
  // The fixture tokenizer's type embeddings are 16 wide; the IMDB table's 768.
  const auto fixture = Tokenizer<float>::load(tests_path("fixtures/tokenizer_linear"));
  REQUIRE_THROWS_AS(fixture.tokenize(g, {{"movie"}, &imdb_table()}), ShapeError);
  // A node type no edge type points to gets no encoder output.
  HeteroGraph<float> lone;
  lone.add_node_type("movie", Matrix<float>::Zero(2, 16));
  lone.add_node_type("director", Matrix<float>::Zero(1, 16));
  lone.add_node_type("studio", Matrix<float>::Zero(1, 16));
  lone.add_edge_type({"movie", "to", "director"}, {0, 1, 0, 0});
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(lone, {{"director", "studio"}, &imdb_table()}), LookupError, "'studio' receives no edge type");
  HeteroGraph<float> wide;
  wide.add_node_type("movie", Matrix<float>::Zero(2, 8));
  wide.add_node_type("director", Matrix<float>::Zero(1, 16));
  wide.add_edge_type({"movie", "to", "director"}, {0, 1, 0, 0});
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(wide, {{"director"}, &imdb_table()}), ShapeError, "in_channels is 16");
}

TEST_CASE("tokenizer: bad configs and weights that do not match the config are clear errors", "[tokenizer]") {
  const auto tok = Tokenizer<float>::random(small_config(), 1);
  TempDir dir;
  tok.save(dir.file("tok"));
  auto write_config = [&](const std::string& text) { std::ofstream(dir.file("tok/config.json")) << text; };
  auto config = small_config().to_json();
  config["kernel"] = "gcn";
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ValueError, "unknown kernel 'gcn'");
  config = small_config().to_json();
  config["projector"] = "qformer";
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ValueError, "unknown projector 'qformer'");
  config = small_config().to_json();
  config["hiden_channels"] = 32;
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "unknown config key 'hiden_channels'");
  config = small_config().to_json();
  config["hidden_channels"] = 40;  // the weights were saved for 32
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ShapeError, "layers.0.");
  config = small_config().to_json();
  config["num_layers"] = 3;  // no weights for layer 2
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), LookupError, "layers.2.");
  config["num_layers"] = 1;  // layer 1's weights are left over
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "is not used by the config");
  config = small_config().to_json();
  config["projector"] = "mlp_prefix";  // weights hold graph_projector, not projector.0/2
  config["num_prefix_tokens"] = 2;
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), LookupError, "projector.0");
  config = small_config().to_json();
  config["heads"] = 5;
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ValueError, "do not divide");
  config["num_layers"] = "two";
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "num_layers");
  write_config("[1, 2]");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "JSON object");
  write_config("{not json");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "not valid JSON");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("missing")), IOError, "config.json");
  write_config(small_config().to_json().dump());
  hgtok_test::write_bytes(dir.file("tok/weights.safetensors"), {1, 2, 3});
  REQUIRE_THROWS_AS(Tokenizer<float>::load(dir.file("tok")), FormatError);
}

}  // namespace test_tokenizer
