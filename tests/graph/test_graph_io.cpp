// Graph files: the PyG-exported fixture (tools/export_pyg.py via
// tests/reference/make_graph_fixtures.py) loads and matches the CSR torch computed;
// safetensors and directory round trips; malformed files name the file and field.
#include <cmath>
#include <filesystem>
#include <hgtok/graph/io.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_graph_io {

using hgtok::EdgeType;
using hgtok::HeteroGraph;
using hgtok::Index;
using hgtok_test::tests_path;

namespace {

const std::string kPyg = "fixtures/pyg_graph.safetensors";

const hgtok::SafetensorsFile& expected() {
  static const auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/pyg_graph_expected.safetensors"));
  return f;
}
std::vector<Index> ids(const std::string& name) { return expected().at(name).to_vector<Index>(); }

/// Checks g against the torch-computed expectations.
template <class T>
void check_matches_pyg(const HeteroGraph<T>& g) {
  const auto node_types = nlohmann::json::parse(expected().metadata().at("node_types")).get<std::vector<std::string>>();
  const auto edge_types = nlohmann::json::parse(expected().metadata().at("edge_types")).get<std::vector<std::string>>();
  const auto counts = nlohmann::json::parse(expected().metadata().at("num_nodes"));
  REQUIRE(g.node_types() == node_types);
  REQUIRE(g.num_edge_types() == static_cast<Index>(edge_types.size()));
  for (const auto& type : node_types) {
    INFO(type);
    CHECK(g.num_nodes(type) == counts[type].template get<Index>());
    if (expected().contains("x/" + type)) {
      const auto want = expected().at("x/" + type).to_vector<double>();
      const auto& x = g.x(type);
      REQUIRE(static_cast<std::size_t>(x.size()) == want.size());
      for (Index i = 0; i < x.size(); ++i) CHECK(static_cast<double>(x.data()[i]) == static_cast<double>(static_cast<T>(want[static_cast<std::size_t>(i)])));
    } else {
      CHECK(g.feature_dim(g.node_type_id(type)) == 0);
    }
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const std::string key = edge_types[static_cast<std::size_t>(e)];
    INFO(key);
    CHECK(g.edge_type(e).key() == key);
    CHECK(g.in_csr(e).indptr == ids("in_indptr/" + key));
    CHECK(g.in_csr(e).indices == ids("in_indices/" + key));
    CHECK(g.in_csr(e).edge_ids == ids("in_edge_ids/" + key));
    CHECK(g.out_csr(e).indptr == ids("out_indptr/" + key));
    CHECK(g.out_csr(e).indices == ids("out_indices/" + key));
    const auto in_deg = ids("in_degree/" + key);
    for (Index v = 0; v < g.num_nodes(g.dst_type_id(e)); ++v) CHECK(g.in_degree(e, v) == in_deg[static_cast<std::size_t>(v)]);
  }
}

/// A graph file from a writer: movie [3, 2] features, actor [2, 2], one edge type.
struct GraphFile {
  hgtok::SafetensorsWriter w;
  std::vector<float> movie = {0.5f, 1, 2, 3, 4, 5};
  std::vector<float> actor = {1, 2, 3, 4};
  std::vector<Index> stars = {0, 2, 1, 0};  // movie 0 -> actor 1, movie 2 -> actor 0
  GraphFile() {
    w.add("x/movie", hgtok::Shape{3, 2}, movie.data());
    w.add("x/actor", hgtok::Shape{2, 2}, actor.data());
  }
  std::string save(const hgtok_test::TempDir& tmp, bool with_edges = true) {
    if (with_edges) w.add("edge_index/movie__stars__actor", hgtok::Shape{2, 2}, stars.data());
    w.save(tmp.file("g.safetensors"));
    return tmp.file("g.safetensors");
  }
};

}  // namespace

TEST_CASE("graph io: the PyG-exported fixture loads and matches torch's CSR", "[graph][io]") {
  const auto g = hgtok::load_graph<float>(tests_path(kPyg));
  check_matches_pyg(g);
  const auto d = hgtok::load_graph<double>(tests_path(kPyg));
  check_matches_pyg(d);
}

TEST_CASE("graph io: safetensors round trip keeps types, order, features and edges", "[graph][io]") {
  const auto g = hgtok::load_graph<float>(tests_path(kPyg));
  hgtok_test::TempDir tmp;
  hgtok::save_graph(g, tmp.file("rt.safetensors"));
  const auto h = hgtok::load_graph<float>(tmp.file("rt.safetensors"));
  check_matches_pyg(h);
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    CHECK(h.edge_src(e) == g.edge_src(e));
    CHECK(h.edge_dst(e) == g.edge_dst(e));
  }
  // the written metadata gives the order, as export_pyg.py does
  const auto f = hgtok::SafetensorsFile::open(tmp.file("rt.safetensors"));
  CHECK(nlohmann::json::parse(f.metadata().at("node_types")) == nlohmann::json::parse(expected().metadata().at("node_types")));
  CHECK(nlohmann::json::parse(f.metadata().at("num_nodes")) == nlohmann::json::parse(expected().metadata().at("num_nodes")));
  CHECK(f.at("edge_index/movie__stars__actor").dtype == hgtok::Dtype::I64);
}

