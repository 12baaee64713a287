// NeighborSampler: HiGPT-style target-centred subgraphs.
//
// From one target node, hop h (h = 0 .. fanouts.size()-1) takes every node
// first reached at hop h-1 (the target at h = 0) and, for every edge type into
// its node type (in the graph's edge-type order), keeps up to fanouts[h] of its
// in-neighbours, drawn uniformly without replacement (all of them when it has
// fewer). A fan-out per relation and hop (PyG's num_neighbors dict) overrides
// fanouts[h] for one edge type, keyed "<src>__<relation>__<dst>"; 0 skips it. Nodes are numbered in
// the subgraph in the order they are first reached (the target is node 0 of its
// type); the subgraph keeps every node and edge type of the graph (possibly
// empty) and the mapping back to the original ids.
//
// Randomness: one Rng(seed, stream) per call, stream = a hash of (target type,
// target id), consumed in a fixed order, so the subgraph of a target is the
// same whatever thread samples it and whatever else is sampled.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/hetero_graph.hpp"

namespace hgtok {

/// A sampled subgraph and the original id of each of its nodes.
template <class T>
struct Subgraph {
  HeteroGraph<T> graph;
  std::map<std::string, std::vector<Index>> original_ids;  ///< per node type: local id -> original id
  std::string target_type;
  Index target = 0;  ///< local id of the target (always 0)
};

class NeighborSampler {
 public:
  /// `fanouts[h]`: neighbours kept per node and edge type at hop h (each > 0, at least one hop).
  NeighborSampler(std::vector<Index> fanouts, std::uint64_t seed) : NeighborSampler(std::move(fanouts), {}, seed) {}

  /// As above; `per_relation[edge key][h]` (each >= 0, one value per hop) replaces fanouts[h] for that edge type.
  NeighborSampler(std::vector<Index> fanouts, std::map<std::string, std::vector<Index>> per_relation, std::uint64_t seed)
      : fanouts_(std::move(fanouts)), per_relation_(std::move(per_relation)), seed_(seed) {
    if (fanouts_.empty()) throw ValueError("NeighborSampler", "fanouts", "is empty: give at least one hop");
    for (std::size_t h = 0; h < fanouts_.size(); ++h)
      if (fanouts_[h] <= 0)
        throw ValueError("NeighborSampler", "fanouts[" + std::to_string(h) + "]",
                         "fan-out " + std::to_string(fanouts_[h]) + " must be positive");
    for (const auto& [key, f] : per_relation_) {
      if (f.size() != fanouts_.size())
        throw ValueError("NeighborSampler", "per_relation[" + key + "]",
                         std::to_string(f.size()) + " fan-outs, expected one per hop (" + std::to_string(fanouts_.size()) + ")");
      for (std::size_t h = 0; h < f.size(); ++h)
        if (f[h] < 0)
          throw ValueError("NeighborSampler", "per_relation[" + key + "][" + std::to_string(h) + "]",
                           "fan-out " + std::to_string(f[h]) + " must not be negative");
    }
  }

  const std::vector<Index>& fanouts() const { return fanouts_; }
  const std::map<std::string, std::vector<Index>>& per_relation() const { return per_relation_; }
  std::uint64_t seed() const { return seed_; }
  Index num_hops() const { return static_cast<Index>(fanouts_.size()); }

