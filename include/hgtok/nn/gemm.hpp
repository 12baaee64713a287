// Dense products y = x·W for row-major matrices (x [M, K], W [K, N], y [M, N]).
//
// Float on x86-64 CPUs with AVX2 and FMA (checked at run time, so builds without -march flags get it too) runs
// hgtok's own kernel; everything else runs Eigen's product. The kernel computes every element of y with one fixed
// sequence of operations that depends only on K: the dot product runs in blocks of kGemmDepth terms, each a chain
// of fused multiply-adds from zero, and the blocks are added to y in order. So a row of y is bitwise the same
// whether x holds that row alone or among thousands, for any split of the columns and any thread count. That is
// what lets hgtok tokenize many targets in one product and still give each target the tokens it gets alone.
//
// The kernel has two instruction paths, picked at run time: AVX2 (8 columns per instruction) and AVX-512F (16, on
// CPUs that have it). Both run the same chain per element, so they give the same bytes and tokens do not depend on
// the CPU. Eigen's product (no AVX2, or HGTOK_NO_GEMM_KERNEL) rounds in another order and may differ in the last
// bits. HGTOK_GEMM_ISA=eigen|avx2|avx512 in the environment, or set_gemm_isa(), picks a path by hand.
//
// Why not a BLAS: none promises results independent of the number of rows (kernels for edge rows and blocking
// choices differ with M), and small-M products (tens of nodes against a 768×2304 projector, hgtok's common case)
// pay for repacking the whole weight on every call. This kernel packs a group of kGemmDepth×16 panels of W at a
// time into a stack buffer that stays in L2 and reuses it for every row; a weight used on many calls can be packed
// once instead (PackedWeight, kept by nn::Linear::pack), and the kernel then reads it in place. For at most 6 rows
// against a wide W read once (the projector generators' last layer), gemm_stream_tile reads W in its stored order
// instead of packing it, with the same chain per element and so the same bytes.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && \
    !defined(HGTOK_NO_GEMM_KERNEL)
#define HGTOK_GEMM_KERNEL 1
#include <immintrin.h>
#endif
// The AVX-512 path's target (a macro so that a check on a CPU without AVX-512 can build that path emulated).
#ifndef HGTOK_TARGET_AVX512
#define HGTOK_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#endif

namespace hgtok::detail {

/// Depth of one block of the dot product (the kernel's K blocking; fixed, so results depend on K only).
constexpr Index kGemmDepth = 256;
constexpr int kGemmRows = 6;   // rows of x per micro-kernel call
constexpr int kGemmCols = 16;  // columns of W per panel (two 8-float registers)
constexpr Index kGemmStreamCols = 512;      // columns of each row of W that gemm_stream_tile reads at a time (2 KiB)
constexpr Index kGemmStreamMinCols = 8192;  // the kernel streams W for at most kGemmRows rows from this many columns

/// A float W [K, N] copied once into the layout the kernel reads: for each block of kGemmDepth rows of W (the last
/// one shorter) and each panel of 16 columns, the block's rows × 16 floats, contiguous, zero past column N. gemm()
/// given it streams W in reading order instead of packing W again on every call, with the same results. Worth it
/// for weights used many times against few rows (hgtok's cached projectors); 64-byte aligned.
class PackedWeight {
 public:
  PackedWeight() = default;
  explicit PackedWeight(const Eigen::Ref<const Matrix<float>, 0, Eigen::OuterStride<>>& w)
      : k_(w.rows()), n_(w.cols()) {
    const Index npad = (n_ + kGemmCols - 1) / kGemmCols * kGemmCols;
    const std::size_t count = static_cast<std::size_t>(k_ * npad), bytes = (count * sizeof(float) + 63) / 64 * 64;
    if (count == 0) return;
    data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!data_) throw std::bad_alloc();
    float* out = data_.get();
    for (Index k0 = 0; k0 < k_; k0 += kGemmDepth) {
      const Index kc = std::min(kGemmDepth, k_ - k0);
      for (Index c0 = 0; c0 < npad; c0 += kGemmCols)
        for (Index k = k0; k < k0 + kc; ++k)
          for (Index c = c0; c < c0 + kGemmCols; ++c) *out++ = c < n_ ? w(k, c) : 0.0f;
    }
    count_ = count;
  }
  Index rows() const { return k_; }
  Index cols() const { return n_; }
  const float* data() const { return data_.get(); }
  std::size_t bytes() const { return count_ * sizeof(float); }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> data_;
  Index k_ = 0, n_ = 0;
  std::size_t count_ = 0;
};

