// add_metapaths against torch_geometric.transforms.AddMetaPaths (fixtures from
// tests/reference/make_han_fixtures.py): 2- and 3-hop metapaths, a metapath through a zero-edge relation
// (no edges), multi-edges in an input relation, the drop / keep / drop-unconnected flags. PyG may repeat
// pairs (and orders each row's columns arbitrarily) when an input relation has multi-edges; hgtok lists
// each pair once, sorted, so metapath relations are compared as sets of pairs.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/graph/io.hpp"
#include "hgtok/graph/metapath.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_metapath {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/metapath_" + name + ".safetensors"); }

const EdgeType kWrites{"author", "writes", "paper"}, kWrittenBy{"paper", "written_by", "author"},
    kHas{"paper", "has", "term"}, kIn{"term", "in", "paper"}, kPublishedIn{"paper", "published_in", "venue"},
    kLists{"venue", "lists", "paper"};

std::vector<Metapath> four() {
  return {{kWrites, kWrittenBy}, {kWrittenBy, kWrites}, {kHas, kIn}, {kLists, kPublishedIn}};
}

std::vector<std::pair<Index, Index>> pairs(const HeteroGraph<double>& g, Index e) {
  std::vector<std::pair<Index, Index>> p;
  for (std::size_t k = 0; k < g.edge_src(e).size(); ++k) p.emplace_back(g.edge_src(e)[k], g.edge_dst(e)[k]);
  return p;
}

void check_equal(const HeteroGraph<double>& got, const HeteroGraph<double>& want) {
  REQUIRE(got.node_types() == want.node_types());
  for (const auto& t : want.node_types()) {
    INFO(t);
    CHECK(got.num_nodes(t) == want.num_nodes(t));
    CHECK(got.x(t) == want.x(t));
  }
  const auto et = want.edge_types();
  REQUIRE(got.edge_types().size() == et.size());
  for (Index e = 0; e < static_cast<Index>(et.size()); ++e) {
    INFO(et[static_cast<std::size_t>(e)].key());
    REQUIRE(got.edge_type(e) == et[static_cast<std::size_t>(e)]);
    const auto g = pairs(got, e), w = pairs(want, e);
    if (et[static_cast<std::size_t>(e)].relation.rfind("metapath_", 0) == 0) {
      const std::set<std::pair<Index, Index>> ws(w.begin(), w.end());
      const std::vector<std::pair<Index, Index>> sorted_unique(ws.begin(), ws.end());
      CHECK(g == sorted_unique);
    } else {
      CHECK(g == w);
    }
  }
}

}  // namespace

TEST_CASE("add_metapaths matches PyG AddMetaPaths (default flags, a 3-hop metapath)", "[parity][metapath]") {
  const auto g = load_graph<double>(fixture("graph"));
  auto paths = four();
  paths.push_back({kWrites, kHas, kIn});
  const auto out = add_metapaths(g, paths);
  check_equal(out, load_graph<double>(fixture("default")));
  // The metapath through the zero-edge relation exists and is empty; the others are not.
  CHECK(out.num_edges(out.edge_type_id({"venue", "metapath_3", "venue"})) == 0);
  CHECK(out.num_edges(out.edge_type_id({"author", "metapath_0", "author"})) == 8);
  CHECK(out.num_edges(out.edge_type_id({"author", "metapath_4", "paper"})) == 15);
  // The input is untouched.
  CHECK(g.num_edge_types() == 7);
}

TEST_CASE("add_metapaths: drop_orig_edge_types with keep_same_node_type", "[parity][metapath]") {
  const auto g = load_graph<double>(fixture("graph"));
  const auto out = add_metapaths(g, four(), true, true);
  check_equal(out, load_graph<double>(fixture("drop_keep")));
  CHECK(out.has_edge_type({"paper", "cites", "paper"}));
  CHECK(!out.has_edge_type(kWrites));
}

TEST_CASE("add_metapaths: drop_orig_edge_types with drop_unconnected_node_types", "[parity][metapath]") {
  const auto g = load_graph<double>(fixture("graph"));
  const auto out = add_metapaths(g, four(), true, false, true);
  check_equal(out, load_graph<double>(fixture("drop_all")));
  CHECK(!out.has_node_type("term"));
  CHECK(!out.has_node_type("org"));
  CHECK(!out.has_edge_type({"paper", "cites", "paper"}));
}

TEST_CASE("add_metapaths merges duplicate walks and sorts each row", "[metapath]") {
  HeteroGraph<double> g;
  g.add_node_type("a", 3);
  g.add_node_type("b", 2);
  // a0 -> b1 twice, a0 -> b0; b0 -> a2, b1 -> a2, b1 -> a0.
  g.add_edge_type({"a", "to", "b"}, std::vector<Index>{0, 0, 0, 1, 1, 0});
  g.add_edge_type({"b", "to", "a"}, std::vector<Index>{0, 1, 1, 2, 2, 0});
  const auto out = add_metapaths(g, {{{"a", "to", "b"}, {"b", "to", "a"}}});
  const Index e = out.edge_type_id({"a", "metapath_0", "a"});
  CHECK(out.edge_src(e) == std::vector<Index>{0, 0});
  CHECK(out.edge_dst(e) == std::vector<Index>{0, 2});
}

TEST_CASE("add_metapaths rejects relations that do not chain, unknown relations, short paths", "[metapath][errors]") {
  const auto g = load_graph<double>(fixture("graph"));
  HGTOK_REQUIRE_THROWS_WITH(add_metapaths(g, {{kWrites, kIn}}), ValueError, "author__writes__paper");
  HGTOK_REQUIRE_THROWS_WITH(add_metapaths(g, {{kWrites, kIn}}), ValueError, "term__in__paper");
  HGTOK_REQUIRE_THROWS_WITH(add_metapaths(g, {{kWrites, kWrittenBy}, {kWrites, kIn}}), ValueError, "metapaths[1]");
  HGTOK_REQUIRE_THROWS_WITH(add_metapaths(g, {{kWrites, EdgeType{"paper", "reviews", "author"}}}), LookupError,
                            "paper__reviews__author");
  HGTOK_REQUIRE_THROWS_WITH(add_metapaths(g, {{kWrites}}), ValueError, "at least two relations");
}

}  // namespace test_metapath
