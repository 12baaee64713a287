// Tokenizing from a compiled (memory-mapped) graph: the same shard bytes as from the loaded graph, and out of core —
// a graph several times larger than a memory limit set in a child process is tokenized there, where loading it
// into memory fails under the same limit.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <hgtok/hgtok.hpp>
#include <string>
#include <vector>

#include "batch_setup.hpp"
#include "test_util.hpp"

namespace test_compiled_batch {

// AddressSanitizer reserves terabytes of address space and aborts on a failed allocation instead of throwing
// std::bad_alloc: under it the memory limits cannot be tested, and the out-of-core test runs without them.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kLimitsTestable = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kLimitsTestable = false;
#else
constexpr bool kLimitsTestable = true;
#endif
#else
constexpr bool kLimitsTestable = true;
#endif

using namespace hgtok;
using hgtok_test::batch_options;
using hgtok_test::read_bytes;
using hgtok_test::TempDir;

/// Every file under `dir` with its bytes, by relative path.
std::map<std::string, std::vector<unsigned char>> files_of(const std::string& dir) {
  std::map<std::string, std::vector<unsigned char>> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file()) out[std::filesystem::relative(f.path(), dir).string()] = read_bytes(f.path().string());
  return out;
}

TEST_CASE("compiled graph: batch tokenizing from the mapped graph writes the loaded graph's bytes", "[tokenizer][batch]") {
  const auto& s = hgtok_test::batch_setup();
  TempDir dir;
  compile_graph(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors", dir.file("g.safetensors"));
  const auto mapped = open_compiled_graph<float>(dir.file("g.safetensors"));
  REQUIRE(mapped.is_mapped(0));
  const auto a = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("loaded"), batch_options());
  const auto b = tokenize_batch(s.tok, mapped, s.table, s.sampler, s.targets, dir.file("mapped"), batch_options());
  CHECK(a.failed.size() == 1);  // target 25 is out of range, in both
  CHECK(b.failed.size() == 1);
  const auto fa = files_of(dir.file("loaded")), fb = files_of(dir.file("mapped"));
  REQUIRE(fa.size() == fb.size());
  for (const auto& [name, bytes] : fa) {
    INFO(name);
    if (name == "index.json") continue;  // holds timings
    REQUIRE(fb.count(name));
    CHECK(fb.at(name) == bytes);
  }
  // A single target through the tokenizer, with 1 and 2 threads.
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    const auto ta = s.tok.tokenize(s.sampler.sample(s.graph, "movie", 7), {s.order, &s.table});
    const auto tb = s.tok.tokenize(s.sampler.sample(mapped, "movie", 7), {s.order, &s.table});
    CHECK(ta.tokens == tb.tokens);
  }
}

/// An IMDB-shaped graph (the fixture tokenizer's types, 16-wide features) of `movies` movies, movies / 4 directors
/// and `movies` actors; each movie has one director and three actors, each edge in both directions.
void write_imdb_like(const std::string& path, Index movies) {
  const Index directors = movies / 4, actors = movies, width = 16;
  const Index cast = 3 * movies;
  std::vector<SafetensorsImage::Tensor> tensors{{"x/movie", Dtype::F32, {movies, width}},
                                                {"x/director", Dtype::F32, {directors, width}},
                                                {"x/actor", Dtype::F32, {actors, width}},
                                                {"edge_index/movie__to__director", Dtype::I64, {2, movies}},
                                                {"edge_index/director__to__movie", Dtype::I64, {2, movies}},
                                                {"edge_index/movie__to__actor", Dtype::I64, {2, cast}},
                                                {"edge_index/actor__to__movie", Dtype::I64, {2, cast}}};
  SafetensorsImage image(tensors, {{"node_types", "[\"movie\", \"director\", \"actor\"]"},
                                   {"edge_types", "[\"movie__to__director\", \"director__to__movie\", \"movie__to__actor\", "
                                                  "\"actor__to__movie\"]"}});
  std::uint64_t state = 12345;
  const auto next = [&] {  // a fixed LCG: the same graph on every machine
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (const char* type : {"x/movie", "x/director", "x/actor"}) {
    const auto& shape = std::find_if(tensors.begin(), tensors.end(), [&](const auto& t) { return t.name == type; })->shape;
    float* x = image.data<float>(type);
    for (Index i = 0; i < shape[0] * shape[1]; ++i) x[i] = static_cast<float>(next() % 2001) / 1000.0f - 1.0f;
  }
  Index* md = image.data<Index>("edge_index/movie__to__director");
  Index* dm = image.data<Index>("edge_index/director__to__movie");
  for (Index m = 0; m < movies; ++m) {
    const auto d = static_cast<Index>(next() % static_cast<std::uint64_t>(directors));
    md[m] = dm[movies + m] = m;
    md[movies + m] = dm[m] = d;
  }
  Index* ma = image.data<Index>("edge_index/movie__to__actor");
  Index* am = image.data<Index>("edge_index/actor__to__movie");
  for (Index e = 0; e < cast; ++e) {
    const auto a = static_cast<Index>(next() % static_cast<std::uint64_t>(actors));
    ma[e] = am[cast + e] = e / 3;
    ma[cast + e] = am[e] = a;
  }
  image.save(path, false);
}

/// This process's VmData or VmSize (/proc/self/status), in bytes.
std::uint64_t vm_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  return 0;
}

