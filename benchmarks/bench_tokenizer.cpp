// End-to-end tokenizer benchmark (docs/benchmarks.md, "Tokenizer end to end (issue 6)").
//
// Workload: an IMDB-like graph (4,278 movies, 2,081 directors, 5,257 actors; every movie has 1 director and 3
// distinct actors, edges in both directions: movie__to__director, director__to__movie, movie__to__actor,
// actor__to__movie; 768-wide features), N target movies (default 10,000, drawn with replacement; env
// HGTOK_BENCH_TARGETS lowers it), HiGPT's IMDB type table, and a tokenizer at HiGPT's size: one MetaHGT layer
// (HiGPT's offline tokenizer, run_offline_hgt_tokenizer.py, runs a single MetaHGTConv; variant "inference" = the
// higpt/model copy that script imports), in = hidden = 768, 12 heads, m = 768, linear graph_projector to 4096.
// Sampler: NeighborSampler({10, 5}, 42) (HiGPT ships pre-sampled subgraphs, not its sampler; {10, 5} is the
// fan-out of hgtok's tutorial and CLI).
//
// Cases (threads = the benchmark argument, set with hgtok::set_num_threads):
//   BM_Tokenizer_PerTarget/t   one target at a time: sample -> encode -> project (parallelism inside the kernels)
//   BM_Tokenizer_Batch/t       tokenize_batch over the N targets (parallel over micro-batches of 16 targets, each
//                              one Tokenizer::tokenize_many; shards of 256 written by a background thread)
//   BM_Tokenizer_BatchNoIO/t   the same parallel loop over micro-batches without the shard files (tokens
//                              discarded): what the 1 -> 2 thread scaling is without the writes
// Counters: subgraphs_per_s (wall clock), cpu_util (process CPU seconds / wall seconds: ~t when t threads are
// busy), threads_seen (distinct OpenMP threads that ran a target; NoIO only), peak_rss_MB (MiB: VmHWM during the
// case: the kernel's RSS high-water mark is reset through /proc/self/clear_refs before it, hwm_reset = 1 when
// that worked), load_peak_MB (VmHWM after building or loading the tokenizer, before any case), weights_MB
// (the tokenizer's weights, float32), cache_MB (generated projectors), first_call_ms (the first tokenize, which
// generates the projectors), rows_per_subgraph, machine_idle_s and machine_steal_s (core-seconds the whole
// machine spent idle, and stolen by the hypervisor, during the case; /proc/stat).
//
// Inputs are generated from seeds unless HGTOK_BENCH_DIR names a directory written by
// benchmarks/compare_tokenizer.py: graph.safetensors, table.safetensors, targets.safetensors (I64 "targets"),
// tokenizer/ (config.json + weights.safetensors). Then BM_Tokenizer_Batch writes its shards under
// HGTOK_BENCH_DIR/out_t<threads>/ and keeps shard_00000 (for the script's parity check); otherwise under a
// temporary directory it removes. HGTOK_BENCH_OUT names another parent for out_t<threads>/ (e.g. /dev/shm, to
// see the scaling with every file write but without the disk).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/tokenizer/batch.hpp"
#include "hgtok/tokenizer/tokenizer.hpp"

using namespace hgtok;
namespace fs = std::filesystem;

