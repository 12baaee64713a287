// OpenHGNNWalk: HetGNN's neighbour sampler as OpenHGNN builds it (openhgnn/sampler/HetGNN_sampler.py,
// hetgnn_graph.build_hetgnn_graph, PyPI openhgnn 0.7.0), the variant the "openhgnn" preset selects
// (docs/hetgnn.md). RandomWalkWithRestart (graph/random_walk.hpp) is hgtok's default.
//
// From every node v of node type c, `walks_per_node` walks (dgl.sampling.random_walk with restart_prob on the
// graph made homogeneous), each recording visits:
//
//   record v                                            (the start node counts: v is its own neighbour)
//   cur = v
//   repeat at most walk_length times:
//     if cur has no out-edge: stop this walk
//     next = the k-th out-neighbour of cur, k = rng.uniform_int(D)   (D and the order as RandomWalkWithRestart's)
//     if rng.uniform() < restart_prob: stop this walk    (a restart ends the walk; next is not recorded: DGL
//                                                         draws the move, then overwrites it with -1)
//     cur = next; record cur
//
// Then, for each node type t with a budget k_t, the neighbours of v of type t: the visited nodes of type t in
// ascending id order (dgl.to_simple's order), sorted by visit count descending with std::sort (as DGL's
// select_topk does; ties among at most 16 candidates keep the ascending ids, larger tie groups follow the
// C++ library's std::sort, libstdc++ for DGL's wheels), the first k_t kept, in that order (the order DGL's
// reducer hands them to the LSTM).
//
// DGL's own random numbers cannot be reproduced; from_visits ranks given visits (e.g. recorded DGL walks), so
// the ranking is checked against OpenHGNN exactly and the walks by their statistics (tests/graph).
// Randomness: Rng(seed, Rng::mix(node type id) ^ v) per start node, its walks one after another, so the lists
// of v depend neither on the thread count nor on which other nodes are sampled.
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
#include "hgtok/graph/random_walk.hpp"

namespace hgtok {

/// Recorded visits of every node of one centre node type: node i's visits are (types[j], ids[j]) for j in
/// [indptr[i], indptr[i+1]), repeats included (a node visited n times appears n times).
struct WalkVisits {
  std::vector<Index> indptr{0};
  std::vector<Index> types, ids;
};

class OpenHGNNWalk {
 public:
  /// `top_k`: neighbours kept per node type (each > 0; types not listed are not collected). ValueError for a
  /// restart probability outside [0, 1], a negative walk length, walks_per_node < 1 or a k ≤ 0.
  OpenHGNNWalk(double restart_prob, Index walk_length, Index walks_per_node, std::map<std::string, Index> top_k,
               std::uint64_t seed)
      : restart_(restart_prob), length_(walk_length), walks_(walks_per_node), top_k_(std::move(top_k)), seed_(seed) {
    if (!(restart_prob >= 0.0 && restart_prob <= 1.0))
      throw ValueError("OpenHGNNWalk", "restart_prob",
                       "restart probability " + std::to_string(restart_prob) + " is outside [0, 1]");
    if (walk_length < 0)
      throw ValueError("OpenHGNNWalk", "walk_length", "walk length " + std::to_string(walk_length) + " is negative");
    if (walks_per_node < 1)
      throw ValueError("OpenHGNNWalk", "walks_per_node",
                       std::to_string(walks_per_node) + " walks per node: at least 1");
    for (const auto& [type, k] : top_k_)
      if (k <= 0) throw ValueError("OpenHGNNWalk", "top_k/" + type, "k = " + std::to_string(k) + " must be positive");
  }

  double restart_prob() const { return restart_; }
  Index walk_length() const { return length_; }
  Index walks_per_node() const { return walks_; }
  std::uint64_t seed() const { return seed_; }
  /// k of a node type (0: not collected).
  Index k(const std::string& type) const {
    auto it = top_k_.find(type);
    return it == top_k_.end() ? 0 : it->second;
  }

