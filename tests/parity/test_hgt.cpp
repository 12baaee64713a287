// HGTConv against torch_geometric.nn.HGTConv (fixtures from tests/reference/make_hgt_fixtures.py):
// 1 and 4 heads, a zero-edge relation, isolated nodes, multi-edges and self-loops, a node type that is no
// destination, input widths that differ per type, a single-node graph. Plus bad weights and bad features.
#include <cmath>
#include <string>

#include "hgtok/conv/hgt.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "parity_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_hgt {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/hgt_" + name + ".safetensors"); }

using hgtok_test::max_error;
using hgtok_test::metadata_int;

template <class T>
HGTConv<T> load_layer(const HeteroGraph<T>& g, const WeightStore& w, const std::string& path) {
  std::map<std::string, Index> in;
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  return HGTConv<T>::load(w, "", in, metadata_int(path, "out_channels"), metadata_int(path, "heads"), g.node_types(),
                          g.edge_types());
}

template <class T>
double run_case(const std::string& name) {
  const auto g = load_graph<T>(fixture(name + "_graph"));
  const auto w = WeightStore::load(fixture(name));
  const auto conv = load_layer(g, w, fixture(name));
  return max_error(conv.forward(g), w);
}

/// A copy of `w` without `drop`, and with `replace` (if non-empty) given shape `shape`.
WeightStore edited(const WeightStore& w, const std::string& drop, const std::string& replace = "", Shape shape = {}) {
  WeightStore out;
  for (const auto& name : w.names()) {
    if (name == drop) continue;
    if (name == replace) {
      std::int64_t n = 1;
      for (auto s : shape) n *= s;
      std::vector<double> zeros(static_cast<std::size_t>(n), 0.0);
      out.add<double>(name, shape, zeros.data());
    } else {
      const auto v = w.view(name).to_vector<double>(true);
      out.add<double>(name, w.view(name).shape, v.data());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("HGTConv matches PyG HGTConv in double", "[parity][hgt]") {
  for (const std::string name : {"h1", "h4", "single"}) {
    INFO(name);
    CHECK(run_case<double>(name) <= 1e-10);
  }
}

TEST_CASE("HGTConv matches PyG HGTConv in float", "[parity][hgt]") {
  for (const std::string name : {"h1", "h4", "single"}) {
    INFO(name);
    CHECK(run_case<float>(name) <= 1e-5);
  }
}

TEST_CASE("HGTConv output types: destinations only, including a zero-edge relation's", "[parity][hgt]") {
  const auto g = load_graph<double>(fixture("h1_graph"));
  const auto w = WeightStore::load(fixture("h1"));
  const auto out = load_layer(g, w, fixture("h1")).forward(g);
  CHECK(out.count("studio") == 1);   // only a zero-edge relation points at it
  CHECK(out.count("keyword") == 0);  // never a destination
  CHECK(out.count("actor") == 0);
}

TEST_CASE("HGTConv: explicit features equal the graph's, results identical for 1 and 2 threads", "[parity][hgt]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto g = load_graph<double>(fixture("h4_graph"));
  const auto w = WeightStore::load(fixture("h4"));
  const auto conv = load_layer(g, w, fixture("h4"));
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  set_num_threads(1);
  const auto one = conv.forward(g, x);
  set_num_threads(2);
  const auto two = conv.forward(g);
  for (const auto& [t, m] : one) CHECK((m.array() == two.at(t).array()).all());
}

TEST_CASE("HGTConv save/load round trip", "[parity][hgt]") {
  const auto g = load_graph<double>(fixture("h4_graph"));
  const auto w = WeightStore::load(fixture("h4"));
  const auto conv = load_layer(g, w, fixture("h4"));
  WeightStore saved;
  conv.save(saved, "layer.");
  std::map<std::string, Index> in;
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  const auto again = HGTConv<double>::load(saved, "layer.", in, conv.out_channels(), conv.heads(), conv.node_types(),
                                           conv.edge_types());
  const auto a = conv.forward(g), b = again.forward(g);
  for (const auto& [t, m] : a) CHECK((m.array() == b.at(t).array()).all());
}

TEST_CASE("HGTConv bad weights name the tensor and both shapes", "[parity][hgt][errors]") {
  const auto g = load_graph<double>(fixture("h1_graph"));
  const auto w = WeightStore::load(fixture("h1"));
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "k_rel.weight"), fixture("h1")), LookupError, "k_rel.weight");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "p_rel.movie__cites__movie"), fixture("h1")), LookupError,
                            "p_rel.movie__cites__movie");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "kqv_lin.lins.director.weight", Shape{48, 7}), fixture("h1")),
                            ShapeError, "kqv_lin.lins.director.weight");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "kqv_lin.lins.director.weight", Shape{48, 7}), fixture("h1")),
                            ShapeError, "shape is [48, 7], expected [48, 6]");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "v_rel.weight", Shape{5, 16, 16}), fixture("h1")), ShapeError,
                            "shape is [5, 16, 16], expected [6, 16, 16]");
}

