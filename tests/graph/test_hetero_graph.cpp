// HeteroGraph built through its API. The graph is the one of
// tests/reference/make_graph_fixtures.py (read from its tensors, not from
// load_graph), and every CSR, edge order and degree is compared with the values
// torch / torch_geometric computed there (tests/fixtures/pyg_graph_expected.safetensors).
#include <cmath>
#include <hgtok/graph/hetero_graph.hpp>
#include <hgtok/io/safetensors.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_hetero_graph {

using hgtok::EdgeType;
using hgtok::HeteroGraph;
using hgtok::Index;
using hgtok_test::tests_path;

namespace {

const hgtok::SafetensorsFile& pyg() {
  static const auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/pyg_graph.safetensors"));
  return f;
}
const hgtok::SafetensorsFile& expected() {
  static const auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/pyg_graph_expected.safetensors"));
  return f;
}
std::vector<std::string> meta_list(const std::string& key) {
  return nlohmann::json::parse(expected().metadata().at(key)).get<std::vector<std::string>>();
}
std::vector<Index> ids(const std::string& name) { return expected().at(name).to_vector<Index>(); }

/// The fixture graph through the API, node and edge types in PyG's order.
HeteroGraph<double> build() {
  HeteroGraph<double> g;
  const auto counts = nlohmann::json::parse(expected().metadata().at("num_nodes"));
  for (const auto& type : meta_list("node_types")) {
    if (pyg().contains("x/" + type)) {
      const auto& v = pyg().at("x/" + type);
      const auto data = v.to_vector<double>();
      g.add_node_type(type, counts[type].get<Index>(), Eigen::Map<const hgtok::Matrix<double>>(data.data(), v.shape[0], v.shape[1]));
    } else {
      g.add_node_type(type, counts[type].get<Index>());
    }
  }
  for (const auto& key : meta_list("edge_types")) g.add_edge_type(EdgeType::parse(key), pyg().at("edge_index/" + key).to_vector<Index>());
  return g;
}

}  // namespace

TEST_CASE("HeteroGraph: types keep insertion order, counts and features", "[graph]") {
  const auto g = build();
  const auto node_types = meta_list("node_types");
  CHECK(g.node_types() == node_types);
  // insertion order is not alphabetical here: the fixture lists movie before actor
  CHECK(node_types.front() == "movie");
  REQUIRE(g.num_edge_types() == static_cast<Index>(meta_list("edge_types").size()));
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    CHECK(g.edge_type(e).key() == meta_list("edge_types")[static_cast<std::size_t>(e)]);
    CHECK(g.edge_type_id(g.edge_type(e)) == e);
    CHECK(g.node_type_name(g.src_type_id(e)) == g.edge_type(e).src);
    CHECK(g.node_type_name(g.dst_type_id(e)) == g.edge_type(e).dst);
  }
  const auto counts = nlohmann::json::parse(expected().metadata().at("num_nodes"));
  Index total = 0;
  for (const auto& type : node_types) {
    INFO(type);
    CHECK(g.num_nodes(type) == counts[type].get<Index>());
    CHECK(g.has_node_type(type));
    total += counts[type].get<Index>();
    if (expected().contains("x/" + type)) {
      const auto want = expected().at("x/" + type).to_vector<double>();
      const auto& x = g.x(type);
      CHECK(x.rows() == g.num_nodes(type));
      CHECK(g.feature_dim(g.node_type_id(type)) == expected().at("x/" + type).shape[1]);
      CHECK(std::vector<double>(x.data(), x.data() + x.size()) == want);
    } else {
      CHECK(g.feature_dim(g.node_type_id(type)) == 0);
    }
  }
  CHECK(g.num_nodes() == total);
  Index edges = 0;
  for (Index e = 0; e < g.num_edge_types(); ++e) edges += pyg().at("edge_index/" + g.edge_type(e).key()).shape[1];
  CHECK(g.num_edges() == edges);
}

TEST_CASE("HeteroGraph: CSR by destination and by source match torch's stable sort", "[graph]") {
  const auto g = build();
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const std::string key = g.edge_type(e).key();
    INFO(key);
    const auto& in = g.in_csr(e);
    CHECK(in.indptr == ids("in_indptr/" + key));
    CHECK(in.indices == ids("in_indices/" + key));
    CHECK(in.edge_ids == ids("in_edge_ids/" + key));
    CHECK(in.rows() == g.num_nodes(g.dst_type_id(e)));
    const auto& out = g.out_csr(e);
    CHECK(out.indptr == ids("out_indptr/" + key));
    CHECK(out.indices == ids("out_indices/" + key));
    CHECK(out.edge_ids == ids("out_edge_ids/" + key));
    CHECK(&g.out_csr(e) == &out);  // built once
    // COO is kept as given
    const auto coo = pyg().at("edge_index/" + key).to_vector<Index>();
    const auto n = static_cast<std::size_t>(g.num_edges(e));
    CHECK(g.edge_src(e) == std::vector<Index>(coo.begin(), coo.begin() + static_cast<std::ptrdiff_t>(n)));
    CHECK(g.edge_dst(e) == std::vector<Index>(coo.begin() + static_cast<std::ptrdiff_t>(n), coo.end()));
  }
}

