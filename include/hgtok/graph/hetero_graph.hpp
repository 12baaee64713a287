// HeteroGraph: a heterogeneous graph with typed nodes and typed edges.
//
// Node types each hold a node count and a feature matrix x[type] of shape
// [N_type, F_type] (F may differ per type, and may be 0). Edge types are
// canonical triplets (src, relation, dst). Each edge type stores its edges in a
// CSR indexed by destination node (the layout message passing reads:
// in-neighbours of dst node i are indices[indptr[i] .. indptr[i+1]]); a CSR
// indexed by source is built on request. Edges are given as COO [2, E] int64
// (row 0 = source ids, row 1 = destination ids, as PyG's edge_index); multi-edges and
// self-loops are kept, and within one destination the edges keep their COO order.
//
// A graph can also be backed by a memory-mapped compiled graph file (graph/compiled_graph.hpp): its features,
// COO ids and CSRs are then views into the mapping (IdArray, features()), read in place and checked as they are
// read, never followed out of bounds.
//
// Type order is stable and documented: node types and edge types are numbered
// in the order they are added (the order of PyG's HeteroData.node_types /
// edge_types when loaded from a file written by tools/export_pyg.py).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/types.hpp"
#include "hgtok/graph/csr.hpp"

namespace hgtok {

/// A heterogeneous graph; T is the feature scalar type.
template <class T = float>
class HeteroGraph {
 public:
  HeteroGraph() = default;
  HeteroGraph(HeteroGraph&&) noexcept = default;
  HeteroGraph& operator=(HeteroGraph&&) noexcept = default;
  /// Deep copy (the source-indexed CSR is rebuilt on request in the copy); a graph backed by a mapped file shares
  /// the mapping with its copy.
  HeteroGraph(const HeteroGraph& o)
      : nodes_(o.nodes_), node_index_(o.node_index_), edge_index_(o.edge_index_), backing_(o.backing_) {
    edges_.reserve(o.edges_.size());
    for (const auto& e : o.edges_) {
      auto c = std::make_unique<EdgeStore>();
      c->type = e->type;
      c->src_type = e->src_type;
      c->dst_type = e->dst_type;
      c->src = e->src;
      c->dst = e->dst;
      c->in = e->in;
      if (e->out_mapped) {
        c->out = e->out;
        c->out_mapped = true;
      }
      c->source = e->source;
      edges_.push_back(std::move(c));
    }
  }
  HeteroGraph& operator=(const HeteroGraph& o) {
    if (this != &o) *this = HeteroGraph(o);
    return *this;
  }

  /// Adds a node type with features x ([N, F], one row per node). Throws
  /// ValueError for a duplicate name or a non-finite feature.
  Index add_node_type(const std::string& name, Matrix<T> x) {
    check_new_node_type(name);
    for (Index r = 0; r < x.rows(); ++r)
      for (Index c = 0; c < x.cols(); ++c)
        if (!std::isfinite(static_cast<double>(x(r, c))))
          throw ValueError("HeteroGraph", "x/" + name,
                           "feature (" + std::to_string(r) + ", " + std::to_string(c) + ") is not finite");
    NodeStore n;
    n.name = name;
    n.count = x.rows();
    n.x = std::move(x);
    return push_node_type(std::move(n));
  }

  /// Adds a node type with `count` nodes and features x; throws ShapeError when
  /// x has a row count other than `count`.
  Index add_node_type(const std::string& name, Index count, Matrix<T> x) {
    if (x.rows() != count)
      throw ShapeError("HeteroGraph", "x/" + name,
                       "feature matrix has " + std::to_string(x.rows()) + " rows, node count is " + std::to_string(count));
    return add_node_type(name, std::move(x));
  }

