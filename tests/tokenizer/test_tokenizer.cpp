// Tokenizer path: sampler, prompt splicing, GraphTokens, Tokenizer save/load and bad input.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <set>

#include "test_util.hpp"

using namespace hgtok;
using hgtok_test::TempDir;

namespace {

const std::string kData = std::string(HGTOK_SOURCE_DIR) + "/examples/data/";

const HeteroGraph<float>& sample_graph() {
  static const auto g = load_graph<float>(kData + "imdb_sample.safetensors");
  return g;
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

}  // namespace

TEST_CASE("sampler: every sampled edge is an edge of the graph, fan-outs are respected", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const NeighborSampler sampler({3, 2}, 7);
  for (Index target = 0; target < g.num_nodes("movie"); ++target) {
    const auto s = sampler.sample(g, "movie", target);
    REQUIRE(s.original_ids.at("movie")[0] == target);
    REQUIRE(s.graph.num_node_types() == g.num_node_types());
    REQUIRE(s.graph.num_edge_types() == g.num_edge_types());
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      const auto& et = g.edge_type(e);
      const auto& src_ids = s.original_ids.at(et.src);
      const auto& dst_ids = s.original_ids.at(et.dst);
      std::set<std::pair<Index, Index>> seen;
      for (Index k = 0; k < s.graph.num_edges(e); ++k) {
        const Index u = src_ids[static_cast<std::size_t>(s.graph.edge_src(e)[static_cast<std::size_t>(k)])];
        const Index v = dst_ids[static_cast<std::size_t>(s.graph.edge_dst(e)[static_cast<std::size_t>(k)])];
        const auto nb = g.in_neighbors(e, v);
        REQUIRE(std::find(nb.begin(), nb.end(), u) != nb.end());
        REQUIRE(seen.insert({u, v}).second);  // the sample graph has no multi-edges: no edge drawn twice
      }
      for (Index v = 0; v < s.graph.num_nodes(s.graph.dst_type_id(e)); ++v) REQUIRE(s.graph.in_degree(e, v) <= 3);
    }
    for (Index t = 0; t < g.num_node_types(); ++t)  // features are the original rows
      for (std::size_t i = 0; i < s.original_ids.at(g.node_type_name(t)).size(); ++i)
        REQUIRE(s.graph.x(t).row(static_cast<Index>(i)) == g.x(t).row(s.original_ids.at(g.node_type_name(t))[i]));
  }
}

TEST_CASE("sampler: same seed, same subgraph, for any thread count and order", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const NeighborSampler sampler({2, 2}, 42);
  const Index n = g.num_nodes("movie");
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<std::vector<Index>> out(static_cast<std::size_t>(n));
    detail::parallel_for(n, [&](Index t) {
      const auto s = sampler.sample(g, "movie", n - 1 - t);
      auto& v = out[static_cast<std::size_t>(n - 1 - t)];
      for (const auto& [type, ids] : s.original_ids) v.insert(v.end(), ids.begin(), ids.end());
      for (Index e = 0; e < s.graph.num_edge_types(); ++e) {
        v.insert(v.end(), s.graph.edge_src(e).begin(), s.graph.edge_src(e).end());
        v.insert(v.end(), s.graph.edge_dst(e).begin(), s.graph.edge_dst(e).end());
      }
    });
    return out;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(0);
  REQUIRE(one == two);
  const auto other = NeighborSampler({2, 2}, 43).sample(g, "movie", 6);
  const auto same = sampler.sample(g, "movie", 6);
  const auto again = sampler.sample(g, "movie", 6);
  REQUIRE(same.original_ids == again.original_ids);
  (void)other;
}

TEST_CASE("sampler: bad targets, types and fan-outs are clear errors", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const NeighborSampler sampler({2}, 1);
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "movie", 20), ValueError, "node id 20 is out of range [0, 20)");
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "movie", -1), ValueError, "target");
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "studio", 0), LookupError, "unknown node type 'studio'");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({2, 0}, 1), ValueError, "fanouts[1]");
}