TEST_CASE("HeteroGraph: in-neighbours per relation and degrees (multi-edges, self-loops, isolated node)", "[graph]") {
  const auto g = build();
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const std::string key = g.edge_type(e).key();
    INFO(key);
    const auto in_deg = ids("in_degree/" + key);
    const auto out_deg = ids("out_degree/" + key);
    const auto indptr = ids("in_indptr/" + key);
    const auto indices = ids("in_indices/" + key);
    for (Index v = 0; v < g.num_nodes(g.dst_type_id(e)); ++v) {
      CHECK(g.in_degree(e, v) == in_deg[static_cast<std::size_t>(v)]);
      const auto span = g.in_neighbors(e, v);
      const std::vector<Index> got(span.begin(), span.end());
      CHECK(got == std::vector<Index>(indices.begin() + indptr[static_cast<std::size_t>(v)],
                                      indices.begin() + indptr[static_cast<std::size_t>(v) + 1]));
    }
    for (Index u = 0; u < g.num_nodes(g.src_type_id(e)); ++u) CHECK(g.out_degree(e, u) == out_deg[static_cast<std::size_t>(u)]);
  }
  // Multi-edges and self-loops are kept, the isolated node stays: counted through the API,
  // compared with the counts torch_geometric made (self_loops/, multi_edges/, isolated/).
  Index total_loops = 0, total_multi = 0;
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const std::string key = g.edge_type(e).key();
    INFO(key);
    Index loops = 0, multi = 0;
    for (Index v = 0; v < g.num_nodes(g.dst_type_id(e)); ++v) {
      const auto s = g.in_neighbors(e, v);
      for (Index i = 0; i < s.size(); ++i) {
        loops += g.src_type_id(e) == g.dst_type_id(e) && s[i] == v;
        bool seen = false;
        for (Index j = 0; j < i; ++j) seen = seen || s[j] == s[i];
        multi += seen;
      }
    }
    CHECK(loops == ids("self_loops/" + key)[0]);
    CHECK(multi == ids("multi_edges/" + key)[0]);
    total_loops += loops;
    total_multi += multi;
  }
  CHECK(total_loops > 0);  // the fixture does exercise both
  CHECK(total_multi > 0);
  Index total_isolated = 0;
  for (const auto& type : g.node_types()) {
    Index isolated = 0;
    for (Index a = 0; a < g.num_nodes(type); ++a) {
      Index deg = 0;
      for (Index e = 0; e < g.num_edge_types(); ++e) {
        if (g.edge_type(e).dst == type) deg += g.in_degree(e, a);
        if (g.edge_type(e).src == type) deg += g.out_degree(e, a);
      }
      isolated += deg == 0;
    }
    CHECK(isolated == ids("isolated/" + type)[0]);
    total_isolated += isolated;
  }
  CHECK(total_isolated > 0);
}

TEST_CASE("HeteroGraph: copies are deep and independent", "[graph]") {
  const auto g = build();
  auto h = g;
  CHECK(h.node_types() == g.node_types());
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    CHECK(h.in_csr(e).indices == g.in_csr(e).indices);
    CHECK(h.out_csr(e).indices == g.out_csr(e).indices);
  }
  h.add_node_type("writer", 2);
  CHECK(h.num_node_types() == g.num_node_types() + 1);
  CHECK_FALSE(g.has_node_type("writer"));
  HeteroGraph<double> moved = std::move(h);
  CHECK(moved.has_node_type("writer"));
}