  /// Adds a node type with `count` nodes and no features (width 0).
  Index add_node_type(const std::string& name, Index count) {
    check_new_node_type(name);
    if (count < 0) throw ValueError("HeteroGraph", "num_nodes/" + name, "negative node count " + std::to_string(count));
    NodeStore n;
    n.name = name;
    n.count = count;
    n.x = Matrix<T>(count, 0);
    return push_node_type(std::move(n));
  }

  /// Adds an edge type from COO edges: src[e] -> dst[e] for e in [0, num_edges).
  /// Both node types must exist; ids must be in [0, N). Throws LookupError /
  /// ValueError naming the edge type, the row and the value.
  Index add_edge_type(const EdgeType& type, const Index* src, const Index* dst, Index num_edges) {
    const std::string key = type.key();
    const std::string field = "edge_index/" + key;
    if (edge_index_.count(key)) throw ValueError("HeteroGraph", field, "edge type added twice");
    if (num_edges < 0) throw ValueError("HeteroGraph", field, "negative edge count " + std::to_string(num_edges));
    check_relation(type, field);
    const Index s = find_node_type(type.src, field + " (src)");
    const Index d = find_node_type(type.dst, field + " (dst)");
    check_ids(src, num_edges, nodes_[static_cast<std::size_t>(s)].count, field, "source (row 0)", type.src);
    check_ids(dst, num_edges, nodes_[static_cast<std::size_t>(d)].count, field, "destination (row 1)", type.dst);
    auto e = std::make_unique<EdgeStore>();
    e->type = type;
    e->src_type = s;
    e->dst_type = d;
    e->src = IdArray(std::vector<Index>(src, src + num_edges));
    e->dst = IdArray(std::vector<Index>(dst, dst + num_edges));
    e->in = detail::build_csr(nodes_[static_cast<std::size_t>(d)].count, dst, src, num_edges);
    edge_index_[key] = static_cast<Index>(edges_.size());
    edges_.push_back(std::move(e));
    return static_cast<Index>(edges_.size()) - 1;
  }

  // ---- memory-mapped storage (graph/compiled_graph.hpp builds graphs this way) ----
  /// Keeps `backing` (the mapped file the views below point into) alive as long as the graph and its copies.
  void keep_alive(std::shared_ptr<const void> backing) { backing_.push_back(std::move(backing)); }
  /// Adds a node type whose [count, cols] row-major features are read in place at `features` (kept alive by
  /// keep_alive). Nothing is copied or checked here: features(t) reads them in place, x(t) copies them on first use,
  /// and the rows a sampler copies into a subgraph are checked for finiteness there.
  Index add_mapped_node_type(const std::string& name, Index count, const T* features, Index cols) {
    check_new_node_type(name);
    NodeStore n;
    n.name = name;
    n.count = count;
    n.mapped = features;
    n.cols = cols;
    return push_node_type(std::move(n));
  }
  /// Adds an edge type whose COO ids and CSRs (by destination, and by source when `out` has offsets) are views
  /// into a mapped file named `source`. Their sizes must already be checked (graph/compiled_graph.hpp); their values
  /// are checked as they are read: in_neighbors / out_neighbors check the row they return, and in_csr, out_csr,
  /// edge_src and edge_dst check the whole edge type once (verify_edge_type) before handing it out.
  Index add_mapped_edge_type(const EdgeType& type, IdArray src, IdArray dst, Csr in, Csr out, const std::string& source) {
    const std::string key = type.key();
    if (edge_index_.count(key)) throw ValueError(source, "edge_index/" + key, "edge type added twice");
    check_relation(type, "edge_index/" + key);
    auto e = std::make_unique<EdgeStore>();
    e->type = type;
    e->src_type = find_node_type(type.src, "edge_index/" + key + " (src)");
    e->dst_type = find_node_type(type.dst, "edge_index/" + key + " (dst)");
    e->src = std::move(src);
    e->dst = std::move(dst);
    e->in = std::move(in);
    if (!out.indptr.empty()) {
      e->out = std::move(out);
      e->out_mapped = true;
    }
    e->source = source;
    edge_index_[key] = static_cast<Index>(edges_.size());
    edges_.push_back(std::move(e));
    return static_cast<Index>(edges_.size()) - 1;
  }
  /// Checks every id and CSR entry of a mapped edge type against its COO list (detail::check_csr), once; a
  /// no-op for edge types built in memory. FormatError naming the file, tensor and value.
  void verify_edge_type(Index edge_type_id) const {
    const EdgeStore& e = edge(edge_type_id);
    if (e.source.empty()) return;
    std::call_once(e.verify_once, [&] {
      const Index n_src = nodes_[static_cast<std::size_t>(e.src_type)].count, n_dst = nodes_[static_cast<std::size_t>(e.dst_type)].count;
      const std::string key = e.type.key();
      const auto n = static_cast<Index>(e.src.size());
      detail::check_csr(e.in, n_dst, n_src, e.dst.data(), e.src.data(), n, e.source, false, key, e.type.src);
      if (e.out_mapped) detail::check_csr(e.out, n_src, n_dst, e.src.data(), e.dst.data(), n, e.source, true, key, e.type.dst);
    });
  }
  /// Whether node type `type_id`'s features are read in place from a mapped file.
  bool is_mapped(Index type_id) const { return node(type_id).mapped != nullptr; }