/// Runs `body` in a child process whose `resource` limit is set to what it uses now plus `headroom` bytes, one
/// thread; returns the child's exit code: 0 when body returned, 10 IOError, 11 another hgtok::Error, 12 bad_alloc,
/// 13 another exception.
int in_limited_child(int resource, const char* vm_key, std::uint64_t headroom, const std::function<void()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      set_num_threads(1);
      const rlimit limit{vm_bytes(vm_key) + headroom, vm_bytes(vm_key) + headroom};
      if (::setrlimit(resource, &limit) != 0) ::_exit(20);
      body();
    } catch (const IOError&) {
      code = 10;
    } catch (const Error&) {
      code = 11;
    } catch (const std::bad_alloc&) {
      code = 12;
    } catch (...) {
      code = 13;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("out of core: a graph larger than the memory limit is tokenized from its compiled file", "[tokenizer][batch]") {
  const auto& s = hgtok_test::batch_setup();
  TempDir dir;
  const std::string source = dir.file("big.safetensors"), compiled = dir.file("big.compiled.safetensors");
  const Index movies = kLimitsTestable ? 400000 : 40000;  // 0.9 M nodes, 3.2 M edges (a tenth without limits)
  write_imdb_like(source, movies);
  compile_graph(source, compiled);
  constexpr std::uint64_t kLimit = std::uint64_t(64) << 20;  // 64 MiB above what the process holds
  const auto compiled_bytes = std::filesystem::file_size(compiled);
  INFO("compiled file: " << compiled_bytes << " bytes");
  if (kLimitsTestable) REQUIRE(compiled_bytes > 2 * kLimit);
  const std::vector<Index> targets{0, 1, movies / 4 - 1, movies * 5 / 8, movies - 1, movies * 3 / 10, 7, movies * 3 / 4 + 1};
  const std::vector<Index> actor_targets{0, 5, movies - 2};

  // Under the memory limit (RLIMIT_DATA: heap and anonymous memory, not the file mapping) the compiled graph opens and
  // tokenizes ...
  const auto tokenize_all = [&] {
    const auto g = open_compiled_graph<float>(compiled);
    tokenize_batch(s.tok, g, s.table, s.sampler, targets, dir.file("limited"), batch_options());
    auto o = batch_options();
    o.target_type = "actor";
    tokenize_batch(s.tok, g, s.table, s.sampler, actor_targets, dir.file("limited_actor"), o);
  };
  if (kLimitsTestable)
    CHECK(in_limited_child(RLIMIT_DATA, "VmData", kLimit, tokenize_all) == 0);
  else
    tokenize_all();
  // ... with the bytes the same run gives without a limit ...
  const auto g = open_compiled_graph<float>(compiled);
  tokenize_batch(s.tok, g, s.table, s.sampler, targets, dir.file("free"), batch_options());
  const auto fa = files_of(dir.file("limited")), fb = files_of(dir.file("free"));
  REQUIRE(fa.size() == fb.size());
  for (const auto& [name, bytes] : fa)
    if (name != "index.json") CHECK(fb.at(name) == bytes);
  CHECK(fa.size() == 4);  // three shards and the index
  CHECK(files_of(dir.file("limited_actor")).size() == 2);  // one shard and the index
  if (!kLimitsTestable) return;
  // ... while loading the same graph into memory fails under the same limit: the limit is real.
  CHECK(in_limited_child(RLIMIT_DATA, "VmData", kLimit, [&] { load_graph<float>(source); }) == 12);
  // An address-space limit (RLIMIT_AS, ulimit -v) counts the mapping itself: a file larger than it cannot be mapped,
  // which is an IOError, not a crash (docs/compiled-graphs.md).
  CHECK(in_limited_child(RLIMIT_AS, "VmSize", kLimit, [&] { open_compiled_graph<float>(compiled); }) == 10);
}

}  // namespace test_compiled_batch