TEST_CASE("HGTConv bad features and types are named", "[parity][hgt][errors]") {
  const auto g = load_graph<double>(fixture("h1_graph"));
  const auto w = WeightStore::load(fixture("h1"));
  const auto conv = load_layer(g, w, fixture("h1"));
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  auto wide = x;
  wide["actor"] = Matrix<double>::Zero(4, 7);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, wide), ShapeError, "node type 'actor' has feature width 7, the layer's in_channels is 5");
  auto rows = x;
  rows["movie"] = Matrix<double>::Zero(4, 16);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, rows), ShapeError, "'movie' has 4 feature rows for 5 nodes");
  auto missing = x;
  missing.erase("keyword");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, missing), LookupError, "keyword");
  auto g2 = g;
  g2.add_edge_type({"actor", "likes", "actor"}, std::vector<Index>{0, 1});
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g2), LookupError, "actor__likes__actor is not one of the layer's edge types");
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>({{"a", 4}}, 10, 4, {"a"}, {}), ValueError, "divisible by heads 4");
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>({{"a", 4}}, 8, 2, {"a"}, {{"a", "r", "b"}}), LookupError, "a__r__b");
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>({{"a", 4}}, 8, 2, {"a", "b"}, {}), LookupError, "node type 'b'");
}

TEST_CASE("HGTConv on a larger graph (row-blocked GEMMs): identical for 1 and 2 threads", "[parity][hgt]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  HeteroGraph<double> g;
  g.add_node_type("a", Matrix<double>::Random(700, 8));
  g.add_node_type("b", Matrix<double>::Random(600, 12));
  std::vector<Index> ab, ba;
  for (Index i = 0; i < 3000; ++i) ab.push_back((i * 37) % 700);
  for (Index i = 0; i < 3000; ++i) ab.push_back((i * 11) % 600);
  for (Index i = 0; i < 2000; ++i) ba.push_back((i * 13) % 600);
  for (Index i = 0; i < 2000; ++i) ba.push_back((i * 29) % 700);
  g.add_edge_type({"a", "to", "b"}, ab);
  g.add_edge_type({"b", "to", "a"}, ba);
  HGTConv<double> conv({{"a", 8}, {"b", 12}}, 8, 2, g.node_types(), g.edge_types());
  for (const auto& [t, in] : conv.in_channels()) {
    conv.kqv_lin().add(t, nn::Linear<double>::from_torch(Matrix<double>::Random(24, in), Vector<double>::Random(24)));
    conv.out_lin().add(t, nn::Linear<double>::from_torch(Matrix<double>::Random(8, 8), Vector<double>::Random(8)));
  }
  set_num_threads(1);
  const auto one = conv.forward(g);
  set_num_threads(2);
  const auto two = conv.forward(g);
  REQUIRE(one.size() == 2);
  for (const auto& [t, m] : one) {
    CHECK(m.cwiseAbs().maxCoeff() > 0);
    CHECK((m.array() == two.at(t).array()).all());
  }
}

}  // namespace test_hgt
