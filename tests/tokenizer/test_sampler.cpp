// graph/sampler.hpp: NeighborSampler against the reference sampler of tests/reference/make_tokenizer_fixtures.py
// (same algorithm and SplitMix64 stream, written in Python), graph invariants, thread independence, bad input.
#include <catch2/catch.hpp>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_sampler {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

const std::string kData = std::string(HGTOK_SOURCE_DIR) + "/examples/data/";

const HeteroGraph<float>& sample_graph() {
  static const auto g = load_graph<float>(kData + "imdb_sample.safetensors");
  return g;
}

std::vector<Index> flatten(const Subgraph<float>& s) {
  std::vector<Index> v;
  for (const auto& [type, ids] : s.original_ids) v.insert(v.end(), ids.begin(), ids.end());
  for (Index e = 0; e < s.graph.num_edge_types(); ++e) {
    v.insert(v.end(), s.graph.edge_src(e).begin(), s.graph.edge_src(e).end());
    v.insert(v.end(), s.graph.edge_dst(e).begin(), s.graph.edge_dst(e).end());
  }
  return v;
}

}  // namespace

TEST_CASE("sampler: subgraphs equal the Python reference sampler's (ids and edges)", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const auto expected = SafetensorsFile::open(tests_path("fixtures/tokenizer_expected.safetensors"));
  const auto cases = nlohmann::json::parse(expected.metadata().at("cases"));
  REQUIRE(cases.size() == 5);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& cs = cases[c];
    std::map<std::string, std::vector<Index>> per_relation;
    if (cs.contains("per_relation")) per_relation = cs["per_relation"].get<std::map<std::string, std::vector<Index>>>();
    const NeighborSampler sampler(cs["fanouts"].get<std::vector<Index>>(), per_relation, cs["seed"].get<std::uint64_t>());
    const auto s = sampler.sample(g, "movie", cs["target"].get<Index>());
    const std::string prefix = "case" + std::to_string(c) + "/";
    for (Index t = 0; t < g.num_node_types(); ++t) {
      const std::string type = g.node_type_name(t);
      INFO("case " << c << " type " << type);
      REQUIRE(s.original_ids.at(type) == expected.at(prefix + "ids/" + type).to_vector<Index>());
      REQUIRE(s.graph.num_nodes(type) == static_cast<Index>(s.original_ids.at(type).size()));
    }
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      const auto want = expected.at(prefix + "edge_index/" + g.edge_type(e).key()).to_vector<Index>();
      std::vector<Index> got(s.graph.edge_src(e).begin(), s.graph.edge_src(e).end());
      got.insert(got.end(), s.graph.edge_dst(e).begin(), s.graph.edge_dst(e).end());
      INFO("case " << c << " edge type " << g.edge_type(e).key());
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("sampler: every sampled edge is an edge of the graph, fan-outs are respected", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const NeighborSampler sampler({3, 2}, 7);
  for (Index target = 0; target < g.num_nodes("movie"); ++target) {
    const auto s = sampler.sample(g, "movie", target);
    REQUIRE(s.original_ids.at("movie")[0] == target);
    REQUIRE(s.target == 0);
    REQUIRE(s.target_type == "movie");
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

TEST_CASE("sampler: a large fan-out keeps every in-neighbour of the target", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const auto s = NeighborSampler({100}, 1).sample(g, "movie", 4);  // Goodfellas: 1 director, 3 actors
  for (Index e = 0; e < g.num_edge_types(); ++e)
    if (g.edge_type(e).dst == "movie") REQUIRE(s.graph.num_edges(e) == g.in_degree(e, 4));
}

TEST_CASE("sampler: same seed, same subgraph, for any thread count and order", "[tokenizer][sampler]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto& g = sample_graph();
  const NeighborSampler sampler({2, 2}, 42);
  const Index n = g.num_nodes("movie");
  auto run = [&](int threads, bool reverse) {
    set_num_threads(threads);
    std::vector<std::vector<Index>> out(static_cast<std::size_t>(n));
    detail::parallel_for(n, [&](Index i) {
      const Index t = reverse ? n - 1 - i : i;
      out[static_cast<std::size_t>(t)] = flatten(sampler.sample(g, "movie", t));
    });
    return out;
  };
  const auto one = run(1, false), two = run(2, true);
  set_num_threads(0);
  REQUIRE(one == two);
  bool any_differs = false;  // another seed draws other neighbours for at least one target
  for (Index t = 0; t < n; ++t)
    any_differs |= flatten(NeighborSampler({2, 2}, 43).sample(g, "movie", t)) != one[static_cast<std::size_t>(t)];
  REQUIRE(any_differs);
}

TEST_CASE("sampler: bad targets, types and fan-outs are clear errors", "[tokenizer][sampler]") {
  const auto& g = sample_graph();
  const NeighborSampler sampler({2}, 1);
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "movie", 20), ValueError, "node id 20 is out of range [0, 20)");
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "movie", -1), ValueError, "target");
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(g, "studio", 0), LookupError, "unknown node type 'studio'");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({2, 0}, 1), ValueError, "fanouts[1]");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({}, 1), ValueError, "fanouts");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({2, 2}, {{"actor__to__movie", {1}}}, 1), ValueError, "one per hop");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({2}, {{"actor__to__movie", {-1}}}, 1), ValueError, "must not be negative");
  HGTOK_REQUIRE_THROWS_WITH(NeighborSampler({2}, {{"studio__to__movie", {1}}}, 1).sample(g, "movie", 0), LookupError,
                            "edge type 'studio__to__movie' is not in the graph");
}

}  // namespace test_sampler