  /// Walks from every node of g and ranks the visits. A type named in top_k but absent from g: LookupError.
  template <class T>
  HetNeighbors sample(const HeteroGraph<T>& g) const {
    const std::vector<Index> ks = budgets(g);
    std::vector<std::vector<Index>> out_types(static_cast<std::size_t>(g.num_node_types()));
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      out_types[static_cast<std::size_t>(g.src_type_id(e))].push_back(e);
      g.out_csr(e);  // built before going parallel
    }
    return collect(g, ks, [&](Index c, Index v, auto&& visit) { walk(g, out_types, c, v, visit); });
  }

  /// Ranks given visits: visits[c] for centre node type id c (every node type of g). Visits of types or ids
  /// outside g, or an indptr that does not cover g's nodes, are a ValueError / ShapeError naming them.
  template <class T>
  HetNeighbors from_visits(const HeteroGraph<T>& g, const std::vector<WalkVisits>& visits) const {
    const std::vector<Index> ks = budgets(g);
    const Index n_types = g.num_node_types();
    if (static_cast<Index>(visits.size()) != n_types)
      throw ShapeError("OpenHGNNWalk", "visits",
                       std::to_string(visits.size()) + " centre types, graph has " + std::to_string(n_types));
    for (Index c = 0; c < n_types; ++c) {
      const WalkVisits& w = visits[static_cast<std::size_t>(c)];
      const std::string field = "visits/" + g.node_type_name(c);
      if (static_cast<Index>(w.indptr.size()) != g.num_nodes(c) + 1 || w.indptr.front() != 0 ||
          w.indptr.back() != static_cast<Index>(w.ids.size()) || w.types.size() != w.ids.size())
        throw ShapeError("OpenHGNNWalk", field,
                         "indptr, types and ids do not describe " + std::to_string(g.num_nodes(c)) + " nodes");
      for (std::size_t i = 1; i < w.indptr.size(); ++i)
        if (w.indptr[i] < w.indptr[i - 1])
          throw ValueError("OpenHGNNWalk", field, "indptr decreases at " + std::to_string(i));
      for (std::size_t j = 0; j < w.ids.size(); ++j)
        if (w.types[j] < 0 || w.types[j] >= n_types || w.ids[j] < 0 || w.ids[j] >= g.num_nodes(w.types[j]))
          throw ValueError("OpenHGNNWalk", field,
                           "visit (type " + std::to_string(w.types[j]) + ", id " + std::to_string(w.ids[j]) +
                               ") is not a node of the graph");
    }
    return collect(g, ks, [&](Index c, Index v, auto&& visit) {
      const WalkVisits& w = visits[static_cast<std::size_t>(c)];
      for (Index j = w.indptr[static_cast<std::size_t>(v)]; j < w.indptr[static_cast<std::size_t>(v) + 1]; ++j)
        visit(w.types[static_cast<std::size_t>(j)], w.ids[static_cast<std::size_t>(j)]);
    });
  }

 private:
  template <class T>
  std::vector<Index> budgets(const HeteroGraph<T>& g) const {
    for (const auto& kv : top_k_)
      if (!g.has_node_type(kv.first))
        throw LookupError("OpenHGNNWalk", "top_k/" + kv.first, "unknown node type '" + kv.first + "'");
    std::vector<Index> ks(static_cast<std::size_t>(g.num_node_types()));
    for (Index t = 0; t < g.num_node_types(); ++t) ks[static_cast<std::size_t>(t)] = k(g.node_type_name(t));
    return ks;
  }

