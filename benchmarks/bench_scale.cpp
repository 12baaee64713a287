// Graphs larger than memory (issue 20, docs/benchmarks.md "Scale"): IMDB-shaped graphs of any size, their open time
// and resident set, the first target from a cold process, and batch throughput from the mapped graph against the
// in-memory one. A plain program (not Google Benchmark cases): each figure wants its own process, so that the
// resident set and the cold start are those of one step alone.
//
//   bench_scale generate EDGES OUT.safetensors   IMDB-shaped (movie, director, actor; each movie one director and
//                                                three actors, every edge both ways: EDGES / 8 movies), 64-wide
//                                                float32 features; streamed, a few MB of memory at any size
//   bench_scale open FILE                        open (compiled: mapped; plain: loaded) -> ms and RSS after
//   bench_scale save-demo DIR                    write the demo tokenizer of `hgtok tokenize` (its untrained weights
//                                                drawn once) for `first` to load as a trained one would be
//   bench_scale first FILE [TARGET [DIR]]        one movie target's tokens with the demo tokenizer (loaded from DIR,
//                                                else drawn from its seed): ms from main() to the tokens, peak RSS
//   bench_scale throughput FILE N [THREADS]      tokenize_batch of N movie targets spread over the graph -> targets/s
//
// Compile a generated file with `hgtok graph compile`. Output: one line of key=value pairs per run.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace hgtok;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// VmRSS of this process, MiB.
double rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}
double peak_rss_mib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser: stateless, so any chunk is generated on its own
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Shape3 {
  Index movies, directors, actors;
  explicit Shape3(Index edges) : movies(std::max<Index>(edges / 8, 4)), directors(movies / 4), actors(movies) {}
  Index director_of(Index m) const { return static_cast<Index>(mix(static_cast<std::uint64_t>(m) ^ 0xD1ULL) % static_cast<std::uint64_t>(directors)); }
  Index actor_of(Index e) const { return static_cast<Index>(mix(static_cast<std::uint64_t>(e) ^ 0xA1ULL << 40) % static_cast<std::uint64_t>(actors)); }
};

int generate(Index edges, const std::string& out) {
  const auto start = Clock::now();
  const Shape3 s(edges);
  constexpr Index kWidth = 64;
  const Index cast = 3 * s.movies;
  std::vector<std::string> names{"x/movie", "x/director", "x/actor", "edge_index/movie__to__director",
                                 "edge_index/director__to__movie", "edge_index/movie__to__actor", "edge_index/actor__to__movie"};
  std::vector<Shape> shapes{{s.movies, kWidth}, {s.directors, kWidth}, {s.actors, kWidth}, {2, s.movies}, {2, s.movies}, {2, cast}, {2, cast}};
  std::vector<detail::SafetensorsSlot> slots;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Dtype d = i < 3 ? Dtype::F32 : Dtype::I64;
    slots.push_back({&names[i], d, &shapes[i], detail::tensor_nbytes(shapes[i], d, out, names[i])});
  }
  std::string head;
  const auto order = detail::safetensors_layout(
      slots,
      {{"node_types", "[\"movie\", \"director\", \"actor\"]"},
       {"edge_types", "[\"movie__to__director\", \"director__to__movie\", \"movie__to__actor\", \"actor__to__movie\"]"}},
      head);
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  os.write(head.data(), static_cast<std::streamsize>(head.size()));
  constexpr Index kChunk = Index(1) << 16;
  std::vector<float> xf(static_cast<std::size_t>(kChunk));
  std::vector<Index> ids(static_cast<std::size_t>(kChunk));
  for (std::size_t i : order) {
    const std::string& name = names[i];
    if (i < 3) {
      const Index total = shapes[i][0] * kWidth;
      for (Index at = 0; at < total; at += kChunk) {
        const Index k = std::min(kChunk, total - at);
        for (Index j = 0; j < k; ++j)
          xf[static_cast<std::size_t>(j)] = static_cast<float>(mix(static_cast<std::uint64_t>(at + j) * 4 + i) % 2001) / 1000.0f - 1.0f;
        os.write(reinterpret_cast<const char*>(xf.data()), static_cast<std::streamsize>(k * sizeof(float)));
      }
      continue;
    }
    const Index n = shapes[i][1];
    for (int row = 0; row < 2; ++row)
      for (Index at = 0; at < n; at += kChunk) {
        const Index k = std::min(kChunk, n - at);
        for (Index j = 0; j < k; ++j) {
          const Index e = at + j;
          Index v = 0;
          if (name == "edge_index/movie__to__director") v = row == 0 ? e : s.director_of(e);
          if (name == "edge_index/director__to__movie") v = row == 0 ? s.director_of(e) : e;
          if (name == "edge_index/movie__to__actor") v = row == 0 ? e / 3 : s.actor_of(e);
          if (name == "edge_index/actor__to__movie") v = row == 0 ? s.actor_of(e) : e / 3;
          ids[static_cast<std::size_t>(j)] = v;
        }
        os.write(reinterpret_cast<const char*>(ids.data()), static_cast<std::streamsize>(k * sizeof(Index)));
      }
  }
  os.close();
  if (!os) throw IOError(out, "", "write failed");
  std::cout << "generate edges=" << 2 * (s.movies + cast) << " nodes=" << s.movies + s.directors + s.actors
            << " bytes=" << std::filesystem::file_size(out) << " ms=" << ms_since(start) << "\n";
  return 0;
}

