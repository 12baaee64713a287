// HANConv against torch_geometric.nn.HANConv (fixtures from tests/reference/make_han_fixtures.py) on a graph
// with 3 non-empty metapath relations, a metapath relation with zero edges, a kept relation with multi-edges
// and self-loops, isolated nodes, node types that are no destination, input widths that differ per type;
// 1 and 4 heads; semantic attention weights. Plus add_metapaths + HANConv end to end, thread invariance,
// bad weights and bad features.
#include <cmath>
#include <string>
#include <vector>

#include "hgtok/conv/han.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/graph/metapath.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "test_util.hpp"

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/han_" + name + ".safetensors"); }

Index meta_int(const std::string& path, const std::string& key) {
  return std::stoll(SafetensorsFile::open(path).metadata().at(key));
}

template <class T>
HANConv<T> load_layer(const HeteroGraph<T>& g, const WeightStore& w, const std::string& name) {
  std::map<std::string, Index> in;
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  return HANConv<T>::load(w, "", in, meta_int(fixture(name), "out_channels"), meta_int(fixture(name), "heads"),
                          g.edge_types());
}

template <class T>
double max_error(const TypeMatrices<T>& out, const typename HANConv<T>::SemanticAttention& attn, const WeightStore& w) {
  std::size_t expected_types = 0, attention_types = 0;
  for (const auto& name : w.names()) {
    if (name.rfind("expected/", 0) == 0) ++expected_types;
    if (name.rfind("attention/", 0) == 0) ++attention_types;
  }
  REQUIRE(out.size() == expected_types);
  REQUIRE(attn.size() == attention_types);
  double err = 0;
  for (const auto& [type, m] : out) {
    const auto& view = w.view("expected/" + type);
    REQUIRE(view.shape == Shape{m.rows(), m.cols()});
    const auto expected = view.template to_vector<double>();
    for (Index i = 0; i < m.size(); ++i)
      err = std::max(err, std::abs(static_cast<double>(m.data()[i]) - expected[static_cast<std::size_t>(i)]));
  }
  for (const auto& [type, a] : attn) {
    const auto expected = w.view("attention/" + type).template to_vector<double>();
    REQUIRE(expected.size() == a.size());
    for (std::size_t i = 0; i < a.size(); ++i) err = std::max(err, std::abs(static_cast<double>(a[i]) - expected[i]));
  }
  return err;
}