/// The instruction path gemm<float> takes: Eigen's product, or hgtok's kernel with AVX2 + FMA or with AVX-512F.
enum class GemmIsa { eigen, avx2, avx512 };

inline const char* to_string(GemmIsa isa) {
  return isa == GemmIsa::avx512 ? "avx512" : isa == GemmIsa::avx2 ? "avx2" : "eigen";
}

/// The best path this CPU (and this build) supports.
inline GemmIsa gemm_best_isa() {
#ifdef HGTOK_GEMM_KERNEL
  static const GemmIsa best = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return GemmIsa::eigen;
    return __builtin_cpu_supports("avx512f") ? GemmIsa::avx512 : GemmIsa::avx2;
  }();
  return best;
#else
  return GemmIsa::eigen;
#endif
}

/// Whether this CPU and build can run `isa` (every CPU runs Eigen's product; AVX-512 hosts also run AVX2).
inline bool gemm_isa_supported(GemmIsa isa) { return static_cast<int>(isa) <= static_cast<int>(gemm_best_isa()); }

/// The chosen path, process-wide: -1 until first asked, then the environment's HGTOK_GEMM_ISA or the best.
inline std::atomic<int>& gemm_isa_setting() {
  static std::atomic<int> setting{-1};
  return setting;
}

/// `isa` if this CPU and build support it, else a ValueError naming `source` and `field`.
inline GemmIsa supported_gemm_isa(GemmIsa isa, const std::string& source, const std::string& field) {
  if (!gemm_isa_supported(isa))
    throw ValueError(source, field,
                     std::string("'") + to_string(isa) + "' is not supported by this CPU (or build); the best here is '" +
                         to_string(gemm_best_isa()) + "'");
  return isa;
}

/// Parses "eigen", "avx2" or "avx512" given by `source` (an environment variable, a call) as `field`.
inline GemmIsa parse_gemm_isa(const std::string& name, const std::string& source, const std::string& field) {
  for (GemmIsa isa : {GemmIsa::eigen, GemmIsa::avx2, GemmIsa::avx512})
    if (name == to_string(isa)) return supported_gemm_isa(isa, source, field);
  throw ValueError(source, field, "'" + name + "' is not one of eigen, avx2, avx512");
}

/// The path gemm<float> takes now.
inline GemmIsa gemm_isa() {
  int v = gemm_isa_setting().load(std::memory_order_relaxed);
  if (v < 0) {
    const char* env = std::getenv("HGTOK_GEMM_ISA");
    const GemmIsa isa = env && *env ? parse_gemm_isa(env, "environment", "HGTOK_GEMM_ISA") : gemm_best_isa();
    int expected = -1;
    gemm_isa_setting().compare_exchange_strong(expected, static_cast<int>(isa));
    v = gemm_isa_setting().load(std::memory_order_relaxed);
  }
  return static_cast<GemmIsa>(v);
}

/// Forces a path for the whole process (for tests and benchmarks); returns the previous one. A path this CPU
/// lacks is a ValueError. Not meant to change while products run on other threads.
inline GemmIsa set_gemm_isa(GemmIsa isa) {
  supported_gemm_isa(isa, "set_gemm_isa", "isa");
  const GemmIsa before = gemm_isa();
  gemm_isa_setting().store(static_cast<int>(isa), std::memory_order_relaxed);
  return before;
}

/// Sets a path for a scope and restores the previous one.
class GemmIsaScope {
 public:
  explicit GemmIsaScope(GemmIsa isa) : saved_(set_gemm_isa(isa)) {}
  ~GemmIsaScope() { gemm_isa_setting().store(static_cast<int>(saved_), std::memory_order_relaxed); }
  GemmIsaScope(const GemmIsaScope&) = delete;
  GemmIsaScope& operator=(const GemmIsaScope&) = delete;

 private:
  GemmIsa saved_;
};

