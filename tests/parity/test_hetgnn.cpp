// HetGNN and MetaHetGNN against the PyTorch reference in tests/reference/make_hetgnn_fixtures.py (torch.nn.LSTM
// content and neighbour aggregators, attention over the node and its neighbour-type aggregates), on neighbour lists
// sampled by RandomWalkWithRestart (equal to the reference's). Covers a node whose walks never leave it, a type with
// fewer neighbours than k, content split into several vectors; thread invariance; zero-shot on renamed types;
// bad inputs.
#include <nlohmann/json.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hgtok/conv/hetgnn.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "parity_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_hetgnn {

using namespace hgtok;
using hgtok_test::max_error;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/hetgnn_" + name + ".safetensors"); }
std::map<std::string, std::string> meta(const std::string& name) { return SafetensorsFile::open(fixture(name)).metadata(); }

RandomWalkWithRestart sampler(const std::string& name) {
  const auto m = meta(name);
  return RandomWalkWithRestart(std::stod(m.at("restart_prob")), std::stoll(m.at("walk_length")),
                               nlohmann::json::parse(m.at("top_k")).get<std::map<std::string, Index>>(),
                               std::stoull(m.at("seed")));
}

template <class T>
HetGNN<T> load_static(const WeightStore& w) {
  const auto m = meta("static");
  return HetGNN<T>::load(w, "", nlohmann::json::parse(m.at("content_dims")).get<std::map<std::string, Index>>(),
                         std::stoll(m.at("out_channels")), std::stod(m.at("negative_slope")));
}

template <class T>
MetaHetGNN<T> load_meta(const WeightStore& w) {
  const auto m = meta("meta");
  return MetaHetGNN<T>::load(w, "", std::stoll(m.at("content_dim")), std::stoll(m.at("out_channels")),
                             std::stoll(m.at("embedding_dim")), std::stod(m.at("negative_slope")));
}

template <class T>
double run_static() {
  const auto g = load_graph<T>(fixture("static_graph"));
  const auto w = WeightStore::load(fixture("static"));
  return max_error(load_static<T>(w).forward(g, sampler("static").sample(g)), w);
}

template <class T>
double run_meta() {
  const auto g = load_graph<T>(fixture("meta_graph"));
  const auto w = WeightStore::load(fixture("meta"));
  const auto table = EmbeddingTable<T>::load(fixture("meta_table"));
  return max_error(load_meta<T>(w).forward(g, sampler("meta").sample(g), table), w);
}

/// g with every node type renamed by `names` (edges keep their relations).
HeteroGraph<double> renamed(const HeteroGraph<double>& g, const std::map<std::string, std::string>& names) {
  HeteroGraph<double> out;
  for (const auto& t : g.node_types()) out.add_node_type(names.at(t), g.x(t));
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const auto& t = g.edge_type(e);
    out.add_edge_type({names.at(t.src), t.relation, names.at(t.dst)}, g.edge_src(e).data(), g.edge_dst(e).data(),
                      g.num_edges(e));
  }
  return out;
}

}  // namespace

TEST_CASE("HetGNN matches the PyTorch reference in double and float", "[parity][hetgnn]") {
  CHECK(run_static<double>() <= 1e-10);
  CHECK(run_static<float>() <= 1e-5);
}

TEST_CASE("MetaHetGNN (generated type parameters) matches the PyTorch reference in double and float", "[parity][hetgnn]") {
  CHECK(run_meta<double>() <= 1e-10);
  CHECK(run_meta<float>() <= 1e-5);
}

TEST_CASE("HetGNN: a node whose walks never leave it is its own content embedding", "[parity][hetgnn]") {
  // With no neighbour the attention has one candidate, f1(v) itself; compare with the same node given explicit
  // features in a graph of its own (no edges at all).
  const auto g = load_graph<double>(fixture("static_graph"));
  const auto w = WeightStore::load(fixture("static"));
  const auto model = load_static<double>(w);
  const auto full = model.forward(g, sampler("static").sample(g));
  HeteroGraph<double> alone;
  for (const auto& t : g.node_types()) alone.add_node_type(t, g.x(t));
  const auto isolated = model.forward(alone, sampler("static").sample(alone));
  CHECK((full.at("author").row(4).array() == isolated.at("author").row(4).array()).all());
  CHECK((full.at("author").row(0).array() != isolated.at("author").row(0).array()).any());
}