template <class T>
double run_case(const std::string& name) {
  const auto g = load_graph<T>(fixture("graph"));
  const auto w = WeightStore::load(fixture(name));
  const auto conv = load_layer(g, w, name);
  typename HANConv<T>::SemanticAttention attn;
  const auto out = conv.forward(g, &attn);
  return max_error(out, attn, w);
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

TEST_CASE("HANConv matches PyG HANConv in double", "[parity][han]") {
  for (const std::string name : {"h1", "h4"}) {
    INFO(name);
    CHECK(run_case<double>(name) <= 1e-10);
  }
}

TEST_CASE("HANConv matches PyG HANConv in float", "[parity][han]") {
  for (const std::string name : {"h1", "h4"}) {
    INFO(name);
    CHECK(run_case<float>(name) <= 1e-5);
  }
}

TEST_CASE("HANConv output types and semantic attention", "[parity][han]") {
  const auto g = load_graph<double>(fixture("graph"));
  const auto w = WeightStore::load(fixture("h4"));
  HANConv<double>::SemanticAttention attn;
  const auto out = load_layer(g, w, "h4").forward(g, &attn);
  CHECK(out.count("venue") == 1);  // only a zero-edge metapath relation points at it
  CHECK(out.count("term") == 0);   // no destination after dropping the original relations
  CHECK(out.count("org") == 0);    // no edges at all
  REQUIRE(attn.at("paper").size() == 3);
  CHECK(std::abs(attn.at("paper")[0] + attn.at("paper")[1] + attn.at("paper")[2] - 1.0) < 1e-12);
  CHECK(out.at("venue").cwiseAbs().maxCoeff() == 0.0);      // ReLU(0) of a relation without edges
  CHECK(out.at("author").row(4).cwiseAbs().maxCoeff() == 0.0);  // author 4 wrote nothing: no APA edge
}

TEST_CASE("add_metapaths + HANConv end to end equals PyG", "[parity][han]") {
  const auto g = load_graph<double>(tests_path("fixtures/metapath_graph.safetensors"));
  const EdgeType writes{"author", "writes", "paper"}, written_by{"paper", "written_by", "author"},
      has{"paper", "has", "term"}, in{"term", "in", "paper"}, published_in{"paper", "published_in", "venue"},
      lists{"venue", "lists", "paper"};
  const auto mg = add_metapaths(g, {{writes, written_by}, {written_by, writes}, {has, in}, {lists, published_in}}, true, true);
  const auto w = WeightStore::load(fixture("h1"));
  HANConv<double>::SemanticAttention attn;
  const auto out = load_layer(mg, w, "h1").forward(mg, &attn);
  CHECK(max_error(out, attn, w) <= 1e-10);
}

TEST_CASE("HANConv: explicit features equal the graph's, identical for 1 and 2 threads", "[parity][han]") {
  HeteroGraph<double> g;
  g.add_node_type("a", Matrix<double>::Random(1300, 8));
  g.add_node_type("b", Matrix<double>::Random(700, 12));
  std::vector<Index> ab, ba, aa;
  for (Index i = 0; i < 5000; ++i) ab.push_back((i * 37) % 1300);
  for (Index i = 0; i < 5000; ++i) ab.push_back((i * 11) % 700);
  for (Index i = 0; i < 3000; ++i) ba.push_back((i * 13) % 700);
  for (Index i = 0; i < 3000; ++i) ba.push_back((i * 29) % 1300);
  g.add_edge_type({"a", "to", "b"}, ab);
  g.add_edge_type({"b", "to", "a"}, ba);
  const auto mg = add_metapaths(g, {{{"a", "to", "b"}, {"b", "to", "a"}}, {{"b", "to", "a"}, {"a", "to", "b"}}});
  WeightStore w;
  const Index f = 16, heads = 4;
  const auto add = [&](const std::string& name, Shape shape) {
    Index n = 1;
    for (auto s : shape) n *= s;
    const Vector<double> v = Vector<double>::Random(n);
    w.add<double>(name, shape, v.data());
  };
  add("proj.a.weight", {f, 8});
  add("proj.a.bias", {f});
  add("proj.b.weight", {f, 12});
  add("proj.b.bias", {f});
  for (const auto& e : mg.edge_types()) {
    add("lin_src." + e.key(), {1, heads, f / heads});
    add("lin_dst." + e.key(), {1, heads, f / heads});
  }
  add("k_lin.weight", {f, f});
  add("k_lin.bias", {f});
  add("q", {1, f});
  const auto conv = HANConv<double>::load(w, "", {{"a", 8}, {"b", 12}}, f, heads, mg.edge_types());
  TypeMatrices<double> x{{"a", mg.x("a")}, {"b", mg.x("b")}};
  set_num_threads(1);
  HANConv<double>::SemanticAttention a1, a2;
  const auto one = conv.forward(mg, x, &a1);
  set_num_threads(2);
  const auto two = conv.forward(mg, &a2);
  REQUIRE(one.size() == 2);
  for (const auto& [t, m] : one) {
    CHECK(m.cwiseAbs().maxCoeff() > 0);
    CHECK((m.array() == two.at(t).array()).all());
    CHECK(a1.at(t) == a2.at(t));
  }
}

TEST_CASE("HANConv bad weights name the tensor and both shapes", "[parity][han][errors]") {
  const auto g = load_graph<double>(fixture("graph"));
  const auto w = WeightStore::load(fixture("h4"));
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "lin_src.paper__cites__paper"), "h4"), LookupError,
                            "lin_src.paper__cites__paper");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "k_lin.bias"), "h4"), LookupError, "k_lin.bias");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "proj.org.weight"), "h4"), LookupError, "proj.org.weight");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "q", Shape{8}), "h4"), ShapeError, "q");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "lin_dst.author__metapath_0__author", Shape{1, 2, 4}), "h4"),
                            ShapeError, "shape is [1, 2, 4], expected [1, 4, 2]");
  HGTOK_REQUIRE_THROWS_WITH(load_layer(g, edited(w, "", "proj.paper.weight", Shape{8, 6}), "h4"), ShapeError,
                            "proj.paper.weight");
}

TEST_CASE("HANConv bad features and types are named", "[parity][han][errors]") {
  const auto g = load_graph<double>(fixture("graph"));
  const auto w = WeightStore::load(fixture("h1"));
  const auto conv = load_layer(g, w, "h1");
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  auto wide = x;
  wide["paper"] = Matrix<double>::Zero(6, 9);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, wide), ShapeError, "feature width 9, the layer expects 7");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, wide), ShapeError, "x/paper");
  auto rows = x;
  rows["author"] = Matrix<double>::Zero(4, 5);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, rows), ShapeError, "4 rows, the graph has 5 nodes");
  auto missing = x;
  missing.erase("venue");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, missing), LookupError, "x/venue");
  missing.erase("org");  // not touched by any edge type: not needed
  missing["venue"] = g.x("venue");
  CHECK(conv.forward(g, missing).size() == 3);
  auto g2 = g;
  g2.add_edge_type({"author", "likes", "author"}, std::vector<Index>{0, 1});
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g2), LookupError, "author__likes__author is not one of the layer's edge types");
  HGTOK_REQUIRE_THROWS_WITH(HANConv<double>::load(w, "", {{"a", 4}}, 10, 4, {}), ValueError, "divisible by heads 4");
  HGTOK_REQUIRE_THROWS_WITH(HANConv<double>::load(w, "", {{"a", 4}}, 8, 2, {{"a", "r", "b"}}), LookupError, "a__r__b");
}
