// OpenHGNNWalk against OpenHGNN's own sampler (tests/reference/make_openhgnn_fixtures.py:
// hetgnn_graph.build_hetgnn_graph on dgl 2.1): the ranking of recorded DGL walks list for list, in DGL's order (ties
// among more than 16 candidates included); on a graph whose walks leave no choice, the whole sampler; the walks
// themselves by their statistics against DGL's random_walk (DGL's random numbers cannot be reproduced); seeds, threads
// and bad input.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hgtok/graph/io.hpp"
#include "hgtok/graph/openhgnn_walk.hpp"
#include "hgtok/io/weight_store.hpp"
#include "test_util.hpp"

namespace test_openhgnn_walk {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/hetgnn_openhgnn_" + name + ".safetensors"); }

std::vector<Index> ints(const WeightStore& w, const std::string& name) {
  const auto& v = w.view(name);
  const auto d = v.template to_vector<double>();
  return std::vector<Index>(d.begin(), d.end());
}

OpenHGNNWalk walk_of(const WeightStore& w, std::uint64_t seed, Index walks = 0) {
  const auto& m = w.metadata();
  return OpenHGNNWalk(std::stod(m.at("restart_prob")), std::stoll(m.at("walk_length")),
                      walks ? walks : std::stoll(m.at("walks_per_node")),
                      nlohmann::json::parse(m.at("top_k")).get<std::map<std::string, Index>>(), seed);
}

/// Every list of `nb` equals the fixture's neighbors/<c>/<u>/{indptr,ids,counts}; returns the number of lists compared.
Index check_lists(const HeteroGraph<double>& g, const HetNeighbors& nb, const WeightStore& w) {
  Index n = 0;
  for (Index c = 0; c < g.num_node_types(); ++c)
    for (Index u = 0; u < g.num_node_types(); ++u) {
      const std::string key = "neighbors/" + g.node_type_name(c) + "/" + g.node_type_name(u) + "/";
      INFO(key);
      CHECK(nb.of(c, u).indptr == ints(w, key + "indptr"));
      CHECK(nb.of(c, u).ids == ints(w, key + "ids"));
      CHECK(nb.of(c, u).counts == ints(w, key + "counts"));
      ++n;
    }
  return n;
}

std::vector<WalkVisits> visits_of(const HeteroGraph<double>& g, const WeightStore& w) {
  std::vector<WalkVisits> v;
  for (const auto& t : g.node_types())
    v.push_back(
        {ints(w, "visits/" + t + "/indptr"), ints(w, "visits/" + t + "/types"), ints(w, "visits/" + t + "/ids")});
  return v;
}

}  // namespace

TEST_CASE("OpenHGNNWalk ranks DGL's recorded walks as OpenHGNN's select_topk does, list order included",
          "[graph][openhgnn]") {
  const auto g = load_graph<double>(fixture("walk_graph"));
  const auto w = WeightStore::load(fixture("walk"));
  const auto nb = walk_of(w, 0).from_visits(g, visits_of(g, w));
  CHECK(check_lists(g, nb, w) == 9);
  // The start node counts (10 walks each): a node is its own top neighbour of its type.
  CHECK(nb.of(0, 0).ids[0] == 0);
  CHECK(nb.of(0, 0).counts[0] >= 30);
  // Author 4 has no edge: only itself, its paper and venue lists are empty.
  CHECK(nb.of(0, 1).size(4) == 0);
  CHECK(nb.of(0, 2).size(4) == 0);
}

TEST_CASE("OpenHGNNWalk equals OpenHGNN's whole sampler where the walks leave no choice", "[graph][openhgnn]") {
  // Every node has at most one out-edge and restart_prob is 0: DGL's walks and hgtok's are the same paths.
  const auto g = load_graph<double>(fixture("chain_graph"));
  const auto w = WeightStore::load(fixture("chain"));
  for (std::uint64_t seed : {0u, 99u}) CHECK(check_lists(g, walk_of(w, seed).sample(g), w) == 9);
}

