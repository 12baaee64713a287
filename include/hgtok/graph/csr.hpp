// Compressed sparse rows of one edge type: the arrays (IdArray: owned, or viewing a memory-mapped compiled graph
// file), building them from COO edges (a stable counting sort), and checking arrays read from a file before they are
// followed (graph/compiled_graph.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"

namespace hgtok {

/// An array of ids that either owns its storage or views memory owned elsewhere (a memory-mapped graph file,
/// graph/compiled_graph.hpp). Read-only once built; copies of an owning array own a copy, copies of a view view
/// the same memory.
class IdArray {
 public:
  IdArray() = default;
  IdArray(std::vector<Index> owned) : owned_(std::move(owned)), first_(owned_.data()), count_(owned_.size()) {}  // NOLINT
  /// A view of `count` ids at `first`, which must outlive the array and its copies.
  static IdArray view(const Index* first, std::size_t count) {
    IdArray a;
    a.first_ = first;
    a.count_ = count;
    a.is_view_ = true;
    return a;
  }
  IdArray(const IdArray& o) : owned_(o.owned_), first_(o.is_view_ ? o.first_ : owned_.data()), count_(o.count_), is_view_(o.is_view_) {}
  IdArray(IdArray&& o) noexcept
      : owned_(std::move(o.owned_)), first_(o.is_view_ ? o.first_ : owned_.data()), count_(o.count_), is_view_(o.is_view_) {
    o.first_ = nullptr;
    o.count_ = 0;
  }
  IdArray& operator=(IdArray o) noexcept {
    owned_.swap(o.owned_);
    first_ = o.is_view_ ? o.first_ : owned_.data();
    count_ = o.count_;
    is_view_ = o.is_view_;
    return *this;
  }

  const Index* data() const { return first_; }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const Index* begin() const { return first_; }
  const Index* end() const { return first_ + count_; }
  const Index& operator[](std::size_t i) const { return first_[i]; }
  const Index& front() const { return first_[0]; }
  const Index& back() const { return first_[count_ - 1]; }
  /// Whether the ids live in memory owned elsewhere.
  bool is_view() const { return is_view_; }
  std::vector<Index> to_vector() const { return std::vector<Index>(begin(), end()); }
  /// A copy as a vector (these arrays were std::vectors before mapped graphs: code that copies them still compiles).
  operator std::vector<Index>() const { return to_vector(); }  // NOLINT(google-explicit-constructor)

