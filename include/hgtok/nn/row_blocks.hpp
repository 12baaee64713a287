// Row-block helpers: work split into pieces that depend only on the shapes, never on the thread count, so
// every result is bitwise identical for any number of threads. Used by the kernels in conv/. Internal:
// namespace hgtok::detail.
#pragma once

#include <algorithm>
#include <cstdint>

#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/nn/gemm.hpp"
#include "hgtok/nn/linear.hpp"

namespace hgtok::detail {

/// Splits n rows into an even number of blocks of at most max_rows rows (a
/// function of n only) and calls f(first_row, rows) for each, in parallel.
template <class F>
void for_row_blocks(Index n, Index max_rows, F&& f) {
  if (n <= 0) return;
  const Index blocks = 2 * ((n + 2 * max_rows - 1) / (2 * max_rows));
  const Index block_rows = (n + blocks - 1) / blocks;
  detail::parallel_for(
      blocks,
      [&](std::int64_t b) {
        const Index r0 = std::min(n, b * block_rows);
        const Index rows = std::min(n, (b + 1) * block_rows) - r0;
        if (rows > 0) f(r0, rows);
      },
      1);
}

/// y = x·W + b in thread-invariant pieces. y must be sized [x.rows(), out].
/// Many rows: blocks of at most 256 rows (W is small next to x, repacking it per block is cheap). Few rows
/// (HiGPT's subgraphs: tens of nodes against a 768×2304 W): two column blocks, so W is packed once in total
/// and two threads still split the work. The split depends only on the shapes.
template <class T, class In, class Out>
void blocked_linear(const nn::Linear<T>& lin, const In& x, Out& y) {
  const Index n = x.rows(), out = lin.out_features();
  if (gemm_uses_kernel<T>()) {  // rows independent of the split: one product, split inside
    gemm<T>(x, lin.weight_t(), y, lin.packed());
    if (lin.has_bias())
      for_row_blocks(n, 256, [&](Index r0, Index rows) { y.middleRows(r0, rows).rowwise() += lin.bias().transpose(); });
    return;
  }
  if (n >= 512 || out < 64) {
    for_row_blocks(n, 256, [&](Index r0, Index rows) {
      auto yb = y.middleRows(r0, rows);
      yb.noalias() = x.middleRows(r0, rows) * lin.weight_t();
      if (lin.has_bias()) yb.rowwise() += lin.bias().transpose();
    });
    return;
  }
  if (n == 0) return;
  const Index half = ((out / 2) + 15) / 16 * 16;  // a multiple of 16 for the packed kernel
  detail::parallel_for(
      2,
      [&](std::int64_t b) {
        const Index c0 = b == 0 ? 0 : half, cols = b == 0 ? half : out - half;
        auto yb = y.middleCols(c0, cols);
        yb.noalias() = x * lin.weight_t().middleCols(c0, cols);
        if (lin.has_bias()) yb.rowwise() += lin.bias().segment(c0, cols).transpose();
      },
      1);
}

}  // namespace hgtok::detail