TEST_CASE("HeteroGraph: edge ids out of range or negative", "[graph][bad]") {
  HeteroGraph<float> g;
  g.add_node_type("movie", 3);
  g.add_node_type("actor", 2);
  const EdgeType t{"movie", "stars", "actor"};
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, 1, 3, 0, 1, 1}), hgtok::ValueError,
                            "field 'edge_index/movie__stars__actor': source (row 0) id 3 of edge 2 is out of range [0, 3)");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, 1, 2, 0, 2, 1}), hgtok::ValueError,
                            "destination (row 1) id 2 of edge 1 is out of range [0, 2) of node type 'actor'");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, -1, 2, 0, 1, 1}), hgtok::ValueError, "source (row 0) id -1 of edge 1");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, 1, 2, 0, 1, std::numeric_limits<Index>::min()}), hgtok::ValueError,
                            "field 'edge_index/movie__stars__actor'");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, 1, 2}), hgtok::ShapeError, "not [2, E]");
  const Index src[1] = {0};
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, src, src, -1), hgtok::ValueError, "negative edge count");
  CHECK(g.num_edge_types() == 0);  // nothing half-added
  g.add_edge_type(t, {0, 2, 1, 0});
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(t, {0, 0}), hgtok::ValueError, "edge type added twice");
  HGTOK_REQUIRE_THROWS_WITH(g.in_neighbors(0, 2), hgtok::ValueError, "node id 2 is out of range [0, 2) of node type 'actor'");
  HGTOK_REQUIRE_THROWS_WITH(g.out_neighbors(0, -1), hgtok::ValueError, "node id -1");
}

TEST_CASE("HeteroGraph: an edge type naming an unknown node type", "[graph][bad]") {
  HeteroGraph<float> g;
  g.add_node_type("movie", 3);
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(EdgeType{"writer", "writes", "movie"}, {0, 0}), hgtok::LookupError,
                            "field 'edge_index/writer__writes__movie (src)': unknown node type 'writer'");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(EdgeType{"movie", "has", "keyword"}, {0, 0}), hgtok::LookupError,
                            "field 'edge_index/movie__has__keyword (dst)': unknown node type 'keyword'");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(EdgeType{"movie", "", "movie"}, {0, 0}), hgtok::ValueError, "relation ''");
  HGTOK_REQUIRE_THROWS_WITH(g.add_edge_type(EdgeType{"movie", "a__b", "movie"}, {0, 0}), hgtok::ValueError, "relation 'a__b'");
}

TEST_CASE("HeteroGraph: feature rows must equal the node count; features must be finite", "[graph][bad]") {
  HeteroGraph<float> g;
  hgtok::Matrix<float> x = hgtok::Matrix<float>::Zero(4, 3);
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("movie", 5, x), hgtok::ShapeError,
                            "field 'x/movie': feature matrix has 4 rows, node count is 5");
  x(2, 1) = std::numeric_limits<float>::quiet_NaN();
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("movie", 4, x), hgtok::ValueError, "field 'x/movie': feature (2, 1) is not finite");
  x(2, 1) = -std::numeric_limits<float>::infinity();
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("movie", x), hgtok::ValueError, "feature (2, 1) is not finite");
  CHECK(g.num_node_types() == 0);
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("movie", -1), hgtok::ValueError, "negative node count -1");
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("a__b", 1), hgtok::ValueError, "field 'node_type'");
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("", 1), hgtok::ValueError, "empty node type name");
  g.add_node_type("movie", 1);
  HGTOK_REQUIRE_THROWS_WITH(g.add_node_type("movie", 1), hgtok::ValueError, "node type 'movie' added twice");
}

TEST_CASE("HeteroGraph: unknown type lookups", "[graph][bad]") {
  const auto g = build();
  HGTOK_REQUIRE_THROWS_WITH(g.node_type_id("writer"), hgtok::LookupError, "unknown node type 'writer'");
  HGTOK_REQUIRE_THROWS_WITH(g.num_nodes("writer"), hgtok::LookupError, "field 'node_type'");
  HGTOK_REQUIRE_THROWS_WITH(g.x("writer"), hgtok::LookupError, "'writer'");
  HGTOK_REQUIRE_THROWS_WITH(g.edge_type_id(EdgeType{"movie", "to", "actor"}), hgtok::LookupError,
                            "field 'edge_type': unknown edge type 'movie__to__actor'");
  HGTOK_REQUIRE_THROWS_WITH(g.num_nodes(Index{99}), hgtok::LookupError, "no node type with id 99");
  HGTOK_REQUIRE_THROWS_WITH(g.in_csr(-1), hgtok::LookupError, "field 'edge_type_id': no edge type with id -1");
  HGTOK_REQUIRE_THROWS_WITH(g.edge_type(g.num_edge_types()), hgtok::LookupError, "edge_type_id");
}

TEST_CASE("EdgeType: key and parse", "[graph]") {
  const EdgeType t{"movie", "rev_directed_by", "director"};
  CHECK(t.key() == "movie__rev_directed_by__director");
  CHECK(EdgeType::parse(t.key()) == t);
  for (const std::string bad : {"movie__to", "__to__movie", "movie____movie", "movie__to__", "a__b__c__d", "movie"})
    HGTOK_REQUIRE_THROWS_WITH(EdgeType::parse(bad, "src.json"), hgtok::FormatError, "src.json: field '" + bad + "'");
}

}  // namespace test_hetero_graph