#ifdef HGTOK_GEMM_KERNEL
/// Stores (or adds) one row's 16 results; cols < 16 writes only the first cols.
__attribute__((target("avx2,fma"))) inline void gemm_store_row(float* out, __m256 lo, __m256 hi, int cols,
                                                                 bool accumulate) {
  if (cols == kGemmCols) {
    if (accumulate) {
      lo = _mm256_add_ps(_mm256_loadu_ps(out), lo);
      hi = _mm256_add_ps(_mm256_loadu_ps(out + 8), hi);
    }
    _mm256_storeu_ps(out, lo);
    _mm256_storeu_ps(out + 8, hi);
    return;
  }
  alignas(32) float tmp[kGemmCols];
  _mm256_store_ps(tmp, lo);
  _mm256_store_ps(tmp + 8, hi);
  for (int c = 0; c < cols; ++c) out[c] = accumulate ? out[c] + tmp[c] : tmp[c];
}

/// y[0:R, 0:cols] (+)= x[0:R, 0:kc]·panel[0:kc, 0:16]. The panel is packed (16 floats per k, zero past cols).
/// Named accumulators (not an array) keep all 2·R of them in registers.
template <int R>
__attribute__((target("avx2,fma"))) inline void gemm_micro(Index kc, const float* x, Index ldx, const float* panel,
                                                             float* y, Index ldy, int cols, bool accumulate) {
  static_assert(R >= 1 && R <= kGemmRows, "1 to 6 rows");
  __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0, l4 = l0, h4 = l0,
         l5 = l0, h5 = l0;
  const float* x0 = x;
  const float* x1 = x + ldx;
  const float* x2 = x + 2 * ldx;
  const float* x3 = x + 3 * ldx;
  const float* x4 = x + 4 * ldx;
  const float* x5 = x + 5 * ldx;
  for (Index k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(panel + 16 * k), b1 = _mm256_load_ps(panel + 16 * k + 8);
    __m256 a = _mm256_broadcast_ss(x0 + k);
    l0 = _mm256_fmadd_ps(a, b0, l0);
    h0 = _mm256_fmadd_ps(a, b1, h0);
    if constexpr (R > 1) {
      a = _mm256_broadcast_ss(x1 + k);
      l1 = _mm256_fmadd_ps(a, b0, l1);
      h1 = _mm256_fmadd_ps(a, b1, h1);
    }
    if constexpr (R > 2) {
      a = _mm256_broadcast_ss(x2 + k);
      l2 = _mm256_fmadd_ps(a, b0, l2);
      h2 = _mm256_fmadd_ps(a, b1, h2);
    }
    if constexpr (R > 3) {
      a = _mm256_broadcast_ss(x3 + k);
      l3 = _mm256_fmadd_ps(a, b0, l3);
      h3 = _mm256_fmadd_ps(a, b1, h3);
    }
    if constexpr (R > 4) {
      a = _mm256_broadcast_ss(x4 + k);
      l4 = _mm256_fmadd_ps(a, b0, l4);
      h4 = _mm256_fmadd_ps(a, b1, h4);
    }
    if constexpr (R > 5) {
      a = _mm256_broadcast_ss(x5 + k);
      l5 = _mm256_fmadd_ps(a, b0, l5);
      h5 = _mm256_fmadd_ps(a, b1, h5);
    }
  }
  gemm_store_row(y, l0, h0, cols, accumulate);
  if constexpr (R > 1) gemm_store_row(y + ldy, l1, h1, cols, accumulate);
  if constexpr (R > 2) gemm_store_row(y + 2 * ldy, l2, h2, cols, accumulate);
  if constexpr (R > 3) gemm_store_row(y + 3 * ldy, l3, h3, cols, accumulate);
  if constexpr (R > 4) gemm_store_row(y + 4 * ldy, l4, h4, cols, accumulate);
  if constexpr (R > 5) gemm_store_row(y + 5 * ldy, l5, h5, cols, accumulate);
}

/// The AVX2 path: gemm_micro on 6 rows × one panel (16 columns) per call.
struct GemmAvx2 {
  static constexpr Index kRows = kGemmRows;
  static constexpr Index kPanels = 1;
  /// y[0:rows, 0:cols] (+)= x[0:rows, 0:kc]·panel; `panel_stride` (the next panel) is unused here.
  __attribute__((target("avx2,fma"))) static void run(Index rows, Index kc, const float* x, Index ldx,
                                                      const float* panel, Index panel_stride, float* y, Index ldy,
                                                      int cols, bool accumulate) {
    (void)panel_stride;
    switch (rows) {
      case 6: gemm_micro<6>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      case 5: gemm_micro<5>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      case 4: gemm_micro<4>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      case 3: gemm_micro<3>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      case 2: gemm_micro<2>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      case 1: gemm_micro<1>(kc, x, ldx, panel, y, ldy, cols, accumulate); break;
      default: break;
    }
  }
};

