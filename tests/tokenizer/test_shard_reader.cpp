// tokenizer/shard_reader.hpp: a batch directory read back — every target's rows, node ids and spans equal
// tokenize() of its subgraph; failed, duplicated and missing targets are reported; a shard that does not match its
// index is a FormatError.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <hgtok/tokenizer/shard_reader.hpp>
#include <nlohmann/json.hpp>

#include "batch_setup.hpp"
#include "test_util.hpp"

namespace test_shard_reader {

using namespace hgtok;
using hgtok_test::TempDir;
using hgtok_test::tests_path;

const hgtok_test::BatchSetup& setup() { return hgtok_test::batch_setup(); }
BatchOptions options(Index max_shards = -1) {
  BatchOptions o = hgtok_test::batch_options();
  o.max_shards = max_shards;
  return o;
}

TEST_CASE("shard reader: every target's rows, node ids and spans are tokenize()'s", "[tokenizer][shard_reader]") {
  const auto& s = setup();
  TempDir dir;
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options());
  const auto r = ShardReader<float>::open(dir.file("out"));
  REQUIRE(r.complete());
  REQUIRE(r.size() == 11);
  REQUIRE(r.num_targets() == 11);
  REQUIRE(r.num_shards() == 4);
  REQUIRE(r.shards_on_disk() == 4);
  REQUIRE(r.missing() == std::pair<Index, Index>{11, 11});
  REQUIRE(r.type_order() == s.order);
  REQUIRE(r.target_type() == "movie");
  REQUIRE(r.failed().size() == 1);
  REQUIRE(r.failed()[0].target == 25);
  for (Index i = 0; i < r.size(); ++i) {
    const auto t = r.at_position(i);
    INFO("position " << i);
    REQUIRE(t.target == s.targets[static_cast<std::size_t>(i)]);
    REQUIRE(t.position == i);
    if (t.target == 25) {
      REQUIRE(t.failed());
      REQUIRE(t.rows == 0);
      REQUIRE(t.error.find("node id 25 is out of range") != std::string::npos);
      continue;
    }
    REQUIRE_FALSE(t.failed());
    const auto want = s.tok.tokenize(s.sampler.sample(s.graph, "movie", t.target), {s.order, &s.table});
    REQUIRE(t.rows == want.size());
    REQUIRE(t.width == want.width());
    REQUIRE(std::vector<float>(t.tokens, t.tokens + t.rows * t.width) == std::vector<float>(want.tokens.begin(), want.tokens.end()));
    REQUIRE(std::vector<Index>(t.node_ids, t.node_ids + t.rows) == want.node_ids);
    REQUIRE(t.spans.size() == want.spans.size());
    for (std::size_t k = 0; k < want.spans.size(); ++k) {
      REQUIRE(t.spans[k].type == want.spans[k].type);
      REQUIRE(t.spans[k].offset == want.spans[k].offset);
      REQUIRE(t.spans[k].count == want.spans[k].count);
    }
    const auto copy = t.to_graph_tokens();
    REQUIRE(std::vector<float>(copy.tokens.begin(), copy.tokens.end()) == std::vector<float>(want.tokens.begin(), want.tokens.end()));
  }
  REQUIRE(r.at(3).position == 5);  // listed twice: the first position
  REQUIRE(r.at(12).target == 12);
  REQUIRE(r.contains(25));
  REQUIRE_FALSE(r.contains(999));
  HGTOK_REQUIRE_THROWS_WITH(r.at(999), LookupError, "the batch is complete, so it was not one of its targets");
  HGTOK_REQUIRE_THROWS_WITH(r.at_position(11), LookupError, "position 11 is not on disk");
}

TEST_CASE("shard reader: an interrupted batch reports its missing positions", "[tokenizer][shard_reader]") {
  const auto& s = setup();
  TempDir dir;
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options(2));
  const auto r = ShardReader<float>::open(dir.file("out"));
  REQUIRE_FALSE(r.complete());
  REQUIRE(r.size() == 6);
  REQUIRE(r.shards_on_disk() == 2);
  REQUIRE(r.missing() == std::pair<Index, Index>{6, 11});
  REQUIRE(r.at(7).rows > 0);
  HGTOK_REQUIRE_THROWS_WITH(r.at(12), LookupError, "may be among the targets not written yet");
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options());
  REQUIRE(ShardReader<float>::open(dir.file("out")).at(12).rows > 0);
}

TEST_CASE("shard reader: a missing index is an IOError, a shard that does not match it a FormatError", "[tokenizer][shard_reader]") {
  const auto& s = setup();
  TempDir dir;
  HGTOK_REQUIRE_THROWS_WITH(ShardReader<float>::open(dir.file("nothing")), IOError, "index.json");
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), options());
  const std::string index_path = dir.file("out/index.json");
  nlohmann::json index;
  std::ifstream(index_path) >> index;
  const auto rewrite = [&](const nlohmann::json& j) { std::ofstream(index_path) << j.dump(); };

  auto swapped = index;  // shard 1's entry names shard 3's file (3 targets listed, 2 in the file)
  swapped["shards"][1]["file"] = index["shards"][3]["file"];
  rewrite(swapped);
  HGTOK_REQUIRE_THROWS_WITH(ShardReader<float>::open(dir.file("out")), FormatError, "row_offsets");

  auto escape = index;
  escape["shards"][0]["file"] = "../index.json";
  rewrite(escape);
  HGTOK_REQUIRE_THROWS_WITH(ShardReader<float>::open(dir.file("out")), FormatError, "is not a file name inside the batch directory");

  auto width = index;
  width["llm_dim"] = 41;
  rewrite(width);
  HGTOK_REQUIRE_THROWS_WITH(ShardReader<float>::open(dir.file("out")), FormatError, "tokens");

  auto overclaim = index;
  overclaim["shards"].erase(3);
  rewrite(overclaim);
  HGTOK_REQUIRE_THROWS_WITH(ShardReader<float>::open(dir.file("out")), FormatError, "is true, but the shards hold 9 of 11");

  rewrite(index);
  REQUIRE(ShardReader<float>::open(dir.file("out")).size() == 11);
}

}  // namespace test_shard_reader
