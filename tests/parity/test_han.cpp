// HANConv against torch_geometric.nn.HANConv (fixtures from tests/reference/make_han_fixtures.py) on a graph
// with 3 non-empty metapath relations, a metapath relation with zero edges, a kept relation with multi-edges
// and self-loops, isolated nodes, node types that are no destination, input widths that differ per type;
// 1 and 4 heads; semantic attention weights. Plus add_metapaths + HANConv end to end, thread invariance,
// bad weights and bad features. Then MetaHANConv (generated parameters) against MetaHANReference: parity,
// zero-shot renamed types, the projection cache, threads, save/load, bad weights, features and embeddings.
#include <cmath>
#include <string>
#include <vector>

#include "hgtok/conv/han.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/graph/metapath.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "parity_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_han {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/han_" + name + ".safetensors"); }

using hgtok_test::metadata_int;

template <class T>
HANConv<T> load_layer(const HeteroGraph<T>& g, const WeightStore& w, const std::string& name) {
  std::map<std::string, Index> in;
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  return HANConv<T>::load(w, "", in, metadata_int(fixture(name), "out_channels"), metadata_int(fixture(name), "heads"),
                          g.edge_types());
}

template <class T>
double max_error(const TypeMatrices<T>& out, const typename HANConv<T>::SemanticAttention& attn, const WeightStore& w) {
  REQUIRE(attn.size() == hgtok_test::count_prefixed(w, "attention/"));
  double err = hgtok_test::max_error(out, w);
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
  const auto out = conv.forward(g, attn);
  return max_error(out, attn, w);
}

/// The metapath graph (a-b-a, b-a-b) of two random node types a [1300, width_a], b [700, width_b] joined both
/// ways: several row blocks per type, for the thread tests.
HeteroGraph<double> thread_test_graph(Index width_a, Index width_b) {
  HeteroGraph<double> g;
  g.add_node_type("a", Matrix<double>::Random(1300, width_a));
  g.add_node_type("b", Matrix<double>::Random(700, width_b));
  std::vector<Index> ab, ba;
  for (Index i = 0; i < 5000; ++i) ab.push_back((i * 37) % 1300);
  for (Index i = 0; i < 5000; ++i) ab.push_back((i * 11) % 700);
  for (Index i = 0; i < 3000; ++i) ba.push_back((i * 13) % 700);
  for (Index i = 0; i < 3000; ++i) ba.push_back((i * 29) % 1300);
  g.add_edge_type({"a", "to", "b"}, ab);
  g.add_edge_type({"b", "to", "a"}, ba);
  return add_metapaths(g, {{{"a", "to", "b"}, {"b", "to", "a"}}, {{"b", "to", "a"}, {"a", "to", "b"}}});
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
  const auto out = load_layer(g, w, "h4").forward(g, attn);
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
  const auto out = load_layer(mg, w, "h1").forward(mg, attn);
  CHECK(max_error(out, attn, w) <= 1e-10);
}

