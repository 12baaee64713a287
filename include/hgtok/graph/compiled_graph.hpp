// Compiled graph files: a graph safetensors file (graph/io.hpp) that is its own index, opened by memory-mapping it.
//
// Beside x/<type> and edge_index/<key> (int64 [2, E]) a compiled file holds, per edge type, the CSR by destination
// (and by source when compiled with by_source), all int64:
//   csr/in/<key>/indptr    [N_dst + 1]   row v = edges into destination v
//   csr/in/<key>/indices   [E]           source id of each entry
//   csr/in/<key>/edge_ids  [E]           column of edge_index each entry is (rising within a row)
//   csr/out/<key>/...      the same by source ([N_src + 1], [E], [E])
// and in __metadata__, besides node_types / edge_types / num_nodes:
//   hgtok_format          "compiled_graph"
//   hgtok_format_version  "1"
//   hgtok_source_checksum checksum (io/checksum.hpp, 16 hex digits) of the file it was compiled from
//   hgtok_source_bytes    that file's size
//   hgtok_csr             {"<key>": {"edges": E, "by_source": bool, "edge_index_checksum": "<16 hex>"}}
// graph/compile.hpp writes it (docs/compiled-graphs.md).
//
// open_compiled_graph maps the file and copies nothing: features are read in place (HeteroGraph::features), and
// neighbour lists straight from the mapped CSR. A feature tensor whose dtype is not T's is the exception: it is
// converted into memory (a float32 file opened as HeteroGraph<float> is mapped whole).
//
// Validation. Opening checks everything the header says (dtypes, shapes, sizes against the node counts and the
// edge counts of hgtok_csr, the format version, core/limits.hpp) and, by default (Validation::sampled), a bounded
// sample of the values: each CSR's first and last offsets, kSampledRows rows spread over it (offsets in order and in
// range, their first and last entries checked against edge_index). That touches a few hundred pages per edge type,
// whatever the graph's size. Validation::full checks every offset, id and entry against edge_index
// (detail::check_csr), recomputes each edge_index checksum and checks every mapped feature is finite: it reads the
// whole file. Either way nothing is ever followed out of bounds: a row the sampler reads is checked as it is read
// (HeteroGraph::in_neighbors), and handing out a whole CSR or COO array verifies that edge type fully first. A bad
// or stale section is a FormatError naming the file, the tensor or metadata field, and the value. Given the path of
// the source file (GraphOpenOptions::source), its checksum must equal hgtok_source_checksum: a compiled file older
// than its source is refused.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/limits.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/checksum.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

/// The compiled graph format version this build writes and reads.
inline constexpr int kCompiledGraphVersion = 1;

/// How much of a compiled file's CSR and feature values opening checks (see the file comment).
enum class GraphValidation { sampled, full };

struct GraphOpenOptions {
  GraphValidation validation = GraphValidation::sampled;
  /// When set, the file the graph was compiled from: its checksum must match the compiled file's (reads it whole).
  std::string source;
  Index max_nodes_without_features = kMaxNodesWithoutFeatures;
};