TEST_CASE("OpenHGNNWalk's walks have DGL's statistics (restart ends the walk, start counted)", "[graph][openhgnn]") {
  // Mean visits of every node per walk from every start node, against dgl.sampling.random_walk's over the same number
  // of walks: within 5 standard errors of the difference. hgtok's default walk (restarts return to the start, the start
  // is not counted) is far outside.
  const auto g = load_graph<double>(fixture("walk_graph"));
  const auto stats = WeightStore::load(fixture("walk_stats"));
  const Index walks = std::stoll(stats.metadata().at("walks"));
  std::map<std::string, Index> all;
  for (const auto& t : g.node_types()) all[t] = 1000;
  const auto& m = stats.metadata();
  const auto nb =
      OpenHGNNWalk(std::stod(m.at("restart_prob")), std::stoll(m.at("walk_length")), walks, all, 5).sample(g);
  std::vector<Index> offset{0};
  for (Index t = 0; t < g.num_node_types(); ++t) offset.push_back(offset.back() + g.num_nodes(t));
  const Index n = offset.back();
  const auto mean = stats.matrix<double>("mean", n, n), var = stats.matrix<double>("var", n, n);
  Matrix<double> ours = Matrix<double>::Zero(n, n);
  for (Index c = 0; c < g.num_node_types(); ++c)
    for (Index u = 0; u < g.num_node_types(); ++u)
      for (Index v = 0; v < g.num_nodes(c); ++v) {
        const auto& l = nb.of(c, u);
        for (Index j = l.indptr[static_cast<std::size_t>(v)]; j < l.indptr[static_cast<std::size_t>(v) + 1]; ++j)
          ours(offset[static_cast<std::size_t>(c)] + v,
               offset[static_cast<std::size_t>(u)] + l.ids[static_cast<std::size_t>(j)]) =
              static_cast<double>(l.counts[static_cast<std::size_t>(j)]) / static_cast<double>(walks);
      }
  double worst = 0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) {
      const double se = std::sqrt(2.0 * var(i, j) / static_cast<double>(walks));
      worst = std::max(worst, std::abs(ours(i, j) - mean(i, j)) / (se + 1e-3));
    }
  CHECK(worst < 5.0);
  const double length = ours.sum() / static_cast<double>(n);
  CHECK(std::abs(length - stats.vector<double>("mean_length", 1)[0]) < 0.05);
  // The start node is counted once per walk.
  for (Index i = 0; i < n; ++i) CHECK(ours(i, i) >= 1.0);
}

TEST_CASE("OpenHGNNWalk is seeded, thread-invariant and checks its input", "[graph][openhgnn][errors]") {
  hgtok::ThreadScope thread_scope(0);
  const auto g = load_graph<double>(fixture("walk_graph"));
  const auto w = WeightStore::load(fixture("walk"));
  set_num_threads(1);
  const auto one = walk_of(w, 3).sample(g);
  set_num_threads(2);
  const auto two = walk_of(w, 3).sample(g);
  const auto other = walk_of(w, 4).sample(g);
  bool differs = false;
  for (Index c = 0; c < 3; ++c)
    for (Index u = 0; u < 3; ++u) {
      CHECK(one.of(c, u).ids == two.of(c, u).ids);
      CHECK(one.of(c, u).counts == two.of(c, u).counts);
      differs = differs || one.of(c, u).counts != other.of(c, u).counts;
    }
  CHECK(differs);
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(1.5, 50, 10, {}, 0), ValueError, "restart_prob");
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(std::nan(""), 50, 10, {}, 0), ValueError, "restart_prob");
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(0.5, -1, 10, {}, 0), ValueError, "walk_length");
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(0.5, 50, 0, {}, 0), ValueError, "walks_per_node");
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(0.5, 50, 10, {{"paper", 0}}, 0), ValueError, "top_k/paper");
  HGTOK_REQUIRE_THROWS_WITH(OpenHGNNWalk(0.5, 50, 10, {{"lab", 3}}, 0).sample(g), LookupError,
                            "unknown node type 'lab'");
  auto visits = visits_of(g, w);
  visits[1].ids[3] = 99;
  HGTOK_REQUIRE_THROWS_WITH(walk_of(w, 0).from_visits(g, visits), ValueError, "visits/paper");
  visits = visits_of(g, w);
  visits[2].indptr.pop_back();
  HGTOK_REQUIRE_THROWS_WITH(walk_of(w, 0).from_visits(g, visits), ShapeError, "visits/venue");
  visits.pop_back();
  HGTOK_REQUIRE_THROWS_WITH(walk_of(w, 0).from_visits(g, visits), ShapeError, "2 centre types, graph has 3");
}

}  // namespace test_openhgnn_walk
