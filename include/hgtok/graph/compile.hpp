// compile_graph: writes the compiled form of a graph safetensors file (the format: graph/compiled_graph.hpp,
// docs/compiled-graphs.md), streaming.
//
// The source is memory-mapped and checked as load_graph checks it (types, shapes, ids in range, finite features,
// core/limits.hpp), then the output is written tensor by tensor in its final order: features are copied in chunks,
// edge_index converted to int64 in chunks, and each edge type's CSR built in memory just before its tensors are
// written and dropped after. Memory is therefore bounded by the largest edge type's index arrays:
//   8 · (N + 1 + 2·E)    bytes for its CSR (N its destination's node count, or source's for the CSR by source)
// + 8 · N                for the counting sort's fill pointers
// + 16 · E               only when its edge_index is int32 (converted to int64 to sort it),
// plus a few megabytes of buffers. The pages of the mapped source are handed back to the kernel as they are read, so
// the resident set does not grow with the file. The output is written to <out>.tmp and renamed over <out>.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/graph/compiled_graph.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/atomic_file.hpp"
#include "hgtok/io/checksum.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

struct CompileOptions {
  /// Also store each edge type's CSR by source (out-neighbours: random walks, HetGNN), not only by destination.
  bool by_source = false;
  Index max_nodes_without_features = kMaxNodesWithoutFeatures;
};

namespace detail {

/// Elements converted per chunk while streaming (512 KiB of int64).
inline constexpr std::size_t kCompileChunk = std::size_t(1) << 16;

/// Elements [first, first + min(n, out.size())) of an edge_index tensor, converted to int64 into `out`; returns how many.
inline std::size_t edge_chunk(const TensorView& v, std::size_t first, std::size_t n, std::vector<Index>& out,
                              const std::string& path) {
  const std::size_t k = std::min(n, out.size());
  convert_elements(v.data + first * dtype_size(v.dtype), v.dtype, k, out.data(), false, path, v.name, first);
  return k;
}

}  // namespace detail

