// HAN benchmarks (docs/benchmarks.md, "HAN").
//
// BM_HAN: HANConv forward (float), 10,000 nodes in 3 types (paper 5000, author 3000, subject 2000), width 128,
//   8 heads, 3 metapath relations (paper-author-paper 40,000 edges, author-paper-author 30,000,
//   subject-paper-subject 30,000: 100,000 edges).
// BM_AddMetapaths: add_metapaths building those 3 metapath relations from 6 plain relations
//   (paper<->author 20,000 edges each way, paper<->subject 10,000 each way).
//
// Inputs are random unless HGTOK_BENCH_DIR names a directory written by benchmarks/compare_han.py
// (han_graph.safetensors, han_weights.safetensors): then the same graph and weights as the PyG side.
// Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "hgtok/conv/han.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/graph/metapath.hpp"

#include "bench_util.hpp"

using namespace hgtok;
using hgtok_bench::random_edges;
using hgtok_bench::random_matrix;

namespace {

std::string bench_dir() {
  const char* d = std::getenv("HGTOK_BENCH_DIR");
  return d ? std::string(d) : std::string();
}

void add_nodes(HeteroGraph<float>& g, Rng& rng) {
  g.add_node_type("paper", random_matrix(5000, 128, 1, rng));
  g.add_node_type("author", random_matrix(3000, 128, 1, rng));
  g.add_node_type("subject", random_matrix(2000, 128, 1, rng));
}

struct Workload {
  HeteroGraph<float> g;
  HANConv<float> conv;
  Workload() {
    const std::string dir = bench_dir();
    std::map<std::string, Index> in{{"paper", 128}, {"author", 128}, {"subject", 128}};
    if (!dir.empty()) {
      g = load_graph<float>(dir + "/han_graph.safetensors");
      conv = HANConv<float>::load(WeightStore::load(dir + "/han_weights.safetensors"), "", in, 128, 8, g.edge_types());
      return;
    }
    Rng rng(11, 0);
    add_nodes(g, rng);
    random_edges(g, {"paper", "metapath_0", "paper"}, 40000, rng);
    random_edges(g, {"author", "metapath_1", "author"}, 30000, rng);
    random_edges(g, {"subject", "metapath_2", "subject"}, 30000, rng);
    WeightStore w;
    for (const auto& t : g.node_types()) {
      w.add<float>("proj." + t + ".weight", random_matrix(128, 128, 0.09f, rng));
      w.add<float>("proj." + t + ".bias", Vector<float>(random_matrix(128, 1, 0.09f, rng)));
    }
    for (const auto& e : g.edge_types()) {
      w.add<float>("lin_src." + e.key(), Shape{1, 8, 16}, random_matrix(128, 1, 0.3f, rng).data());
      w.add<float>("lin_dst." + e.key(), Shape{1, 8, 16}, random_matrix(128, 1, 0.3f, rng).data());
    }
    w.add<float>("k_lin.weight", random_matrix(128, 128, 0.09f, rng));
    w.add<float>("k_lin.bias", Vector<float>(random_matrix(128, 1, 0.09f, rng)));
    w.add<float>("q", Shape{1, 128}, random_matrix(128, 1, 0.3f, rng).data());
    conv = HANConv<float>::load(w, "", in, 128, 8, g.edge_types());
  }
};

void BM_HAN(benchmark::State& state) {
  static const Workload w;
  for (auto _ : state) {
    auto out = w.conv.forward(w.g);
    benchmark::DoNotOptimize(out);
  }
  state.counters["threads"] = num_threads();
}
BENCHMARK(BM_HAN)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AddMetapaths(benchmark::State& state) {
  static const HeteroGraph<float> g = [] {
    Rng rng(13, 0);
    HeteroGraph<float> h;
    add_nodes(h, rng);
    random_edges(h, {"paper", "written_by", "author"}, 20000, rng);
    random_edges(h, {"author", "writes", "paper"}, 20000, rng);
    random_edges(h, {"paper", "has", "subject"}, 10000, rng);
    random_edges(h, {"subject", "of", "paper"}, 10000, rng);
    return h;
  }();
  const EdgeType pa{"paper", "written_by", "author"}, ap{"author", "writes", "paper"}, ps{"paper", "has", "subject"},
      sp{"subject", "of", "paper"};
  const std::vector<Metapath> paths{{pa, ap}, {ap, pa}, {sp, ps}};
  for (auto _ : state) {
    auto out = add_metapaths(g, paths, true);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_AddMetapaths)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
