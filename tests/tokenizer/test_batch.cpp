// tokenizer/batch.hpp: sharded batch tokenization — shards equal per-target tokenization, a resumed run equals an
// uninterrupted one byte for byte, 1 and 2 threads agree, bad targets are reported (or stop the run), and a
// directory of another run is refused.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

using namespace hgtok;
using hgtok_test::read_bytes;
using hgtok_test::TempDir;
using hgtok_test::tests_path;

namespace {

struct Setup {
  HeteroGraph<float> graph = load_graph<float>(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors");
  EmbeddingTable<float> table = EmbeddingTable<float>::load(tests_path("fixtures/tokenizer_table.safetensors"));
  Tokenizer<float> tok = Tokenizer<float>::load(tests_path("fixtures/tokenizer_linear"));
  NeighborSampler sampler{{3, 2}, 11};
  std::vector<Index> targets{4, 0, 19, 7, 25, 3, 3, 12, 16, 8, 1};  // 25 is out of range; 3 appears twice
};
const Setup& setup() {
  static const Setup s;
  return s;
}
BatchOptions options() {
  BatchOptions o;
  o.type_order = {"movie", "director", "actor"};
  o.shard_size = 3;
  o.progress = 0;
  return o;
}
std::vector<std::string> files_of(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
void require_same_dirs(const std::string& a, const std::string& b) {
  REQUIRE(files_of(a) == files_of(b));
  for (const auto& name : files_of(a)) {
    INFO(name);
    REQUIRE(read_bytes(a + "/" + name) == read_bytes(b + "/" + name));
  }
}

}  // namespace

TEST_CASE("batch: shards hold every target's tokens; a bad target is reported and skipped", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  const auto report = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options());
  REQUIRE(report.complete);
  REQUIRE(report.shards_total == 4);
  REQUIRE(report.shards_written == 4);
  REQUIRE(report.shards_skipped == 0);
  REQUIRE(report.failed.size() == 1);
  REQUIRE(report.failed[0].target == 25);
  REQUIRE(report.failed[0].error.find("node id 25 is out of range") != std::string::npos);

  std::ifstream in(dir.file("out/index.json"));
  const auto index = nlohmann::json::parse(in);
  REQUIRE(index["complete"] == true);
  REQUIRE(index["shards"].size() == 4);
  REQUIRE(index["shards"][1]["failed"][0]["target"] == 25);
  Index rows = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const auto shard = SafetensorsFile::open(dir.file("out/" + index["shards"][k]["file"].get<std::string>()));
    const auto offsets = shard.at("row_offsets").to_vector<Index>();
    const auto targets = shard.at("targets").to_vector<Index>();
    const auto tokens = shard.at("tokens").to_vector<float>();
    const auto node_ids = shard.at("node_ids").to_vector<Index>();
    const auto counts = shard.at("span_counts").to_vector<Index>();
    REQUIRE(shard.at("tokens").shape == Shape{offsets.back(), 40});
    rows += offsets.back();
    for (std::size_t i = 0; i < targets.size(); ++i) {
      REQUIRE(targets[i] == s.targets[k * 3 + i]);
      if (targets[i] == 25) {
        REQUIRE(offsets[i + 1] == offsets[i]);
        continue;
      }
      const auto want = s.tok.tokenize(s.sampler.sample(s.graph, "movie", targets[i]), s.table, options().type_order);
      REQUIRE(offsets[i + 1] - offsets[i] == want.size());
      const std::vector<float> got(tokens.begin() + offsets[i] * 40, tokens.begin() + offsets[i + 1] * 40);
      REQUIRE(got == std::vector<float>(want.tokens.begin(), want.tokens.end()));
      REQUIRE(std::vector<Index>(node_ids.begin() + offsets[i], node_ids.begin() + offsets[i + 1]) == want.node_ids);
      for (std::size_t t = 0; t < 3; ++t) REQUIRE(counts[i * 3 + t] == want.spans[t].count);
    }
  }
  REQUIRE(rows == report.rows_written);
}

TEST_CASE("batch: an interrupted run resumes to the same files; 1 and 2 threads agree", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  set_num_threads(1);
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("whole"), options());
  set_num_threads(2);
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("two"), options());
  set_num_threads(0);
  require_same_dirs(dir.file("whole"), dir.file("two"));

  auto first = options();
  first.max_shards = 2;  // stops after two shards, as an interrupted run would
  const auto part = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), first);
  REQUIRE(part.shards_written == 2);
  REQUIRE_FALSE(part.complete);
  // A shard written just before the interruption but never indexed is rewritten on resume.
  std::ofstream(dir.file("resumed/shard_00002.safetensors")) << "half-written";
  const auto rest = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), options());
  REQUIRE(rest.shards_skipped == 2);
  REQUIRE(rest.shards_written == 2);
  REQUIRE(rest.complete);
  require_same_dirs(dir.file("whole"), dir.file("resumed"));
  const auto again = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), options());
  REQUIRE(again.shards_written == 0);  // nothing left to do
  REQUIRE(again.complete);
}

TEST_CASE("batch: stop_on_error keeps finished shards; other runs' directories and bad options are refused", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  auto stop = options();
  stop.stop_on_error = true;
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), stop), ValueError,
                            "target 25 failed");
  std::ifstream in(dir.file("out/index.json"));
  REQUIRE(nlohmann::json::parse(in)["shards"].size() == 1);  // shard 0 is on disk, shard 1 held the bad target

  const NeighborSampler other({3, 2}, 12);
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, other, s.targets, dir.file("out"), options()), ValueError,
                            "written by another run");
  std::ofstream(dir.file("out/index.json")) << "{ broken";
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options()), FormatError,
                            "not valid JSON");
  auto bad = options();
  bad.shard_size = 0;
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), bad), ValueError, "shard_size");
  bad = options();
  bad.target_type = "studio";
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), bad), LookupError, "studio");
}