  /// The subgraph centred on node `target` of `target_type`. Throws LookupError
  /// for an unknown type and ValueError for an id out of range.
  template <class T>
  Subgraph<T> sample(const HeteroGraph<T>& g, const std::string& target_type, Index target) const {
    const Index tt = g.node_type_id(target_type);
    if (target < 0 || target >= g.num_nodes(tt))
      throw ValueError("NeighborSampler", "target", "node id " + std::to_string(target) + " is out of range [0, " +
                                                        std::to_string(g.num_nodes(tt)) + ") of node type '" + target_type + "'");
    const std::size_t n_types = static_cast<std::size_t>(g.num_node_types());
    std::vector<std::vector<Index>> originals(n_types);
    std::vector<std::unordered_map<Index, Index>> local(n_types);
    auto add_node = [&](Index type, Index original) {
      auto& m = local[static_cast<std::size_t>(type)];
      auto it = m.find(original);
      if (it != m.end()) return std::make_pair(it->second, false);
      const Index id = static_cast<Index>(originals[static_cast<std::size_t>(type)].size());
      m.emplace(original, id);
      originals[static_cast<std::size_t>(type)].push_back(original);
      return std::make_pair(id, true);
    };
    std::vector<std::vector<Index>> edges(static_cast<std::size_t>(g.num_edge_types()));  // local src..., then dst...
    std::vector<std::vector<Index>> edge_dst(edges.size());
    Rng rng(seed_, Rng::mix(static_cast<std::uint64_t>(tt)) ^ static_cast<std::uint64_t>(target));
    std::vector<std::pair<Index, Index>> frontier{{tt, add_node(tt, target).first}};
    // Fan-out of every edge type at every hop; an override naming no edge type of g is a LookupError.
    std::vector<std::vector<Index>> hop_fanout(fanouts_.size(), std::vector<Index>(static_cast<std::size_t>(g.num_edge_types())));
    for (const auto& [key, f] : per_relation_) {
      Index e = 0;
      while (e < g.num_edge_types() && g.edge_type(e).key() != key) ++e;
      if (e == g.num_edge_types())
        throw LookupError("NeighborSampler", "per_relation", "edge type '" + key + "' is not in the graph");
    }
    for (std::size_t h = 0; h < fanouts_.size(); ++h)
      for (Index e = 0; e < g.num_edge_types(); ++e) {
        auto it = per_relation_.find(g.edge_type(e).key());
        hop_fanout[h][static_cast<std::size_t>(e)] = it == per_relation_.end() ? fanouts_[h] : it->second[h];
      }
    std::vector<Index> pool;
    for (std::size_t hop = 0; hop < fanouts_.size(); ++hop) {
      std::vector<std::pair<Index, Index>> next;
      for (const auto& [type, v_local] : frontier) {
        const Index v = originals[static_cast<std::size_t>(type)][static_cast<std::size_t>(v_local)];
        for (Index e = 0; e < g.num_edge_types(); ++e) {
          if (g.dst_type_id(e) != type) continue;
          const Index fanout = hop_fanout[hop][static_cast<std::size_t>(e)];
          const IdSpan nb = g.in_neighbors(e, v);
          pool.assign(nb.begin(), nb.end());
          const Index keep = std::min<Index>(fanout, static_cast<Index>(pool.size()));
          for (Index k = 0; k < keep; ++k) {  // partial Fisher-Yates: pool[0..keep) is the sample
            const Index j = k + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(pool.size()) - static_cast<std::uint64_t>(k)));
            std::swap(pool[static_cast<std::size_t>(k)], pool[static_cast<std::size_t>(j)]);
            const Index st = g.src_type_id(e);
            const auto [u_local, is_new] = add_node(st, pool[static_cast<std::size_t>(k)]);
            if (is_new) next.emplace_back(st, u_local);
            edges[static_cast<std::size_t>(e)].push_back(u_local);
            edge_dst[static_cast<std::size_t>(e)].push_back(v_local);
          }
        }
      }
      frontier = std::move(next);
    }
    Subgraph<T> s;
    s.target_type = target_type;
    for (Index t = 0; t < g.num_node_types(); ++t) {
      const auto& ids = originals[static_cast<std::size_t>(t)];
      const ConstMatrixMap<T> x = g.features(t);  // in place: only the sampled rows are read and copied
      Matrix<T> sub(static_cast<Index>(ids.size()), x.cols());
      for (std::size_t i = 0; i < ids.size(); ++i) sub.row(static_cast<Index>(i)) = x.row(ids[i]);
      s.graph.add_node_type(g.node_type_name(t), std::move(sub));
      s.original_ids[g.node_type_name(t)] = ids;
    }
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      std::vector<Index> ei = edges[static_cast<std::size_t>(e)];
      ei.insert(ei.end(), edge_dst[static_cast<std::size_t>(e)].begin(), edge_dst[static_cast<std::size_t>(e)].end());
      s.graph.add_edge_type(g.edge_type(e), ei);
    }
    return s;
  }

 private:
  std::vector<Index> fanouts_;
  std::map<std::string, std::vector<Index>> per_relation_;
  std::uint64_t seed_;
};

}  // namespace hgtok
