// Subgraphs as one disjoint union: Tokenizer::tokenize_many runs many sampled subgraphs through the encoder at
// once, so each weight is read from memory once for all of them instead of once per subgraph (at HiGPT's size a
// 14-node subgraph otherwise streams ~40 MB of weights). It may only where no result can depend on which rows share
// a product: float on a CPU where hgtok's GEMM kernel runs (nn/gemm.hpp), a kernel whose trait says runs_as_union
// (rows never mix across subgraphs), the linear projector, no metapaths, and feature, hidden, head and LLM widths
// that are multiples of 16 (every row then starts at the same alignment, so Eigen's element-wise and row-wise code
// takes the same path for it).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/nn/gemm.hpp"
#include "hgtok/tokenizer/config.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"

namespace hgtok::detail {

/// The conditions above other than the kernel's own flag.
template <class T>
bool union_may_run(const TokenizerConfig& c) {
  if (!gemm_uses_kernel<T>()) return false;
  if (c.projector != "linear" || !c.metapaths.empty()) return false;
  auto aligned = [](Index w) { return w > 0 && w % 16 == 0; };
  if (!aligned(c.hidden_channels) || !aligned(c.llm_dim) || c.heads <= 0 || c.hidden_channels % c.heads != 0 ||
      !aligned(c.hidden_channels / c.heads))
    return false;
  if (c.in_channels_by_type.empty()) return aligned(c.in_channels);
  for (const auto& [type, width] : c.in_channels_by_type)
    if (!aligned(width)) return false;
  return true;
}

/// The disjoint union of subgraphs; offsets[t][i]: the first row of subgraph i's nodes of type t in it.
template <class T>
struct SubgraphUnion {
  HeteroGraph<T> graph;
  std::vector<std::vector<Index>> offsets;
};

/// Throws when the subgraphs cannot form one union (the caller then goes one by one).
template <class T>
SubgraphUnion<T> union_of(const std::vector<const Subgraph<T>*>& subs, const std::vector<std::string>& type_order) {
  const std::size_t n = subs.size();
  for (const auto* s : subs)
    if (!s) throw ValueError("Tokenizer", "subs", "holds a null subgraph");
  const HeteroGraph<T>& first = subs[0]->graph;
  const auto names = first.node_types();
  const auto etypes = first.edge_types();
  SubgraphUnion<T> u;
  auto& offsets = u.offsets;
  offsets.assign(names.size(), std::vector<Index>(n + 1, 0));
  for (std::size_t i = 0; i < n; ++i) {
    const HeteroGraph<T>& g = subs[i]->graph;
    if (g.node_types() != names || g.edge_types() != etypes)
      throw ValueError("Tokenizer", "subs", "subgraphs with different node or edge types");
    for (std::size_t t = 0; t < names.size(); ++t) {
      const Index id = static_cast<Index>(t);
      if (g.x(id).cols() != first.x(id).cols()) throw ShapeError("Tokenizer", "subs", "feature widths differ");
      offsets[t][i + 1] = offsets[t][i] + g.num_nodes(id);
    }
    for (const auto& type : type_order) {
      auto it = subs[i]->original_ids.find(type);
      if (!g.has_node_type(type) || it == subs[i]->original_ids.end() || static_cast<Index>(it->second.size()) != g.num_nodes(type))
        throw ValueError("Tokenizer", "original_ids", "missing or of the wrong size");
    }
  }
  for (std::size_t t = 0; t < names.size(); ++t) {
    const Index id = static_cast<Index>(t);
    Matrix<T> x(offsets[t][n], first.x(id).cols());
    for (std::size_t i = 0; i < n; ++i) x.middleRows(offsets[t][i], offsets[t][i + 1] - offsets[t][i]) = subs[i]->graph.x(id);
    u.graph.add_node_type(names[t], offsets[t][n], std::move(x));
  }
  for (std::size_t e = 0; e < etypes.size(); ++e) {
    const Index id = static_cast<Index>(e);
    const auto s_type = static_cast<std::size_t>(first.src_type_id(id)), d_type = static_cast<std::size_t>(first.dst_type_id(id));
    std::vector<Index> src, dst;
    for (std::size_t i = 0; i < n; ++i) {
      const HeteroGraph<T>& g = subs[i]->graph;
      for (Index v : g.edge_src(id)) src.push_back(v + offsets[s_type][i]);
      for (Index v : g.edge_dst(id)) dst.push_back(v + offsets[d_type][i]);
    }
    u.graph.add_edge_type(etypes[e], src.data(), dst.data(), static_cast<Index>(src.size()));
  }
  return u;
}

/// Each subgraph's tokens from the union's `all` (width d): its own tensor, or, with `into`, its rows written
/// there one subgraph after another (its tensor left empty).
template <class T>
std::vector<GraphTokens<T>> split_union(const GraphTokens<T>& all, const SubgraphUnion<T>& u,
                                        const std::vector<const Subgraph<T>*>& subs, Index d, std::vector<T>* into) {
  const std::size_t n = subs.size();
  if (into) into->resize(all.tokens.size());  // every subgraph's rows, subgraph after subgraph
  Index into_row = 0;                          // the first row of subgraph i there
  std::vector<GraphTokens<T>> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Subgraph<T>& s = *subs[i];
    GraphTokens<T>& r = out[i];
    Index rows = 0;
    for (const auto& span : all.spans) {
      const Index count = s.graph.num_nodes(span.type);
      r.spans.push_back({span.type, span.type_id, rows, count});
      rows += count;
    }
    T* dest = nullptr;
    if (into) {
      dest = into->data() + into_row * d;
      into_row += rows;
    } else {
      r.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(d)});
      dest = r.tokens.data();
    }
    for (std::size_t k = 0; k < all.spans.size(); ++k) {
      const auto& span = all.spans[k];
      const auto t = static_cast<std::size_t>(u.graph.node_type_id(span.type));
      const T* from = all.tokens.data() + (span.offset + u.offsets[t][i]) * d;
      std::copy(from, from + r.spans[k].count * d, dest + r.spans[k].offset * d);
      const auto& ids = s.original_ids.at(span.type);
      r.node_ids.insert(r.node_ids.end(), ids.begin(), ids.end());
    }
  }
  return out;
}

/// Moves the rows of those results that have a tensor into `into`, in order, and drops their tensors (a failed
/// subgraph's default tensor is a 0-d scalar of one value: it has no rows).
template <class T>
void gather_rows(std::vector<GraphTokens<T>>& out, std::vector<T>& into) {
  const auto values = [](const GraphTokens<T>& r) { return r.tokens.dimension() == 2 ? r.tokens.size() : std::size_t(0); };
  std::size_t total = 0;
  for (const auto& r : out) total += values(r);
  into.resize(total);
  std::size_t at = 0;
  for (auto& r : out) {
    std::copy(r.tokens.data(), r.tokens.data() + values(r), into.data() + at);
    at += values(r);
    r.tokens = xt::xarray<T>();
  }
}

}  // namespace hgtok::detail
