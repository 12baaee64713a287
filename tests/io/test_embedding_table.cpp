// EmbeddingTable on HiGPT's IMDB type-embedding table (tests/data/imdb.safetensors,
// from HKUDS/HiGPT, Apache-2.0), the npy+json form, round trips and bad input.
#include <cmath>
#include <hgtok/io/safetensors.hpp>
#include <hgtok/text/embedding_table.hpp>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_embedding_table {

using hgtok::EdgeType;
using hgtok::EmbeddingTable;
using hgtok_test::tests_path;

namespace {
const std::string kImdb = "data/imdb.safetensors";
}

TEST_CASE("EmbeddingTable: HiGPT's IMDB table", "[io][embedding]") {
  const auto t = EmbeddingTable<float>::load(tests_path(kImdb));
  CHECK(t.size() == 7);
  CHECK(t.dim() == 768);
  CHECK(t.node_types() == std::vector<std::string>{"actor", "director", "movie"});
  const auto edges = t.edge_types();
  REQUIRE(edges.size() == 4);
  CHECK(t.has_edge(EdgeType{"movie", "to", "director"}));
  CHECK(t.has_edge(EdgeType{"actor", "to", "movie"}));
  CHECK_FALSE(t.has_edge(EdgeType{"actor", "to", "director"}));
  // Check values documented with HiGPT's IMDB type table (the source of this copy), to 4 decimals.
  const auto& movie = t.node("movie");
  CHECK(movie[0] == Approx(0.0243).margin(5e-5));
  CHECK(movie[1] == Approx(-0.0105).margin(5e-5));
  CHECK(movie[2] == Approx(0.0022).margin(5e-5));
  CHECK(movie.norm() == Approx(0.7952).margin(5e-5));
  // every entry is an average of unit vectors: norm below 1, and the entries differ
  for (const auto& key : t.keys()) CHECK(t.get(key).norm() < 1.0f);
  CHECK((t.node("movie") - t.node("actor")).norm() > 0.0f);
  CHECK(t.source() == tests_path(kImdb));
  // double tables convert
  const auto d = EmbeddingTable<double>::load(tests_path(kImdb));
  CHECK(d.node("movie").cast<float>() == movie);
}

TEST_CASE("EmbeddingTable: unknown types are a LookupError naming the key and table", "[io][embedding][bad]") {
  const auto t = EmbeddingTable<float>::load(tests_path(kImdb));
  HGTOK_REQUIRE_THROWS_WITH(t.node("writer"), hgtok::LookupError, "field 'node/writer'");
  HGTOK_REQUIRE_THROWS_WITH(t.node("writer"), hgtok::LookupError, "imdb.safetensors");
  HGTOK_REQUIRE_THROWS_WITH(t.edge(EdgeType{"movie", "cites", "movie"}), hgtok::LookupError, "field 'edge/movie__cites__movie'");
  HGTOK_REQUIRE_THROWS_WITH(t.get("movie"), hgtok::LookupError, "field 'movie'");
}

TEST_CASE("EmbeddingTable: npy matrix + JSON keys load the same values", "[io][embedding]") {
  const auto t = EmbeddingTable<float>::load(tests_path(kImdb));
  const auto n = EmbeddingTable<float>::load_npy(tests_path("fixtures/imdb_table.npy"), tests_path("fixtures/imdb_table_keys.json"));
  CHECK(n.size() == 3);
  CHECK(n.dim() == 768);
  CHECK(n.keys() == std::vector<std::string>{"edge/movie__to__actor", "node/actor", "node/movie"});
  for (const auto& key : n.keys()) {
    INFO(key);
    CHECK(n.get(key) == t.get(key));
  }
  HGTOK_REQUIRE_THROWS_WITH(n.node("director"), hgtok::LookupError, "imdb_table.npy");
}

TEST_CASE("EmbeddingTable: save/load round trip, add and keys", "[io][embedding]") {
  auto t = EmbeddingTable<float>::load(tests_path(kImdb));
  hgtok::Vector<float> writer = t.node("director") * 0.5f;
  t.add_node("writer", writer);
  t.add_edge(EdgeType{"writer", "writes", "movie"}, t.node("movie"));
  hgtok_test::TempDir tmp;
  t.save(tmp.file("t.safetensors"));
  const auto u = EmbeddingTable<float>::load(tmp.file("t.safetensors"));
  CHECK(u.keys() == t.keys());
  for (const auto& key : t.keys()) CHECK(u.get(key) == t.get(key));
  CHECK(u.node("writer") == writer);
  // saved as F32 one 1-d tensor per key
  const auto f = hgtok::SafetensorsFile::open(tmp.file("t.safetensors"));
  CHECK(f.at("node/writer").dtype == hgtok::Dtype::F32);
  CHECK(f.at("node/writer").shape == hgtok::Shape{768});
  // a double table saves F64 and loads back bit for bit
  auto d = EmbeddingTable<double>::load(tests_path(kImdb));
  d.save(tmp.file("d.safetensors"));
  CHECK(hgtok::SafetensorsFile::open(tmp.file("d.safetensors")).at("node/movie").dtype == hgtok::Dtype::F64);
  CHECK(EmbeddingTable<double>::load(tmp.file("d.safetensors")).node("movie") == d.node("movie"));
}