namespace detail {

/// Rows per CSR that sampled validation checks (each row's first and last entries). Each row read costs about five
/// page faults, and the kernel maps 64 KiB around each (fault-around): 16 rows keep opening a 100 M-edge graph at a
/// few hundred faults, whatever the graph's size (docs/benchmarks.md, "Scale").
inline constexpr Index kSampledRows = 16;
/// The span the kernel maps around a faulting page of a file mapping (fault_around_bytes' default).
inline constexpr std::size_t kFaultAroundBytes = std::size_t(64) << 10;
/// Bytes checksummed between releases of the mapped pages (the resident set stays small while a file is hashed).
inline constexpr std::size_t kChecksumChunk = std::size_t(64) << 20;

/// Whether a safetensors file is a compiled graph file (any version).
inline bool is_compiled_graph(const SafetensorsFile& file) {
  const auto it = file.metadata().find(kCompiledFormatKey);
  return it != file.metadata().end() && it->second == kCompiledFormat;
}

/// Checksum of [p, p + n) of a mapped file, dropping the pages from the resident set as it goes.
inline std::string checksum_of(const SafetensorsFile& file, const unsigned char* p, std::size_t n) {
  Checksum c;
  for (std::size_t at = 0; at < n; at += kChecksumChunk) {
    const std::size_t len = std::min(kChecksumChunk, n - at);
    c.add(p + at, len);
    file.release(p + at, len);
  }
  return c.hex();
}

/// Checksum of a whole file (mapped, read once, released as it goes).
inline std::string file_checksum(const std::string& path) {
  const auto bytes = MappedBytes::map_file(path);
  Checksum c;
  for (std::size_t at = 0; at < bytes->size(); at += kChecksumChunk) {
    const std::size_t len = std::min(kChecksumChunk, bytes->size() - at);
    c.add(bytes->data() + at, len);
    bytes->release(bytes->data() + at, len);
  }
  return c.hex();
}

/// An int64 tensor of a compiled file of the given shape, as a view; FormatError / ShapeError otherwise.
inline IdArray mapped_ids(const TensorView* v, const Shape& shape, const std::string& path, const std::string& name) {
  if (!v) throw FormatError(path, name, "missing from the compiled file");
  if (v->dtype != Dtype::I64)
    throw FormatError(path, name, std::string("dtype is ") + dtype_name(v->dtype) + ", a compiled file stores I64");
  if (v->shape != shape)
    throw FormatError(path, name, "shape is " + shape_str(v->shape) + ", expected " + shape_str(shape));
  return IdArray::view(v->as<Index>(), v->nbytes / sizeof(Index));
}

/// What hgtok_csr says of one edge type.
struct CompiledEdgeType {
  Index edges = 0;
  bool by_source = false;
  std::string checksum;
};

inline std::map<std::string, CompiledEdgeType> compiled_edge_types(const SafetensorsFile& file, const std::string& path) {
  const std::string field = "__metadata__.hgtok_csr";
  const auto it = file.metadata().find("hgtok_csr");
  if (it == file.metadata().end()) throw FormatError(path, field, "missing from a compiled graph file");
  const auto j = parse_json(it->second, path, field);
  if (!j.is_object()) throw FormatError(path, field, "must be a JSON object edge type -> {edges, by_source, edge_index_checksum}");
  std::map<std::string, CompiledEdgeType> out;
  for (auto e = j.begin(); e != j.end(); ++e) {
    const auto& o = *e;
    const std::string f = field + "." + e.key();
    if (!o.is_object() || !o.contains("edges") || !o["edges"].is_number_unsigned() || !o.contains("by_source") ||
        !o["by_source"].is_boolean() || !o.contains("edge_index_checksum") || !o["edge_index_checksum"].is_string())
      throw FormatError(path, f, "entry " + json_excerpt(o) + " is not {edges: count, by_source: bool, edge_index_checksum: hex}");
    const auto edges = o["edges"].get<std::uint64_t>();
    if (edges > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
      throw FormatError(path, f + ".edges", "count " + std::to_string(edges) + " overflows int64");
    out[e.key()] = {static_cast<Index>(edges), o["by_source"].get<bool>(), o["edge_index_checksum"].get<std::string>()};
  }
  return out;
}

/// Sampled checks of one CSR (see the file comment): first and last offsets, kSampledRows rows spread evenly
/// (each row's offsets, and its first and last entries: id in range, edge id in range and naming that edge).
/// The addresses it reads are added to `touched`, for the caller to release.
inline void sample_csr(const Csr& c, Index cols, const Index* row_of, const Index* col_of, Index edges, const std::string& path,
                       bool by_source, const std::string& key, const std::string& col_type, std::vector<const Index*>& touched) {
  const Index rows = c.rows();
  if (c.indptr.front() != 0 || c.indptr.back() != edges)
    throw FormatError(path, csr_field(by_source, key, "indptr"),
                      "runs from " + std::to_string(c.indptr.front()) + " to " + std::to_string(c.indptr.back()) +
                          ", expected 0 to " + std::to_string(edges));
  const Index picks = std::min(rows, kSampledRows);
  for (Index k = 0; k < picks; ++k) {
    const Index r = picks == 1 ? 0 : k * (rows - 1) / (picks - 1);  // spread evenly, first and last row included
    const auto i = static_cast<std::size_t>(r);
    const Index b = c.indptr[i], e = c.indptr[i + 1];
    touched.push_back(&c.indptr[i]);
    if (b < 0 || b > e || e > edges)
      throw FormatError(path, csr_field(by_source, key, "indptr"),
                        "row " + std::to_string(r) + " spans [" + std::to_string(b) + ", " + std::to_string(e) +
                            "), not an ordered range within the " + std::to_string(edges) + " entries");
    const Index ends[2] = {b, e - 1};
    for (Index q = 0; q < std::min<Index>(e - b, 2); ++q) {  // none of an empty row, once a one-entry row
      const Index p = ends[q];
      touched.push_back(&c.indices[static_cast<std::size_t>(p)]);
      touched.push_back(&c.edge_ids[static_cast<std::size_t>(p)]);
      const Index id = c.indices[static_cast<std::size_t>(p)], eid = c.edge_ids[static_cast<std::size_t>(p)];
      if (id < 0 || id >= cols)
        throw FormatError(path, csr_field(by_source, key, "indices"),
                          "entry " + std::to_string(p) + " is id " + std::to_string(id) + ", out of range [0, " +
                              std::to_string(cols) + ") of node type '" + col_type + "'");
      if (eid >= 0 && eid < edges) {
        touched.push_back(row_of + eid);
        touched.push_back(col_of + eid);
      }
      if (eid < 0 || eid >= edges || row_of[eid] != r || col_of[eid] != id)
        throw FormatError(path, csr_field(by_source, key, "edge_ids"),
                          "entry " + std::to_string(p) + " (row " + std::to_string(r) + ", id " + std::to_string(id) +
                              ") names edge " + std::to_string(eid) + ", which is not that edge of edge_index/" + key +
                              ": the CSR is stale or edited");
    }
  }
}

}  // namespace detail

/// Opens a compiled graph file by memory-mapping it (see the file comment). FormatError for a file that is not a
/// compiled graph of this version or whose CSR sections are bad or stale; ShapeError / LookupError / ResourceError
/// as load_graph for the rest.
template <class T = float>
HeteroGraph<T> open_compiled_graph(const std::string& path, const GraphOpenOptions& options = {}) {
  auto file = std::make_shared<const SafetensorsFile>(SafetensorsFile::open(path));
  const auto& meta = file->metadata();
  if (!detail::is_compiled_graph(*file))
    throw FormatError(path, std::string("__metadata__.") + detail::kCompiledFormatKey,
                      "not a compiled graph file (compile it: hgtok graph compile)");
  const auto version = meta.find("hgtok_format_version");
  if (version == meta.end() || version->second != std::to_string(kCompiledGraphVersion))
    throw FormatError(path, "__metadata__.hgtok_format_version",
                      "version '" + (version == meta.end() ? std::string("(none)") : version->second) + "', this build reads " +
                          std::to_string(kCompiledGraphVersion) + ": compile the graph again");
  if (!options.source.empty()) {
    const auto recorded = meta.find("hgtok_source_checksum");
    const std::string actual = detail::file_checksum(options.source);
    if (recorded == meta.end() || recorded->second != actual)
      throw FormatError(path, "__metadata__.hgtok_source_checksum",
                        "is '" + (recorded == meta.end() ? std::string("(none)") : recorded->second) + "', " + options.source +
                            " has checksum '" + actual + "': the compiled file is stale, compile it again");
  }
  const detail::GraphLayout layout = detail::graph_layout(*file, path);
  const auto compiled = detail::compiled_edge_types(*file, path);

  HeteroGraph<T> g;
  detail::GraphBudget budget(options.max_nodes_without_features);
  for (const auto& type : layout.node_order) {
    const auto x = layout.xs.find(type);
    const auto c = layout.counts.find(type);
    if (x == layout.xs.end() && c == layout.counts.end())
      throw LookupError(path, "__metadata__.node_types", "node type '" + type + "' has neither x/" + type + " nor a count");
    if (x == layout.xs.end()) {
      budget.add_nodes(c->second, false, path, "__metadata__.num_nodes." + type);
      detail::with_source(path, [&] { return g.add_node_type(type, c->second); });
      continue;
    }
    const TensorView& v = *x->second;
    if (v.dtype != Dtype::F32 && v.dtype != Dtype::F64 && v.dtype != Dtype::F16 && v.dtype != Dtype::BF16)
      throw ShapeError(path, v.name, std::string("features dtype is ") + dtype_name(v.dtype) + ", expected a float type");
    if (v.shape.size() != 2) throw ShapeError(path, v.name, "features shape is " + detail::shape_str(v.shape) + ", expected [N, F]");
    budget.add_nodes(v.shape[0], v.shape[1] > 0, path, v.name);
    if (c != layout.counts.end() && v.shape[0] != c->second)
      throw ShapeError(path, v.name, "feature matrix has " + std::to_string(v.shape[0]) + " rows, __metadata__.num_nodes gives " +
                                         std::to_string(c->second) + " nodes");
    if (v.dtype == dtype_of<T>() && reinterpret_cast<std::uintptr_t>(v.data) % alignof(T) == 0) {
      detail::with_source(path, [&] { return g.add_mapped_node_type(type, v.shape[0], v.as<T>(), v.shape[1]); });
    } else {  // another dtype: converted into memory (and checked finite there)
      auto m = detail::feature_matrix<T>(v.dtype, v.shape, v.data, v.nbytes, path, v.name);
      detail::with_source(path, [&] { return g.add_node_type(type, std::move(m)); });
    }
  }
  for (const auto& kv : layout.xs)
    if (!g.has_node_type(kv.first)) throw LookupError(path, "x/" + kv.first, "node type missing from __metadata__.node_types");
  for (const auto& kv : layout.counts)
    if (!g.has_node_type(kv.first))
      throw LookupError(path, "__metadata__.num_nodes." + kv.first, "node type missing from __metadata__.node_types");

  std::vector<const Index*> touched;  // what sampled validation read, released after
  std::set<std::string> csr_used;
  const auto csr_tensor = [&](bool by_source, const std::string& key, const char* part) -> const TensorView* {
    const auto it = layout.csr.find(detail::csr_field(by_source, key, part));
    if (it == layout.csr.end()) return nullptr;
    csr_used.insert(it->first);
    return it->second;
  };
  for (const auto& key : layout.edge_order) {
    const auto e = layout.edges.find(key);
    if (e == layout.edges.end()) throw LookupError(path, "__metadata__.edge_types", "no tensor edge_index/" + key);
    const auto meta_e = compiled.find(key);
    if (meta_e == compiled.end()) throw FormatError(path, "__metadata__.hgtok_csr", "has no entry for edge type '" + key + "'");
    const EdgeType type = EdgeType::parse(key, path);
    if (!g.has_node_type(type.src) || !g.has_node_type(type.dst))
      throw LookupError(path, "edge_index/" + key, "edge type names a node type the graph does not have");
    const Index n_src = g.num_nodes(type.src), n_dst = g.num_nodes(type.dst), edges = meta_e->second.edges;
    budget.add_edges(edges, n_src, n_dst, path, e->second->name);
    IdArray coo = detail::mapped_ids(e->second, Shape{2, edges}, path, e->second->name);
    const Index* src = coo.data();
    const Index* dst = coo.data() + edges;
    const auto csr = [&](bool by_source) {
      const Index rows = by_source ? n_src : n_dst;
      Csr c{detail::mapped_ids(csr_tensor(by_source, key, "indptr"), Shape{rows + 1}, path, detail::csr_field(by_source, key, "indptr")),
            detail::mapped_ids(csr_tensor(by_source, key, "indices"), Shape{edges}, path, detail::csr_field(by_source, key, "indices")),
            detail::mapped_ids(csr_tensor(by_source, key, "edge_ids"), Shape{edges}, path, detail::csr_field(by_source, key, "edge_ids"))};
      if (by_source)
        detail::sample_csr(c, n_dst, src, dst, edges, path, true, key, type.dst, touched);
      else
        detail::sample_csr(c, n_src, dst, src, edges, path, false, key, type.src, touched);
      return c;
    };
    Csr in = csr(false);
    Csr out = meta_e->second.by_source ? csr(true) : Csr{};
    const Index id = detail::with_source(path, [&] {
      return g.add_mapped_edge_type(type, IdArray::view(src, static_cast<std::size_t>(edges)),
                                    IdArray::view(dst, static_cast<std::size_t>(edges)), std::move(in), std::move(out), path);
    });
    if (options.validation == GraphValidation::full) {
      g.verify_edge_type(id);
      const std::string sum = detail::checksum_of(*file, e->second->data, e->second->nbytes);
      if (sum != meta_e->second.checksum)
        throw FormatError(path, "__metadata__.hgtok_csr." + key + ".edge_index_checksum",
                          "is '" + meta_e->second.checksum + "', edge_index/" + key + " has checksum '" + sum +
                              "': the file was edited after compiling");
    }
  }
  if (layout.edge_order.size() != layout.edges.size())
    throw FormatError(path, "__metadata__.edge_types", "lists " + std::to_string(layout.edge_order.size()) +
                                                          " edge types, the file has " + std::to_string(layout.edges.size()));
  if (compiled.size() != layout.edges.size())
    throw FormatError(path, "__metadata__.hgtok_csr", "describes " + std::to_string(compiled.size()) + " edge types, the file has " +
                                                         std::to_string(layout.edges.size()));
  for (const auto& kv : layout.csr)
    if (!csr_used.count(kv.first))
      throw FormatError(path, kv.first, "unexpected CSR tensor (no such edge type, or a direction __metadata__.hgtok_csr does not list)");
  if (options.validation == GraphValidation::full)
    for (Index t = 0; t < g.num_node_types(); ++t) {
      if (!g.is_mapped(t)) continue;
      const auto x = g.features(t);
      for (Index r = 0; r < x.rows(); ++r)
        for (Index c = 0; c < x.cols(); ++c)
          if (!std::isfinite(static_cast<double>(x(r, c))))
            throw ValueError(path, "x/" + g.node_type_name(t),
                             "feature (" + std::to_string(r) + ", " + std::to_string(c) + ") is not finite");
      file->release(reinterpret_cast<const unsigned char*>(x.data()), static_cast<std::size_t>(x.size()) * sizeof(T));
    }
  // The pages validation read leave the resident set (not the page cache): the 64 KiB the kernel mapped around each,
  // not the whole file, whose page tables would take longer to walk than the rest of opening.
  if (options.validation == GraphValidation::full) {
    file->release(file->bytes(), file->byte_size());
  } else {
    std::vector<std::uintptr_t> windows;
    for (const Index* p : touched) windows.push_back(reinterpret_cast<std::uintptr_t>(p) / detail::kFaultAroundBytes);
    std::sort(windows.begin(), windows.end());
    windows.erase(std::unique(windows.begin(), windows.end()), windows.end());
    const auto base = reinterpret_cast<std::uintptr_t>(file->bytes());
    for (const auto w : windows) {
      const std::uintptr_t lo = std::max(w * detail::kFaultAroundBytes, base);
      const std::uintptr_t hi = std::min((w + 1) * detail::kFaultAroundBytes, base + file->byte_size());
      file->release(reinterpret_cast<const unsigned char*>(lo), hi - lo);
    }
  }
  g.keep_alive(file);
  return g;
}

/// Opens a graph safetensors file: a compiled one by mapping it (open_compiled_graph), any other with load_graph.
template <class T = float>
HeteroGraph<T> open_graph(const std::string& path, const GraphOpenOptions& options = {}) {
  {
    const auto file = SafetensorsFile::open(path);
    if (!detail::is_compiled_graph(file)) return load_graph<T>(path, options.max_nodes_without_features);
  }
  return open_compiled_graph<T>(path, options);
}

}  // namespace hgtok
