// RandomWalkWithRestart: HetGNN's neighbour sampler (Zhang, Song, Huang,
// Swami, Chawla, "Heterogeneous Graph Neural Network", KDD 2019, §4.1).
//
// From every node v of every node type, one walk of `walk_length` steps:
//
//   cur = v
//   repeat walk_length times:
//     u = rng.uniform()                                   in [0, 1)
//     if u < restart_prob:                cur = v          (restart; nothing recorded)
//     else if cur has no out-edge:        cur = v          (dead end; nothing recorded)
//     else: cur = the k-th out-neighbour of cur, k = rng.uniform_int(D), D = cur's out-degree summed
//           over the graph's edge types whose src is cur's type, counted in edge-type order then in
//           each edge type's out-CSR order (edge insertion order); record a visit of cur unless cur = v.
//
// Then, for each node type t with a budget k_t, the neighbours of v of type t
// are the (up to) k_t most visited nodes of type t, by visit count descending
// then node id ascending. Fewer than k_t visited nodes give a shorter list; a
// node whose walks never leave it has empty lists.
//
// Walks follow edge directions (src → dst): add reverse relations for an
// undirected graph. Randomness: Rng(seed, Rng::mix(node type id) ^ v) per
// start node, so the lists of v do not depend on the thread count or on which
// other nodes are sampled (tests/reference/make_hetgnn_fixtures.py reproduces
// the walks bit for bit).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/hetero_graph.hpp"

namespace hgtok {

/// Neighbours of one centre node type of one neighbour node type, as a CSR
/// over the centre nodes: the list of centre node i is ids[indptr[i] .. indptr[i+1]],
/// most visited first; counts holds each one's visit count.
struct NeighborList {
  std::vector<Index> indptr{0};
  std::vector<Index> ids;
  std::vector<Index> counts;
  Index size(Index i) const { return indptr[static_cast<std::size_t>(i) + 1] - indptr[static_cast<std::size_t>(i)]; }
  const Index* begin(Index i) const { return ids.data() + indptr[static_cast<std::size_t>(i)]; }
};

/// Sampled neighbours of every node: lists[c][t] holds, for the centre nodes
/// of node type id c, their neighbours of node type id t (graph type ids).
struct HetNeighbors {
  std::vector<std::string> node_types;  ///< the graph's node types, in type-id order
  std::vector<std::vector<NeighborList>> lists;
  const NeighborList& of(Index centre_type, Index neighbor_type) const {
    return lists[static_cast<std::size_t>(centre_type)][static_cast<std::size_t>(neighbor_type)];
  }
};

namespace detail {

/// Per node, per neighbour type, the kept (visit count, neighbour id) pairs of the walks from that node.
using PickedNeighbors = std::vector<std::vector<std::vector<std::pair<Index, Index>>>>;

/// Packs picked[v][t] into lists[t] (ids, counts, indptr) for every node v in order; every picked[v] holds one
/// list per neighbour type.
inline void pack_picked(const PickedNeighbors& picked, std::vector<NeighborList>& lists) {
  for (std::size_t t = 0; t < lists.size(); ++t) {
    NeighborList& out = lists[t];
    for (const auto& mine : picked) {
      for (const auto& [cnt, id] : mine[t]) {
        out.ids.push_back(id);
        out.counts.push_back(cnt);
      }
      out.indptr.push_back(static_cast<Index>(out.ids.size()));
    }
  }
}

}  // namespace detail

class RandomWalkWithRestart {
 public:
  /// `top_k`: the number of neighbours kept per node type (each > 0); node
  /// types not listed are not collected. Throws ValueError for a restart
  /// probability outside [0, 1], a negative walk length or a k ≤ 0.
  RandomWalkWithRestart(double restart_prob, Index walk_length, std::map<std::string, Index> top_k, std::uint64_t seed)
      : restart_(restart_prob), length_(walk_length), top_k_(std::move(top_k)), seed_(seed) {
    if (!(restart_prob >= 0.0 && restart_prob <= 1.0))
      throw ValueError("RandomWalkWithRestart", "restart_prob",
                       "restart probability " + std::to_string(restart_prob) + " is outside [0, 1]");
    if (walk_length < 0)
      throw ValueError("RandomWalkWithRestart", "walk_length", "walk length " + std::to_string(walk_length) + " is negative");
    for (const auto& [type, k] : top_k_)
      if (k <= 0)
        throw ValueError("RandomWalkWithRestart", "top_k/" + type, "k = " + std::to_string(k) + " must be positive");
  }
  /// The same k for every node type.
  RandomWalkWithRestart(double restart_prob, Index walk_length, Index k, std::uint64_t seed)
      : RandomWalkWithRestart(restart_prob, walk_length, std::map<std::string, Index>{}, seed) {
    if (k <= 0) throw ValueError("RandomWalkWithRestart", "top_k", "k = " + std::to_string(k) + " must be positive");
    all_k_ = k;
  }

  double restart_prob() const { return restart_; }
  Index walk_length() const { return length_; }
  std::uint64_t seed() const { return seed_; }
  /// k of a node type (0: not collected).
  Index k(const std::string& type) const {
    if (all_k_ > 0) return all_k_;
    auto it = top_k_.find(type);
    return it == top_k_.end() ? 0 : it->second;
  }

