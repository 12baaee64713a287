// Random inputs the benchmarks share: uniform matrices, uniform random edges, random MetaHGT generator weights.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "hgtok/core/rng.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/graph/hetero_graph.hpp"

namespace hgtok_bench {

/// A [rows, cols] matrix of values uniform in [-scale, scale).
inline hgtok::Matrix<float> random_matrix(hgtok::Index rows, hgtok::Index cols, float scale, hgtok::Rng& rng) {
  hgtok::Matrix<float> m(rows, cols);
  for (hgtok::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>((rng.uniform() * 2 - 1) * scale);
  return m;
}

/// Adds edge type e with `count` edges whose ends are drawn uniformly from its node types.
inline void random_edges(hgtok::HeteroGraph<float>& g, const hgtok::EdgeType& e, hgtok::Index count, hgtok::Rng& rng) {
  const hgtok::Index ns = g.num_nodes(e.src), nd = g.num_nodes(e.dst);
  std::vector<hgtok::Index> ei(static_cast<std::size_t>(2 * count));
  for (hgtok::Index i = 0; i < count; ++i) {
    ei[static_cast<std::size_t>(i)] = static_cast<hgtok::Index>(rng.uniform_int(static_cast<std::uint64_t>(ns)));
    ei[static_cast<std::size_t>(count + i)] = static_cast<hgtok::Index>(rng.uniform_int(static_cast<std::uint64_t>(nd)));
  }
  g.add_edge_type(e, ei);
}

/// Draws every generator weight and bias of a MetaHGT layer (MetaHGTConv<float>) uniformly from ±1/√fan_in.
template <class MetaConv>
void randomize_generators(MetaConv& conv, hgtok::Rng& rng) {
  for (auto* src : {&conv.kqv_lin(), &conv.out_lin(), &conv.k_rel(), &conv.v_rel()})
    for (auto* mlp : {&src->generator().weight_mlp(), &src->generator().bias_mlp()})
      for (auto& lin : *mlp) {
        const float s = 1.0f / std::sqrt(static_cast<float>(lin.in_features()));
        lin.weight_t() = random_matrix(lin.in_features(), lin.out_features(), s, rng);
        lin.bias() = hgtok::Vector<float>(random_matrix(lin.out_features(), 1, s, rng));
      }
}

}  // namespace hgtok_bench