TEST_CASE("HetGNN: explicit features equal the graph's; identical for 1 and 2 threads on a larger graph", "[parity][hetgnn]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  HeteroGraph<double> g;
  g.add_node_type("a", Matrix<double>::Random(700, 6));
  g.add_node_type("b", Matrix<double>::Random(500, 4));
  std::vector<Index> ab, ba;
  for (Index i = 0; i < 2000; ++i) ab.push_back((i * 37) % 700);
  for (Index i = 0; i < 2000; ++i) ab.push_back((i * 11) % 500);
  for (Index i = 0; i < 2000; ++i) ba.push_back((i * 13) % 500);
  for (Index i = 0; i < 2000; ++i) ba.push_back((i * 29) % 700);
  g.add_edge_type({"a", "to", "b"}, ab);
  g.add_edge_type({"b", "to", "a"}, ba);
  WeightStore w;
  auto rnd = [&](const std::string& name, Index r, Index c) { w.add<double>(name, Matrix<double>(Matrix<double>::Random(r, c))); };
  for (const auto& [t, c] : std::map<std::string, Index>{{"a", 3}, {"b", 4}}) {
    for (const std::string s : {"", "_reverse"}) {
      rnd("content_rnn." + t + ".weight_ih_l0" + s, 16, c);
      rnd("content_rnn." + t + ".weight_hh_l0" + s, 16, 4);
      rnd("neigh_rnn." + t + ".weight_ih_l0" + s, 16, 8);
      rnd("neigh_rnn." + t + ".weight_hh_l0" + s, 16, 4);
      w.add<double>("content_rnn." + t + ".bias_ih_l0" + s, Vector<double>(Vector<double>::Random(16)));
      w.add<double>("content_rnn." + t + ".bias_hh_l0" + s, Vector<double>(Vector<double>::Random(16)));
      w.add<double>("neigh_rnn." + t + ".bias_ih_l0" + s, Vector<double>(Vector<double>::Random(16)));
      w.add<double>("neigh_rnn." + t + ".bias_hh_l0" + s, Vector<double>(Vector<double>::Random(16)));
    }
    rnd("neigh_att." + t, 16, 1);
  }
  const auto model = HetGNN<double>::load(w, "", {{"a", 3}, {"b", 4}}, 8);
  const auto nb = RandomWalkWithRestart(0.5, 30, 5, 3).sample(g);
  TypeMatrices<double> x{{"a", g.x("a")}, {"b", g.x("b")}};
  set_num_threads(1);
  const auto one = model.forward(g, x, nb);
  set_num_threads(2);
  const auto two = model.forward(g, nb);
  REQUIRE(one.size() == 2);
  for (const auto& [t, m] : one) {
    CHECK(m.cwiseAbs().maxCoeff() > 0);
    CHECK((m.array() == two.at(t).array()).all());
  }
  WeightStore saved;
  model.save(saved, "enc.");
  const auto again = HetGNN<double>::load(saved, "enc.", {{"a", 3}, {"b", 4}}, 8).forward(g, nb);
  for (const auto& [t, m] : one) CHECK((m.array() == again.at(t).array()).all());
}

