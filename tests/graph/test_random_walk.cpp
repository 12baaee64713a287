// RandomWalkWithRestart: the neighbour lists equal those of the Python re-implementation of hgtok's walks in
// tests/reference/make_hetgnn_fixtures.py (same SplitMix64 streams, same steps), including a node whose walks never
// leave it and a type with fewer visited nodes than k; thread invariance; restart edge values; bad parameters.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hgtok/graph/io.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_random_walk {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

const std::string kGraph = tests_path("fixtures/hetgnn_static_graph.safetensors");
const std::string kCase = tests_path("fixtures/hetgnn_static.safetensors");

RandomWalkWithRestart fixture_sampler() {
  const auto meta = SafetensorsFile::open(kCase).metadata();
  const auto k = nlohmann::json::parse(meta.at("top_k")).get<std::map<std::string, Index>>();
  return RandomWalkWithRestart(std::stod(meta.at("restart_prob")), std::stoll(meta.at("walk_length")), k,
                               std::stoull(meta.at("seed")));
}

std::vector<Index> ints(const WeightStore& w, const std::string& name) { return w.view(name).to_vector<Index>(); }

bool same(const HetNeighbors& a, const HetNeighbors& b) {
  if (a.node_types != b.node_types || a.lists.size() != b.lists.size()) return false;
  for (std::size_t c = 0; c < a.lists.size(); ++c)
    for (std::size_t u = 0; u < a.lists[c].size(); ++u) {
      const auto &x = a.lists[c][u], &y = b.lists[c][u];
      if (x.indptr != y.indptr || x.ids != y.ids || x.counts != y.counts) return false;
    }
  return true;
}

HeteroGraph<double> ring_graph(Index n) {
  HeteroGraph<double> g;
  g.add_node_type("a", n);
  g.add_node_type("b", n / 2);
  std::vector<Index> ab, ba, aa;
  for (Index i = 0; i < n; ++i) ab.push_back(i);
  for (Index i = 0; i < n; ++i) ab.push_back((i * 7) % (n / 2));
  for (Index i = 0; i < n; ++i) ba.push_back((i * 3) % (n / 2));
  for (Index i = 0; i < n; ++i) ba.push_back((i * 5 + 1) % n);
  for (Index i = 0; i < n; ++i) aa.push_back(i);
  for (Index i = 0; i < n; ++i) aa.push_back((i + 1) % n);
  g.add_edge_type({"a", "to", "b"}, ab);
  g.add_edge_type({"b", "to", "a"}, ba);
  g.add_edge_type({"a", "next", "a"}, aa);
  return g;
}

}  // namespace

TEST_CASE("RandomWalkWithRestart reproduces the reference walks list for list", "[graph][random_walk]") {
  const auto g = load_graph<double>(kGraph);
  const auto w = WeightStore::load(kCase);
  const auto nb = fixture_sampler().sample(g);
  REQUIRE(nb.node_types == g.node_types());
  for (Index c = 0; c < g.num_node_types(); ++c)
    for (Index u = 0; u < g.num_node_types(); ++u) {
      const std::string key = "neighbors/" + g.node_type_name(c) + "/" + g.node_type_name(u) + "/";
      INFO(key);
      CHECK(nb.of(c, u).indptr == ints(w, key + "indptr"));
      CHECK(nb.of(c, u).ids == ints(w, key + "ids"));
      CHECK(nb.of(c, u).counts == ints(w, key + "counts"));
    }
  // author 4 has no edge: its walks never leave it, every list is empty.
  const Index author = g.node_type_id("author");
  for (Index u = 0; u < g.num_node_types(); ++u) CHECK(nb.of(author, u).size(4) == 0);
  // Only 2 venues exist: no list of venues is longer than 2 although k = 3.
  const Index venue = g.node_type_id("venue");
  Index longest = 0;
  for (Index c = 0; c < g.num_node_types(); ++c)
    for (Index v = 0; v < g.num_nodes(c); ++v) longest = std::max(longest, nb.of(c, venue).size(v));
  CHECK(longest == 2);
}

TEST_CASE("RandomWalkWithRestart: lists ordered by visits, at most k, never the start node", "[graph][random_walk]") {
  const auto g = ring_graph(300);
  const RandomWalkWithRestart rwr(0.2, 50, std::map<std::string, Index>{{"a", 5}, {"b", 2}}, 7);
  const auto nb = rwr.sample(g);
  for (Index c = 0; c < 2; ++c)
    for (Index u = 0; u < 2; ++u) {
      const auto& l = nb.of(c, u);
      for (Index v = 0; v < g.num_nodes(c); ++v) {
        REQUIRE(l.size(v) <= (u == 0 ? 5 : 2));
        for (Index k = l.indptr[v]; k < l.indptr[v + 1]; ++k) {
          if (c == u) CHECK(l.ids[k] != v);
          if (k > l.indptr[v]) {
            CHECK(l.counts[k - 1] >= l.counts[k]);
            if (l.counts[k - 1] == l.counts[k]) CHECK(l.ids[k - 1] < l.ids[k]);
          }
        }
      }
    }
}

TEST_CASE("RandomWalkWithRestart: identical for 1 and 2 threads; seeds matter", "[graph][random_walk]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto g = ring_graph(1000);
  const RandomWalkWithRestart rwr(0.3, 40, 4, 99);
  set_num_threads(1);
  const auto one = rwr.sample(g);
  set_num_threads(2);
  const auto two = rwr.sample(g);
  CHECK(same(one, two));
  CHECK(!same(one, RandomWalkWithRestart(0.3, 40, 4, 100).sample(g)));
}

TEST_CASE("RandomWalkWithRestart: restart 1 never leaves; walk length 0 visits nothing; types not in top_k are skipped",
          "[graph][random_walk]") {
  const auto g = ring_graph(100);
  for (const auto& nb : {RandomWalkWithRestart(1.0, 30, 3, 1).sample(g), RandomWalkWithRestart(0.5, 0, 3, 1).sample(g)})
    for (const auto& per : nb.lists)
      for (const auto& l : per) CHECK(l.ids.empty());
  const auto only_b = RandomWalkWithRestart(0.0, 30, std::map<std::string, Index>{{"b", 3}}, 1).sample(g);
  CHECK(only_b.of(0, 0).ids.empty());
  CHECK(!only_b.of(0, 1).ids.empty());
}

TEST_CASE("RandomWalkWithRestart: bad parameters are named", "[graph][random_walk][errors]") {
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(-0.1, 10, 3, 1), ValueError, "restart probability -0.1");
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(1.5, 10, 3, 1), ValueError, "outside [0, 1]");
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(std::nan(""), 10, 3, 1), ValueError, "restart_prob");
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(0.5, -1, 3, 1), ValueError, "walk length -1");
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(0.5, 10, 0, 1), ValueError, "k = 0 must be positive");
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(0.5, 10, std::map<std::string, Index>{{"a", 2}, {"b", 0}}, 1),
                            ValueError, "top_k/b");
  const auto g = ring_graph(10);
  HGTOK_REQUIRE_THROWS_WITH(RandomWalkWithRestart(0.5, 10, std::map<std::string, Index>{{"c", 2}}, 1).sample(g),
                            LookupError, "unknown node type 'c'");
}

}  // namespace test_random_walk
