// HGT weights carry their edge-type order (issue 18): k_rel / v_rel are indexed by the checkpoint's edge-type
// positions, which tools/convert_checkpoint.py writes to the metadata. A layer loaded for a graph that lists its
// edge types in another order (here: reversed) must still give PyG's outputs; without the metadata it silently
// does not. Also: loaders read their dimensions from the metadata and check given ones against it.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "hgtok/conv/han.hpp"
#include "hgtok/conv/hgt.hpp"
#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/weight_store.hpp"
#include "parity_util.hpp"

namespace test_hgt_edge_order {

using namespace hgtok;
using hgtok_test::max_error;
using hgtok_test::tests_path;

std::string fixture(const std::string& name) { return tests_path("fixtures/" + name + ".safetensors"); }

/// `g` with its edge types added in reverse order (same nodes, features and edges).
template <class T>
HeteroGraph<T> reversed(const HeteroGraph<T>& g) {
  HeteroGraph<T> r;
  for (Index t = 0; t < g.num_node_types(); ++t) r.add_node_type(g.node_type_name(t), g.x(t));
  for (Index e = g.num_edge_types() - 1; e >= 0; --e)
    r.add_edge_type(g.edge_type(e), g.edge_src(e).data(), g.edge_dst(e).data(), g.num_edges(e));
  return r;
}

/// The hgt_h1 fixture's weights with the metadata tools/convert_checkpoint.py writes (the fixture's edge types are
/// PyG's order, which its graph file records).
WeightStore converted_h1() {
  auto w = WeightStore::load(fixture("hgt_h1"));
  const auto g = load_graph<double>(fixture("hgt_h1_graph"));
  nlohmann::json order = nlohmann::json::array(), in = nlohmann::json::object();
  for (const auto& e : g.edge_types()) order.push_back(e.key());
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  w.set_metadata("edge_types", order.dump());
  w.set_metadata("in_channels", in.dump());
  return w;
}

template <class T>
double reversed_error(const WeightStore& w) {
  const auto r = reversed(load_graph<T>(fixture("hgt_h1_graph")));
  std::map<std::string, Index> in;
  for (const auto& t : r.node_types()) in[t] = r.feature_dim(r.node_type_id(t));
  const auto conv = HGTConv<T>::load(w, "", in, 16, 1, r.node_types(), r.edge_types());
  return max_error(conv.forward(r), w);
}

TEST_CASE("HGTConv maps a reversed graph's edge types by name and matches PyG", "[parity][hgt][hostile]") {
  const auto w = converted_h1();
  CHECK(reversed_error<double>(w) <= 1e-10);
  CHECK(reversed_error<float>(w) <= 1e-5);
  // Without the order in the metadata the given order is taken as the checkpoint's: wrong, silently.
  CHECK(reversed_error<double>(WeightStore::load(fixture("hgt_h1"))) > 1e-3);
}

TEST_CASE("HGTConv loads a converted checkpoint from its metadata alone", "[parity][hgt][hostile]") {
  const auto w = converted_h1();
  const auto conv = HGTConv<double>::load(w);
  CHECK(conv.heads() == 1);
  CHECK(conv.out_channels() == 16);
  CHECK(max_error(conv.forward(load_graph<double>(fixture("hgt_h1_graph"))), w) <= 1e-10);
  CHECK(max_error(conv.forward(reversed(load_graph<double>(fixture("hgt_h1_graph")))), w) <= 1e-10);
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>::load(WeightStore::load(fixture("hgt_h1"))), LookupError,
                            "field '__metadata__.in_channels': missing");
}

TEST_CASE("HGTConv: a graph edge type the layer lacks is a LookupError; one the graph lacks is fine", "[parity][hgt][hostile]") {
  const auto w = converted_h1();
  const auto conv = HGTConv<double>::load(w);
  const auto g = load_graph<double>(fixture("hgt_h1_graph"));
  // An extra edge type in the graph.
  auto extra = reversed(g);
  const std::vector<Index> ei = {0, 0};
  extra.add_edge_type({"movie", "remakes", "movie"}, ei);
  HGTOK_REQUIRE_THROWS_WITH(conv.forward(extra), LookupError, "movie__remakes__movie is not one of the layer's edge types");
  // A graph without one of the layer's edge types runs.
  HeteroGraph<double> fewer;
  for (Index t = 0; t < g.num_node_types(); ++t) fewer.add_node_type(g.node_type_name(t), g.x(t));
  for (Index e = 1; e < g.num_edge_types(); ++e)
    fewer.add_edge_type(g.edge_type(e), g.edge_src(e).data(), g.edge_dst(e).data(), g.num_edges(e));
  CHECK_NOTHROW(conv.forward(fewer));
  // Loading for an edge type the checkpoint lacks names it.
  std::map<std::string, Index> in;
  for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
  auto types = g.edge_types();
  types.push_back({"movie", "remakes", "movie"});
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>::load(w, "", in, 16, 1, g.node_types(), types), LookupError,
                            "field '__metadata__.edge_types': edge type 'movie__remakes__movie' is not one of the checkpoint's");
  // Dimensions other than the metadata's.
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>::load(w, "", in, 16, 2, g.node_types(), g.edge_types()), ValueError,
                            "field '__metadata__.heads': the weights were made with heads = 1, given 2");
  in.begin()->second += 1;
  HGTOK_REQUIRE_THROWS_WITH(HGTConv<double>::load(w, "", in, 16, 1, g.node_types(), g.edge_types()), ValueError,
                            "field '__metadata__.in_channels'");
}

TEST_CASE("MetaHGTConv reads its dimensions from the metadata and checks given ones", "[parity][hgt][hostile]") {
  const auto w = WeightStore::load(fixture("hgt_meta_h1"));
  const auto conv = MetaHGTConv<double>::load(w);
  CHECK(conv.out_channels() == 16);
  HGTOK_REQUIRE_THROWS_WITH(MetaHGTConv<double>::load(w, "", 16, 16, 2, 12), ValueError,
                            "field '__metadata__.heads': the weights were made with heads = 1, given 2");
  HGTOK_REQUIRE_THROWS_WITH(MetaHGTConv<double>::load(w, "", 16, 16, 1, 10), ValueError, "field '__metadata__.embedding_dim'");
  HGTOK_REQUIRE_THROWS_WITH(MetaHGTConv<double>::load(WeightStore::load(fixture("hgt_nn"))), LookupError,
                            "field '__metadata__.in_channels': missing");
}

TEST_CASE("HANConv and MetaHANConv check given dimensions against the metadata", "[parity][han][hostile]") {
  const auto meta = WeightStore::load(fixture("han_meta_h1"));  // in_channels 6, out_channels 8, heads 1, embedding_dim 16
  HGTOK_REQUIRE_THROWS_WITH(MetaHANConv<double>::load(meta, "", 6, 8, 2, 16), ValueError,
                            "field '__metadata__.heads': the weights were made with heads = 1, given 2");
  HGTOK_REQUIRE_THROWS_WITH(MetaHANConv<double>::load(meta, "", 6, 8, 1, 12), ValueError, "field '__metadata__.embedding_dim'");
  CHECK_NOTHROW(MetaHANConv<double>::load(meta, "", 6, 8, 1, 16));
  const auto han = WeightStore::load(fixture("han_h1"));  // out_channels 8, heads 1
  HGTOK_REQUIRE_THROWS_WITH(HANConv<double>::load(han, "", {{"a", 4}}, 16, 1, {}), ValueError,
                            "field '__metadata__.out_channels': the weights were made with out_channels = 8, given 16");
}

}  // namespace test_hgt_edge_order