  /// Samples the neighbours of every node of g. A type named in top_k but
  /// absent from g throws LookupError naming it.
  template <class T>
  HetNeighbors sample(const HeteroGraph<T>& g) const {
    for (const auto& kv : top_k_)
      if (!g.has_node_type(kv.first))
        throw LookupError("RandomWalkWithRestart", "top_k/" + kv.first, "unknown node type '" + kv.first + "'");
    const Index n_types = g.num_node_types();
    std::vector<Index> ks(static_cast<std::size_t>(n_types));
    for (Index t = 0; t < n_types; ++t) ks[static_cast<std::size_t>(t)] = k(g.node_type_name(t));
    // Out-edge types per node type, CSRs built before going parallel.
    std::vector<std::vector<Index>> out_types(static_cast<std::size_t>(n_types));
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      out_types[static_cast<std::size_t>(g.src_type_id(e))].push_back(e);
      g.out_csr(e);
    }
    HetNeighbors result;
    result.node_types = g.node_types();
    result.lists.assign(static_cast<std::size_t>(n_types), std::vector<NeighborList>(static_cast<std::size_t>(n_types)));
    for (Index c = 0; c < n_types; ++c) {
      const Index n = g.num_nodes(c);
      // Per node, its lists (type t: ids then counts), filled in parallel, packed after.
      detail::PickedNeighbors picked(static_cast<std::size_t>(n));
      constexpr Index kBlock = 64;
      detail::parallel_for((n + kBlock - 1) / kBlock, [&](Index b) {
        std::vector<std::vector<Index>> count(static_cast<std::size_t>(n_types));
        for (Index t = 0; t < n_types; ++t)
          if (ks[static_cast<std::size_t>(t)] > 0) count[static_cast<std::size_t>(t)].assign(static_cast<std::size_t>(g.num_nodes(t)), 0);
        std::vector<std::pair<Index, Index>> touched;  // (type, id)
        for (Index v = b * kBlock; v < std::min(n, (b + 1) * kBlock); ++v) {
          walk(g, out_types, c, v, ks, count, touched);
          auto& mine = picked[static_cast<std::size_t>(v)];
          mine.assign(static_cast<std::size_t>(n_types), {});
          for (const auto& [t, id] : touched) {
            auto& cnt = count[static_cast<std::size_t>(t)][static_cast<std::size_t>(id)];
            mine[static_cast<std::size_t>(t)].push_back({cnt, id});
            cnt = 0;
          }
          touched.clear();
          for (Index t = 0; t < n_types; ++t) {
            auto& l = mine[static_cast<std::size_t>(t)];
            const auto keep = std::min<std::size_t>(l.size(), static_cast<std::size_t>(ks[static_cast<std::size_t>(t)]));
            std::partial_sort(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(keep), l.end(), [](const auto& a, const auto& b2) {
              return a.first != b2.first ? a.first > b2.first : a.second < b2.second;
            });
            l.resize(keep);
          }
        }
      });
      detail::pack_picked(picked, result.lists[static_cast<std::size_t>(c)]);
    }
    return result;
  }

 private:
  template <class T>
  void walk(const HeteroGraph<T>& g, const std::vector<std::vector<Index>>& out_types, Index c, Index v,
            const std::vector<Index>& ks, std::vector<std::vector<Index>>& count,
            std::vector<std::pair<Index, Index>>& touched) const {
    Rng rng(seed_, Rng::mix(static_cast<std::uint64_t>(c)) ^ static_cast<std::uint64_t>(v));
    Index cur_type = c, cur = v;
    for (Index s = 0; s < length_; ++s) {
      if (rng.uniform() < restart_) {
        cur_type = c;
        cur = v;
        continue;
      }
      Index degree = 0;
      for (Index e : out_types[static_cast<std::size_t>(cur_type)]) degree += g.out_csr(e).indptr[static_cast<std::size_t>(cur) + 1] - g.out_csr(e).indptr[static_cast<std::size_t>(cur)];
      if (degree == 0) {
        cur_type = c;
        cur = v;
        continue;
      }
      auto pick = static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(degree)));
      for (Index e : out_types[static_cast<std::size_t>(cur_type)]) {
        const Csr& csr = g.out_csr(e);
        const Index first = csr.indptr[static_cast<std::size_t>(cur)], deg = csr.indptr[static_cast<std::size_t>(cur) + 1] - first;
        if (pick < deg) {
          cur = csr.indices[static_cast<std::size_t>(first + pick)];
          cur_type = g.dst_type_id(e);
          break;
        }
        pick -= deg;
      }
      if (cur_type == c && cur == v) continue;
      if (ks[static_cast<std::size_t>(cur_type)] == 0) continue;
      auto& cnt = count[static_cast<std::size_t>(cur_type)][static_cast<std::size_t>(cur)];
      if (cnt++ == 0) touched.push_back({cur_type, cur});
    }
  }

  double restart_ = 0.5;
  Index length_ = 0;
  std::map<std::string, Index> top_k_;
  Index all_k_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace hgtok
