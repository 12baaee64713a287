// Dense float products y = x·W at hgtok's shapes: hgtok's kernel (detail::gemm, nn/gemm.hpp) against Eigen's
// product on the same matrices. Shapes (M × K × N): a 14-node subgraph and a 40-node node type against HiGPT's
// 768 × 2304 K/Q/V projector and the 768 × 4096 graph_projector; Sentence-BERT's (MiniLM) QKV-like and
// feed-forward-out products on 512 rows; 1024³. Eigen runs on one thread (Eigen::setNbThreads(1)); hgtok's
// kernel uses OMP_NUM_THREADS, so run at OMP_NUM_THREADS=1 to compare like with like.
#include <benchmark/benchmark.h>

#include <vector>

#include "hgtok/nn/gemm.hpp"

using namespace hgtok;

namespace {

void run(benchmark::State& state, bool kernel) {
  const Index m = state.range(0), k = state.range(1), n = state.range(2);
  const Matrix<float> a = Matrix<float>::Random(m, k), b = Matrix<float>::Random(k, n);
  Matrix<float> c(m, n);
  Eigen::setNbThreads(1);
  for (auto _ : state) {
    if (kernel)
      detail::gemm<float>(a, b, c);
    else
      c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * m * k * n, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kernel && !detail::gemm_uses_kernel<float>() ? "no AVX2/FMA: Eigen" : "");
}
void BM_Gemm_Hgtok(benchmark::State& state) { run(state, true); }

/// Like a MetaHGT forward: range(3) different weights of the same shape used in turn, more than the L3 holds
/// together (4 × 768 × 2304 floats = 28 MB), so W comes from memory. Plain row-major W, or PackedWeight.
void run_weights(benchmark::State& state, bool packed) {
  const Index m = state.range(0), k = state.range(1), n = state.range(2), count = state.range(3);
  const Matrix<float> a = Matrix<float>::Random(m, k);
  std::vector<Matrix<float>> ws;
  std::vector<detail::PackedWeight> ps;
  for (Index i = 0; i < count; ++i) {
    ws.push_back(Matrix<float>::Random(k, n));
    if (packed) ps.emplace_back(ws.back());
  }
  Matrix<float> c(m, n);
  for (auto _ : state) {
    for (Index i = 0; i < count; ++i) {
      detail::gemm<float>(a, ws[static_cast<std::size_t>(i)], c, packed ? &ps[static_cast<std::size_t>(i)] : nullptr);
      benchmark::DoNotOptimize(c.data());
    }
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * k * n * count, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_Gemm_Hgtok_Weights(benchmark::State& state) { run_weights(state, false); }
void BM_Gemm_Hgtok_PackedWeights(benchmark::State& state) { run_weights(state, true); }
void BM_Gemm_Eigen(benchmark::State& state) { run(state, false); }

}  // namespace

#define HGTOK_GEMM_SHAPES                                                                                         \
  ->Args({14, 768, 2304})->Args({40, 768, 2304})->Args({14, 768, 4096})->Args({512, 384, 1536})                  \
      ->Args({512, 1536, 384})->Args({1024, 1024, 1024})->UseRealTime()
BENCHMARK(BM_Gemm_Hgtok) HGTOK_GEMM_SHAPES;
BENCHMARK(BM_Gemm_Eigen) HGTOK_GEMM_SHAPES;
BENCHMARK(BM_Gemm_Hgtok_Weights)->Args({40, 768, 2304, 4})->Args({14, 768, 2304, 4})->Args({40, 768, 768, 4})->UseRealTime();
BENCHMARK(BM_Gemm_Hgtok_PackedWeights)->Args({40, 768, 2304, 4})->Args({14, 768, 2304, 4})->Args({40, 768, 768, 4})->UseRealTime();
BENCHMARK_MAIN();