  /// The walks of one start node v of type c; visit(type, id) for every recorded node.
  template <class T, class Visit>
  void walk(const HeteroGraph<T>& g, const std::vector<std::vector<Index>>& out_types, Index c, Index v,
            Visit&& visit) const {
    Rng rng(seed_, Rng::mix(static_cast<std::uint64_t>(c)) ^ static_cast<std::uint64_t>(v));
    for (Index w = 0; w < walks_; ++w) {
      visit(c, v);
      Index cur_type = c, cur = v;
      for (Index s = 0; s < length_; ++s) {
        Index degree = 0;
        for (Index e : out_types[static_cast<std::size_t>(cur_type)]) {
          const auto& ptr = g.out_csr(e).indptr;
          degree += ptr[static_cast<std::size_t>(cur) + 1] - ptr[static_cast<std::size_t>(cur)];
        }
        if (degree == 0) break;
        auto pick = static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(degree)));
        Index next = cur, next_type = cur_type;
        for (Index e : out_types[static_cast<std::size_t>(cur_type)]) {
          const Csr& csr = g.out_csr(e);
          const Index first = csr.indptr[static_cast<std::size_t>(cur)],
                      deg = csr.indptr[static_cast<std::size_t>(cur) + 1] - first;
          if (pick < deg) {
            next = csr.indices[static_cast<std::size_t>(first + pick)];
            next_type = g.dst_type_id(e);
            break;
          }
          pick -= deg;
        }
        if (rng.uniform() < restart_) break;
        cur = next;
        cur_type = next_type;
        visit(cur_type, cur);
      }
    }
  }

  /// Counts each node's visits (`visits(c, v, visit)` calls visit(type, id) per visit) and ranks them.
  template <class T, class Visits>
  static HetNeighbors collect(const HeteroGraph<T>& g, const std::vector<Index>& ks, Visits&& visits) {
    const Index n_types = g.num_node_types();
    HetNeighbors result;
    result.node_types = g.node_types();
    result.lists.assign(static_cast<std::size_t>(n_types),
                        std::vector<NeighborList>(static_cast<std::size_t>(n_types)));
    for (Index c = 0; c < n_types; ++c) {
      const Index n = g.num_nodes(c);
      // Per node, per neighbour type, its (count, id) list, filled in parallel, packed after.
      detail::PickedNeighbors picked(static_cast<std::size_t>(n));
      constexpr Index kBlock = 64;
      detail::parallel_for((n + kBlock - 1) / kBlock, [&](Index b) {
        std::vector<std::vector<Index>> count(static_cast<std::size_t>(n_types));
        for (Index t = 0; t < n_types; ++t)
          if (ks[static_cast<std::size_t>(t)] > 0)
            count[static_cast<std::size_t>(t)].assign(static_cast<std::size_t>(g.num_nodes(t)), 0);
        std::vector<std::vector<Index>> touched(static_cast<std::size_t>(n_types));
        for (Index v = b * kBlock; v < std::min(n, (b + 1) * kBlock); ++v) {
          visits(c, v, [&](Index t, Index id) {
            if (ks[static_cast<std::size_t>(t)] == 0) return;
            if (count[static_cast<std::size_t>(t)][static_cast<std::size_t>(id)]++ == 0)
              touched[static_cast<std::size_t>(t)].push_back(id);
          });
          auto& mine = picked[static_cast<std::size_t>(v)];
          mine.assign(static_cast<std::size_t>(n_types), {});
          for (Index t = 0; t < n_types; ++t) {
            auto& ids = touched[static_cast<std::size_t>(t)];
            std::sort(ids.begin(), ids.end());  // dgl.to_simple's order
            auto& l = mine[static_cast<std::size_t>(t)];
            for (Index id : ids) {
              auto& cnt = count[static_cast<std::size_t>(t)][static_cast<std::size_t>(id)];
              l.push_back({cnt, id});
              cnt = 0;
            }
            ids.clear();
            // DGL's select_topk: std::sort by weight, descending, then the first k.
            std::sort(l.begin(), l.end(), [](const auto& a, const auto& b2) { return a.first > b2.first; });
            l.resize(std::min<std::size_t>(l.size(), static_cast<std::size_t>(ks[static_cast<std::size_t>(t)])));
          }
        }
      });
      detail::pack_picked(picked, result.lists[static_cast<std::size_t>(c)]);
    }
    return result;
  }

  double restart_ = 0.5;
  Index length_ = 0, walks_ = 1;
  std::map<std::string, Index> top_k_;
  std::uint64_t seed_ = 0;
};

}  // namespace hgtok
