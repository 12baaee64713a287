// Metapaths: new edge types that join the ends of relation chains, as
// torch_geometric.transforms.AddMetaPaths builds them (PyG 2.8, weighted=False,
// max_sample=None).
//
// For a metapath [e_1, ..., e_L] (L ≥ 2, dst of e_k = src of e_{k+1}) with
// adjacency matrices A_k (A_k[u, v] ≠ 0 iff e_k holds an edge u → v):
//
//   new edge type  (src of e_1, "metapath_<j>", dst of e_L)     j = the metapath's position in the list
//   edges          u → v  for every nonzero of A_1 · A_2 · … · A_L
//
// so u → v exists iff some walk u → … → v follows the relations in order.
// Edges are listed sorted by (u, v), each pair once. PyG computes the same set
// of pairs with a sparse product (torch sparse CSR @ CSR); when an input
// relation holds multi-edges, PyG's result may list some pairs more than once
// and lists each row's columns in an implementation-defined order (it follows
// an unstable sort of the inputs). hgtok merges every duplicate and sorts, so
// its output is deterministic; HAN over it equals PyG's whenever PyG's
// product has no duplicates (always when the relations have no multi-edges).
//
// New edge types are appended after the existing ones in metapath order (a
// key that already exists is overwritten in place, as PyG assigns
// data[edge_type].edge_index). Then, as PyG's postprocess:
//   drop_orig_edge_types         removes the original edge types, except those
//                                with src = dst type when keep_same_node_type;
//   drop_unconnected_node_types  removes node types that are the src or dst of
//                                no remaining edge type.
// Node types keep their order and features.
//
// Errors: an unknown relation → LookupError naming it; a metapath shorter than
// two relations, or two consecutive relations that do not chain → ValueError
// naming both relations.
#pragma once

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/graph/hetero_graph.hpp"

