// HetGNN with the "openhgnn" preset against OpenHGNN's own HetGNN (openhgnn 0.7.0 on dgl 2.1,
// tests/reference/make_openhgnn_fixtures.py): the checkpoint OpenHGNN saved, converted by tools/convert_openhgnn.py
// (tests/fixtures/hetgnn_openhgnn_tokenizer, loaded as a tokenizer directory), on OpenHGNN's own neighbour lists
// (non-zero attention biases, nodes with empty neighbour types, lists in DGL's order); and the whole tokenizer, sampler
// included, on a graph whose walks leave no choice.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hgtok/graph/io.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/tokenizer/tokenizer.hpp"
#include "parity_util.hpp"

namespace test_hetgnn_openhgnn {

using namespace hgtok;
using hgtok_test::max_error;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/hetgnn_openhgnn_" + name + ".safetensors"); }
std::string converted() { return tests_path("fixtures/hetgnn_openhgnn_tokenizer"); }

/// OpenHGNN's neighbour lists stored in a fixture (neighbors/<c>/<u>/{indptr,ids,counts}).
HetNeighbors lists_of(const HeteroGraph<double>& g, const WeightStore& w) {
  HetNeighbors nb;
  nb.node_types = g.node_types();
  for (const auto& c : g.node_types()) {
    nb.lists.emplace_back();
    for (const auto& u : g.node_types()) {
      NeighborList l;
      auto ints = [&](const std::string& part) {
        const auto d = w.view("neighbors/" + c + "/" + u + "/" + part).to_vector<double>();
        return std::vector<Index>(d.begin(), d.end());
      };
      l.indptr = ints("indptr");
      l.ids = ints("ids");
      l.counts = ints("counts");
      nb.lists.back().push_back(l);
    }
  }
  return nb;
}

/// The encoder layer of the converted tokenizer.
template <class T>
HetGNN<T> converted_layer() {
  const auto tok = Tokenizer<T>::load(converted());
  return std::get<HetGNN<T>>(tok.layers().at(0));
}

template <class T>
double run_given_lists() {
  const auto g = load_graph<T>(fixture("walk_graph"));
  const auto gd = load_graph<double>(fixture("walk_graph"));
  const auto w = WeightStore::load(fixture("walk"));
  return max_error(converted_layer<T>().forward(g, lists_of(gd, w)), w);
}

/// The converted tokenizer with the walk settings of a fixture (restart_prob 0 for the chain graph).
template <class T>
Tokenizer<T> tokenizer_with(const WeightStore& fixture_weights) {
  nlohmann::json j = detail::read_json_file(converted() + "/config.json");
  j["restart_prob"] = std::stod(fixture_weights.metadata().at("restart_prob"));
  j["walks_per_node"] = std::stoll(fixture_weights.metadata().at("walks_per_node"));
  return Tokenizer<T>(Tokenizer<T>::parse_config(j, converted() + "/config.json"),
                      WeightStore::load(converted() + "/weights.safetensors"));
}

template <class T>
double run_whole_chain() {
  const auto g = load_graph<T>(fixture("chain_graph"));
  const auto w = WeightStore::load(fixture("chain"));
  const auto tokens = tokenizer_with<T>(w).tokenize(g, {{"author", "paper", "venue"}});
  double err = 0;
  for (const auto& s : tokens.spans) {
    const auto expected = w.view("expected/" + s.type).template to_vector<double>();
    REQUIRE(static_cast<Index>(expected.size()) == s.count * 8);
    for (Index r = 0; r < s.count; ++r)
      for (Index k = 0; k < 8; ++k)
        err = std::max(err, std::abs(static_cast<double>(tokens.tokens(s.offset + r, k)) -
                                     expected[static_cast<std::size_t>(r * 8 + k)]));
  }
  return err;
}

}  // namespace