TEST_CASE("HANConv: explicit features equal the graph's, identical for 1 and 2 threads", "[parity][han]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto mg = thread_test_graph(8, 12);
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
  const auto one = conv.forward(mg, x, a1);
  set_num_threads(2);
  const auto two = conv.forward(mg, a2);
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

// ---------------------------------------------------------------------------------------------------------------
// MetaHANConv against MetaHANReference (make_han_fixtures.py, itself checked there against PyG HANConv loaded with
// the generated parameters): the han graph's structure with one feature width, 1 and 4 heads.

namespace {

template <class T>
MetaHANConv<T> load_meta_layer(const WeightStore& w, const std::string& name, const std::string& prefix = "") {
  const auto path = fixture(name);
  return MetaHANConv<T>::load(w, prefix, metadata_int(path, "in_channels"), metadata_int(path, "out_channels"),
                              metadata_int(path, "heads"), metadata_int(path, "embedding_dim"));
}

template <class T>
double run_meta_case(const std::string& name) {
  const auto g = load_graph<T>(fixture(name + "_graph"));
  const auto w = WeightStore::load(fixture(name));
  const auto table = EmbeddingTable<T>::load(fixture(name + "_table"));
  typename MetaHANConv<T>::SemanticAttention attn;
  const auto out = load_meta_layer<T>(w, name).forward(g, table, attn);
  return max_error(out, attn, w);
}

}  // namespace

TEST_CASE("MetaHANConv matches the MetaHAN reference in double", "[parity][han][meta_han]") {
  for (const std::string name : {"meta_h1", "meta_h4"}) {
    INFO(name);
    CHECK(run_meta_case<double>(name) <= 1e-10);
  }
}

TEST_CASE("MetaHANConv matches the MetaHAN reference in float", "[parity][han][meta_han]") {
  for (const std::string name : {"meta_h1", "meta_h4"}) {
    INFO(name);
    CHECK(run_meta_case<float>(name) <= 1e-5);
  }
}

TEST_CASE("MetaHANConv zero-weight layer saves the reference's state_dict names", "[parity][han][meta_han]") {
  const auto w = WeightStore::load(fixture("meta_h4"));
  WeightStore saved;
  MetaHANConv<double>(6, 8, 4, 16).save(saved);
  std::vector<std::string> expected;
  for (const auto& name : w.names())
    if (name.rfind("expected/", 0) != 0 && name.rfind("attention/", 0) != 0) {
      expected.push_back(name);
      CHECK(saved.view(name).shape == w.view(name).shape);
    }
  CHECK(saved.names().size() == expected.size());
}

TEST_CASE("MetaHANConv: renamed node and edge types work zero-shot", "[parity][han][meta_han]") {
  const auto g = load_graph<double>(fixture("meta_h4_graph"));
  const auto w = WeightStore::load(fixture("meta_h4"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h4_table"));
  const auto conv = load_meta_layer<double>(w, "meta_h4");
  MetaHANConv<double>::SemanticAttention base_attn;
  const auto base = conv.forward(g, table, base_attn);
  REQUIRE(max_error(base, base_attn, w) <= 1e-10);
  // 'author' becomes 'writer' (so author__metapath_0__author becomes writer__metapath_0__writer) and the relation
  // paper__metapath_2__paper becomes paper__shares_term__paper: names the layer has never seen. Their embeddings
  // are put in the table under the new names.
  const auto rename = [](const std::string& t) { return t == "author" ? std::string("writer") : t; };
  const auto rename_rel = [](const std::string& r) { return r == "metapath_2" ? std::string("shares_term") : r; };
  HeteroGraph<double> renamed;
  EmbeddingTable<double> renamed_table;
  for (const auto& t : g.node_types()) {
    renamed.add_node_type(rename(t), g.x(t));
    renamed_table.add_node(rename(t), table.node(t));
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const auto& et = g.edge_type(e);
    const EdgeType re{rename(et.src), rename_rel(et.relation), rename(et.dst)};
    std::vector<Index> ei(g.edge_src(e));
    ei.insert(ei.end(), g.edge_dst(e).begin(), g.edge_dst(e).end());
    renamed.add_edge_type(re, ei);
    renamed_table.add_edge(re, table.edge(et));
  }
  REQUIRE(renamed.has_edge_type(EdgeType{"paper", "shares_term", "paper"}));
  MetaHANConv<double>::SemanticAttention attn;
  auto out = conv.forward(renamed, renamed_table, attn);
  REQUIRE(out.count("writer") == 1);
  REQUIRE(out.count("author") == 0);
  // Compare with the reference under the original names.
  out["author"] = out.at("writer");
  out.erase("writer");
  attn["author"] = attn.at("writer");
  attn.erase("writer");
  CHECK(max_error(out, attn, w) <= 1e-10);
  // The old names are no longer in the renamed table: they cannot be used by mistake.
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, renamed_table), LookupError, "node/author");
}

TEST_CASE("MetaHANConv caches generated projections per (type, embedding)", "[parity][han][meta_han]") {
  const auto g = load_graph<double>(fixture("meta_h4_graph"));
  const auto w = WeightStore::load(fixture("meta_h4"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h4_table"));
  const auto conv = load_meta_layer<double>(w, "meta_h4");
  CHECK(conv.cache_size() == 0);
  const auto first = conv.forward(g, table);
  // author, paper, venue are touched by an edge type; term and org are not.
  CHECK(conv.cache_size() == 3);
  const std::size_t in = 6, f = 8, m = 16;
  CHECK(conv.cache_bytes() == sizeof(double) * 3 * (in * f + f + m));
  const auto misses = conv.proj().cache().misses();
  const auto hits = conv.proj().cache().hits();
  const auto second = conv.forward(g, table);
  CHECK(conv.proj().cache().misses() == misses);
  CHECK(conv.proj().cache().hits() == hits + 3);
  for (const auto& [t, x] : first) CHECK((x.array() == second.at(t).array()).all());
  // Another embedding under 'node/paper': regenerated, a different output; the original again regenerates back.
  auto other = table;
  other.add_node("paper", table.node("venue"));
  const auto changed = conv.forward(g, other);
  CHECK(conv.proj().cache().misses() == misses + 1);
  CHECK((changed.at("paper") - first.at("paper")).cwiseAbs().maxCoeff() > 1e-3);
  const auto back = conv.forward(g, table);
  CHECK(conv.proj().cache().misses() == misses + 2);
  for (const auto& [t, x] : first) CHECK((x.array() == back.at(t).array()).all());
  conv.clear_cache();
  CHECK(conv.cache_size() == 0);
  CHECK(conv.cache_bytes() == 0);
  const auto third = conv.forward(g, table);
  for (const auto& [t, x] : first) CHECK((x.array() == third.at(t).array()).all());
}

TEST_CASE("MetaHANConv: identical for 1 and 2 threads", "[parity][han][meta_han]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  // The fixture's weights (in 6, F 8, 4 heads, m 16) on a graph large enough for several row blocks.
  const auto w = WeightStore::load(fixture("meta_h4"));
  const auto conv = load_meta_layer<double>(w, "meta_h4");
  const auto mg = thread_test_graph(6, 6);
  EmbeddingTable<double> table;
  table.add_node("a", Vector<double>::Random(16));
  table.add_node("b", Vector<double>::Random(16));
  for (const auto& e : mg.edge_types()) table.add_edge(e, Vector<double>::Random(16));
  TypeMatrices<double> x{{"a", mg.x("a")}, {"b", mg.x("b")}};
  set_num_threads(1);
  MetaHANConv<double>::SemanticAttention a1, a2;
  const auto one = conv.forward(mg, x, table, a1);
  conv.clear_cache();
  set_num_threads(2);
  const auto two = conv.forward(mg, table, a2);
  REQUIRE(one.size() == 2);
  for (const auto& [t, m] : one) {
    CHECK(m.cwiseAbs().maxCoeff() > 0);
    CHECK((m.array() == two.at(t).array()).all());
    CHECK(a1.at(t) == a2.at(t));
  }
}

TEST_CASE("MetaHANConv save/load round trip", "[parity][han][meta_han]") {
  const auto g = load_graph<double>(fixture("meta_h1_graph"));
  const auto w = WeightStore::load(fixture("meta_h1"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h1_table"));
  const auto conv = load_meta_layer<double>(w, "meta_h1");
  WeightStore saved;
  conv.save(saved, "convs.0.");
  const auto again = load_meta_layer<double>(saved, "meta_h1", "convs.0.");
  MetaHANConv<double>::SemanticAttention a1, a2;
  const auto one = conv.forward(g, table, a1);
  const auto two = again.forward(g, table, a2);
  CHECK(max_error(two, a2, w) <= 1e-10);
  for (const auto& [t, m] : one) CHECK((m.array() == two.at(t).array()).all());
}

TEST_CASE("MetaHANConv bad weights name the tensor and both shapes", "[parity][han][meta_han][errors]") {
  const auto w = WeightStore::load(fixture("meta_h4"));
  HGTOK_REQUIRE_THROWS_WITH(load_meta_layer<double>(edited(w, "proj.lin_gen.weight_generator.4.bias"), "meta_h4"),
                            LookupError, "proj.lin_gen.weight_generator.4.bias");
  HGTOK_REQUIRE_THROWS_WITH(load_meta_layer<double>(edited(w, "lin_src_trans.bias"), "meta_h4"), LookupError,
                            "lin_src_trans.bias");
  HGTOK_REQUIRE_THROWS_WITH(load_meta_layer<double>(edited(w, "q"), "meta_h4"), LookupError, "'q'");
  HGTOK_REQUIRE_THROWS_WITH(load_meta_layer<double>(edited(w, "", "lin_dst_trans.weight", Shape{8, 15}), "meta_h4"),
                            ShapeError, "field 'lin_dst_trans.weight': shape is [8, 15], expected [8, 16]");
  HGTOK_REQUIRE_THROWS_WITH(
      load_meta_layer<double>(edited(w, "", "proj.lin_gen.weight_generator.4.weight", Shape{40, 8}), "meta_h4"),
      ShapeError, "shape is [40, 8], expected [48, 8]");
  HGTOK_REQUIRE_THROWS_WITH(MetaHANConv<double>(6, 10, 4, 16), ValueError, "divisible by heads 4");
  HGTOK_REQUIRE_THROWS_WITH(MetaHANConv<double>(6, 8, 4, 1), ValueError, "embedding_dim");
}

TEST_CASE("MetaHANConv bad features and type embeddings are named", "[parity][han][meta_han][errors]") {
  const auto g = load_graph<double>(fixture("meta_h1_graph"));
  const auto w = WeightStore::load(fixture("meta_h1"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h1_table"));
  const auto conv = load_meta_layer<double>(w, "meta_h1");
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  auto wide = x;
  wide["paper"] = Matrix<double>::Zero(6, 9);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, wide, table), ShapeError, "feature width 9, the layer expects 6");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, wide, table), ShapeError, "x/paper");
  auto rows = x;
  rows["author"] = Matrix<double>::Zero(4, 6);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, rows, table), ShapeError, "4 rows, the graph has 5 nodes");
  auto missing = x;
  missing.erase("venue");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, missing, table), LookupError, "x/venue");
  missing.erase("org");  // not touched by any edge type: not needed
  missing["venue"] = g.x("venue");
  CHECK(conv.forward(g, missing, table).size() == 3);
  EmbeddingTable<double> no_author, no_edge, unused_gone;
  for (const auto& key : table.keys()) {
    if (key != "node/author") no_author.add(key, table.get(key));
    if (key != "edge/paper__metapath_2__paper") no_edge.add(key, table.get(key));
    if (key != "node/org" && key != "node/term") unused_gone.add(key, table.get(key));
  }
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, no_author), LookupError, "node/author");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, no_edge), LookupError, "edge/paper__metapath_2__paper");
  CHECK(conv.forward(g, unused_gone).size() == 3);  // types no edge type touches need no embedding
  EmbeddingTable<double> narrow;
  narrow.add_node("paper", Vector<double>::Zero(5));
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, narrow), ShapeError, "type-embedding width 5, the layer expects 16");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, EmbeddingTable<double>()), LookupError, "node/author");
}

}  // namespace test_han