  /// Adds an edge type from an edge_index laid out row-major as [2, E].
  Index add_edge_type(const EdgeType& type, const std::vector<Index>& edge_index) {
    if (edge_index.size() % 2 != 0)
      throw ShapeError("HeteroGraph", "edge_index/" + type.key(),
                       "edge_index has " + std::to_string(edge_index.size()) + " values, not [2, E]");
    const Index e = static_cast<Index>(edge_index.size() / 2);
    return add_edge_type(type, edge_index.data(), edge_index.data() + e, e);
  }

  // ---- types ----
  Index num_node_types() const { return static_cast<Index>(nodes_.size()); }
  Index num_edge_types() const { return static_cast<Index>(edges_.size()); }
  /// Node type names in type-id order.
  std::vector<std::string> node_types() const {
    std::vector<std::string> out;
    for (const auto& n : nodes_) out.push_back(n.name);
    return out;
  }
  /// Edge types in type-id order.
  std::vector<EdgeType> edge_types() const {
    std::vector<EdgeType> out;
    for (const auto& e : edges_) out.push_back(e->type);
    return out;
  }
  bool has_node_type(const std::string& name) const { return node_index_.count(name) != 0; }
  bool has_edge_type(const EdgeType& t) const { return edge_index_.count(t.key()) != 0; }
  /// Id of a node type; throws LookupError naming it.
  Index node_type_id(const std::string& name) const { return find_node_type(name, "node_type"); }
  /// Id of an edge type; throws LookupError naming it.
  Index edge_type_id(const EdgeType& t) const {
    auto it = edge_index_.find(t.key());
    if (it == edge_index_.end()) throw LookupError("HeteroGraph", "edge_type", "unknown edge type '" + t.key() + "'");
    return it->second;
  }
  const std::string& node_type_name(Index id) const { return node(id).name; }
  const EdgeType& edge_type(Index id) const { return edge(id).type; }
  /// Node-type ids of an edge type's source and destination.
  Index src_type_id(Index edge_type_id) const { return edge(edge_type_id).src_type; }
  Index dst_type_id(Index edge_type_id) const { return edge(edge_type_id).dst_type; }