/// Stores (or adds) one row's results of a 16-column panel; cols < 16 writes only the first cols (masked).
HGTOK_TARGET_AVX512 inline void gemm_store_row16(float* out, __m512 v, int cols,
                                                                          bool accumulate) {
  const __mmask16 mask = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1u);
  if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
  _mm512_mask_storeu_ps(out, mask, v);
}

/// The AVX-512 path's micro-kernel: y[0:R, 0:cols] (+)= x[0:R, 0:kc]·[panel0 | panel1], two adjacent packed
/// panels (32 columns, panel1 = panel0 + panel_stride), one 16-float register per row and panel. Each element is
/// the same chain of FMAs as in gemm_micro, so the bytes are the AVX2 path's. cols <= 16 leaves panel1 unread.
template <int R>
HGTOK_TARGET_AVX512 inline void gemm_micro512(Index kc, const float* x, Index ldx,
                                                                      const float* panel0, Index panel_stride,
                                                                      float* y, Index ldy, int cols,
                                                                      bool accumulate) {
  static_assert(R >= 1 && R <= 12, "1 to 12 rows");
  __m512 lo[R], hi[R];
  for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
  if (cols > 16) {
    const float* panel1 = panel0 + panel_stride;
    for (Index k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_load_ps(panel0 + 16 * k), b1 = _mm512_load_ps(panel1 + 16 * k);
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r) {
        const __m512 a = _mm512_set1_ps(x[r * ldx + k]);
        lo[r] = _mm512_fmadd_ps(a, b0, lo[r]);
        hi[r] = _mm512_fmadd_ps(a, b1, hi[r]);
      }
    }
  } else {
    for (Index k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_load_ps(panel0 + 16 * k);
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r) lo[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + k]), b0, lo[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    gemm_store_row16(y + r * ldy, lo[r], std::min(cols, 16), accumulate);
    if (cols > 16) gemm_store_row16(y + r * ldy + 16, hi[r], cols - 16, accumulate);
  }
}

/// The AVX-512 path: 12 rows × two panels (32 columns) per call, 24 accumulators of the 32 registers.
struct GemmAvx512 {
  static constexpr Index kRows = 12;
  static constexpr Index kPanels = 2;
  using Micro = void (*)(Index, const float*, Index, const float*, Index, float*, Index, int, bool);
  template <int... R>
  static constexpr std::array<Micro, sizeof...(R)> table(std::integer_sequence<int, R...>) {
    return {&gemm_micro512<R + 1>...};
  }
  static void run(Index rows, Index kc, const float* x, Index ldx, const float* panel, Index panel_stride, float* y,
                  Index ldy, int cols, bool accumulate) {
    static constexpr auto micro = table(std::make_integer_sequence<int, kRows>{});  // micro[r - 1]: r rows
    if (rows >= 1 && rows <= kRows) micro[rows - 1](kc, x, ldx, panel, panel_stride, y, ldy, cols, accumulate);
  }
};

constexpr Index kGemmGroup = 8;          // panels packed together: kGemmDepth × 128 floats (128 KiB) stay in L2
constexpr Index kGemmPrefetchRows = 16;  // rows of W asked for ahead of packing

/// Offset of panel p's block [kc][16] of rows [k0, k0 + kc) in a pre-packed W with npad (= panels·16) columns.
inline Index gemm_packed_offset(Index k0, Index kc, Index p, Index npad) { return k0 * npad + p * kc * kGemmCols; }

