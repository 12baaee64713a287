// Cold start on unseen types (docs/benchmarks.md, "Cold start"): MetaHGT at HiGPT's size (in = out = 768, 12 heads,
// type-embedding width 768) on a 2,000-node graph of 5 node types (400 each) and 9 edge types (4,000 edges each),
// whose types the layer has never seen, so the call generates every projector first.
//
//   BM_ColdStart_FirstCall        the process's first forward (nothing cached, nothing run before)
//   BM_ColdStart_OneTypeAtATime   cache cleared, projectors generated type by type (before generate_many), then forward
//   BM_ColdStart_Batched          cache cleared, forward (all pending types of a generator in one pass)
//   BM_Warm                       every projector cached
//
// Inputs are random unless HGTOK_BENCH_DIR names a directory written by benchmarks/compare_cold_start.py
// (c_graph/c_weights/c_table.safetensors): then the graph, weights and table HiGPT's MetaHGTConv ran on.
// Memory: the generator weights, 3.6 GB. Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "bench_util.hpp"
#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/text/embedding_table.hpp"

using namespace hgtok;
using hgtok_bench::random_edges;
using hgtok_bench::random_matrix;

namespace {

struct Workload {
  HeteroGraph<float> g;
  std::unique_ptr<MetaHGTConv<float>> conv;
  EmbeddingTable<float> table;
  Workload() {
    const char* dir = std::getenv("HGTOK_BENCH_DIR");
    if (dir != nullptr) {
      const std::string d = dir;
      g = load_graph<float>(d + "/c_graph.safetensors");
      table = EmbeddingTable<float>::load(d + "/c_table.safetensors");
      conv = std::make_unique<MetaHGTConv<float>>(
          MetaHGTConv<float>::load(WeightStore::load(d + "/c_weights.safetensors"), "", 768, 768, 12, 768));
      return;
    }
    Rng rng(13, 0);
    const char* types[] = {"movie", "director", "actor", "writer", "company"};
    for (const char* t : types) g.add_node_type(t, random_matrix(400, 768, 1, rng));
    for (const char* t : {"director", "actor", "writer", "company"}) {
      random_edges(g, {"movie", "to", t}, 4000, rng);
      random_edges(g, {t, "to", "movie"}, 4000, rng);
    }
    random_edges(g, {"actor", "to", "director"}, 4000, rng);
    for (const auto& t : g.node_types()) table.add_node(t, Vector<float>(random_matrix(768, 1, 1, rng)));
    for (const auto& e : g.edge_types()) table.add_edge(e, Vector<float>(random_matrix(768, 1, 1, rng)));
    conv = std::make_unique<MetaHGTConv<float>>(768, 768, 12, 768);
    hgtok_bench::randomize_generators(*conv, rng);
  }
};

Workload& workload() {
  static Workload w;
  return w;
}

void BM_ColdStart_FirstCall(benchmark::State& state) {
  auto& w = workload();
  for (auto _ : state) benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
  state.counters["threads"] = num_threads();
}

void BM_ColdStart_OneTypeAtATime(benchmark::State& state) {
  auto& w = workload();
  for (auto _ : state) {
    w.conv->clear_cache();
    for (const auto& t : w.g.node_types()) {
      w.conv->kqv_lin().get(t, &w.table.node(t));
      w.conv->out_lin().get(t, &w.table.node(t));
    }
    for (const auto& e : w.g.edge_types()) {
      w.conv->k_rel().get(e.key(), &w.table.edge(e));
      w.conv->v_rel().get(e.key(), &w.table.edge(e));
    }
    benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
  }
}

void BM_ColdStart_Batched(benchmark::State& state) {
  auto& w = workload();
  for (auto _ : state) {
    w.conv->clear_cache();
    benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
  }
}

void BM_Warm(benchmark::State& state) {
  auto& w = workload();
  w.conv->forward(w.g, w.table);
  for (auto _ : state) benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
}

}  // namespace

BENCHMARK(BM_ColdStart_FirstCall)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_ColdStart_OneTypeAtATime)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK(BM_ColdStart_Batched)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Warm)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK_MAIN();