  // ---- nodes and features ----
  Index num_nodes(Index type_id) const { return node(type_id).count; }
  Index num_nodes(const std::string& type) const { return num_nodes(node_type_id(type)); }
  Index num_nodes() const {
    Index n = 0;
    for (const auto& t : nodes_) n += t.count;
    return n;
  }
  /// Feature matrix [N, F] of a node type. For a type read from a mapped file this is a copy made on first use
  /// (thread-safe); features() reads in place.
  const Matrix<T>& x(Index type_id) const {
    const NodeStore& n = node(type_id);
    if (n.mapped) std::call_once(*n.copy_once, [&] { n.x = features(type_id); });
    return n.x;
  }
  const Matrix<T>& x(const std::string& type) const { return x(node_type_id(type)); }
  /// Feature rows [N, F] of a node type, in place (in memory or in the mapped file); copies nothing.
  ConstMatrixMap<T> features(Index type_id) const {
    const NodeStore& n = node(type_id);
    return n.mapped ? ConstMatrixMap<T>(n.mapped, n.count, n.cols) : ConstMatrixMap<T>(n.x.data(), n.x.rows(), n.x.cols());
  }
  Index feature_dim(Index type_id) const {
    const NodeStore& n = node(type_id);
    return n.mapped ? n.cols : n.x.cols();
  }

  // ---- edges ----
  Index num_edges(Index edge_type_id) const { return static_cast<Index>(edge(edge_type_id).src.size()); }
  Index num_edges() const {
    Index n = 0;
    for (const auto& e : edges_) n += static_cast<Index>(e->src.size());
    return n;
  }
  /// COO source / destination ids of an edge type, in insertion order.
  const IdArray& edge_src(Index edge_type_id) const {
    verify_edge_type(edge_type_id);
    return edge(edge_type_id).src;
  }
  const IdArray& edge_dst(Index edge_type_id) const {
    verify_edge_type(edge_type_id);
    return edge(edge_type_id).dst;
  }
  /// CSR indexed by destination node: row i lists the sources of edges into i.
  const Csr& in_csr(Index edge_type_id) const {
    verify_edge_type(edge_type_id);
    return edge(edge_type_id).in;
  }
  /// CSR indexed by source node: row j lists the destinations of edges out of j (built on first request, thread-safe,
  /// unless read from a compiled file that holds it).
  const Csr& out_csr(Index edge_type_id) const {
    verify_edge_type(edge_type_id);
    const EdgeStore& e = edge(edge_type_id);
    if (e.out_mapped) return e.out;
    std::call_once(e.out_once, [&] {
      e.out = detail::build_csr(nodes_[static_cast<std::size_t>(e.src_type)].count, e.src.data(), e.dst.data(),
                                static_cast<Index>(e.src.size()));
    });
    return e.out;
  }
  /// In-neighbours (source ids) of destination node `v` under one edge type.
  IdSpan in_neighbors(Index edge_type_id, Index v) const {
    const EdgeStore& e = edge(edge_type_id);
    const Csr& c = e.in;
    check_node(v, c.rows(), e.type.dst);
    if (!e.source.empty())
      detail::check_csr_row(c, v, nodes_[static_cast<std::size_t>(e.src_type)].count, e.source, false, e.type.key(), e.type.src);
    const auto b = c.indptr[static_cast<std::size_t>(v)];
    return {c.indices.data() + b, c.indptr[static_cast<std::size_t>(v) + 1] - b};
  }
  /// Out-neighbours (destination ids) of source node `u` under one edge type.
  IdSpan out_neighbors(Index edge_type_id, Index u) const {
    const EdgeStore& e = edge(edge_type_id);
    const Csr& c = e.out_mapped ? e.out : out_csr(edge_type_id);
    check_node(u, c.rows(), e.type.src);
    if (e.out_mapped)
      detail::check_csr_row(c, u, nodes_[static_cast<std::size_t>(e.dst_type)].count, e.source, true, e.type.key(), e.type.dst);
    const auto b = c.indptr[static_cast<std::size_t>(u)];
    return {c.indices.data() + b, c.indptr[static_cast<std::size_t>(u) + 1] - b};
  }
  Index in_degree(Index edge_type_id, Index v) const { return in_neighbors(edge_type_id, v).size(); }
  Index out_degree(Index edge_type_id, Index u) const { return out_neighbors(edge_type_id, u).size(); }

