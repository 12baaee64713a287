// HetGNN benchmarks (docs/benchmarks.md, "HetGNN per-node cost").
//
// An academic-like graph as in the HetGNN paper's setting: 10,000 nodes in 3 types (paper 5000, author 3000,
// venue 2000), 60,000 edges (paper<->author 20,000 each way, paper<->venue 5,000 each way),
// content features of width 128 (one content vector per node), output width d = 128.
//
// BM_RandomWalk:   RandomWalkWithRestart over every node (restart 0.5, walk length 100, top-10 per type).
// BM_HetGNN:       HetGNN forward (static per-type BiLSTMs and attention) over every node, neighbours given.
// BM_MetaHetGNN:   MetaHetGNN forward (type parameters generated from 64-wide type embeddings, cached).
//
// Counters: per_node = wall time per embedded (or sampled) node; threads. Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hgtok/conv/hetgnn.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/text/embedding_table.hpp"

#include "bench_util.hpp"

using namespace hgtok;
using hgtok_bench::random_edges;
using hgtok_bench::random_matrix;

namespace {

constexpr Index kWidth = 128, kOut = 128, kEmbedding = 64;

/// Every tensor of a zero model's state_dict redrawn uniformly from ±1/√fan_in.
WeightStore randomized(const WeightStore& shapes, Rng& rng) {
  WeightStore w;
  for (const auto& name : shapes.names()) {
    const Shape shape = shapes.shape(name);
    Index n = 1;
    for (auto d : shape) n *= d;
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape.size() == 2 ? shape[1] : shape[0]));
    const Matrix<float> v = random_matrix(n, 1, scale, rng);
    w.add<float>(name, shape, v.data());
  }
  return w;
}

struct Workload {
  HeteroGraph<float> g;
  HetNeighbors neighbors;
  RandomWalkWithRestart walk{0.5, 100, 10, 7};
  HetGNN<float> hetgnn;
  MetaHetGNN<float> meta;
  EmbeddingTable<float> table;
  Workload() {
    Rng rng(21, 0);
    g.add_node_type("paper", random_matrix(5000, kWidth, 1, rng));
    g.add_node_type("author", random_matrix(3000, kWidth, 1, rng));
    g.add_node_type("venue", random_matrix(2000, kWidth, 1, rng));
    random_edges(g, {"paper", "written_by", "author"}, 20000, rng);
    random_edges(g, {"author", "writes", "paper"}, 20000, rng);
    random_edges(g, {"paper", "published_in", "venue"}, 5000, rng);
    random_edges(g, {"venue", "publishes", "paper"}, 5000, rng);
    neighbors = walk.sample(g);
    const std::map<std::string, Index> dims{{"paper", kWidth}, {"author", kWidth}, {"venue", kWidth}};
    WeightStore shapes;
    HetGNN<float>(dims, kOut).save(shapes);
    hetgnn = HetGNN<float>::load(randomized(shapes, rng), "", dims, kOut);
    WeightStore meta_shapes;
    MetaHetGNN<float>(kWidth, kOut, kEmbedding).save(meta_shapes);
    meta = MetaHetGNN<float>::load(randomized(meta_shapes, rng), "", kWidth, kOut, kEmbedding);
    for (const auto& t : g.node_types()) table.add_node(t, Vector<float>(random_matrix(kEmbedding, 1, 1, rng)));
  }
  Index nodes() const {
    Index n = 0;
    for (Index t = 0; t < g.num_node_types(); ++t) n += g.num_nodes(t);
    return n;
  }
};

const Workload& workload() {
  static const Workload w;
  return w;
}

void per_node(benchmark::State& state, Index nodes) {
  state.counters["per_node"] = benchmark::Counter(static_cast<double>(nodes),
                                                     benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["threads"] = num_threads();
}

void BM_RandomWalk(benchmark::State& state) {
  const auto& w = workload();
  for (auto _ : state) {
    auto nb = w.walk.sample(w.g);
    benchmark::DoNotOptimize(nb);
  }
  per_node(state, w.nodes());
}
BENCHMARK(BM_RandomWalk)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HetGNN(benchmark::State& state) {
  const auto& w = workload();
  for (auto _ : state) {
    auto out = w.hetgnn.forward(w.g, w.neighbors);
    benchmark::DoNotOptimize(out);
  }
  per_node(state, w.nodes());
}
BENCHMARK(BM_HetGNN)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MetaHetGNN(benchmark::State& state) {
  const auto& w = workload();
  for (auto _ : state) {
    auto out = w.meta.forward(w.g, w.neighbors, w.table);
    benchmark::DoNotOptimize(out);
  }
  per_node(state, w.nodes());
}
BENCHMARK(BM_MetaHetGNN)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
