// HGT and MetaHGT benchmarks (docs/benchmarks.md, "HGT and MetaHGT").
//
// Workload A (HiGPT's real size): MetaHGT, in = out = 768, 12 heads, type-embedding width 768, IMDB-like
//   subgraph of 100 nodes (40 movie, 20 director, 40 actor), 4 edge types, 300 edges, HiGPT's IMDB type table.
// Workload B: HGT, 10,000 nodes in 3 types (paper 5000, author 3000, venue 2000), 100,000 edges in 4 edge
//   types, width 128, 8 heads.
// Sgemm: Eigen float GEMM 1024³ on one thread (the yardstick for the dense part).
//
// Inputs are random unless HGTOK_BENCH_DIR names a directory written by benchmarks/compare_hgt.py
// (a_graph/a_weights/a_table.safetensors, b_graph/b_weights.safetensors): then the same graphs, weights and
// table as the PyTorch side. Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "hgtok/conv/hgt.hpp"
#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/text/embedding_table.hpp"

#include "bench_util.hpp"

using namespace hgtok;
using hgtok_bench::random_edges;
using hgtok_bench::random_matrix;

namespace {

std::string bench_dir() {
  const char* d = std::getenv("HGTOK_BENCH_DIR");
  return d ? std::string(d) : std::string();
}

struct WorkloadB {
  HeteroGraph<float> g;
  HGTConv<float> conv;
  WorkloadB() {
    const std::string dir = bench_dir();
    if (!dir.empty()) {
      g = load_graph<float>(dir + "/b_graph.safetensors");
      std::map<std::string, Index> in;
      for (const auto& t : g.node_types()) in[t] = g.feature_dim(g.node_type_id(t));
      conv = HGTConv<float>::load(WeightStore::load(dir + "/b_weights.safetensors"), "", in, 128, 8, g.node_types(),
                                  g.edge_types());
      return;
    }
    Rng rng(7, 0);
    g.add_node_type("paper", random_matrix(5000, 128, 1, rng));
    g.add_node_type("author", random_matrix(3000, 128, 1, rng));
    g.add_node_type("venue", random_matrix(2000, 128, 1, rng));
    random_edges(g, {"author", "writes", "paper"}, 40000, rng);
    random_edges(g, {"paper", "written_by", "author"}, 40000, rng);
    random_edges(g, {"paper", "published_in", "venue"}, 10000, rng);
    random_edges(g, {"venue", "publishes", "paper"}, 10000, rng);
    WeightStore w;
    const Index d = 16;
    for (const auto& t : g.node_types()) {
      w.add<float>("kqv_lin.lins." + t + ".weight", random_matrix(384, 128, 0.09f, rng));
      w.add<float>("kqv_lin.lins." + t + ".bias", Vector<float>(random_matrix(384, 1, 0.09f, rng)));
      w.add<float>("out_lin.lins." + t + ".weight", random_matrix(128, 128, 0.09f, rng));
      w.add<float>("out_lin.lins." + t + ".bias", Vector<float>(random_matrix(128, 1, 0.09f, rng)));
      w.add<float>("skip." + t, Shape{1}, random_matrix(1, 1, 1, rng).data());
    }
    const Matrix<float> rel = random_matrix(8 * 4 * d, d, 0.4f, rng);
    w.add<float>("k_rel.weight", Shape{32, d, d}, rel.data());
    w.add<float>("v_rel.weight", Shape{32, d, d}, rel.data());
    for (const auto& e : g.edge_types()) w.add<float>("p_rel." + e.key(), Shape{1, 8}, random_matrix(1, 8, 1, rng).data());
    std::map<std::string, Index> in{{"paper", 128}, {"author", 128}, {"venue", 128}};
    conv = HGTConv<float>::load(w, "", in, 128, 8, g.node_types(), g.edge_types());
  }
};

struct WorkloadA {
  HeteroGraph<float> g;
  std::unique_ptr<MetaHGTConv<float>> conv;
  EmbeddingTable<float> table;
  WorkloadA() {
    const std::string dir = bench_dir();
    if (!dir.empty()) {
      g = load_graph<float>(dir + "/a_graph.safetensors");
      table = EmbeddingTable<float>::load(dir + "/a_table.safetensors");
      conv = std::make_unique<MetaHGTConv<float>>(
          MetaHGTConv<float>::load(WeightStore::load(dir + "/a_weights.safetensors"), "", 768, 768, 12, 768));
      return;
    }
    Rng rng(11, 0);
    g.add_node_type("movie", random_matrix(40, 768, 1, rng));
    g.add_node_type("director", random_matrix(20, 768, 1, rng));
    g.add_node_type("actor", random_matrix(40, 768, 1, rng));
    random_edges(g, {"movie", "to", "director"}, 75, rng);
    random_edges(g, {"director", "to", "movie"}, 75, rng);
    random_edges(g, {"movie", "to", "actor"}, 75, rng);
    random_edges(g, {"actor", "to", "movie"}, 75, rng);
    table = EmbeddingTable<float>::load(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_types.safetensors");
    conv = std::make_unique<MetaHGTConv<float>>(768, 768, 12, 768);
    hgtok_bench::randomize_generators(*conv, rng);
  }
};

WorkloadA& workload_a() {
  static WorkloadA w;
  return w;
}
WorkloadB& workload_b() {
  static WorkloadB w;
  return w;
}

void BM_HGT_WorkloadB(benchmark::State& state) {
  auto& w = workload_b();
  for (auto _ : state) benchmark::DoNotOptimize(w.conv.forward(w.g));
  state.counters["threads"] = num_threads();
}

// Only the dense part of workload B (the per-type K/Q/V and output GEMMs, same matrices), for the sgemm fraction.
void BM_HGT_WorkloadB_Dense(benchmark::State& state) {
  auto& w = workload_b();
  double flops = 0;
  for (const auto& t : w.g.node_types()) flops += 2.0 * w.g.num_nodes(t) * 128 * (384 + 128);
  for (auto _ : state) {
    for (const auto& t : w.g.node_types()) {
      Matrix<float> kqv(w.g.num_nodes(t), 384), o(w.g.num_nodes(t), 128);
      detail::blocked_linear(*w.conv.kqv_lin().get(t), w.g.x(t), kqv);
      detail::blocked_linear(*w.conv.out_lin().get(t), kqv.leftCols(128), o);
      benchmark::DoNotOptimize(o.data());
    }
  }
  state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MetaHGT_WorkloadA_Cached(benchmark::State& state) {
  auto& w = workload_a();
  w.conv->forward(w.g, w.table);  // generate once
  for (auto _ : state) benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
  state.counters["cache_MB"] = static_cast<double>(w.conv->cache_bytes()) / 1e6;
}

void BM_MetaHGT_WorkloadA_Regenerate(benchmark::State& state) {
  auto& w = workload_a();
  for (auto _ : state) {
    w.conv->clear_cache();
    benchmark::DoNotOptimize(w.conv->forward(w.g, w.table));
  }
}

void BM_Sgemm1024(benchmark::State& state) {
  Rng rng(3, 0);
  const Matrix<float> a = random_matrix(1024, 1024, 1, rng), b = random_matrix(1024, 1024, 1, rng);
  Matrix<float> c(1024, 1024);
  const int saved = Eigen::nbThreads();
  Eigen::setNbThreads(1);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  Eigen::setNbThreads(saved);
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * 1024 * 1024 * 1024 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_HGT_WorkloadB)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HGT_WorkloadB_Dense)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MetaHGT_WorkloadA_Cached)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MetaHGT_WorkloadA_Regenerate)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Sgemm1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
