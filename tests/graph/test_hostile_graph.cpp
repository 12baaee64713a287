// Hostile graph files (issue 18, docs/security.md): a 392-byte file whose node count and empty edge types would
// take gigabytes of CSR offsets, totals over the graph, and graph directories whose graph.json names files outside
// the directory, devices or FIFOs.
#include <sys/stat.h>

#include <filesystem>
#include <limits>
#include <hgtok/graph/io.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace test_hostile_graph {

using hgtok::Index;
using hgtok_test::LimitsGuard;

/// A graph file of one featureless node type "a" with `count` nodes and `empty_edge_types` edge types a -> a, each
/// with an empty [2, 0] edge_index.
std::string featureless_graph(const hgtok_test::TempDir& tmp, Index count, int empty_edge_types) {
  hgtok::SafetensorsWriter w;
  w.set_metadata("num_nodes", "{\"a\": " + std::to_string(count) + "}");
  for (int i = 0; i < empty_edge_types; ++i)
    w.add_raw("edge_index/a__r" + std::to_string(i) + "__a", hgtok::Dtype::I64, hgtok::Shape{2, 0}, nullptr, 0);
  const std::string path = tmp.file("g.safetensors");
  w.save(path);
  return path;
}

TEST_CASE("hostile: 2^27 featureless nodes and four empty edge types are refused before the CSRs", "[graph][io][hostile]") {
  hgtok_test::TempDir tmp;
  const std::string path = featureless_graph(tmp, Index(1) << 27, 4);
  CHECK(std::filesystem::file_size(path) < 400);
  // Each edge type costs 2 * (2^27 + 1) offsets (in- and out-CSR): above max_graph_index_entries = 2^28.
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ResourceError,
                            "field 'edge_index/a__r0__a': the CSR offsets of this edge type");
  // The same graph of a modest size loads, and its empty edge types answer queries.
  const auto g = hgtok::load_graph<float>(featureless_graph(tmp, 1000, 4));
  CHECK(g.num_edge_types() == 4);
  CHECK(g.out_neighbors(0, 999).size() == 0);
}

TEST_CASE("hostile: the graph totals are limits that can be changed", "[graph][io][hostile]") {
  hgtok_test::TempDir tmp;
  LimitsGuard guard;
  const std::string path = featureless_graph(tmp, 1000, 2);
  hgtok::limits().max_graph_index_entries = 3000;  // the first edge type costs 2002, the second too
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ResourceError,
                            "field 'edge_index/a__r1__a'");
  hgtok::limits() = guard.saved;
  hgtok::limits().max_graph_nodes = 999;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ResourceError,
                            "field '__metadata__.num_nodes.a': node count 1000 brings the graph to 1000 nodes, above max_graph_nodes = 999");
  hgtok::limits() = guard.saved;
  // Edges: two edge types of 3 edges each, limit 5.
  hgtok::SafetensorsWriter w;
  w.set_metadata("num_nodes", R"({"a": 4})");
  const std::vector<Index> ei = {0, 1, 2, 1, 2, 3};
  w.add("edge_index/a__r0__a", hgtok::Shape{2, 3}, ei.data());
  w.add("edge_index/a__r1__a", hgtok::Shape{2, 3}, ei.data());
  w.save(tmp.file("e.safetensors"));
  CHECK(hgtok::load_graph<float>(tmp.file("e.safetensors")).num_edges() == 6);
  hgtok::limits().max_graph_edges = 5;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(tmp.file("e.safetensors")), hgtok::ResourceError,
                            "above max_graph_edges = 5");
}

TEST_CASE("hostile: featureless node counts are bounded over the whole graph, not per type", "[graph][io][hostile]") {
  hgtok_test::TempDir tmp;
  hgtok::SafetensorsWriter w;
  w.set_metadata("num_nodes", R"({"a": 600, "b": 600})");
  w.save(tmp.file("two.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(tmp.file("two.safetensors"), 1000), hgtok::ValueError,
                            "field '__metadata__.num_nodes.b': node count 600 has no feature data behind it and brings the graph's such nodes to 1200");
  // Totals never overflow: a count near int64's maximum after a small one.
  hgtok::SafetensorsWriter huge;
  huge.set_metadata("num_nodes", R"({"a": 100, "b": 9223372036854775807})");
  huge.save(tmp.file("huge.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(tmp.file("huge.safetensors"), std::numeric_limits<Index>::max()),
                            hgtok::ResourceError, "field '__metadata__.num_nodes.b'");
}

/// A graph directory of one node type "a" whose graph.json names `x` as its features.
void write_dir(const std::string& dir, const std::string& x) {
  const nlohmann::json j = {{"node_types", {{{"name", "a"}, {"x", x}}}}};
  hgtok_test::write_bytes(dir + "/graph.json", [&] {
    const std::string text = j.dump();
    return std::vector<unsigned char>(text.begin(), text.end());
  }());
}

TEST_CASE("hostile: graph.json names only regular files inside its directory", "[graph][io][hostile]") {
  namespace fs = std::filesystem;
  hgtok_test::TempDir tmp;
  const std::string dir = tmp.file("g");
  fs::create_directories(dir);
  const auto x = hgtok_test::raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
  hgtok_test::write_bytes(tmp.file("outside.npy"), x);
  hgtok_test::write_bytes(dir + "/x.npy", x);
  write_dir(dir, "x.npy");
  CHECK(hgtok::load_graph_dir<float>(dir).num_nodes("a") == 2);
  // /dev/zero used to be read until std::bad_alloc.
  write_dir(dir, "/dev/zero");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError,
                            "field 'node_types[0].x': '/dev/zero' must be a relative path inside the graph directory");
  write_dir(dir, tmp.file("outside.npy"));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError, "field 'node_types[0].x'");
  write_dir(dir, "../outside.npy");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError, "without '..'");
  write_dir(dir, "sub/../../outside.npy");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError, "field 'node_types[0].x'");
  // A symbolic link inside the directory that leads out of it.
  fs::create_symlink(tmp.file("outside.npy"), dir + "/link.npy");
  write_dir(dir, "link.npy");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError, "leads outside the graph directory");
  // A FIFO inside the directory would block a plain read forever; a directory is no file either.
  REQUIRE(::mkfifo((dir + "/fifo.npy").c_str(), 0600) == 0);
  write_dir(dir, "fifo.npy");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::IOError, "not a regular file");
  fs::create_directories(dir + "/sub");
  write_dir(dir, "sub");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::IOError, "not a regular file");
  // A file above max_file_bytes is refused by its size, before it is read.
  LimitsGuard guard;
  hgtok::limits().max_file_bytes = 64;
  write_dir(dir, "x.npy");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ResourceError, "above max_file_bytes = 64");
}

}  // namespace test_hostile_graph