/// Rows [m0, m1) × panels [p0, p1) of y = x·W, all of K. W is either row-major (w, ldw), read row by row, 512
/// contiguous bytes at a time, into a group of panels on the stack; or pre-packed (prepacked != nullptr, the layout
/// of PackedWeight), where a group is already one contiguous block. Each block of Micro::kRows rows of x then runs
/// against every Micro::kPanels panels of the group (x's block stays in L1, the group in L2). Both give the same
/// bytes, and so do both Micro paths.
template <class Micro>
__attribute__((target("avx2,fma"))) inline void gemm_tile(const float* x, Index ldx, const float* w, Index ldw,
                                                            const float* prepacked, float* y, Index ldy,
                                                            Index k_total, Index n, Index m0, Index m1, Index p0,
                                                            Index p1) {
  alignas(64) float packed[kGemmGroup * kGemmDepth * kGemmCols];  // 128 KiB of stack (unused when prepacked)
  const Index npad = (n + kGemmCols - 1) / kGemmCols * kGemmCols;
  for (Index k0 = 0; k0 < k_total; k0 += kGemmDepth) {
    const Index kc = std::min(kGemmDepth, k_total - k0);
    const bool accumulate = k0 > 0;
    for (Index g0 = p0; g0 < p1; g0 += kGemmGroup) {
      const Index g1 = std::min(p1, g0 + kGemmGroup);
      const Index c_begin = g0 * kGemmCols, c_end = std::min(n, g1 * kGemmCols);
      const float* group = prepacked ? prepacked + gemm_packed_offset(k0, kc, g0, npad) : packed;
      if (!prepacked) {
        for (Index k = 0; k < kc; ++k) {
          const float* src = w + (k0 + k) * ldw;
          if (k + kGemmPrefetchRows < kc)  // W is streamed from memory for small M: ask for rows ahead
            for (Index c = c_begin; c < c_end; c += 16)
              _mm_prefetch(reinterpret_cast<const char*>(src + kGemmPrefetchRows * ldw + c), _MM_HINT_T0);
          for (Index p = g0; p < g1; ++p) {
            float* dst = packed + (p - g0) * kc * kGemmCols + 16 * k;
            const Index c0 = p * kGemmCols;
            if (c0 + kGemmCols <= c_end) {
              _mm256_store_ps(dst, _mm256_loadu_ps(src + c0));
              _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + c0 + 8));
            } else {
              for (Index c = 0; c < kGemmCols; ++c) dst[c] = c0 + c < c_end ? src[c0 + c] : 0.0f;
            }
          }
        }
      }
      // Pre-packed: the next group (this task's next in the order above) is one contiguous block; ask for it
      // a slice per micro-kernel call so it arrives while this group computes.
      const char* next = nullptr;
      Index next_lines = 0, lines_per_call = 0;
      if (prepacked) {
        Index nk0 = k0, ng0 = g0 + kGemmGroup;
        if (ng0 >= p1) nk0 = k0 + kGemmDepth, ng0 = p0;
        if (nk0 < k_total) {
          const Index nkc = std::min(kGemmDepth, k_total - nk0), ng1 = std::min(p1, ng0 + kGemmGroup);
          next = reinterpret_cast<const char*>(prepacked + gemm_packed_offset(nk0, nkc, ng0, npad));
          next_lines = (ng1 - ng0) * nkc * kGemmCols * Index(sizeof(float)) / 64;
          const Index calls =
              ((m1 - m0 + Micro::kRows - 1) / Micro::kRows) * ((g1 - g0 + Micro::kPanels - 1) / Micro::kPanels);
          lines_per_call = (next_lines + calls - 1) / calls;
        }
      }
      Index asked = 0;
      for (Index i = m0; i < m1; i += Micro::kRows) {
        const Index rows = std::min<Index>(Micro::kRows, m1 - i);
        for (Index p = g0; p < g1; p += Micro::kPanels) {
          const Index c0 = p * kGemmCols;
          const Index panels = std::min<Index>(Micro::kPanels, g1 - p);
          const int cols = static_cast<int>(std::min<Index>(panels * kGemmCols, n - c0));
          for (const Index end = std::min(next_lines, asked + lines_per_call); asked < end; ++asked)
            _mm_prefetch(next + 64 * asked, _MM_HINT_T1);
          Micro::run(rows, kc, x + i * ldx + k0, ldx, group + (p - g0) * kc * kGemmCols, kc * kGemmCols,
                     y + i * ldy + c0, ldy, cols, accumulate);
        }
      }
    }
  }
}

