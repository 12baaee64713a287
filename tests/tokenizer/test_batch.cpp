// tokenizer/batch.hpp: sharded batch tokenization — shards equal per-target tokenization, a resumed run equals an
// uninterrupted one byte for byte, 1 and 2 threads agree, bad targets are reported (or stop the run), and a
// directory of another run is refused.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "batch_setup.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_batch {

using namespace hgtok;
using hgtok_test::batch_options;
using hgtok_test::files_of;
using hgtok_test::require_same_dirs;
using hgtok_test::TempDir;
using hgtok_test::tests_path;

namespace {

const hgtok_test::BatchSetup& setup() { return hgtok_test::batch_setup(); }

}  // namespace

TEST_CASE("batch: shards hold every target's tokens; a bad target is reported and skipped", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  const auto report = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), batch_options());
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
      const auto want =
          s.tok.tokenize(s.sampler.sample(s.graph, "movie", targets[i]), {batch_options().type_order, &s.table});
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
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto& s = setup();
  TempDir dir;
  set_num_threads(1);
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("whole"), batch_options());
  set_num_threads(2);
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("two"), batch_options());
  set_num_threads(0);
  require_same_dirs(dir.file("whole"), dir.file("two"));

  auto first = batch_options();
  first.max_shards = 2;  // stops after two shards, as an interrupted run would
  const auto part = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), first);
  REQUIRE(part.shards_written == 2);
  REQUIRE_FALSE(part.complete);
  // A shard written just before the interruption but never indexed is rewritten on resume.
  std::ofstream(dir.file("resumed/shard_00002.safetensors")) << "half-written";
  const auto rest = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), batch_options());
  REQUIRE(rest.shards_skipped == 2);
  REQUIRE(rest.shards_written == 2);
  REQUIRE(rest.complete);
  require_same_dirs(dir.file("whole"), dir.file("resumed"));
  const auto again =
      tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("resumed"), batch_options());
  REQUIRE(again.shards_written == 0);  // nothing left to do
  REQUIRE(again.complete);
}

TEST_CASE("batch: shards of one target on two threads (the queue runs ahead of assembly) give the same files",
          "[tokenizer][batch]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  // Eleven one-target shards: with two threads, later shards are tokenized while earlier ones are assembled and
  // written, and up to three shards' slots are reused in turn. Files, index and the stop point must not change.
  const auto& s = setup();
  TempDir dir;
  auto o = batch_options();
  o.shard_size = 1;
  o.micro_batch = 1;
  set_num_threads(1);
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("one"), o);
  set_num_threads(2);
  for (int run = 0; run < 3; ++run) {
    const std::string out = dir.file("two" + std::to_string(run));
    const auto report = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, o);
    REQUIRE(report.shards_written == 11);
    REQUIRE(report.failed.size() == 1);
    require_same_dirs(dir.file("one"), out);
  }
  auto partial = o;
  partial.max_shards = 5;
  REQUIRE(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("part"), partial).shards_written == 5);
  REQUIRE(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("part"), o).shards_written == 6);
  require_same_dirs(dir.file("one"), dir.file("part"));
  // stop_on_error: target 25 is the fifth; shards 0-3 are on disk and indexed, nothing after them.
  auto stop = o;
  stop.stop_on_error = true;
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("stop"), stop),
                            ValueError, "target 25 failed");
  set_num_threads(0);
  std::ifstream in(dir.file("stop/index.json"));
  REQUIRE(nlohmann::json::parse(in)["shards"].size() == 4);
  REQUIRE(files_of(dir.file("stop")) == std::vector<std::string>{"index.json", "shard_00000.safetensors",
                                                                  "shard_00001.safetensors", "shard_00002.safetensors",
                                                                  "shard_00003.safetensors"});
}