/// Compiles the graph file `in` (the layout of graph/io.hpp; a compiled file is compiled again) into `out`.
/// Throws what load_graph throws for a bad source, IOError when `out` cannot be written.
inline void compile_graph(const std::string& in, const std::string& out, const CompileOptions& options = {}) {
  const auto file = SafetensorsFile::open(in);
  const detail::GraphLayout layout = detail::graph_layout(file, in);
  const std::string source_checksum = detail::file_checksum(in);

  // The type structure, checked as load_graph checks it, with no feature or edge stored (width-0 node types, empty
  // mapped edge types): names, duplicates, counts and limits.
  HeteroGraph<float> skeleton;
  detail::GraphBudget budget(options.max_nodes_without_features);
  std::vector<detail::SafetensorsSlot> slots;
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  names.reserve(4 * layout.xs.size() + 8 * layout.edges.size());  // slots point at names and shapes: no reallocation
  shapes.reserve(names.capacity());
  const auto add_slot = [&](std::string name, Dtype dtype, Shape shape) {
    names.push_back(std::move(name));
    shapes.push_back(std::move(shape));
    slots.push_back({&names.back(), dtype, &shapes.back(), detail::tensor_nbytes(shapes.back(), dtype, out, names.back())});
  };
  nlohmann::json node_types = nlohmann::json::array(), edge_types = nlohmann::json::array(), counts = nlohmann::json::object();
  std::vector<double> buffer(detail::kCompileChunk);
  for (const auto& type : layout.node_order) {
    const auto x = layout.xs.find(type);
    const auto c = layout.counts.find(type);
    if (x == layout.xs.end() && c == layout.counts.end())
      throw LookupError(in, "__metadata__.node_types", "node type '" + type + "' has neither x/" + type + " nor a count");
    Index n = 0;
    if (x == layout.xs.end()) {
      n = c->second;
      budget.add_nodes(n, false, in, "__metadata__.num_nodes." + type);
    } else {
      const TensorView& v = *x->second;
      if (v.dtype != Dtype::F32 && v.dtype != Dtype::F64 && v.dtype != Dtype::F16 && v.dtype != Dtype::BF16)
        throw ShapeError(in, v.name, std::string("features dtype is ") + dtype_name(v.dtype) + ", expected a float type");
      if (v.shape.size() != 2) throw ShapeError(in, v.name, "features shape is " + detail::shape_str(v.shape) + ", expected [N, F]");
      budget.add_nodes(v.shape[0], v.shape[1] > 0, in, v.name);
      n = v.shape[0];
      if (c != layout.counts.end() && n != c->second)
        throw ShapeError(in, v.name, "feature matrix has " + std::to_string(n) + " rows, __metadata__.num_nodes gives " +
                                         std::to_string(c->second) + " nodes");
      const std::size_t total = v.nbytes / dtype_size(v.dtype), width = static_cast<std::size_t>(std::max<Index>(v.shape[1], 1));
      for (std::size_t at = 0; at < total; at += buffer.size()) {  // finite, as add_node_type requires
        const std::size_t k = std::min(buffer.size(), total - at);
        detail::convert_elements(v.data + at * dtype_size(v.dtype), v.dtype, k, buffer.data(), true, in, v.name, at);
        for (std::size_t i = 0; i < k; ++i)
          if (!std::isfinite(buffer[i]))
            throw ValueError(in, v.name, "feature (" + std::to_string((at + i) / width) + ", " + std::to_string((at + i) % width) +
                                             ") is not finite");
        file.release(v.data + at * dtype_size(v.dtype), k * dtype_size(v.dtype));
      }
      add_slot(v.name, v.dtype, v.shape);
    }
    detail::with_source(in, [&] { return skeleton.add_node_type(type, n); });
    node_types.push_back(type);
    counts[type] = n;
  }
  for (const auto& kv : layout.xs)
    if (!skeleton.has_node_type(kv.first)) throw LookupError(in, "x/" + kv.first, "node type missing from __metadata__.node_types");
  for (const auto& kv : layout.counts)
    if (!skeleton.has_node_type(kv.first))
      throw LookupError(in, "__metadata__.num_nodes." + kv.first, "node type missing from __metadata__.node_types");

  nlohmann::json csr_meta = nlohmann::json::object();
  std::vector<Index> ids(detail::kCompileChunk);
  for (const auto& key : layout.edge_order) {
    const auto e = layout.edges.find(key);
    if (e == layout.edges.end()) throw LookupError(in, "__metadata__.edge_types", "no tensor edge_index/" + key);
    const TensorView& v = *e->second;
    const EdgeType type = EdgeType::parse(key, in);
    if (v.dtype != Dtype::I64 && v.dtype != Dtype::I32)
      throw ShapeError(in, v.name, std::string("edge_index dtype is ") + dtype_name(v.dtype) + ", expected I64 or I32");
    if (v.shape.size() != 2 || v.shape[0] != 2)
      throw ShapeError(in, v.name, "edge_index shape is " + detail::shape_str(v.shape) + ", expected [2, E]");
    const Index edges = v.shape[1];
    detail::with_source(in, [&] { return skeleton.add_mapped_edge_type(type, {}, {}, {}, {}, in); });
    const Index n_src = skeleton.num_nodes(type.src), n_dst = skeleton.num_nodes(type.dst);
    budget.add_edges(edges, n_src, n_dst, in, v.name);
    detail::Checksum sum;  // of the int64 edge_index as the compiled file stores it
    for (int row = 0; row < 2; ++row) {
      const Index limit = row == 0 ? n_src : n_dst;
      for (std::size_t at = 0; at < static_cast<std::size_t>(edges);) {
        const std::size_t k = detail::edge_chunk(v, static_cast<std::size_t>(row * edges) + at, static_cast<std::size_t>(edges) - at, ids, in);
        for (std::size_t i = 0; i < k; ++i)
          if (ids[i] < 0 || ids[i] >= limit)
            throw ValueError(in, v.name,
                             std::string(row == 0 ? "source (row 0)" : "destination (row 1)") + " id " + std::to_string(ids[i]) +
                                 " of edge " + std::to_string(at + i) + " is out of range [0, " + std::to_string(limit) +
                                 ") of node type '" + (row == 0 ? type.src : type.dst) + "'");
        sum.add(reinterpret_cast<const unsigned char*>(ids.data()), k * sizeof(Index));
        at += k;
      }
    }
    file.release(v.data, v.nbytes);
    edge_types.push_back(key);
    csr_meta[key] = {{"edges", edges}, {"by_source", options.by_source}, {"edge_index_checksum", sum.hex()}};
    add_slot("edge_index/" + key, Dtype::I64, Shape{2, edges});
    for (bool by_source : {false, true}) {
      if (by_source && !options.by_source) continue;
      add_slot(detail::csr_field(by_source, key, "indptr"), Dtype::I64, Shape{(by_source ? n_src : n_dst) + 1});
      add_slot(detail::csr_field(by_source, key, "indices"), Dtype::I64, Shape{edges});
      add_slot(detail::csr_field(by_source, key, "edge_ids"), Dtype::I64, Shape{edges});
    }
  }
  if (layout.edge_order.size() != layout.edges.size())
    throw FormatError(in, "__metadata__.edge_types", "lists " + std::to_string(layout.edge_order.size()) + " edge types, the file has " +
                                                        std::to_string(layout.edges.size()));

  std::map<std::string, std::string> metadata{{"node_types", node_types.dump()},
                                              {"edge_types", edge_types.dump()},
                                              {"num_nodes", counts.dump()},
                                              {detail::kCompiledFormatKey, detail::kCompiledFormat},
                                              {"hgtok_format_version", std::to_string(kCompiledGraphVersion)},
                                              {"hgtok_source_checksum", source_checksum},
                                              {"hgtok_source_bytes", std::to_string(file.byte_size())},
                                              {"hgtok_csr", csr_meta.dump()}};
  std::string head;
  const auto order = detail::safetensors_layout(slots, metadata, head);

  const std::string tmp = out + ".tmp";
  std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
  if (!os) throw IOError(out, "", std::string("cannot open for writing: ") + std::strerror(errno));
  const auto write = [&](const void* p, std::size_t n) {
    os.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    if (!os) {
      os.close();
      std::remove(tmp.c_str());
      throw IOError(out, "", "write failed (disk full?)");
    }
  };
  write(head.data(), head.size());
  // The CSR being written (its three tensors follow each other in the file's order), built from the COO.
  std::string built;
  Csr csr;
  std::vector<Index> coo;  // an int32 edge_index converted to int64
  for (const std::size_t i : order) {
    const std::string& name = names[i];
    if (name.rfind("x/", 0) == 0) {
      const TensorView& v = file.at(name);
      for (std::size_t at = 0; at < v.nbytes; at += std::size_t(8) << 20) {
        const std::size_t k = std::min(std::size_t(8) << 20, v.nbytes - at);
        write(v.data + at, k);
        file.release(v.data + at, k);
      }
    } else if (name.rfind("edge_index/", 0) == 0) {
      const TensorView& v = file.at(name);
      const std::size_t total = v.nbytes / dtype_size(v.dtype);
      for (std::size_t at = 0; at < total;) {
        const std::size_t k = detail::edge_chunk(v, at, total - at, ids, in);
        write(ids.data(), k * sizeof(Index));
        at += k;
      }
      file.release(v.data, v.nbytes);
    } else {  // csr/<in|out>/<key>/<part>
      const bool by_source = name.rfind("csr/out/", 0) == 0;
      const std::string rest = name.substr(by_source ? 8 : 7);
      const std::string key = rest.substr(0, rest.rfind('/')), part = rest.substr(rest.rfind('/') + 1);
      if (built != (by_source ? "out/" : "in/") + key) {
        csr = Csr{};
        const TensorView& v = file.at("edge_index/" + key);
        const auto edges = static_cast<std::size_t>(v.shape[1]);
        const Index* src = nullptr;
        if (v.dtype == Dtype::I64 && reinterpret_cast<std::uintptr_t>(v.data) % alignof(Index) == 0) {
          src = v.as<Index>();
          coo.clear();
          coo.shrink_to_fit();
        } else {
          coo.resize(2 * edges);
          detail::convert_elements(v.data, v.dtype, 2 * edges, coo.data(), false, in, v.name);
          src = coo.data();
        }
        const EdgeType type = EdgeType::parse(key, in);
        const Index rows = skeleton.num_nodes(by_source ? type.src : type.dst);
        csr = by_source ? detail::build_csr(rows, src, src + edges, static_cast<Index>(edges))
                        : detail::build_csr(rows, src + edges, src, static_cast<Index>(edges));
        file.release(v.data, v.nbytes);
        built = (by_source ? "out/" : "in/") + key;
      }
      const IdArray& a = part == "indptr" ? csr.indptr : part == "indices" ? csr.indices : csr.edge_ids;
      write(a.data(), a.size() * sizeof(Index));
    }
  }
  os.flush();
  os.close();
  if (!os) {
    std::remove(tmp.c_str());
    throw IOError(out, "", "write failed (disk full?)");
  }
  detail::replace_with_temporary(tmp, out);
}

}  // namespace hgtok