namespace {

constexpr Index kMovies = 4278, kDirectors = 2081, kActors = 5257, kWidth = 768;

std::string bench_dir() {
  const char* d = std::getenv("HGTOK_BENCH_DIR");
  return d ? std::string(d) : std::string();
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// The machine's CPU seconds so far, all cores together, from /proc/stat's "cpu" line: {idle + iowait, steal}.
/// Steal is time the hypervisor ran something else while one of this VM's vCPUs had work: on a VM it is where
/// the host's own disk work shows (docs/benchmarks.md). Zeros where /proc/stat is not there.
std::pair<double, double> machine_idle_steal_s() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  long long v[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // user nice system idle iowait irq softirq steal
  if (!(f >> cpu) || cpu != "cpu") return {0.0, 0.0};
  for (auto& x : v)
    if (!(f >> x)) return {0.0, 0.0};
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {static_cast<double>(v[3] + v[4]) / hz, static_cast<double>(v[7]) / hz};
}

/// Machine-wide idle and stolen core-seconds over a timed region (see machine_idle_steal_s).
struct MachineProbe {
  std::pair<double, double> start = machine_idle_steal_s();
  double idle = 0, steal = 0;
  void stop() {
    const auto end = machine_idle_steal_s();
    idle += end.first - start.first;
    steal += end.second - start.second;
  }
  void restart() { start = machine_idle_steal_s(); }
};

/// This process's RSS high-water mark in MiB: VmHWM of /proc/self/status. Not getrusage's ru_maxrss, which
/// also keeps the peak of the image before exec: launched by compare_tokenizer.py (fork + exec), it would report
/// the Python parent's RSS (its 3.7 GB PyTorch model) as ours.
double max_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;  // "VmHWM:   123456 kB"
  rusage u{};  // no procfs: ru_maxrss (KiB on Linux)
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// Resets the RSS high-water mark (Linux >= 4.0, "5" > /proc/self/clear_refs); VmHWM follows it.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

Matrix<float> random_features(Index rows, Rng& rng) {
  Matrix<float> m(rows, kWidth);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform() * 2 - 1);
  return m;
}

/// Float32 weights of a one-layer-or-more MetaHGT tokenizer with a linear projector (HiGPT's generator shapes).
double meta_hgt_weight_bytes(const TokenizerConfig& c) {
  const double m = static_cast<double>(c.embedding_dim), h = static_cast<double>(c.embedding_dim / 2);
  auto gen = [&](double in, double out) {
    return (m * h + h + h * h + h + h * in * out + in * out) + (m * h + h + h * h + h + h * out + out);
  };
  const double hid = static_cast<double>(c.hidden_channels), d = hid / static_cast<double>(c.heads);
  double n = 0;
  for (Index l = 0; l < c.num_layers; ++l) {
    const double in = l == 0 ? static_cast<double>(c.in_channels) : hid;
    n += gen(in, 3 * hid) + gen(hid, hid) + 2 * gen(d, d) + (m + 1) + (m * static_cast<double>(c.heads) + static_cast<double>(c.heads)) + 2 * hid;
  }
  n += hid * static_cast<double>(c.llm_dim) + static_cast<double>(c.llm_dim);
  return 4 * n;
}

struct Workload {
  HeteroGraph<float> g;
  EmbeddingTable<float> table;
  std::vector<Index> targets;
  std::unique_ptr<Tokenizer<float>> tokenizer;
  NeighborSampler sampler{{10, 5}, 42};
  std::vector<std::string> order{"movie", "director", "actor"};
  double weights_mb = 0, load_peak_mb = 0, load_s = 0, first_call_ms = 0, rows_first = 0;