TEST_CASE("batch: a failed shard write is an IOError; the shards before it stay indexed, none after it", "[tokenizer][batch]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  // A directory where shard 1's file goes makes its rename fail. The writes run in the background; the index must
  // still list exactly shard 0 (no later shard is indexed past the gap), at 1 and 2 threads, and a run after the
  // obstacle is gone completes to the same files as an undisturbed run.
  const auto& s = setup();
  TempDir dir;
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("clean"), batch_options());
  for (int threads : {1, 2}) {
    const std::string out = dir.file("broken" + std::to_string(threads));
    std::filesystem::create_directories(out + "/shard_00001.safetensors/in_the_way");
    set_num_threads(threads);
    HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, batch_options()),
                              IOError, "shard_00001.safetensors");
    set_num_threads(0);
    std::ifstream in(out + "/index.json");
    const auto index = nlohmann::json::parse(in);
    REQUIRE(index["shards"].size() == 1);
    REQUIRE(index["shards"][0]["file"] == "shard_00000.safetensors");
    REQUIRE_FALSE(index["complete"].get<bool>());
    std::filesystem::remove_all(out + "/shard_00001.safetensors");
    const auto rest = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, batch_options());
    REQUIRE(rest.shards_skipped == 1);
    REQUIRE(rest.complete);
    require_same_dirs(dir.file("clean"), out);
  }
}

TEST_CASE("batch: shards written out of order by another process are merged through entry files", "[tokenizer][batch]") {
  // What an MPI rank that does not own index.json does (tokenizer/mpi_batch.hpp): write shards 1 and 3 and record
  // them in entry files. index.json keeps listing a prefix (none of them yet); a resume takes them in, writes only
  // shards 0 and 2, and leaves exactly the files of a single-process run. Stale entry files (another run's, a shard
  // already indexed, a shard file gone, unreadable) are removed and their shards redone.
  const auto& s = setup();
  TempDir dir;
  tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("clean"), batch_options());
  const std::string out = dir.file("out");
  const auto plan = detail::plan_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, batch_options());
  detail::BatchIndex::open(plan);  // creates index.json, as rank 0 does first
  const auto other =
      detail::write_shards(s.tok, s.graph, s.table, s.sampler, s.targets, plan, batch_options(), {1, 3},
                           [&plan](Index k, nlohmann::json entry) { detail::write_batch_entry_file(plan, k, entry); });
  REQUIRE(other.shards_written == 2);
  REQUIRE(std::filesystem::exists(out + "/shard_00001.entry.json"));
  REQUIRE(std::filesystem::exists(out + "/shard_00003.entry.json"));
  {
    std::ifstream in(out + "/index.json");
    REQUIRE(nlohmann::json::parse(in)["shards"].empty());
  }
  auto first = batch_options();
  first.max_shards = 1;  // shard 0 only: the prefix then reaches shard 1's entry, not shard 3's
  const auto part = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, first);
  REQUIRE(part.shards_skipped == 2);
  REQUIRE(part.shards_written == 1);
  REQUIRE_FALSE(part.complete);
  {
    std::ifstream in(out + "/index.json");
    REQUIRE(nlohmann::json::parse(in)["shards"].size() == 2);
  }
  REQUIRE_FALSE(std::filesystem::exists(out + "/shard_00001.entry.json"));
  REQUIRE(std::filesystem::exists(out + "/shard_00003.entry.json"));
  const auto rest = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, batch_options());
  REQUIRE(rest.shards_skipped == 3);
  REQUIRE(rest.shards_written == 1);
  REQUIRE(rest.complete);
  require_same_dirs(dir.file("clean"), out);

  // Stale entry files: the shards they name are redone, the files removed.
  const std::string stale = dir.file("stale");
  const auto plan2 = detail::plan_batch(s.tok, s.graph, s.table, s.sampler, s.targets, stale, batch_options());
  detail::BatchIndex::open(plan2);
  auto wrong = plan2;
  wrong.fingerprint = "0123456789abcdef";
  nlohmann::json entry{{"file", "shard_00001.safetensors"}, {"first", 3}, {"count", 3}, {"rows", 0}, {"failed", nlohmann::json::array()}};
  std::ofstream(stale + "/shard_00001.safetensors") << "not a shard of this run";
  detail::write_batch_entry_file(wrong, 1, entry);                                 // another run's
  entry["file"] = "shard_00002.safetensors";
  entry["first"] = 6;
  detail::write_batch_entry_file(plan2, 2, entry);                                 // its shard file is gone
  std::ofstream(stale + "/shard_00003.entry.json") << "{ half";                    // unreadable
  auto index = detail::BatchIndex::open(plan2);
  REQUIRE(index.missing() == std::vector<Index>{0, 1, 2, 3});
  REQUIRE(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, stale, batch_options()).complete);
  require_same_dirs(dir.file("clean"), stale);
}