TEST_CASE("HetGNN (openhgnn preset) on OpenHGNN's neighbour lists equals OpenHGNN's HetGNN, converted checkpoint",
          "[parity][hetgnn][openhgnn]") {
  CHECK(run_given_lists<double>() <= 1e-10);
  CHECK(run_given_lists<float>() <= 1e-5);
  const auto layer = converted_layer<double>();
  CHECK(layer.options() == HetGNNOptions::openhgnn());
  for (const auto& t : {"author", "paper", "venue"}) CHECK(std::abs(layer.attention_bias(t)) > 0.05);
}

TEST_CASE("HetGNN (openhgnn preset): the whole tokenizer, OpenHGNNWalk included, equals OpenHGNN end to end",
          "[parity][hetgnn][openhgnn]") {
  CHECK(run_whole_chain<double>() <= 1e-10);
  CHECK(run_whole_chain<float>() <= 1e-5);
}

TEST_CASE("HetGNN (openhgnn preset): the bias and the zero candidates matter on this fixture",
          "[parity][hetgnn][openhgnn]") {
  // The parity above could not pass by accident: without the bias, or dropping the empty types (hgtok's default),
  // the outputs leave OpenHGNN's by far more than the tolerance.
  const auto g = load_graph<double>(fixture("walk_graph"));
  const auto w = WeightStore::load(fixture("walk"));
  const auto nb = lists_of(g, w);
  const auto tok = Tokenizer<double>::load(converted());
  WeightStore weights;
  std::get<HetGNN<double>>(tok.layers()[0]).save(weights);
  const std::map<std::string, Index> dims{{"author", 8}, {"paper", 8}, {"venue", 8}};
  auto drop = HetGNNOptions::openhgnn();
  drop.empty_neighbors = HetGNNOptions::EmptyNeighbors::Drop;
  const auto dropped = HetGNN<double>::load(weights, "", dims, 8, 0.01, drop).forward(g, nb);
  CHECK(max_error(dropped, w) > 1e-3);
  CHECK((dropped.at("author").row(4) -
         HetGNN<double>::load(weights, "", dims, 8, 0.01, HetGNNOptions::openhgnn()).forward(g, nb).at("author").row(4))
            .cwiseAbs()
            .maxCoeff() > 1e-3);
  WeightStore unbiased;
  for (const auto& name : weights.names())
    if (name.rfind("neigh_att_bias.", 0) != 0)
      unbiased.add<double>(name, weights.shape(name), weights.tensor<double>(name, weights.shape(name)).data());
  const auto no_bias = HetGNN<double>::load(unbiased, "", dims, 8, 0.01, HetGNNOptions::openhgnn());
  CHECK(no_bias.attention_bias("author") == 0.0);
  CHECK(max_error(no_bias.forward(g, nb), w) > 1e-3);
}

TEST_CASE("HetGNN options: a shared content encoder needs one width; save and load round-trip every option",
          "[parity][hetgnn][openhgnn][errors]") {
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>({{"a", 4}, {"b", 6}}, 8, 0.01, HetGNNOptions::openhgnn()), ValueError,
                            "shared content encoder needs one content width");
  const HetGNN<double> zero({{"a", 4}, {"b", 4}}, 8, 0.01, HetGNNOptions::openhgnn());
  WeightStore w;
  zero.save(w, "p.");
  CHECK(w.contains("p.content_rnn.weight_ih_l0"));
  CHECK(!w.contains("p.content_rnn.a.weight_ih_l0"));
  CHECK(w.contains("p.neigh_att_bias.b"));
  CHECK(w.shape("p.neigh_att_bias.b") == Shape{1});
  // Without the shared option the per-type names are required, naming the missing tensor.
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>::load(w, "p.", {{"a", 4}, {"b", 4}}, 8), LookupError,
                            "p.content_rnn.a.weight_ih_l0");
  // A bias of the wrong shape is named.
  WeightStore bad;
  HetGNN<double>({{"a", 4}}, 8).save(bad);
  bad.add<double>("neigh_att_bias.a", Shape{2}, std::vector<double>{1, 2}.data());
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>::load(bad, "", {{"a", 4}}, 8), ShapeError, "neigh_att_bias.a");
}

}  // namespace test_hetgnn_openhgnn