TEST_CASE("MetaHetGNN zero-shot: node types never named before, embeddings from the table at run time",
          "[parity][hetgnn][zero_shot]") {
  // The model is built without any type; the graph's types get new names, and their embeddings are found under
  // those names: the output equals the reference's for the original types.
  const auto w = WeightStore::load(fixture("meta"));
  const auto model = load_meta<double>(w);
  const std::map<std::string, std::string> names{{"author", "writer"}, {"paper", "article"}, {"venue", "journal"}};
  const auto g = renamed(load_graph<double>(fixture("meta_graph")), names);
  const auto original = EmbeddingTable<double>::load(fixture("meta_table"));
  EmbeddingTable<double> table;
  std::map<std::string, std::string> back;
  for (const auto& [from, to] : names) {
    table.add_node(to, original.node(from));
    back[to] = from;
  }
  // The same walks under the new names (type ids, hence random streams, are unchanged).
  const auto m = meta("meta");
  std::map<std::string, Index> k;
  for (const auto& [t, kt] : nlohmann::json::parse(m.at("top_k")).get<std::map<std::string, Index>>()) k[names.at(t)] = kt;
  const auto nb = RandomWalkWithRestart(std::stod(m.at("restart_prob")), std::stoll(m.at("walk_length")), k,
                                        std::stoull(m.at("seed")))
                      .sample(g);
  CHECK(max_error(model.forward(g, nb, table), w, back) <= 1e-10);
  CHECK(model.cache_size() == 6);  // content and neighbour projectors of 3 types
  model.forward(g, nb, table);
  CHECK(model.cache_size() == 6);
}

TEST_CASE("HetGNN bad weights, features, neighbour lists and tables are named", "[parity][hetgnn][errors]") {
  const auto g = load_graph<double>(fixture("static_graph"));
  const auto w = WeightStore::load(fixture("static"));
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>::load(w, "", {{"author", 3}, {"paper", 4}, {"venue", 3}}, 6), ShapeError,
                            "content_rnn.author.weight_ih_l0");
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>::load(w, "", {{"author", 2}, {"paper", 4}, {"venue", 3}}, 8), ShapeError,
                            "shape is [16, 3], expected [16, 2]");
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>::load(w, "", {{"author", 3}, {"lab", 4}}, 8), LookupError,
                            "content_rnn.lab.weight_ih_l0");
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>({{"a", 3}}, 7), ValueError, "must be even");
  HGTOK_REQUIRE_THROWS_WITH(HetGNN<double>({{"a", 0}}, 8), ValueError, "content_dims/a");
  const auto model = load_static<double>(w);
  const auto nb = sampler("static").sample(g);
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  auto odd = x;
  odd["paper"] = Matrix<double>::Zero(6, 7);
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g, odd, nb), ShapeError,
                            "'paper' has feature width 7, not a positive multiple of its content width 4");
  auto rows = x;
  rows["venue"] = Matrix<double>::Zero(3, 3);
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g, rows, nb), ShapeError, "'venue' has 3 feature rows for 2 nodes");
  auto missing = x;
  missing.erase("author");
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g, missing, nb), LookupError, "author");
  auto bad = nb;
  bad.lists[1][2].ids[0] = 9;
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g, bad), ValueError, "neighbour id 9 is out of range [0, 2) of node type 'venue'");
  bad = nb;
  bad.lists[0][0].indptr.pop_back();
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g, bad), ShapeError, "neighbors/author/author");
  auto g2 = g;
  g2.add_node_type("lab", 2);
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g2, nb), ValueError, "sampled on a graph with other node types");
  HGTOK_REQUIRE_THROWS_WITH(model.forward(g2, sampler("static").sample(g2)), LookupError,
                            "node type 'lab' is not one of the model's");
  const auto wm = WeightStore::load(fixture("meta"));
  const auto meta_model = load_meta<double>(wm);
  const auto gm = load_graph<double>(fixture("meta_graph"));
  auto table = EmbeddingTable<double>::load(fixture("meta_table"));
  EmbeddingTable<double> partial;
  partial.add_node("author", table.node("author"));
  partial.add_node("paper", table.node("paper"));
  HGTOK_REQUIRE_THROWS_WITH(meta_model.forward(gm, sampler("meta").sample(gm), partial), LookupError,
                            "no type embedding for node type 'venue'");
  EmbeddingTable<double> narrow;
  narrow.add_node("author", Vector<double>::Zero(5));
  HGTOK_REQUIRE_THROWS_WITH(meta_model.forward(gm, sampler("meta").sample(gm), narrow), ShapeError,
                            "type-embedding width 5, the model expects 12");
}

}  // namespace test_hetgnn