int open(const std::string& path) {
  const double rss0 = rss_mib();
  const auto start = Clock::now();
  const auto g = open_graph<float>(path);
  const double ms = ms_since(start);
  std::cout << "open compiled=" << g.is_mapped(0) << " nodes=" << g.num_nodes() << " edges=" << g.num_edges() << " ms=" << ms
            << " rss_before_mib=" << rss0 << " rss_after_mib=" << rss_mib() << " peak_rss_mib=" << peak_rss_mib() << "\n";
  return 0;
}

/// The demo tokenizer of `hgtok tokenize`: untrained MetaHGT, 64 wide, 4 heads, one layer, LLM width 4096, HiGPT's
/// IMDB type table; fan-outs 10, 5.
struct Demo {
  EmbeddingTable<float> table = EmbeddingTable<float>::load(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_types.safetensors");
  Tokenizer<float> tok;
  NeighborSampler sampler{{10, 5}, 0};
  std::vector<std::string> order{"movie", "director", "actor"};
  explicit Demo(Index in_channels, const std::string& dir = "")
      : tok(dir.empty() ? make(in_channels, table.dim()) : Tokenizer<float>::load(dir)) {}
  static Tokenizer<float> make(Index in, Index m) {
    TokenizerConfig c;
    c.in_channels = in;
    c.hidden_channels = 64;
    c.heads = 4;
    c.num_layers = 1;
    c.embedding_dim = m;
    c.llm_dim = 4096;
    return Tokenizer<float>::random(c, 0);
  }
};

int first(const std::string& path, Index target, const std::string& dir, Clock::time_point process_start) {
  const auto g = open_graph<float>(path);
  const double open_ms = ms_since(process_start);
  const Demo d(g.feature_dim(0), dir);
  const double tokenizer_ms = ms_since(process_start);
  const auto sub = d.sampler.sample(g, "movie", target);
  const double sample_ms = ms_since(process_start);
  const auto tokens = d.tok.tokenize(sub, {d.order, &d.table});
  const double ms = ms_since(process_start);
  std::cout << "first compiled=" << g.is_mapped(0) << " target=" << target << " tokens=" << tokens.size() << "x" << tokens.width()
            << " open_ms=" << open_ms << " tokenizer_ms=" << tokenizer_ms << " sampled_ms=" << sample_ms << " ms=" << ms
            << " peak_rss_mib=" << peak_rss_mib() << "\n";
  return 0;
}

int throughput(const std::string& path, Index n, int threads) {
  set_num_threads(threads);
  const auto t0 = Clock::now();
  const auto g = open_graph<float>(path);
  const double open_ms = ms_since(t0);
  const Demo d(g.feature_dim(0));
  std::vector<Index> targets;
  const Index movies = g.num_nodes("movie");
  for (Index i = 0; i < n; ++i) targets.push_back(static_cast<Index>(mix(static_cast<std::uint64_t>(i)) % static_cast<std::uint64_t>(movies)));
  const std::string dir = (std::filesystem::temp_directory_path() / ("bench_scale_" + std::to_string(::getpid()))).string();
  BatchOptions o;
  o.target_type = "movie";
  o.type_order = d.order;
  o.shard_size = 256;
  o.progress = 0;
  d.tok.tokenize(d.sampler.sample(g, "movie", 0), {d.order, &d.table});  // the projectors are generated once, outside the timing
  const auto t1 = Clock::now();
  const auto r = tokenize_batch(d.tok, g, d.table, d.sampler, targets, dir, o);
  const double s = ms_since(t1) / 1000.0;
  std::filesystem::remove_all(dir);
  std::cout << "throughput compiled=" << g.is_mapped(0) << " threads=" << threads << " targets=" << r.targets_done
            << " open_ms=" << open_ms << " s=" << s << " targets_per_s=" << static_cast<double>(r.targets_done) / s
            << " peak_rss_mib=" << peak_rss_mib() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto process_start = Clock::now();
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 3 && a[0] == "generate") return generate(std::stoll(a[1]), a[2]);
    if (a.size() == 2 && a[0] == "open") return open(a[1]);
    if (a.size() == 2 && a[0] == "save-demo") {
      Demo(64).tok.save(a[1]);
      return 0;
    }
    if (a.size() >= 2 && a.size() <= 4 && a[0] == "first")
      return first(a[1], a.size() >= 3 ? std::stoll(a[2]) : 0, a.size() == 4 ? a[3] : "", process_start);
    if ((a.size() == 3 || a.size() == 4) && a[0] == "throughput") return throughput(a[1], std::stoll(a[2]), a.size() == 4 ? std::stoi(a[3]) : 1);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_scale generate EDGES OUT | open FILE | save-demo DIR | first FILE [TARGET [DIR]] | "
               "throughput FILE N [THREADS]\n";
  return 2;
}