TEST_CASE("batch: stop_on_error keeps finished shards; other runs' directories and bad options are refused", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  auto stop = batch_options();
  stop.stop_on_error = true;
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), stop), ValueError,
                            "target 25 failed");
  std::ifstream in(dir.file("out/index.json"));
  REQUIRE(nlohmann::json::parse(in)["shards"].size() == 1);  // shard 0 is on disk, shard 1 held the bad target

  const NeighborSampler other({3, 2}, 12);
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, other, s.targets, dir.file("out"), batch_options()),
                            ValueError, "written by another run");
  std::ofstream(dir.file("out/index.json")) << "{ broken";
  HGTOK_REQUIRE_THROWS_WITH(
      tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("out"), batch_options()), FormatError,
      "not valid JSON");
  auto bad = batch_options();
  bad.shard_size = 0;
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), bad), ValueError, "shard_size");
  bad = batch_options();
  bad.target_type = "studio";
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), bad), LookupError, "studio");
}

TEST_CASE("batch: tokenize_many equals tokenize bitwise, as one union where that is used", "[tokenizer][batch]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  const auto& s = setup();
  const std::vector<std::string> order{"movie", "director", "actor"};
  std::vector<std::string> edge_keys;
  for (const auto& e : s.graph.edge_types()) edge_keys.push_back(e.key());
  const nlohmann::json meta{{"kernel", "meta_hgt"}, {"in_channels", 16}, {"hidden_channels", 32}, {"heads", 2},
                            {"num_layers", 2}, {"embedding_dim", 16}, {"llm_dim", 48}, {"projector", "linear"}};
  nlohmann::json inference = meta, hgt = meta, odd = meta;
  inference["variant"] = "inference";
  hgt.erase("embedding_dim");
  hgt["kernel"] = "hgt";
  hgt["node_types"] = s.graph.node_types();
  hgt["edge_types"] = edge_keys;
  odd["llm_dim"] = 40;  // not a multiple of 16: one by one
  std::vector<Subgraph<float>> subs;
  for (Index t : {4, 0, 19, 7, 3, 3, 12, 16, 8, 1, 2, 5, 6}) subs.push_back(s.sampler.sample(s.graph, "movie", t));
  std::vector<const Subgraph<float>*> ptrs;
  for (const auto& sub : subs) ptrs.push_back(&sub);

  for (const auto& [name, config] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"meta_hgt pretrain", meta}, {"meta_hgt inference", inference}, {"hgt", hgt}, {"llm_dim 40", odd}}) {
    INFO(name);
    const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(config, name), 21);
    const bool expect_union = name != "llm_dim 40" && detail::gemm_uses_kernel<float>();
    REQUIRE(tok.tokenizes_as_union() == expect_union);
    if (!detail::gemm_uses_kernel<float>()) WARN("no AVX2/FMA here: tokenize_many runs one by one");
    const auto many = tok.tokenize_many(ptrs, {order, &s.table});
    REQUIRE(many.size() == subs.size());
    for (std::size_t i = 0; i < subs.size(); ++i) {
      const auto one = tok.tokenize(subs[i], {order, &s.table});
      INFO("subgraph " << i);
      REQUIRE(many[i].tokens.shape() == one.tokens.shape());
      REQUIRE(std::equal(one.tokens.begin(), one.tokens.end(), many[i].tokens.begin()));
      REQUIRE(many[i].node_ids == one.node_ids);
      REQUIRE(many[i].spans.size() == one.spans.size());
      for (std::size_t k = 0; k < one.spans.size(); ++k) {
        REQUIRE(many[i].spans[k].type == one.spans[k].type);
        REQUIRE(many[i].spans[k].type_id == one.spans[k].type_id);
        REQUIRE(many[i].spans[k].offset == one.spans[k].offset);
        REQUIRE(many[i].spans[k].count == one.spans[k].count);
      }
    }
    // tokenize_many_into: the same rows, subgraph after subgraph, in one buffer (a larger one is shrunk to fit;
    // its leftover values must not survive), the same spans and ids, empty tensors.
    std::vector<float> rows(5 * 48 * 200, -7.0f);
    const auto into = tok.tokenize_many_into(ptrs, rows, {order, &s.table});
    REQUIRE(into.size() == subs.size());
    std::size_t at = 0;
    for (std::size_t i = 0; i < subs.size(); ++i) {
      INFO("subgraph " << i << " into one buffer");
      REQUIRE(into[i].size() == 0);
      REQUIRE(into[i].node_ids == many[i].node_ids);
      REQUIRE(into[i].spans.size() == many[i].spans.size());
      for (std::size_t k = 0; k < many[i].spans.size(); ++k) REQUIRE(into[i].spans[k].count == many[i].spans[k].count);
      REQUIRE(at + many[i].tokens.size() <= rows.size());
      REQUIRE(std::equal(many[i].tokens.begin(), many[i].tokens.end(), rows.begin() + static_cast<std::ptrdiff_t>(at)));
      at += many[i].tokens.size();
    }
    REQUIRE(at == rows.size());
    if (name == "hgt") {  // the static kernel's overload (no table): the same rows
      std::vector<float> rows_static;
      const auto into_static = tok.tokenize_many_into(ptrs, rows_static, {order});
      REQUIRE(into_static.size() == subs.size());
      REQUIRE(rows_static == rows);
    }
  }

  // A subgraph that cannot join the union (a feature width the tokenizer refuses) fails alone.
  const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(meta, "meta"), 21);
  Subgraph<float> bad = subs[2];
  HeteroGraph<float> narrow;
  for (const auto& t : bad.graph.node_types())
    narrow.add_node_type(t, Matrix<float>(bad.graph.x(t).leftCols(8)));
  for (Index e = 0; e < bad.graph.num_edge_types(); ++e)
    narrow.add_edge_type(bad.graph.edge_type(e), bad.graph.edge_src(e).data(), bad.graph.edge_dst(e).data(),
                         bad.graph.num_edges(e));
  bad.graph = std::move(narrow);
  std::vector<const Subgraph<float>*> mixed{ptrs[0], &bad, ptrs[1]};
  std::vector<std::string> errors(3);
  const auto sink = [&errors](std::size_t i, const std::string& message) { errors.at(i) = message; };
  const auto got = tok.tokenize_many(mixed, {order, &s.table, nullptr, sink});
  REQUIRE(errors.size() == 3);
  REQUIRE(errors[0].empty());
  REQUIRE(errors[1].find("feature width 8") != std::string::npos);
  REQUIRE(errors[2].empty());
  REQUIRE(got[1].size() == 0);
  const auto want = tok.tokenize(subs[1], {order, &s.table});
  REQUIRE(std::equal(want.tokens.begin(), want.tokens.end(), got[2].tokens.begin()));
  REQUIRE_THROWS_WITH(tok.tokenize_many(mixed, {order, &s.table}), Catch::Contains("feature width 8"));
  // Into one buffer: the failed subgraph has no rows there, the other two follow each other.
  std::vector<float> rows;
  errors.assign(3, std::string());
  const auto got_into = tok.tokenize_many_into(mixed, rows, {order, &s.table, nullptr, sink});
  REQUIRE(errors.size() == 3);
  REQUIRE(errors[1].find("feature width 8") != std::string::npos);
  REQUIRE(got_into[1].node_ids.empty());
  const auto first = tok.tokenize(subs[0], {order, &s.table});
  REQUIRE(rows.size() == first.tokens.size() + want.tokens.size());
  REQUIRE(std::equal(first.tokens.begin(), first.tokens.end(), rows.begin()));
  REQUIRE(std::equal(want.tokens.begin(), want.tokens.end(), rows.begin() + static_cast<std::ptrdiff_t>(first.tokens.size())));
  REQUIRE_THROWS_WITH(tok.tokenize_many_into(mixed, rows, {order, &s.table}), Catch::Contains("feature width 8"));

  // Batch runs with micro-batches of 1 and of 5 targets write the same bytes.
  TempDir dir;
  auto o = batch_options();
  o.micro_batch = 1;
  tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("one"), o);
  o.micro_batch = 5;
  o.shard_size = 7;
  auto o1 = batch_options();
  o1.micro_batch = 1;
  o1.shard_size = 7;
  tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("a"), o1);
  set_num_threads(1);  // one thread: micro-batches of 5 throughout
  tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("b"), o);
  require_same_dirs(dir.file("a"), dir.file("b"));
  // Two threads: a shard's last micro_batch * 2 targets go in quarter-size micro-batches (here the 11 targets go
  // in micro-batches of 3, 2 (with the bad target 25), then six of 1): the same bytes again.
  set_num_threads(2);
  auto o11 = batch_options();
  o11.micro_batch = 3;
  o11.shard_size = 11;
  auto o11_one = o11;
  o11_one.micro_batch = 1;
  tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("c"), o11);
  set_num_threads(0);
  tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("d"), o11_one);
  require_same_dirs(dir.file("c"), dir.file("d"));
  o.micro_batch = 0;
  REQUIRE_THROWS_WITH(tokenize_batch(tok, s.graph, s.table, s.sampler, s.targets, dir.file("e"), o),
                      Catch::Contains("micro_batch"));
}

