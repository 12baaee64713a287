// The GEMM kernel's AVX-512 path, built with its seven 512-bit intrinsics emulated by pairs of AVX2 ones (each FMA
// still one fused AVX2 FMA), against the real AVX2 path: the same bytes at every edge of the kernel. This runs the
// AVX-512 path's logic (tiling, two-panel micro-kernel, masked edges) on hosts without AVX-512; test_gemm.cpp runs
// the real instructions where the CPU has them.
#include <immintrin.h>

#define EMULATED __attribute__((target("avx2,fma"), always_inline)) inline
namespace emulated {
struct V16 {  // a 512-bit float vector as two 256-bit halves
  __m256 lo, hi;
};
EMULATED V16 setzero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
EMULATED V16 load(const float* p) { return {_mm256_load_ps(p), _mm256_load_ps(p + 8)}; }
EMULATED V16 set1(float a) { return {_mm256_set1_ps(a), _mm256_set1_ps(a)}; }
EMULATED V16 fmadd(V16 a, V16 b, V16 c) { return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)}; }
EMULATED V16 add(V16 a, V16 b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
// Lanes whose mask bit is set are read (the others are 0) or written; the others are not touched.
EMULATED V16 maskz_loadu(unsigned short mask, const float* p) {
  alignas(32) float f[16];
  for (int i = 0; i < 16; ++i) f[i] = (mask >> i) & 1 ? p[i] : 0.0f;
  return {_mm256_load_ps(f), _mm256_load_ps(f + 8)};
}
EMULATED void mask_storeu(float* p, unsigned short mask, V16 v) {
  alignas(32) float f[16];
  _mm256_store_ps(f, v.lo);
  _mm256_store_ps(f + 8, v.hi);
  for (int i = 0; i < 16; ++i)
    if ((mask >> i) & 1) p[i] = f[i];
}
}  // namespace emulated

// Build the AVX-512 path for this CPU, its intrinsics mapped to the emulation before gemm.hpp is read.
#define HGTOK_TARGET_AVX512 __attribute__((target("avx2,fma")))
#define __m512 emulated::V16
#define __mmask16 unsigned short
#define _mm512_setzero_ps emulated::setzero
#define _mm512_load_ps emulated::load
#define _mm512_set1_ps emulated::set1
#define _mm512_fmadd_ps emulated::fmadd
#define _mm512_add_ps emulated::add
#define _mm512_maskz_loadu_ps emulated::maskz_loadu
#define _mm512_mask_storeu_ps emulated::mask_storeu

#include <cstring>

#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/nn/gemm.hpp"
#include "test_util.hpp"

using namespace hgtok;

namespace {
[[maybe_unused]] Matrix<float> random_matrix(Index rows, Index cols, Rng& rng) {
  Matrix<float> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return m;
}
[[maybe_unused]] bool same_bytes(const Matrix<float>& a, const Matrix<float>& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
}
}  // namespace

TEST_CASE("gemm's AVX-512 path, emulated, gives the AVX2 path's bytes", "[gemm][isa]") {
#ifndef HGTOK_GEMM_KERNEL
  WARN("SKIPPED: this build has no GEMM kernel (HGTOK_NO_GEMM_KERNEL, or not x86-64 with GCC/Clang)");
#else
  if (!detail::gemm_isa_supported(detail::GemmIsa::avx2)) {
    WARN("SKIPPED: this CPU has no AVX2/FMA, so there is no AVX2 path to compare the emulated AVX-512 path with");
    return;
  }
  Rng rng(19, 0);
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    for (Index m : {1, 2, 5, 6, 7, 11, 12, 13, 25, 131})
      for (Index k : {1, 3, 255, 256, 257, 600})
        for (Index n : {1, 7, 16, 17, 31, 32, 33, 129, 144, 300}) {
          const Matrix<float> x = random_matrix(m, k, rng), w = random_matrix(k, n, rng);
          const detail::PackedWeight packed(w);
          Matrix<float> avx2 = Matrix<float>::Constant(m, n, 5.0f), avx512 = avx2, avx512_packed = avx2;
          detail::gemm_kernel<detail::GemmAvx2>(x.data(), k, w.data(), n, nullptr, avx2.data(), n, m, k, n);
          detail::gemm_kernel<detail::GemmAvx512>(x.data(), k, w.data(), n, nullptr, avx512.data(), n, m, k, n);
          detail::gemm_kernel<detail::GemmAvx512>(x.data(), k, w.data(), n, packed.data(), avx512_packed.data(), n,
                                                  m, k, n);
          INFO("threads=" << threads << " m=" << m << " k=" << k << " n=" << n);
          REQUIRE(same_bytes(avx512, avx2));
          REQUIRE(same_bytes(avx512_packed, avx2));
        }
    // Strided x, W and y: only y's block is written.
    const Matrix<float> big_x = random_matrix(50, 700, rng), big_w = random_matrix(600, 90, rng);
    Matrix<float> y2 = Matrix<float>::Constant(60, 100, 7.0f), y512 = y2;
    const float* x = big_x.data() + 3 * 700 + 5;
    const float* w = big_w.data() + 11 * 90 + 2;
    detail::gemm_kernel<detail::GemmAvx2>(x, 700, w, 90, nullptr, y2.data() + 4 * 100 + 9, 100, 41, 513, 37);
    detail::gemm_kernel<detail::GemmAvx512>(x, 700, w, 90, nullptr, y512.data() + 4 * 100 + 9, 100, 41, 513, 37);
    REQUIRE(same_bytes(y512, y2));
  }
#endif
}