/// acc[r][0:nv) = fma(x[r][k + j], W[k + j][0:nv), acc[r][0:nv)) for j = 0..J-1 in order, for R rows (nv a multiple
/// of 8). J rows of W are read side by side, so each accumulator is loaded and stored once per J terms.
template <int R, int J>
__attribute__((target("avx2,fma"))) inline void gemm_stream_rows(const float* x, Index ldx, Index k, const float* w,
                                                                   Index ldw, float* acc, Index nv) {
  for (Index c = 0; c < nv; c += 8) {
    __m256 b[J];
    for (int j = 0; j < J; ++j) b[j] = _mm256_loadu_ps(w + j * ldw + c);
    for (int r = 0; r < R; ++r) {
      float* a = acc + r * kGemmStreamCols + c;
      __m256 v = _mm256_load_ps(a);
      for (int j = 0; j < J; ++j) v = _mm256_fmadd_ps(_mm256_broadcast_ss(x + r * ldx + k + j), b[j], v);
      _mm256_store_ps(a, v);
    }
  }
}

/// Columns [c_begin, c_end) of y = x·W for R <= kGemmRows rows and a W read from memory once (the projector
/// generators' last layer: a few type embeddings against [384, in·out], up to 2.7 GB). W is read in its stored order,
/// kGemmStreamCols columns of four rows at a time, into R × kGemmStreamCols accumulators that stay in L1, instead of
/// being packed into panels. Each element gets gemm_micro's chain: per block of kGemmDepth terms a chain of fused
/// multiply-adds from zero, the blocks added to y in order; so the bytes equal the packed path's.
template <int R>
__attribute__((target("avx2,fma"))) inline void gemm_stream_tile(const float* x, Index ldx, const float* w, Index ldw,
                                                                   float* y, Index ldy, Index k_total, Index c_begin,
                                                                   Index c_end) {
  alignas(32) float acc[R * kGemmStreamCols];
  for (Index c0 = c_begin; c0 < c_end; c0 += kGemmStreamCols) {
    const Index nc = std::min(kGemmStreamCols, c_end - c0), nv = nc / 8 * 8;
    for (Index k0 = 0; k0 < k_total; k0 += kGemmDepth) {
      const Index k1 = k0 + std::min(kGemmDepth, k_total - k0);
      std::fill(acc, acc + R * kGemmStreamCols, 0.0f);
      Index k = k0;
      for (; k + 4 <= k1; k += 4) gemm_stream_rows<R, 4>(x, ldx, k, w + k * ldw + c0, ldw, acc, nv);
      for (; k < k1; ++k) gemm_stream_rows<R, 1>(x, ldx, k, w + k * ldw + c0, ldw, acc, nv);
      for (Index c = nv; c < nc; ++c)  // the last columns, fewer than 8
        for (int r = 0; r < R; ++r) {
          float& a = acc[r * kGemmStreamCols + c];
          for (k = k0; k < k1; ++k) a = std::fma(x[r * ldx + k], w[k * ldw + c0 + c], a);
        }
      for (int r = 0; r < R; ++r) {
        float* out = y + r * ldy + c0;
        const float* a = acc + r * kGemmStreamCols;
        if (k0 == 0)
          std::copy(a, a + nc, out);
        else
          for (Index c = 0; c < nc; ++c) out[c] = out[c] + a[c];
      }
    }
  }
}

/// gemm_stream_tile for m = 1 to kGemmRows rows.
inline void gemm_stream(const float* x, Index ldx, const float* w, Index ldw, float* y, Index ldy, Index m,
                        Index k_total, Index c_begin, Index c_end) {
  switch (m) {
    case 1: gemm_stream_tile<1>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    case 2: gemm_stream_tile<2>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    case 3: gemm_stream_tile<3>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    case 4: gemm_stream_tile<4>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    case 5: gemm_stream_tile<5>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    case 6: gemm_stream_tile<6>(x, ldx, w, ldw, y, ldy, k_total, c_begin, c_end); break;
    default: break;
  }
}