TEST_CASE("graph io: directory round trip (graph.json + npy)", "[graph][io]") {
  const auto g = hgtok::load_graph<double>(tests_path(kPyg));
  hgtok_test::TempDir tmp;
  const std::string dir = tmp.file("g");
  hgtok::save_graph_dir(g, dir);
  CHECK(std::filesystem::exists(dir + "/graph.json"));
  CHECK(std::filesystem::exists(dir + "/x_movie.npy"));
  CHECK(std::filesystem::exists(dir + "/edge_index_movie__stars__actor.npy"));
  const auto h = hgtok::load_graph_dir<double>(dir);
  check_matches_pyg(h);
  // the npy files are plain arrays other tools read
  const auto ei = hgtok::load_npy_array(dir + "/edge_index_movie__stars__actor.npy");
  CHECK(ei.dtype == hgtok::Dtype::I64);
  CHECK(ei.shape == hgtok::Shape{2, h.num_edges(h.edge_type_id(EdgeType{"movie", "stars", "actor"}))});
}

TEST_CASE("graph io: without metadata, types are ordered by name", "[graph][io]") {
  hgtok_test::TempDir tmp;
  GraphFile gf;
  const auto g = hgtok::load_graph<float>(gf.save(tmp));
  CHECK(g.node_types() == std::vector<std::string>{"actor", "movie"});
  CHECK(g.num_nodes("movie") == 3);
  CHECK(g.x("movie")(0, 0) == 0.5f);
  CHECK(g.in_degree(0, 1) == 1);
}

TEST_CASE("graph io: feature rows differ from __metadata__ num_nodes", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  GraphFile gf;
  gf.w.set_metadata("num_nodes", R"({"movie": 4, "actor": 2})");
  const auto path = gf.save(tmp);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ShapeError,
                            path + ": field 'x/movie': feature matrix has 3 rows, __metadata__.num_nodes gives 4 nodes");
}

TEST_CASE("graph io: edge ids out of range or negative in a file name the file", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  {
    GraphFile gf;
    gf.stars = {0, 3, 1, 0};
    const auto path = gf.save(tmp);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ValueError,
                              path + ": field 'edge_index/movie__stars__actor': source (row 0) id 3 of edge 1 is out of range [0, 3)");
  }
  {
    GraphFile gf;
    gf.stars = {0, 2, -5, 0};
    const auto path = gf.save(tmp);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ValueError, "destination (row 1) id -5 of edge 0");
  }
}

TEST_CASE("graph io: an edge type naming an unknown node type", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  GraphFile gf;
  gf.w.add("edge_index/writer__writes__movie", hgtok::Shape{2, 2}, gf.stars.data());
  const auto path = gf.save(tmp);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::LookupError,
                            path + ": field 'edge_index/writer__writes__movie (src)': unknown node type 'writer'");
}

TEST_CASE("graph io: NaN features in a file", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  GraphFile gf;
  gf.movie[3] = std::numeric_limits<float>::quiet_NaN();
  hgtok::SafetensorsWriter w;
  w.add("x/movie", hgtok::Shape{3, 2}, gf.movie.data());
  w.save(tmp.file("nan.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(tmp.file("nan.safetensors")), hgtok::ValueError,
                            "nan.safetensors: field 'x/movie': feature (1, 1) is not finite");
}

TEST_CASE("graph io: wrong tensors, dtypes, shapes and metadata", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  auto load = [&](const std::function<void(GraphFile&)>& edit) {
    GraphFile gf;
    edit(gf);
    return hgtok::load_graph<float>(gf.save(tmp, false));
  };
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.add("y/movie", std::vector<float>{1}); }), hgtok::FormatError,
                            "field 'y/movie': unexpected tensor");
  HGTOK_REQUIRE_THROWS_WITH(
      load([](GraphFile& f) { f.w.add("edge_index/movie__stars__actor", hgtok::Shape{2, 2}, std::vector<float>{0, 1, 1, 0}.data()); }),
      hgtok::ShapeError, "field 'edge_index/movie__stars__actor': edge_index dtype is F32");
  HGTOK_REQUIRE_THROWS_WITH(
      load([](GraphFile& f) { f.w.add("edge_index/movie__stars__actor", hgtok::Shape{1, 4}, f.stars.data()); }),
      hgtok::ShapeError, "edge_index shape is [1, 4], expected [2, E]");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.add("edge_index/movie__stars", hgtok::Shape{2, 2}, f.stars.data()); }),
                            hgtok::FormatError, "field 'movie__stars'");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.add("x/keyword", hgtok::Shape{2, 1}, f.stars.data()); }),
                            hgtok::ShapeError, "field 'x/keyword': features dtype is I64");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("node_types", "[\"movie\", "); }), hgtok::FormatError,
                            "field '__metadata__.node_types': not valid JSON");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("node_types", R"({"movie": 1})"); }), hgtok::FormatError,
                            "field '__metadata__.node_types': must be a JSON list");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("node_types", R"(["movie"])"); }), hgtok::LookupError,
                            "field 'x/actor': node type missing from __metadata__.node_types");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("node_types", R"(["movie", "actor", "writer"])"); }),
                            hgtok::LookupError, "node type 'writer' has neither x/writer nor a count");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("edge_types", R"(["movie__stars__actor"])"); }),
                            hgtok::LookupError, "no tensor edge_index/movie__stars__actor");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) { f.w.set_metadata("num_nodes", R"({"movie": -3})"); }), hgtok::FormatError,
                            "field '__metadata__.num_nodes.movie'");
  HGTOK_REQUIRE_THROWS_WITH(load([](GraphFile& f) {
                              f.w.set_metadata("node_types", R"(["movie", "actor"])");
                              f.w.set_metadata("num_nodes", R"({"keyword": 2})");
                            }),
                            hgtok::LookupError, "field '__metadata__.num_nodes.keyword': node type missing");
  // without node_types, num_nodes declares a featureless type
  CHECK(load([](GraphFile& f) { f.w.set_metadata("num_nodes", R"({"keyword": 2})"); }).num_nodes("keyword") == 2);
}