TEST_CASE("prompt: <graph> placeholders expand to start, patches, end, for 0, 1 and 3 graphs", "[tokenizer][prompt]") {
  const PromptTokens tokens;
  auto patches = [&](Index n) {
    std::string s;
    for (Index i = 0; i < n; ++i) s += tokens.patch;
    return tokens.start + s + tokens.end;
  };
  const auto none = expand_prompt("no graph here", {});
  REQUIRE(none.text == "no graph here");
  REQUIRE(none.total_patches == 0);
  const auto one = expand_prompt("A <graph> B", {3});
  REQUIRE(one.text == "A " + patches(3) + " B");
  const auto three = expand_prompt("<graph>x<graph>y<graph>", {2, 0, 1});
  REQUIRE(three.text == patches(2) + "x" + patches(0) + "y" + patches(1));
  REQUIRE(three.total_patches == 3);
  REQUIRE(three.splices.size() == 3);
  for (const auto& s : three.splices)
    for (Index k = 0; k < s.num_patches; ++k)
      REQUIRE(three.text.compare(s.text_offset + static_cast<std::size_t>(k) * tokens.patch.size(), tokens.patch.size(), tokens.patch) == 0);
  REQUIRE(three.splices[2].first_patch == 2);
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph> and <graph>", {1}), ValueError, "2 '<graph>' placeholders, 1 graphs");
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph>", {1, 2}), ValueError, "1 '<graph>' placeholders, 2 graphs");
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph>", {-1}), ValueError, "negative count");
}

TEST_CASE("tokenizer: tokens follow the type order; save/load round-trips to identical tokens", "[tokenizer]") {
  const auto& g = sample_graph();
  const auto tok = Tokenizer<float>::random(small_config(), 3);
  const auto sub = NeighborSampler({4, 3}, 5).sample(g, "movie", 3);
  const auto tokens = tok.tokenize(sub.graph, imdb_table(), {"actor", "movie", "director"}, &sub.original_ids);
  REQUIRE(tokens.width() == 24);
  REQUIRE(tokens.spans.size() == 3);
  Index rows = 0;
  for (const auto& s : tokens.spans) {
    REQUIRE(s.offset == rows);
    REQUIRE(s.count == sub.graph.num_nodes(s.type));
    REQUIRE(s.type_id == sub.graph.node_type_id(s.type));
    rows += s.count;
  }
  REQUIRE(tokens.size() == rows);
  REQUIRE(tokens.spans[0].type == "actor");
  REQUIRE(tokens.node_ids[static_cast<std::size_t>(tokens.spans[1].offset)] == 3);  // the target movie, original id
  for (auto v : tokens.tokens) REQUIRE(std::isfinite(v));

  TempDir dir;
  tok.save(dir.file("tok"));
  const auto loaded = Tokenizer<float>::load(dir.file("tok"));
  const auto again = loaded.tokenize(sub.graph, imdb_table(), {"actor", "movie", "director"}, &sub.original_ids);
  const bool same_tokens = again.tokens == tokens.tokens;
  REQUIRE(same_tokens);

  tokens.save_safetensors(dir.file("t.safetensors"));
  const auto file = SafetensorsFile::open(dir.file("t.safetensors"));
  REQUIRE(file.at("tokens").to_vector<float>() == std::vector<float>(tokens.tokens.begin(), tokens.tokens.end()));
  REQUIRE(file.metadata().count("spans") == 1);
  tokens.save_npy(dir.file("t.npy"));
  const bool same_npy = load_npy<float>(dir.file("t.npy")) == tokens.tokens;
  REQUIRE(same_npy);

  set_num_threads(1);
  const auto t1 = tok.tokenize(sub.graph, imdb_table(), {"actor", "movie", "director"});
  set_num_threads(2);
  const auto t2 = tok.tokenize(sub.graph, imdb_table(), {"actor", "movie", "director"});
  set_num_threads(0);
  const bool same_threads = t1.tokens == t2.tokens;
  REQUIRE(same_threads);
}

TEST_CASE("tokenizer: bad configs, weights and type orders are clear errors", "[tokenizer]") {
  const auto tok = Tokenizer<float>::random(small_config(), 1);
  const auto& g = sample_graph();
  HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, imdb_table(), {"movie", "studio"}), LookupError, "unknown node type 'studio'");
  TempDir dir;
  tok.save(dir.file("tok"));
  auto write_config = [&](const std::string& text) {
    std::ofstream(dir.file("tok/config.json")) << text;
  };
  auto config = small_config().to_json();
  config["kernel"] = "gcn";
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ValueError, "unknown kernel 'gcn'");
  config = small_config().to_json();
  config["hidden_channels"] = 40;  // the weights were saved for 32
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), ShapeError, "expected");
  config = small_config().to_json();
  config["num_layers"] = 3;  // no weights for layer 2
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), LookupError, "layers.2.");
  config["num_layers"] = "two";
  write_config(config.dump());
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "num_layers");
  write_config("{not json");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("tok")), FormatError, "not valid JSON");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(dir.file("missing")), IOError, "config.json");
}
