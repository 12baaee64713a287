// Segment (edge) softmax fused with the weighted aggregation of messages.
//
// For one destination node i with incoming edges k = 0..n-1 (across all
// relations together) and H attention heads:
//
//   m_h      = max_k s[k,h]                                  (segment max, for stability)
//   α[k,h]   = exp(s[k,h] - m_h) / (Σ_k' exp(s[k',h] - m_h) + 1e-16)
//   out[h,:] = Σ_k α[k,h] · v_k[h,:]                         (v_k a row of H·D values)
//
// This is torch_geometric.utils.softmax (index path, including its 1e-16 in
// the denominator) followed by an 'add' aggregation. Scores live in a buffer
// the caller owns (reused across destinations), so nothing is allocated per
// edge. Each destination is independent, so a caller that parallelises over
// destinations gets bitwise-identical results for any thread count. Used by
// HGT/MetaHGT (conv/hgt.hpp, conv/meta_hgt.hpp) and HAN.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"

namespace hgtok::nn {

/// In place over one segment: scores [n, heads] row-major become the softmax
/// weights α (each head normalised over the n entries). n = 0 does nothing.
template <class T>
void segment_softmax_inplace(T* scores, Index n, Index heads) {
  if (n <= 0) return;
  for (Index h = 0; h < heads; ++h) {
    T m = -std::numeric_limits<T>::infinity();
    for (Index k = 0; k < n; ++k) m = std::max(m, scores[k * heads + h]);
    T sum = T(0);
    for (Index k = 0; k < n; ++k) {
      T& s = scores[k * heads + h];
      s = std::exp(s - m);
      sum += s;
    }
    const T denom = sum + T(1e-16);
    for (Index k = 0; k < n; ++k) scores[k * heads + h] /= denom;
  }
}

/// out[h·D + c] = Σ_k α[k,h] · value_row(k)[h·D + c], for weights α [n, heads]
/// and value_row(k) a pointer to the k-th message (heads·head_dim values).
/// out (heads·head_dim) is overwritten; with n = 0 it becomes zero.
template <class T, class ValueRow>
void segment_aggregate(const T* alpha, Index n, Index heads, Index head_dim, ValueRow&& value_row, T* out) {
  const Index width = heads * head_dim;
  std::fill(out, out + width, T(0));
  for (Index k = 0; k < n; ++k) {
    const T* v = value_row(k);
    for (Index h = 0; h < heads; ++h) {
      const T a = alpha[k * heads + h];
      T* o = out + h * head_dim;
      const T* vh = v + h * head_dim;
      for (Index c = 0; c < head_dim; ++c) o[c] += a * vh[c];
    }
  }
}

/// segment_softmax_inplace then segment_aggregate: scores [n, heads] become α
/// and out receives the α-weighted sum of the messages.
template <class T, class ValueRow>
void segment_softmax_aggregate(T* scores, Index n, Index heads, Index head_dim, ValueRow&& value_row, T* out) {
  segment_softmax_inplace(scores, n, heads);
  segment_aggregate(scores, n, heads, head_dim, value_row, out);
}

/// Runs the fused softmax + aggregation for every destination 0..num_dst-1 in
/// parallel (static blocks of destinations; each block owns one score buffer).
///
///   degree(i)                      -> number of incoming edges of destination i
///   score(i, scores)               -> writes the raw scores of i's edges, [degree(i), heads]
///   value_row(i, k)                -> const T* to the message of i's k-th edge (heads·head_dim)
///   out                            -> [num_dst, heads·head_dim] row-major, overwritten
///
/// The order of edges seen by score and value_row must agree.
template <class T, class Degree, class Score, class ValueRow>
void segment_softmax_aggregate_all(Index num_dst, Index heads, Index head_dim, Degree&& degree, Score&& score,
                                   ValueRow&& value_row, T* out) {
  constexpr Index kBlock = 64;
  const Index blocks = (num_dst + kBlock - 1) / kBlock;
  const Index width = heads * head_dim;
  detail::parallel_for(blocks, [&](Index b) {
    const Index begin = b * kBlock, end = std::min(num_dst, begin + kBlock);
    Index max_deg = 0;
    for (Index i = begin; i < end; ++i) max_deg = std::max(max_deg, degree(i));
    std::vector<T> scores(static_cast<std::size_t>(max_deg * heads));
    for (Index i = begin; i < end; ++i) {
      const Index n = degree(i);
      score(i, scores.data());
      segment_softmax_aggregate(scores.data(), n, heads, head_dim, [&](Index k) { return value_row(i, k); },
                                out + i * width);
    }
  });
}

}  // namespace hgtok::nn
