// MetaHGTConv against a reference that follows HiGPT's MetaHGTConv (tests/reference/make_hgt_fixtures.py,
// which also checks it against HiGPT's own code for heads = 1): 1 and 4 heads, both HiGPT variants, no skip,
// single node; generated-projector cache; zero-shot types; bad weights, features and embeddings.
#include <cmath>
#include <string>

#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "parity_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_meta_hgt {

using namespace hgtok;
using hgtok_test::max_error;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/hgt_" + name + ".safetensors"); }

template <class T>
MetaHGTConv<T> load_layer(const WeightStore& w, const std::string& path) {
  const auto meta = SafetensorsFile::open(path).metadata();
  const auto variant = meta.at("variant") == "inference" ? MetaHGTConv<T>::Variant::HiGPTInference
                                                         : MetaHGTConv<T>::Variant::Pretrain;
  return MetaHGTConv<T>::load(w, "", std::stoll(meta.at("in_channels")), std::stoll(meta.at("out_channels")),
                              std::stoll(meta.at("heads")), std::stoll(meta.at("embedding_dim")), variant);
}

template <class T>
double run_case(const std::string& name) {
  const auto g = load_graph<T>(fixture(name + "_graph"));
  const auto w = WeightStore::load(fixture(name));
  const auto table = EmbeddingTable<T>::load(fixture(name + "_table"));
  return max_error(load_layer<T>(w, fixture(name)).forward(g, table), w);
}

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

const char* const kCases[] = {"meta_h1", "meta_h4", "meta_h1_inference", "meta_noskip", "meta_single"};

}  // namespace

TEST_CASE("MetaHGTConv matches the HiGPT reference in double", "[parity][meta_hgt]") {
  for (const std::string name : kCases) {
    INFO(name);
    CHECK(run_case<double>(name) <= 1e-10);
  }
}

TEST_CASE("MetaHGTConv matches the HiGPT reference in float", "[parity][meta_hgt]") {
  for (const std::string name : kCases) {
    INFO(name);
    CHECK(run_case<float>(name) <= 1e-5);
  }
}