TEST_CASE("batch: target_type has no default; empty is a ValueError naming the field", "[tokenizer][batch]") {
  const auto& s = setup();
  TempDir dir;
  CHECK(BatchOptions().target_type.empty());
  auto none = batch_options();
  none.target_type.clear();
  HGTOK_REQUIRE_THROWS_WITH(tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), none), ValueError,
                            "target_type");
  CHECK(!std::filesystem::exists(dir.file("x")));
}

TEST_CASE("batch: tokenize_many gives the same bytes on the AVX2 and AVX-512 GEMM paths", "[tokenizer][batch][isa]") {
  if (!detail::gemm_isa_supported(detail::GemmIsa::avx512)) {
    WARN("SKIPPED: this CPU has no AVX-512F (best GEMM path: " << detail::to_string(detail::gemm_best_isa())
                                                               << "); run this test on a host with AVX2 and AVX-512");
    return;
  }
  const auto& s = setup();
  const std::vector<std::string> order{"movie", "director", "actor"};
  std::vector<Subgraph<float>> subs;
  for (Index t : {4, 0, 19, 7, 3, 12, 16}) subs.push_back(s.sampler.sample(s.graph, "movie", t));
  std::vector<const Subgraph<float>*> ptrs;
  for (const auto& sub : subs) ptrs.push_back(&sub);
  auto tokens_on = [&](detail::GemmIsa isa) {
    detail::GemmIsaScope scope(isa);
    return s.tok.tokenize_many(ptrs, {order, &s.table});
  };
  const auto avx2 = tokens_on(detail::GemmIsa::avx2), avx512 = tokens_on(detail::GemmIsa::avx512);
  REQUIRE(avx2.size() == avx512.size());
  for (std::size_t i = 0; i < avx2.size(); ++i) {
    INFO("subgraph " << i);
    REQUIRE(avx2[i].tokens.shape() == avx512[i].tokens.shape());
    REQUIRE(std::equal(avx2[i].tokens.begin(), avx2[i].tokens.end(), avx512[i].tokens.begin()));
  }
}

}  // namespace test_batch