TEST_CASE("graph io: node counts no data backs are bounded before allocating", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  {
    GraphFile gf;
    gf.w.set_metadata("num_nodes", R"({"movie": 3, "actor": 2, "keyword": 1000000000000000})");
    gf.w.set_metadata("node_types", R"(["movie", "actor", "keyword"])");
    std::vector<Index> has = {0, 0};
    gf.w.add("edge_index/movie__has__keyword", hgtok::Shape{2, 1}, has.data());
    const auto path = gf.save(tmp, false);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path), hgtok::ValueError,
                              "field '__metadata__.num_nodes.keyword': node count 1000000000000000 has no feature data");
    // with a raised limit a moderate featureless count is fine
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(path, 1000), hgtok::ValueError, "max_nodes_without_features = 1000");
  }
  {
    // x of shape [10^15, 0] holds zero bytes
    hgtok::SafetensorsWriter w;
    w.add_raw("x/keyword", hgtok::Dtype::F32, hgtok::Shape{1000000000000000, 0}, nullptr, 0);
    w.save(tmp.file("wide.safetensors"));
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph<float>(tmp.file("wide.safetensors")), hgtok::ValueError,
                              "field 'x/keyword': node count 1000000000000000");
  }
  {
    GraphFile gf;
    gf.w.set_metadata("num_nodes", R"({"movie": 3, "actor": 2, "keyword": 5})");
    const auto g = hgtok::load_graph<float>(gf.save(tmp));
    CHECK(g.num_nodes("keyword") == 5);
  }
}

TEST_CASE("graph io: directory form errors name graph.json or the npy file", "[graph][io][bad]") {
  hgtok_test::TempDir tmp;
  const auto g = hgtok::load_graph<float>(tests_path(kPyg));
  const std::string dir = tmp.file("g");
  hgtok::save_graph_dir(g, dir);
  const std::string json_path = dir + "/graph.json";
  auto j = nlohmann::json::parse(hgtok_test::read_bytes(json_path));
  auto write_json = [&](const nlohmann::json& k) {
    const std::string s = k.dump();
    hgtok_test::write_bytes(json_path, std::vector<unsigned char>(s.begin(), s.end()));
  };
  {
    auto k = j;
    k["node_types"][0]["num_nodes"] = 7;  // movie has 5 feature rows
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ShapeError, "field 'x/movie': feature matrix has 5 rows");
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ShapeError, "node_types[0].num_nodes");
  }
  {
    auto k = j;
    k["edge_types"][0]["src"] = "writer";
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::LookupError, "graph.json: field 'edge_index/writer__");
  }
  {
    auto k = j;
    k["edge_types"][0]["edge_index"] = "x_movie.npy";  // a float matrix as edge_index
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ShapeError, "x_movie.npy: field 'edge_index/");
  }
  {
    auto k = j;
    k["node_types"][0].erase("x");
    k["node_types"][0].erase("num_nodes");
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::FormatError, "field 'node_types[0]'");
  }
  {
    auto k = j;
    k["node_types"][1]["name"] = 3;
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::FormatError, "field 'node_types[1].name'");
  }
  {
    auto k = j;
    k["node_types"][0].erase("x");
    k["node_types"][0]["num_nodes"] = 1000000000000000;
    write_json(k);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::ValueError, "field 'node_types[0].num_nodes'");
  }
  write_json(j);
  REQUIRE_NOTHROW(hgtok::load_graph_dir<float>(dir));
  hgtok_test::write_bytes(json_path, {'{', '"'});
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::FormatError, "graph.json: not valid JSON");
  std::filesystem::remove(json_path);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::load_graph_dir<float>(dir), hgtok::IOError, "graph.json");
}

}  // namespace test_graph_io