TEST_CASE("MetaHGTConv caches generated projectors per (type, embedding)", "[parity][meta_hgt]") {
  const auto g = load_graph<double>(fixture("meta_h4_graph"));
  const auto w = WeightStore::load(fixture("meta_h4"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h4_table"));
  const auto conv = load_layer<double>(w, fixture("meta_h4"));
  CHECK(conv.cache_size() == 0);
  CHECK(conv.cache_bytes() == 0);
  const auto first = conv.forward(g, table);
  // kqv_lin: every node type an edge type touches (5); out_lin: destinations (3); k_rel, v_rel: 6 edge types each.
  CHECK(conv.kqv_lin().cache_size() == 5);
  CHECK(conv.out_lin().cache_size() == 3);
  CHECK(conv.k_rel().cache_size() == 6);
  CHECK(conv.v_rel().cache_size() == 6);
  const std::size_t m = 12, in = 16, f = 16, d = 4;
  const std::size_t expected_bytes =
      sizeof(double) * (5 * (in * 3 * f + 3 * f + m) + 3 * (f * f + f + m) + 2 * 6 * (d * d + d + m));
  CHECK(conv.cache_bytes() == expected_bytes);
  const auto misses = conv.kqv_lin().cache().misses();
  const auto second = conv.forward(g, table);
  CHECK(conv.kqv_lin().cache().misses() == misses);
  CHECK(conv.kqv_lin().cache().hits() >= 5);
  for (const auto& [t, x] : first) CHECK((x.array() == second.at(t).array()).all());
  conv.clear_cache();
  CHECK(conv.cache_size() == 0);
  CHECK(conv.cache_bytes() == 0);
  const auto third = conv.forward(g, table);
  for (const auto& [t, x] : first) CHECK((x.array() == third.at(t).array()).all());
}

TEST_CASE("MetaHGTConv: a changed embedding regenerates; unseen type names work zero-shot", "[parity][meta_hgt]") {
  const auto g = load_graph<double>(fixture("meta_h1_graph"));
  const auto w = WeightStore::load(fixture("meta_h1"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h1_table"));
  const auto conv = load_layer<double>(w, fixture("meta_h1"));
  const auto base = conv.forward(g, table);
  REQUIRE(max_error(base, w) <= 1e-10);
  // Another embedding for 'movie' under the same key: different output, then the original again.
  auto other = table;
  other.add_node("movie", table.node("director"));
  const auto changed = conv.forward(g, other);
  CHECK((changed.at("movie") - base.at("movie")).cwiseAbs().maxCoeff() > 1e-3);
  CHECK(max_error(conv.forward(g, table), w) <= 1e-10);
  // The same graph with 'movie' renamed 'film' (a name the layer never saw) and its embedding under the new name.
  HeteroGraph<double> renamed;
  auto rename = [](const std::string& t) { return t == "movie" ? std::string("film") : t; };
  EmbeddingTable<double> renamed_table;
  for (const auto& t : g.node_types()) {
    renamed.add_node_type(rename(t), g.x(t));
    renamed_table.add_node(rename(t), table.node(t));
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const auto& et = g.edge_type(e);
    const EdgeType re{rename(et.src), et.relation, rename(et.dst)};
    std::vector<Index> ei(g.edge_src(e));
    ei.insert(ei.end(), g.edge_dst(e).begin(), g.edge_dst(e).end());
    renamed.add_edge_type(re, ei);
    renamed_table.add_edge(re, table.edge(et));
  }
  const auto zero_shot = conv.forward(renamed, renamed_table);
  REQUIRE(zero_shot.count("film") == 1);
  CHECK((zero_shot.at("film") - base.at("movie")).cwiseAbs().maxCoeff() <= 1e-12);
}

TEST_CASE("MetaHGTConv: results identical for 1 and 2 threads", "[parity][meta_hgt]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto g = load_graph<double>(fixture("meta_h4_graph"));
  const auto w = WeightStore::load(fixture("meta_h4"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h4_table"));
  const auto conv = load_layer<double>(w, fixture("meta_h4"));
  set_num_threads(1);
  const auto one = conv.forward(g, table);
  conv.clear_cache();
  set_num_threads(2);
  const auto two = conv.forward(g, table);
  for (const auto& [t, m] : one) CHECK((m.array() == two.at(t).array()).all());
}

TEST_CASE("MetaHGTConv save/load round trip", "[parity][meta_hgt]") {
  const auto g = load_graph<double>(fixture("meta_noskip_graph"));
  const auto w = WeightStore::load(fixture("meta_noskip"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_noskip_table"));
  const auto conv = load_layer<double>(w, fixture("meta_noskip"));
  WeightStore saved;
  conv.save(saved, "model.graph_encoder.");
  const auto again = MetaHGTConv<double>::load(saved, "model.graph_encoder.", 10, 16, 2, 12);
  CHECK(max_error(again.forward(g, table), w) <= 1e-10);
}

TEST_CASE("MetaHGTConv bad weights name the tensor and both shapes", "[parity][meta_hgt][errors]") {
  const auto w = WeightStore::load(fixture("meta_h1"));
  const auto path = fixture("meta_h1");
  HGTOK_REQUIRE_THROWS_WITH(load_layer<double>(edited(w, "kqv_lin.lin_gen.weight_generator.0.weight"), path),
                            LookupError, "kqv_lin.lin_gen.weight_generator.0.weight");
  HGTOK_REQUIRE_THROWS_WITH(load_layer<double>(edited(w, "norm.bias"), path), LookupError, "norm.bias");
  HGTOK_REQUIRE_THROWS_WITH(
      load_layer<double>(edited(w, "", "v_rel.lin_gen.bias_generator.4.weight", Shape{16, 5}), path), ShapeError,
      "field 'v_rel.lin_gen.bias_generator.4.weight': shape is [16, 5], expected [16, 6]");
  HGTOK_REQUIRE_THROWS_WITH(load_layer<double>(edited(w, "", "p_relTrans.weight", Shape{2, 12}), path), ShapeError,
                            "shape is [2, 12], expected [1, 12]");
}

TEST_CASE("MetaHGTConv bad features and missing embeddings name the type", "[parity][meta_hgt][errors]") {
  const auto g = load_graph<double>(fixture("meta_h1_graph"));
  const auto w = WeightStore::load(fixture("meta_h1"));
  const auto table = EmbeddingTable<double>::load(fixture("meta_h1_table"));
  const auto conv = load_layer<double>(w, fixture("meta_h1"));
  TypeMatrices<double> x;
  for (const auto& t : g.node_types()) x[t] = g.x(t);
  x["actor"] = Matrix<double>::Zero(4, 15);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, x, table), ShapeError, "node type 'actor' has feature width 15");
  EmbeddingTable<double> no_actor, no_edge;
  for (const auto& key : table.keys()) {
    if (key != "node/actor") no_actor.add(key, table.get(key));
    if (key != "edge/keyword__describes__movie") no_edge.add(key, table.get(key));
  }
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, no_actor), LookupError, "no type embedding for node type 'actor'");
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, no_edge), LookupError, "keyword__describes__movie");
  EmbeddingTable<double> narrow;
  narrow.add_node("movie", Vector<double>::Zero(5));
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(g, narrow), ShapeError, "type-embedding width 5, the layer expects 12");
  HGTOK_REQUIRE_THROWS_WITH(MetaHGTConv<double>(8, 10, 4, 12), ValueError, "divisible by heads 4");
}

}  // namespace test_meta_hgt