  Workload() {
    const double t0 = now_s();
    const std::string dir = bench_dir();
    Index n = 10000;
    if (const char* e = std::getenv("HGTOK_BENCH_TARGETS")) n = std::max<Index>(1, std::atoll(e));
    if (!dir.empty()) {
      g = load_graph<float>(dir + "/graph.safetensors");
      table = EmbeddingTable<float>::load(dir + "/table.safetensors");
      const auto file = SafetensorsFile::open(dir + "/targets.safetensors");
      for (const auto& v : file.tensors())
        if (v.name == "targets") targets = v.to_vector<Index>();
      if (static_cast<Index>(targets.size()) > n) targets.resize(static_cast<std::size_t>(n));
      std::ifstream in(dir + "/tokenizer/config.json");
      const TokenizerConfig config = TokenizerConfig::from_json(nlohmann::json::parse(in), dir + "/tokenizer/config.json");
      {
        const WeightStore w = WeightStore::load(dir + "/tokenizer/weights.safetensors");  // memory-mapped
        double bytes = 0;
        for (const auto& name : w.names()) bytes += static_cast<double>(w.view(name).nbytes);
        weights_mb = bytes / 1e6;
        tokenizer = std::make_unique<Tokenizer<float>>(config, w);
      }  // the mapping is released here
    } else {
      Rng rng(2024, 0);
      g.add_node_type("movie", random_features(kMovies, rng));
      g.add_node_type("director", random_features(kDirectors, rng));
      g.add_node_type("actor", random_features(kActors, rng));
      std::vector<Index> md_src, md_dst, ma_src, ma_dst;
      for (Index mv = 0; mv < kMovies; ++mv) {
        md_src.push_back(mv);
        md_dst.push_back(static_cast<Index>(rng.uniform_int(kDirectors)));
        std::set<Index> cast;
        while (cast.size() < 3) cast.insert(static_cast<Index>(rng.uniform_int(kActors)));
        for (Index a : cast) {
          ma_src.push_back(mv);
          ma_dst.push_back(a);
        }
      }
      auto cat = [](const std::vector<Index>& a, const std::vector<Index>& b) {
        std::vector<Index> ei(a);
        ei.insert(ei.end(), b.begin(), b.end());
        return ei;
      };
      g.add_edge_type({"movie", "to", "director"}, cat(md_src, md_dst));
      g.add_edge_type({"director", "to", "movie"}, cat(md_dst, md_src));
      g.add_edge_type({"movie", "to", "actor"}, cat(ma_src, ma_dst));
      g.add_edge_type({"actor", "to", "movie"}, cat(ma_dst, ma_src));
      Rng trng(2024, 1);
      for (Index i = 0; i < n; ++i) targets.push_back(static_cast<Index>(trng.uniform_int(kMovies)));
      table = EmbeddingTable<float>::load(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_types.safetensors");
      TokenizerConfig c;
      c.kernel = "meta_hgt";
      c.variant = "inference";
      c.in_channels = kWidth;
      c.hidden_channels = kWidth;
      c.heads = 12;
      c.num_layers = 1;
      c.embedding_dim = 768;
      c.projector = "linear";
      c.llm_dim = 4096;
      weights_mb = meta_hgt_weight_bytes(c) / 1e6;
      tokenizer = std::make_unique<Tokenizer<float>>(Tokenizer<float>::random(c, 7));
    }
    load_s = now_s() - t0;
    load_peak_mb = max_rss_mb();
    const double t1 = now_s();
    const auto first = tokenizer->tokenize(sampler.sample(g, "movie", targets.at(0)), {order, &table});  // fills the cache
    first_call_ms = (now_s() - t1) * 1e3;
    rows_first = static_cast<double>(first.size());
  }

  double cache_mb() const {
    return static_cast<double>(std::get<MetaHGTConv<float>>(tokenizer->layers().at(0)).cache_bytes()) / 1e6;
  }
};

Workload& workload() {
  static Workload w;
  return w;
}

void common_counters(benchmark::State& state, const Workload& w, bool reset_ok, double cpu, double wall, double subgraphs,
                     const MachineProbe& probe) {
  state.counters["subgraphs_per_s"] = subgraphs / wall;
  state.counters["machine_idle_s"] = probe.idle;
  state.counters["machine_steal_s"] = probe.steal;
  state.counters["cpu_util"] = cpu / wall;
  state.counters["threads"] = num_threads();
  state.counters["peak_rss_MB"] = max_rss_mb();
  state.counters["hwm_reset"] = reset_ok ? 1 : 0;
  state.counters["load_peak_MB"] = w.load_peak_mb;
  state.counters["weights_MB"] = w.weights_mb;
  state.counters["cache_MB"] = w.cache_mb();
  state.counters["first_call_ms"] = w.first_call_ms;
  state.counters["load_s"] = w.load_s;
  state.counters["targets"] = static_cast<double>(w.targets.size());
}

void BM_Tokenizer_PerTarget(benchmark::State& state) {
  auto& w = workload();
  set_num_threads(static_cast<int>(state.range(0)));
  const bool reset_ok = reset_peak_rss();
  std::size_t i = 0;
  double rows = 0;
  MachineProbe probe;
  const double c0 = cpu_s(), t0 = now_s();
  for (auto _ : state) {
    const Index target = w.targets[i++ % w.targets.size()];
    const auto tokens = w.tokenizer->tokenize(w.sampler.sample(w.g, "movie", target), {w.order, &w.table});
    rows += static_cast<double>(tokens.size());
    benchmark::DoNotOptimize(tokens.tokens.data());
  }
  const double wall = now_s() - t0, cpu = cpu_s() - c0;
  probe.stop();
  common_counters(state, w, reset_ok, cpu, wall, static_cast<double>(state.iterations()), probe);
  state.counters["rows_per_subgraph"] = rows / static_cast<double>(state.iterations());
}

void BM_Tokenizer_Batch(benchmark::State& state) {
  auto& w = workload();
  const int threads = static_cast<int>(state.range(0));
  set_num_threads(threads);
  const char* out_env = std::getenv("HGTOK_BENCH_OUT");
  const std::string dir = out_env && *out_env ? std::string(out_env) : bench_dir();
  const fs::path out = dir.empty() ? fs::temp_directory_path() / ("hgtok_bench_tokenizer_" + std::to_string(::getpid()))
                                   : fs::path(dir) / ("out_t" + std::to_string(threads));
  BatchOptions options;
  options.target_type = "movie";
  options.type_order = w.order;
  options.shard_size = 256;
  options.progress = 0;
  const bool reset_ok = reset_peak_rss();
  double cpu = 0, wall = 0, rows = 0, done = 0, failed = 0;
  MachineProbe probe;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(out);  // a finished index.json would make tokenize_batch skip every shard (resume)
    state.ResumeTiming();
    probe.restart();
    const double c0 = cpu_s(), t0 = now_s();
    const BatchReport r = tokenize_batch(*w.tokenizer, w.g, w.table, w.sampler, w.targets, out.string(), options);
    wall += now_s() - t0;
    cpu += cpu_s() - c0;
    probe.stop();
    rows += static_cast<double>(r.rows_written);
    done += static_cast<double>(r.targets_done);
    failed += static_cast<double>(r.failed.size());
  }
  common_counters(state, w, reset_ok, cpu, wall, done, probe);
  state.counters["rows_per_subgraph"] = rows / done;
  state.counters["failed"] = failed;
  std::error_code ec;
  if (dir.empty()) {
    fs::remove_all(out, ec);
  } else {  // keep the first shard and the index for compare_tokenizer.py's parity check
    for (const auto& entry : fs::directory_iterator(out, ec))
      if (entry.path().filename().string().rfind("shard_", 0) == 0 && entry.path().filename() != "shard_00000.safetensors")
        fs::remove(entry.path(), ec);
  }
}

void BM_Tokenizer_BatchNoIO(benchmark::State& state) {
  auto& w = workload();
  set_num_threads(static_cast<int>(state.range(0)));
  const Index n = static_cast<Index>(w.targets.size()), shard = 256;
  const bool reset_ok = reset_peak_rss();
  double cpu = 0, wall = 0, rows = 0, done = 0;
  std::vector<int> seen(64, 0);
  MachineProbe probe;
  for (auto _ : state) {
    probe.restart();
    const double c0 = cpu_s(), t0 = now_s();
    for (Index first = 0; first < n; first += shard) {  // shards of 256 as tokenize_batch, nothing written
      const Index count = std::min(shard, n - first);
      std::vector<Index> shard_rows(static_cast<std::size_t>(count), 0);
      const Index micro = 16;  // as tokenize_batch: micro-batches through tokenize_many
      detail::parallel_for((count + micro - 1) / micro, [&](Index b) {
#ifdef HGTOK_WITH_OPENMP
        seen[static_cast<std::size_t>(omp_get_thread_num() % 64)] = 1;
#endif
        const Index i0 = b * micro, i1 = std::min(count, i0 + micro);
        std::vector<Subgraph<float>> subs;
        for (Index i = i0; i < i1; ++i) subs.push_back(w.sampler.sample(w.g, "movie", w.targets[static_cast<std::size_t>(first + i)]));
        std::vector<const Subgraph<float>*> ptrs;
        for (const auto& sub : subs) ptrs.push_back(&sub);
        const auto tokens = w.tokenizer->tokenize_many(ptrs, {w.order, &w.table});
        for (Index i = i0; i < i1; ++i) shard_rows[static_cast<std::size_t>(i)] = tokens[static_cast<std::size_t>(i - i0)].size();
      });
      for (Index r : shard_rows) rows += static_cast<double>(r);
      done += static_cast<double>(count);
    }
    wall += now_s() - t0;
    cpu += cpu_s() - c0;
    probe.stop();
  }
  common_counters(state, w, reset_ok, cpu, wall, done, probe);
  state.counters["rows_per_subgraph"] = rows / done;
  double threads_seen = 0;
  for (int s : seen) threads_seen += s;
  state.counters["threads_seen"] = threads_seen;
}

}  // namespace

BENCHMARK(BM_Tokenizer_PerTarget)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_Tokenizer_Batch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_Tokenizer_BatchNoIO)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_MAIN();