/// y = x·W with the kernel: tiles of rows × panel groups run in parallel (the split changes no result).
template <class Micro>
void gemm_kernel(const float* x, Index ldx, const float* w, Index ldw, const float* prepacked, float* y, Index ldy,
                 Index m, Index k, Index n) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (Index i = 0; i < m; ++i) std::fill(y + i * ldy, y + i * ldy + n, 0.0f);
    return;
  }
  const Index threads = in_parallel() ? 1 : num_threads();
  if (m <= kGemmRows && n >= kGemmStreamMinCols && prepacked == nullptr) {  // few rows, wide W: stream it
    const Index blocks = (n + kGemmStreamCols - 1) / kGemmStreamCols;
    const Index per_task = (blocks + threads - 1) / threads * kGemmStreamCols;
    parallel_for(
        threads,
        [&](std::int64_t t) {
          const Index c0 = std::min(n, t * per_task), c1 = std::min(n, c0 + per_task);
          if (c0 < c1) gemm_stream(x, ldx, w, ldw, y, ldy, m, k, c0, c1);
        },
        2);
    return;
  }
  const Index panels = (n + kGemmCols - 1) / kGemmCols;
  const Index groups = (panels + kGemmGroup - 1) / kGemmGroup;
  // Columns first (each task packs its own part of W once); rows as well when there are too few column groups.
  const Index col_tasks = std::min(groups, threads);
  constexpr Index kRows = Micro::kRows;
  const Index row_tasks = std::min((threads + col_tasks - 1) / col_tasks, (m + 4 * kRows - 1) / (4 * kRows));
  const Index groups_per_task = (groups + col_tasks - 1) / col_tasks;
  const Index rows_per_task = ((m + row_tasks - 1) / row_tasks + kRows - 1) / kRows * kRows;
  parallel_for(
      row_tasks * col_tasks,
      [&](std::int64_t t) {
        const Index rt = t / col_tasks, ct = t % col_tasks;
        const Index m0 = std::min(m, rt * rows_per_task), m1 = std::min(m, m0 + rows_per_task);
        const Index p0 = std::min(panels, ct * groups_per_task * kGemmGroup);
        const Index p1 = std::min(panels, p0 + groups_per_task * kGemmGroup);
        if (m0 < m1 && p0 < p1) gemm_tile<Micro>(x, ldx, w, ldw, prepacked, y, ldy, k, n, m0, m1, p0, p1);
      },
      2);
}
#endif

/// Whether gemm<T> runs hgtok's kernel on this CPU (rows independent of each other and of the split), rather
/// than Eigen's product.
template <class T>
bool gemm_uses_kernel() {
#ifdef HGTOK_GEMM_KERNEL
  if constexpr (std::is_same_v<T, float>) return gemm_isa() != GemmIsa::eigen;
#endif
  return false;
}

/// y = x·W. x [M, K] and W [K, N] row-major with unit column stride (plain matrices, maps, row or column blocks);
/// y [M, N] likewise and not overlapping x or W. `packed`, when given, is W in PackedWeight form (same shape): the
/// kernel reads it instead of packing W (same results); other paths ignore it.
template <class T>
void gemm(const Eigen::Ref<const Matrix<T>, 0, Eigen::OuterStride<>>& x,
          const Eigen::Ref<const Matrix<T>, 0, Eigen::OuterStride<>>& w,
          Eigen::Ref<Matrix<T>, 0, Eigen::OuterStride<>> y, const PackedWeight* packed = nullptr) {
  eigen_assert(x.cols() == w.rows() && y.rows() == x.rows() && y.cols() == w.cols());
#ifdef HGTOK_GEMM_KERNEL
  if constexpr (std::is_same_v<T, float>) {
    const GemmIsa isa = gemm_isa();
    if (isa != GemmIsa::eigen) {
      const bool use_packed = packed != nullptr && packed->data() != nullptr && packed->rows() == w.rows() &&
                              packed->cols() == w.cols();
      auto* kernel = isa == GemmIsa::avx512 ? &gemm_kernel<GemmAvx512> : &gemm_kernel<GemmAvx2>;
      kernel(x.data(), x.outerStride(), w.data(), w.outerStride(), use_packed ? packed->data() : nullptr, y.data(),
             y.outerStride(), x.rows(), x.cols(), w.cols());
      return;
    }
  }
#endif
  (void)packed;
  // Eigen's product, on one thread per block of rows: Eigen's own threads would choose its depth blocking by their
  // number, so the rounding would follow the thread count.
  const Index m = x.rows();
  const Index blocks = in_parallel() ? 1 : std::max<Index>(1, std::min<Index>(num_threads(), m / 32));
  const Index per_block = (m + blocks - 1) / blocks;
  parallel_for(blocks, [&](std::int64_t b) {
    const Index r0 = std::min<Index>(m, b * per_block), r1 = std::min<Index>(m, r0 + per_block);
    if (r0 >= r1) return;
    ThreadScope serial(1);
    y.middleRows(r0, r1 - r0).noalias() = x.middleRows(r0, r1 - r0) * w;
  });
}

}  // namespace hgtok::detail