  friend bool operator==(const IdArray& a, const IdArray& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
  friend bool operator!=(const IdArray& a, const IdArray& b) { return !(a == b); }
  friend bool operator==(const IdArray& a, const std::vector<Index>& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
  friend bool operator==(const std::vector<Index>& b, const IdArray& a) { return a == b; }
  friend bool operator!=(const IdArray& a, const std::vector<Index>& b) { return !(a == b); }
  friend bool operator!=(const std::vector<Index>& b, const IdArray& a) { return !(a == b); }

 private:
  std::vector<Index> owned_;
  const Index* first_ = nullptr;
  std::size_t count_ = 0;
  bool is_view_ = false;
};

/// Compressed sparse rows: row r holds indices[indptr[r] .. indptr[r+1]].
struct Csr {
  IdArray indptr;    ///< size rows + 1
  IdArray indices;   ///< neighbour id of each entry
  IdArray edge_ids;  ///< position of each entry in the original COO list
  Index rows() const { return indptr.empty() ? 0 : static_cast<Index>(indptr.size()) - 1; }
  Index nnz() const { return static_cast<Index>(indices.size()); }
};

/// A contiguous run of ids (in-neighbours of one node).
struct IdSpan {
  const Index* first = nullptr;
  Index count = 0;
  const Index* begin() const { return first; }
  const Index* end() const { return first + count; }
  Index size() const { return count; }
  Index operator[](Index i) const { return first[i]; }
};

namespace detail {
/// Builds the CSR of `rows` rows from per-edge row ids and column ids (stable counting sort).
inline Csr build_csr(Index rows, const Index* row_of, const Index* col_of, Index edges) {
  std::vector<Index> indptr(static_cast<std::size_t>(rows) + 1, 0);
  for (Index e = 0; e < edges; ++e) ++indptr[static_cast<std::size_t>(row_of[e]) + 1];
  for (Index r = 0; r < rows; ++r) indptr[static_cast<std::size_t>(r) + 1] += indptr[static_cast<std::size_t>(r)];
  std::vector<Index> indices(static_cast<std::size_t>(edges)), edge_ids(static_cast<std::size_t>(edges));
  std::vector<Index> fill(indptr.begin(), indptr.end() - 1);
  for (Index e = 0; e < edges; ++e) {
    const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(row_of[e])]++);
    indices[slot] = col_of[e];
    edge_ids[slot] = e;
  }
  return Csr{IdArray(std::move(indptr)), IdArray(std::move(indices)), IdArray(std::move(edge_ids))};
}

/// Name of a CSR tensor of a compiled graph file (graph/compiled_graph.hpp): csr/in/<key>/<part> (by destination)
/// or csr/out/<key>/<part> (by source); part is indptr, indices or edge_ids.
inline std::string csr_field(bool by_source, const std::string& key, const char* part) {
  return std::string(by_source ? "csr/out/" : "csr/in/") + key + "/" + part;
}

/// Checks row r of a CSR read from a file before it is followed: its offsets lie in [0, nnz] in order, and its
/// `cols` ids in [0, cols). FormatError naming `source`, the tensor and the value otherwise.
inline void check_csr_row(const Csr& c, Index r, Index cols, const std::string& source, bool by_source,
                          const std::string& key, const std::string& col_type) {
  const auto i = static_cast<std::size_t>(r);
  const Index b = c.indptr[i], e = c.indptr[i + 1];
  if (b < 0 || b > e || e > c.nnz())
    throw FormatError(source, csr_field(by_source, key, "indptr"),
                      "row " + std::to_string(r) + " spans [" + std::to_string(b) + ", " + std::to_string(e) +
                          "), not an ordered range within the " + std::to_string(c.nnz()) + " entries");
  for (Index p = b; p < e; ++p) {
    const Index id = c.indices[static_cast<std::size_t>(p)];
    if (id < 0 || id >= cols)
      throw FormatError(source, csr_field(by_source, key, "indices"),
                        "entry " + std::to_string(p) + " is id " + std::to_string(id) + ", out of range [0, " +
                            std::to_string(cols) + ") of node type '" + col_type + "'");
  }
}

/// Checks a whole CSR read from a file against the COO edge list it indexes (row_of / col_of, `edges` entries):
/// shapes, indptr[0] = 0 and indptr[rows] = edges, every row (check_csr_row), entry p being edge edge_ids[p] =
/// (row, indices[p]) and the edge ids rising within a row. A CSR that passes is exactly the one detail::build_csr
/// gives for the COO (each edge once, in COO order within its row). FormatError naming `source`, the tensor and the
/// value otherwise.
inline void check_csr(const Csr& c, Index rows, Index cols, const Index* row_of, const Index* col_of, Index edges,
                      const std::string& source, bool by_source, const std::string& key, const std::string& col_type) {
  if (static_cast<Index>(c.indptr.size()) != rows + 1)
    throw FormatError(source, csr_field(by_source, key, "indptr"),
                      "has " + std::to_string(c.indptr.size()) + " offsets, expected " + std::to_string(rows + 1));
  if (c.nnz() != edges || static_cast<Index>(c.edge_ids.size()) != edges)
    throw FormatError(source, csr_field(by_source, key, "indices"),
                      "has " + std::to_string(c.nnz()) + " entries and " + std::to_string(c.edge_ids.size()) +
                          " edge ids, the edge type has " + std::to_string(edges) + " edges");
  if (c.indptr.front() != 0 || c.indptr.back() != edges)
    throw FormatError(source, csr_field(by_source, key, "indptr"),
                      "runs from " + std::to_string(c.indptr.front()) + " to " + std::to_string(c.indptr.back()) +
                          ", expected 0 to " + std::to_string(edges));
  for (Index r = 0; r < rows; ++r) {
    check_csr_row(c, r, cols, source, by_source, key, col_type);
    for (Index p = c.indptr[static_cast<std::size_t>(r)]; p < c.indptr[static_cast<std::size_t>(r) + 1]; ++p) {
      const Index e = c.edge_ids[static_cast<std::size_t>(p)];
      const bool rising = p == c.indptr[static_cast<std::size_t>(r)] || e > c.edge_ids[static_cast<std::size_t>(p) - 1];
      if (e < 0 || e >= edges || !rising || row_of[e] != r || col_of[e] != c.indices[static_cast<std::size_t>(p)])
        throw FormatError(source, csr_field(by_source, key, "edge_ids"),
                          "entry " + std::to_string(p) + " (row " + std::to_string(r) + ", id " +
                              std::to_string(c.indices[static_cast<std::size_t>(p)]) + ") names edge " + std::to_string(e) +
                              ", which is not the next edge of that row in edge_index/" + key + ": the CSR is stale or edited");
    }
  }
}
}  // namespace detail

}  // namespace hgtok