 private:
  struct NodeStore {
    NodeStore() = default;
    NodeStore(NodeStore&&) noexcept = default;
    NodeStore& operator=(NodeStore&&) noexcept = default;
    NodeStore(const NodeStore& o) : name(o.name), count(o.count), x(o.mapped ? Matrix<T>() : o.x), mapped(o.mapped), cols(o.cols) {}
    std::string name;
    Index count = 0;
    mutable Matrix<T> x;       ///< the features; for a mapped type, the copy x() makes on first use
    const T* mapped = nullptr;  ///< the features in a mapped file, or null
    Index cols = 0;             ///< feature width of a mapped type
    std::unique_ptr<std::once_flag> copy_once = std::make_unique<std::once_flag>();
  };
  struct EdgeStore {
    EdgeType type;
    Index src_type = 0, dst_type = 0;
    IdArray src, dst;
    Csr in;
    mutable Csr out;
    bool out_mapped = false;  ///< out is a view read from the file (else built on request)
    std::string source;       ///< the mapped file the ids are read from; empty for edges built in memory
    mutable std::once_flag out_once, verify_once;
  };

  void check_new_node_type(const std::string& name) const {
    if (name.empty()) throw ValueError("HeteroGraph", "node_type", "empty node type name");
    if (name.find("__") != std::string::npos || name.find('/') != std::string::npos)
      throw ValueError("HeteroGraph", "node_type", "name '" + name + "' may not contain '__' or '/'");
    if (node_index_.count(name)) throw ValueError("HeteroGraph", "node_type", "node type '" + name + "' added twice");
  }
  static void check_relation(const EdgeType& type, const std::string& field) {
    if (type.relation.empty() || type.relation.find("__") != std::string::npos || type.relation.find('/') != std::string::npos)
      throw ValueError("HeteroGraph", field, "relation '" + type.relation + "' must be non-empty without '__' or '/'");
  }
  Index push_node_type(NodeStore n) {
    node_index_[n.name] = static_cast<Index>(nodes_.size());
    nodes_.push_back(std::move(n));
    return static_cast<Index>(nodes_.size()) - 1;
  }
  Index find_node_type(const std::string& name, const std::string& field) const {
    auto it = node_index_.find(name);
    if (it == node_index_.end()) throw LookupError("HeteroGraph", field, "unknown node type '" + name + "'");
    return it->second;
  }
  static void check_ids(const Index* ids, Index n, Index limit, const std::string& field, const char* row,
                        const std::string& type) {
    for (Index e = 0; e < n; ++e)
      if (ids[e] < 0 || ids[e] >= limit)
        throw ValueError("HeteroGraph", field,
                         std::string(row) + " id " + std::to_string(ids[e]) + " of edge " + std::to_string(e) +
                             " is out of range [0, " + std::to_string(limit) + ") of node type '" + type + "'");
  }
  static void check_node(Index v, Index limit, const std::string& type) {
    if (v < 0 || v >= limit)
      throw ValueError("HeteroGraph", "node", "node id " + std::to_string(v) + " is out of range [0, " +
                                                  std::to_string(limit) + ") of node type '" + type + "'");
  }
  const NodeStore& node(Index id) const {
    if (id < 0 || id >= num_node_types())
      throw LookupError("HeteroGraph", "node_type_id", "no node type with id " + std::to_string(id));
    return nodes_[static_cast<std::size_t>(id)];
  }
  const EdgeStore& edge(Index id) const {
    if (id < 0 || id >= num_edge_types())
      throw LookupError("HeteroGraph", "edge_type_id", "no edge type with id " + std::to_string(id));
    return *edges_[static_cast<std::size_t>(id)];
  }

  std::vector<NodeStore> nodes_;
  std::vector<std::unique_ptr<EdgeStore>> edges_;
  std::unordered_map<std::string, Index> node_index_;
  std::unordered_map<std::string, Index> edge_index_;
  std::vector<std::shared_ptr<const void>> backing_;
};

}  // namespace hgtok
