// TypeDescriptions on the tiny BERT fixture: per-type averages of the sentence embeddings
// (checked against the fixture embeddings of sentence-transformers), key convention,
// safetensors round trip, JSON form and its errors.
#include <nlohmann/json.hpp>

#include "hgtok/io/safetensors.hpp"
#include "hgtok/text/type_descriptions.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_type_descriptions {

using hgtok::EdgeType;
using hgtok::TypeDescriptions;
using hgtok_test::tests_path;

namespace {

std::vector<std::string> sentences() {
  std::ifstream in(tests_path("fixtures/sbert_sentences.json"));
  return nlohmann::json::parse(in).get<std::vector<std::string>>();
}

hgtok::Matrix<double> expected_mean() {
  auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/sbert_tiny_expected.safetensors"));
  const auto& v = f.at("mean");
  auto data = v.to_vector<double>();
  return hgtok::ConstMatrixMap<double>(data.data(), v.shape[0], v.shape[1]);
}

}  // namespace

TEST_CASE("type embeddings are the average of sentence-transformers' embeddings of the descriptions") {
  const auto s = sentences();
  const auto want = expected_mean();  // sentence-transformers on the tiny model, sentences 0..59
  TypeDescriptions d;
  d.add_node("movie", {s[0], s[1]});
  d.add_node("movie", {s[2]});  // appends
  d.add_node("director", {s[3]});
  d.add_edge(EdgeType{"movie", "to", "director"}, {s[24], s[25], s[26], s[27]});
  auto enc = hgtok::SentenceEncoder<double>::load(tests_path("fixtures/sbert_tiny"));
  const auto table = d.embed(enc, 2);
  REQUIRE(table.size() == 3);
  REQUIRE(table.dim() == 32);
  const hgtok::Vector<double> movie = (want.row(0) + want.row(1) + want.row(2)).transpose() / 3.0;
  const hgtok::Vector<double> edge = (want.row(24) + want.row(25) + want.row(26) + want.row(27)).transpose() / 4.0;
  CHECK((table.node("movie") - movie).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((table.node("director") - want.row(3).transpose()).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((table.edge(EdgeType{"movie", "to", "director"}) - edge).cwiseAbs().maxCoeff() <= 1e-12);

  hgtok_test::TempDir dir;
  table.save(dir.file("types.safetensors"));
  const auto back = hgtok::EmbeddingTable<double>::load(dir.file("types.safetensors"));
  CHECK(back.keys() == std::vector<std::string>{"edge/movie__to__director", "node/director", "node/movie"});
  CHECK(back.node("movie") == table.node("movie"));
}

TEST_CASE("TypeDescriptions JSON form") {
  hgtok_test::TempDir dir;
  const auto path = dir.file("d.json");
  std::ofstream(path) << R"({"node": {"movie": ["a film", "一部电影"]}, "edge": {"movie__to__actor": ["cast"]}})";
  const auto d = TypeDescriptions::load(path);
  CHECK(d.keys() == std::vector<std::string>{"edge/movie__to__actor", "node/movie"});
  CHECK(d.descriptions("node/movie").size() == 2);
  HGTOK_REQUIRE_THROWS_WITH(d.descriptions("node/actor"), hgtok::LookupError, "node/actor");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"nodes": {}})", "field 'nodes'"},
      {R"({"node": {"movie": "a film"}})", "field 'node/movie'"},
      {R"({"node": {"movie": ["ok", 3]}})", "non-string 3"},
      {R"({"edge": {"movie__actor": ["x"]}})", "movie__actor"},
      {R"({"node": {"movie": []}})", "at least one description"},
      {"{\"node\": {\"movie\": [\"bad \xff\"]}}", "not valid JSON"},
      {R"([1, 2])", "JSON object"},
  };
  for (const auto& [text, needle] : bad) {
    std::ofstream(path) << text;
    INFO(text);
    HGTOK_REQUIRE_THROWS_WITH(TypeDescriptions::load(path), hgtok::Error, needle);
  }
  TypeDescriptions t;
  HGTOK_REQUIRE_THROWS_WITH(t.add_node("movie", {"fine", "bad \xc3"}), hgtok::ValueError, "node/movie[1]");
  HGTOK_REQUIRE_THROWS_WITH(t.add_node("", {"x"}), hgtok::FormatError, "node/");
  HGTOK_REQUIRE_THROWS_WITH(TypeDescriptions::load(dir.file("missing.json")), hgtok::IOError, "missing.json");
}

}  // namespace test_type_descriptions
