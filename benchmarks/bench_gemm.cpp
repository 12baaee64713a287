// Dense float products y = x·W at hgtok's shapes: hgtok's kernel (detail::gemm, nn/gemm.hpp) against Eigen's
// product on the same matrices. Shapes (M × K × N): a 14-node subgraph and a 40-node node type against HiGPT's
// 768 × 2304 K/Q/V projector and the 768 × 4096 graph_projector; Sentence-BERT's (MiniLM) QKV-like and
// feed-forward-out products on 512 rows; 1024³. Eigen runs on one thread (Eigen::setNbThreads(1)); hgtok's
// kernel uses OMP_NUM_THREADS, so run at OMP_NUM_THREADS=1 to compare like with like.
#include <benchmark/benchmark.h>

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
void BM_Gemm_Eigen(benchmark::State& state) { run(state, false); }

}  // namespace

#define HGTOK_GEMM_SHAPES                                                                                         \
  ->Args({14, 768, 2304})->Args({40, 768, 2304})->Args({14, 768, 4096})->Args({512, 384, 1536})                  \
      ->Args({512, 1536, 384})->Args({1024, 1024, 1024})->UseRealTime()
BENCHMARK(BM_Gemm_Hgtok) HGTOK_GEMM_SHAPES;
BENCHMARK(BM_Gemm_Eigen) HGTOK_GEMM_SHAPES;
BENCHMARK_MAIN();