TEST_CASE("EmbeddingTable: NaN, bad keys and widths are refused", "[io][embedding][bad]") {
  EmbeddingTable<float> t;
  hgtok::Vector<float> v = hgtok::Vector<float>::Ones(4);
  t.add_node("movie", v);
  hgtok::Vector<float> bad = v;
  bad[2] = std::numeric_limits<float>::quiet_NaN();
  HGTOK_REQUIRE_THROWS_WITH(t.add_node("actor", bad), hgtok::ValueError, "field 'node/actor': element 2 is not finite");
  bad[2] = std::numeric_limits<float>::infinity();
  HGTOK_REQUIRE_THROWS_WITH(t.add_node("actor", bad), hgtok::ValueError, "element 2 is not finite");
  HGTOK_REQUIRE_THROWS_WITH(t.add_node("actor", hgtok::Vector<float>::Ones(5)), hgtok::ShapeError,
                            "field 'node/actor': embedding width 5, table width 4");
  HGTOK_REQUIRE_THROWS_WITH(t.add("type/movie", v), hgtok::FormatError, "field 'type/movie'");
  HGTOK_REQUIRE_THROWS_WITH(t.add("node/", v), hgtok::FormatError, "field 'node/'");
  HGTOK_REQUIRE_THROWS_WITH(t.add("edge/movie__actor", v), hgtok::FormatError, "src__relation__dst");
  CHECK(t.size() == 1);

  // NaN inside a file: the error names the file and the key
  hgtok::SafetensorsWriter w;
  std::vector<float> values(4, 0.5f);
  w.add("node/movie", values);
  values[1] = std::numeric_limits<float>::quiet_NaN();
  w.add("node/actor", values);
  hgtok_test::TempDir tmp;
  w.save(tmp.file("nan.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load(tmp.file("nan.safetensors")), hgtok::ValueError,
                            "nan.safetensors: field 'node/actor': element 1 is not finite");

  // a 2-d tensor and an integer tensor in a safetensors table
  hgtok::SafetensorsWriter w2;
  w2.add("node/movie", hgtok::Shape{2, 2}, values.data());
  w2.save(tmp.file("2d.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load(tmp.file("2d.safetensors")), hgtok::ShapeError,
                            "field 'node/movie': type embedding must be 1-d");
  hgtok::SafetensorsWriter w3;
  w3.add("node/movie", std::vector<std::int64_t>{1, 2, 3});
  w3.save(tmp.file("int.safetensors"));
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load(tmp.file("int.safetensors")), hgtok::ShapeError,
                            "field 'node/movie': type embedding dtype is I64");
}

TEST_CASE("EmbeddingTable: npy+json inputs that do not fit", "[io][embedding][bad]") {
  hgtok_test::TempDir tmp;
  const std::string npy = tests_path("fixtures/imdb_table.npy");
  auto json = [&](const std::string& text) {
    const std::string p = tmp.file("keys.json");
    hgtok_test::write_bytes(p, std::vector<unsigned char>(text.begin(), text.end()));
    return p;
  };
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, json(R"(["node/movie", "node/actor"])")), hgtok::ShapeError,
                            "field 'keys': 2 keys for 3 rows");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, json(R"(["node/movie", "node/actor", "node/movie"])")),
                            hgtok::ValueError, "field 'keys[2]': duplicate key");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, json(R"(["node/movie", 3, "node/x"])")), hgtok::FormatError,
                            "field 'keys[1]'");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, json(R"({"node/movie": 0)")), hgtok::FormatError,
                            "field 'keys': not valid JSON");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, json(R"({"node/movie": 0})")), hgtok::FormatError,
                            "field 'keys': must be a JSON array");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(npy, tmp.file("missing.json")), hgtok::IOError, "missing.json");
  // the wrong npy dtype (int64, written by numpy) and rank
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(tests_path("fixtures/npy_i8.npy"), json(R"(["node/a", "node/b"])")),
                            hgtok::ShapeError, "field 'descr': type embedding dtype is I64");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(tests_path("fixtures/npy_vec.npy"), json(R"(["node/a"])")),
                            hgtok::ShapeError, "field 'shape': embedding matrix must be 2-d");
  HGTOK_REQUIRE_THROWS_WITH(EmbeddingTable<float>::load_npy(tests_path("fixtures/npy_fortran.npy"), json(R"(["node/a", "node/b"])")),
                            hgtok::FormatError, "field 'fortran_order'");
}

}  // namespace test_embedding_table