namespace hgtok {

/// A metapath: a chain of edge types, each one's dst type the next one's src type.
using Metapath = std::vector<EdgeType>;

namespace detail {

/// Row-compressed boolean matrix with sorted, unique columns per row.
struct BoolCsr {
  std::vector<Index> indptr, cols;
};

/// Sorted, unique CSR (rows = src ids) of the COO edges src → dst.
inline BoolCsr bool_csr(Index rows, const std::vector<Index>& src, const std::vector<Index>& dst) {
  const Csr c = build_csr(rows, src.data(), dst.data(), static_cast<Index>(src.size()));
  BoolCsr out;
  out.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  out.cols.reserve(c.indices.size());
  std::vector<Index> row;
  for (Index r = 0; r < rows; ++r) {
    row.assign(c.indices.begin() + c.indptr[static_cast<std::size_t>(r)],
               c.indices.begin() + c.indptr[static_cast<std::size_t>(r) + 1]);
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    out.cols.insert(out.cols.end(), row.begin(), row.end());
    out.indptr[static_cast<std::size_t>(r) + 1] = static_cast<Index>(out.cols.size());
  }
  return out;
}

/// Boolean product a · b (a: rows × k, b: k × n_cols), sorted unique columns per row.
inline BoolCsr bool_product(const BoolCsr& a, const BoolCsr& b, Index n_cols) {
  const Index rows = static_cast<Index>(a.indptr.size()) - 1;
  BoolCsr out;
  out.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  std::vector<Index> mark(static_cast<std::size_t>(n_cols), -1);
  std::vector<Index> row;
  for (Index r = 0; r < rows; ++r) {
    row.clear();
    for (Index p = a.indptr[static_cast<std::size_t>(r)]; p < a.indptr[static_cast<std::size_t>(r) + 1]; ++p) {
      const auto k = static_cast<std::size_t>(a.cols[static_cast<std::size_t>(p)]);
      for (Index q = b.indptr[k]; q < b.indptr[k + 1]; ++q) {
        const Index c = b.cols[static_cast<std::size_t>(q)];
        if (mark[static_cast<std::size_t>(c)] != r) {
          mark[static_cast<std::size_t>(c)] = r;
          row.push_back(c);
        }
      }
    }
    std::sort(row.begin(), row.end());
    out.cols.insert(out.cols.end(), row.begin(), row.end());
    out.indptr[static_cast<std::size_t>(r) + 1] = static_cast<Index>(out.cols.size());
  }
  return out;
}

}  // namespace detail

/// Validates metapaths against g without computing them (the checks add_metapaths makes first).
template <class T>
void check_metapaths(const HeteroGraph<T>& g, const std::vector<Metapath>& metapaths) {
  for (std::size_t j = 0; j < metapaths.size(); ++j) {
    const Metapath& path = metapaths[j];
    const std::string field = "metapaths[" + std::to_string(j) + "]";
    if (path.size() < 2)
      throw ValueError("add_metapaths", field,
                       "a metapath needs at least two relations, got " + std::to_string(path.size()));
    for (const auto& e : path)
      if (!g.has_edge_type(e)) throw LookupError("add_metapaths", field, "unknown edge type '" + e.key() + "'");
    for (std::size_t k = 0; k + 1 < path.size(); ++k)
      if (path[k].dst != path[k + 1].src)
        throw ValueError("add_metapaths", field,
                         "relations do not chain: '" + path[k].key() + "' ends at node type '" + path[k].dst +
                             "' but '" + path[k + 1].key() + "' starts at '" + path[k + 1].src + "'");
  }
}

/// Returns a copy of g with one edge type (src of first, "metapath_<j>", dst of last) per metapath
/// (see the file comment for the exact semantics and flags).
template <class T>
HeteroGraph<T> add_metapaths(const HeteroGraph<T>& g, const std::vector<Metapath>& metapaths,
                             bool drop_orig_edge_types = false, bool keep_same_node_type = false,
                             bool drop_unconnected_node_types = false) {
  check_metapaths(g, metapaths);
  struct Store {
    EdgeType type;
    std::vector<Index> src, dst;
  };
  std::vector<Store> stores;
  for (Index e = 0; e < g.num_edge_types(); ++e) stores.push_back({g.edge_type(e), g.edge_src(e).to_vector(), g.edge_dst(e).to_vector()});
  const auto find = [&](const EdgeType& t) -> std::size_t {
    for (std::size_t i = 0; i < stores.size(); ++i)
      if (stores[i].type == t) return i;
    return stores.size();
  };
  for (std::size_t j = 0; j < metapaths.size(); ++j) {
    const Metapath& path = metapaths[j];
    const auto csr_of = [&](const EdgeType& t) {
      const Store& s = stores[find(t)];
      return detail::bool_csr(g.num_nodes(t.src), s.src, s.dst);
    };
    detail::BoolCsr acc = csr_of(path[0]);
    for (std::size_t k = 1; k < path.size(); ++k) acc = detail::bool_product(acc, csr_of(path[k]), g.num_nodes(path[k].dst));
    Store out{EdgeType{path.front().src, "metapath_" + std::to_string(j), path.back().dst}, {}, {}};
    out.src.resize(acc.cols.size());
    out.dst = std::move(acc.cols);
    for (std::size_t r = 0; r + 1 < acc.indptr.size(); ++r)
      std::fill(out.src.begin() + acc.indptr[r], out.src.begin() + acc.indptr[r + 1], static_cast<Index>(r));
    const std::size_t at = find(out.type);
    if (at < stores.size())
      stores[at] = std::move(out);
    else
      stores.push_back(std::move(out));
  }
  if (drop_orig_edge_types) {
    for (const auto& orig : g.edge_types()) {
      if (keep_same_node_type && orig.src == orig.dst) continue;
      const std::size_t at = find(orig);
      if (at < stores.size()) stores.erase(stores.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  std::set<std::string> connected;
  for (const auto& s : stores) {
    connected.insert(s.type.src);
    connected.insert(s.type.dst);
  }
  HeteroGraph<T> out;
  for (const auto& name : g.node_types()) {
    if (drop_unconnected_node_types && !connected.count(name)) continue;
    out.add_node_type(name, g.num_nodes(name), g.x(name));
  }
  for (const auto& s : stores) out.add_edge_type(s.type, s.src.data(), s.dst.data(), static_cast<Index>(s.src.size()));
  return out;
}

}  // namespace hgtok
