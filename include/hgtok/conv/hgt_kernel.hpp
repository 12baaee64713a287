// The attention kernel shared by HGTConv (conv/hgt.hpp) and MetaHGTConv
// (conv/meta_hgt.hpp), once their per-type projectors are resolved (static
// or generated). Internal: namespace hgtok::detail.
//
//   kqv_t      = x_t·W_kqv[t] + b          one GEMM per node type t, split into K, Q, V [N_t, F]
//   K_e[j, h]  = K_src(e)[j, h]·W_k[e, h] (+ b_k[e])   one GEMM per (edge type, head), D×D
//   V_e[j, h]  = V_src(e)[j, h]·W_v[e, h] (+ b_v[e])
//   s_{ij,h}   = (Q[i, h] · K_e[j, h]) · p_rel[e, h] / sqrt(D)
//   α          = softmax of s over all incoming edges of i (all relations together)
//   agg[i, h]  = Σ_j α_{ij,h} · V_e[j, h]
//
// GEMMs run over row blocks that depend only on the number of rows (an even
// number of blocks, each GEMM on one thread), the softmax + aggregation runs
// per destination node: results are bitwise identical for any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/nn/row_blocks.hpp"
#include "hgtok/nn/segment_softmax.hpp"

namespace hgtok::detail {

/// One relation (edge type) as the kernel sees it.
template <class T>
struct HgtRelation {
  Index edge_type_id = 0;  ///< in the graph
  /// D×D transforms: one per head, or a single one applied to every head.
  std::vector<std::shared_ptr<const nn::Linear<T>>> k_rel, v_rel;
  std::vector<T> p_rel;  ///< one prior per head
};

/// Applies per-head D×D transforms to the block cols [offset, offset+F) of kqv: [N, F].
template <class T>
Matrix<T> hgt_relation_transform(const Matrix<T>& kqv, Index offset, Index heads, Index head_dim,
                                 const std::vector<std::shared_ptr<const nn::Linear<T>>>& rel) {
  const Index n = kqv.rows(), width = heads * head_dim;
  Matrix<T> out(n, width);
  if (rel.size() == 1) {
    // One transform for every head: view [N, F] as [N·H, D] and run one GEMM.
    Matrix<T> in = kqv.middleCols(offset, width);
    ConstMatrixMap<T> in_heads(in.data(), n * heads, head_dim);
    MatrixMap<T> out_heads(out.data(), n * heads, head_dim);
    blocked_linear(*rel[0], in_heads, out_heads);
  } else {
    for_row_blocks(n, 256, [&](Index r0, Index rows) {
      for (Index h = 0; h < heads; ++h) {
        const auto& lin = *rel[static_cast<std::size_t>(h)];
        auto ob = out.block(r0, h * head_dim, rows, head_dim);
        gemm<T>(kqv.block(r0, offset + h * head_dim, rows, head_dim), lin.weight_t(), ob, lin.packed());
        if (lin.has_bias()) ob.rowwise() += lin.bias().transpose();
      }
    });
  }
  return out;
}

/// The HGT attention: kqv[t] is [N_t, 3F] (k | q | v) for each node type id t
/// (empty when unused); returns agg[d] [N_d, F] for each d in dst_types (other
/// entries empty). Rows of destinations without incoming edges are zero.
template <class T>
std::vector<Matrix<T>> hgt_attention(const HeteroGraph<T>& g, const std::vector<Matrix<T>>& kqv,
                                     const std::vector<HgtRelation<T>>& rels, const std::vector<Index>& dst_types,
                                     Index heads, Index width) {
  const Index head_dim = width / heads;
  const T sqrt_d = std::sqrt(static_cast<T>(head_dim));
  // Transformed keys and values of each relation's source nodes.
  std::vector<Matrix<T>> k_e(rels.size()), v_e(rels.size());
  for (std::size_t r = 0; r < rels.size(); ++r) {
    const Index e = rels[r].edge_type_id;
    if (g.num_edges(e) == 0) continue;
    const auto& src = kqv[static_cast<std::size_t>(g.src_type_id(e))];
    k_e[r] = hgt_relation_transform(src, 0, heads, head_dim, rels[r].k_rel);
    v_e[r] = hgt_relation_transform(src, 2 * width, heads, head_dim, rels[r].v_rel);
  }
  std::vector<Matrix<T>> agg(static_cast<std::size_t>(g.num_node_types()));
  for (Index d : dst_types) {
    const Index n = g.num_nodes(d);
    // Incoming edges of every destination across all relations, one flat CSR:
    // per edge the key row, the value row and the relation's priors.
    std::vector<Index> indptr(static_cast<std::size_t>(n + 1), 0);
    std::vector<std::size_t> in_rels;
    for (std::size_t r = 0; r < rels.size(); ++r) {
      const Index e = rels[r].edge_type_id;
      if (g.dst_type_id(e) != d || g.num_edges(e) == 0) continue;
      in_rels.push_back(r);
      const auto& csr = g.in_csr(e);
      for (Index i = 0; i < n; ++i) indptr[static_cast<std::size_t>(i + 1)] += csr.indptr[i + 1] - csr.indptr[i];
    }
    for (Index i = 0; i < n; ++i) indptr[static_cast<std::size_t>(i + 1)] += indptr[static_cast<std::size_t>(i)];
    const auto total = static_cast<std::size_t>(indptr.back());
    std::vector<const T*> key_row(total), value_row(total), prior(total);
    std::vector<Index> fill(indptr.begin(), indptr.end() - 1);
    for (std::size_t r : in_rels) {
      const auto& csr = g.in_csr(rels[r].edge_type_id);
      for (Index i = 0; i < n; ++i)
        for (Index p = csr.indptr[i]; p < csr.indptr[i + 1]; ++p) {
          const Index j = csr.indices[p];
          const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(i)]++);
          key_row[slot] = k_e[r].data() + j * width;
          value_row[slot] = v_e[r].data() + j * width;
          prior[slot] = rels[r].p_rel.data();
        }
    }
    const Matrix<T>& q_src = kqv[static_cast<std::size_t>(d)];
    Matrix<T> out(n, width);
    nn::segment_softmax_aggregate_all<T>(
        n, heads, head_dim, [&](Index i) { return indptr[i + 1] - indptr[i]; },
        [&](Index i, T* scores) {
          const T* q = q_src.data() + i * 3 * width + width;
          const Index first = indptr[i], deg = indptr[i + 1] - first;
          for (Index k = 0; k < deg; ++k) {
            const T* kr = key_row[static_cast<std::size_t>(first + k)];
            const T* pr = prior[static_cast<std::size_t>(first + k)];
            for (Index h = 0; h < heads; ++h) {
              const T dot = ConstVectorMap<T>(q + h * head_dim, head_dim).dot(ConstVectorMap<T>(kr + h * head_dim, head_dim));
              scores[k * heads + h] = dot * pr[h] / sqrt_d;
            }
          }
        },
        [&](Index i, Index k) { return value_row[static_cast<std::size_t>(indptr[i] + k)]; }, out.data());
    agg[static_cast<std::size_t>(d)] = std::move(out);
  }
  return agg;
}

}  // namespace hgtok::detail
