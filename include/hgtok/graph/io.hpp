// Graph files.
//
// 1. One safetensors file, the layout of a PyG HeteroData:
//      x/<type>                         [N, F]  float (F32/F64/F16/BF16)
//      edge_index/<src>__<rel>__<dst>   [2, E]  int64 (or int32)
//    Optional __metadata__: "node_types" and "edge_types" (JSON lists) give the
//    type order (tools/export_pyg.py writes PyG's order); without them types are
//    ordered by name. "num_nodes" (JSON object type -> count) declares node
//    types without features, and is checked against x rows when both exist.
//    A compiled file (graph/compiled_graph.hpp) is such a file plus csr/... tensors: load_graph reads it too
//    (rebuilding the CSR), open_compiled_graph / open_graph map it.
// 2. A directory: graph.json
//      {"node_types": [{"name": "movie", "num_nodes": 3, "x": "x_movie.npy"}, ...],
//       "edge_types": [{"src": "movie", "relation": "to", "dst": "director",
//                       "edge_index": "ei_movie__to__director.npy"}, ...]}
//    plus the .npy files it names (x optional: a type without it has width 0).
//
// A node count that no feature bytes back (a type without x, or with x of width
// 0) comes straight from a header, yet sizes the per-relation CSR; such counts,
// summed over the graph's node types, above `max_nodes_without_features`
// (default kMaxNodesWithoutFeatures) throw a ValueError instead of allocating.
// The whole graph is bounded too (core/limits.hpp, ResourceError): total nodes,
// total edges, and the per-node CSR offsets every edge type costs, checked
// before each type is built. Raise the limits for genuinely larger graphs.
//
// A directory's graph.json may name only relative paths that stay inside the
// directory (no absolute path, no "..", no symbolic link leading out), and each
// must be a regular file within limits().max_file_bytes: a ValueError (the path)
// or an IOError / ResourceError (the file) otherwise.
#pragma once

#include <algorithm>
#include <filesystem>
#include <limits>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/limits.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/npy.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

/// Default limit for node counts not backed by feature bytes (see above).
inline constexpr Index kMaxNodesWithoutFeatures = Index(1) << 27;

namespace detail {

/// The sizes of a graph being read, checked against the limits as each node and edge type is added, before it is
/// built.
class GraphBudget {
 public:
  explicit GraphBudget(Index max_nodes_without_features) : max_unbacked_(max_nodes_without_features) {}

  /// A node type of `count` nodes; `backed`: feature bytes of the file stand behind each node.
  void add_nodes(Index count, bool backed, const std::string& source, const std::string& field) {
    if (!backed) {
      unbacked_ = saturating_add(unbacked_, count);
      if (unbacked_ > max_unbacked_)
        throw ValueError(source, field, "node count " + std::to_string(count) + " has no feature data behind it and brings " +
                                            "the graph's such nodes to " + std::to_string(unbacked_) +
                                            ", above max_nodes_without_features = " + std::to_string(max_unbacked_));
    }
    nodes_ = saturating_add(nodes_, count);
    if (nodes_ > limits().max_graph_nodes)
      throw ResourceError(source, field, "node count " + std::to_string(count) + " brings the graph to " + std::to_string(nodes_) +
                                             " nodes, above max_graph_nodes = " + std::to_string(limits().max_graph_nodes));
  }
  /// An edge type of `edges` edges from a type of `src_nodes` nodes to one of `dst_nodes`.
  void add_edges(Index edges, Index src_nodes, Index dst_nodes, const std::string& source, const std::string& field) {
    edges_ = saturating_add(edges_, edges);
    if (edges_ > limits().max_graph_edges)
      throw ResourceError(source, field, std::to_string(edges) + " edges bring the graph to " + std::to_string(edges_) +
                                             ", above max_graph_edges = " + std::to_string(limits().max_graph_edges));
    const Index offsets = saturating_add(saturating_add(src_nodes, dst_nodes), 2);
    index_entries_ = saturating_add(index_entries_, offsets);
    if (index_entries_ > limits().max_graph_index_entries)
      throw ResourceError(source, field, "the CSR offsets of this edge type (" + std::to_string(offsets) +
                                             ") bring the graph's to " + std::to_string(index_entries_) +
                                             ", above max_graph_index_entries = " +
                                             std::to_string(limits().max_graph_index_entries));
  }

 private:
  /// a + b for non-negative counts, stopping at the largest Index (a header count can be near it: no overflow).
  static Index saturating_add(Index a, Index b) {
    return b > std::numeric_limits<Index>::max() - a ? std::numeric_limits<Index>::max() : a + b;
  }
  Index max_unbacked_;
  Index unbacked_ = 0, nodes_ = 0, edges_ = 0, index_entries_ = 0;
};

/// The node counts of an edge type's source and destination in `g` (0 for a type not in g: add_edge_type refuses it).
template <class T>
std::pair<Index, Index> end_counts(const HeteroGraph<T>& g, const EdgeType& type) {
  return {g.has_node_type(type.src) ? g.num_nodes(type.src) : 0, g.has_node_type(type.dst) ? g.num_nodes(type.dst) : 0};
}

/// Edges of an edge_index tensor's shape, before its values are read (0 for a shape that is not [2, E]: the reader
/// refuses it then).
inline Index edge_count(const Shape& shape) { return shape.size() == 2 && shape[0] == 2 ? shape[1] : 0; }

inline std::vector<Index> edge_index_values(Dtype dtype, const Shape& shape, const unsigned char* data, std::size_t nbytes,
                                            const std::string& source, const std::string& field) {
  if (dtype != Dtype::I64 && dtype != Dtype::I32)
    throw ShapeError(source, field, std::string("edge_index dtype is ") + dtype_name(dtype) + ", expected I64 or I32");
  if (shape.size() != 2 || shape[0] != 2)
    throw ShapeError(source, field, "edge_index shape is " + shape_str(shape) + ", expected [2, E]");
  std::vector<Index> v(nbytes / dtype_size(dtype));
  convert_elements(data, dtype, v.size(), v.data(), false, source, field);
  return v;
}

template <class T>
Matrix<T> feature_matrix(Dtype dtype, const Shape& shape, const unsigned char* data, std::size_t nbytes,
                         const std::string& source, const std::string& field) {
  if (dtype != Dtype::F32 && dtype != Dtype::F64 && dtype != Dtype::F16 && dtype != Dtype::BF16)
    throw ShapeError(source, field, std::string("features dtype is ") + dtype_name(dtype) + ", expected a float type");
  if (shape.size() != 2) throw ShapeError(source, field, "features shape is " + shape_str(shape) + ", expected [N, F]");
  Matrix<T> x(shape[0], shape[1]);
  convert_elements(data, dtype, nbytes / dtype_size(dtype), x.data(), true, source, field);
  return x;
}

inline std::vector<std::string> metadata_list(const std::map<std::string, std::string>& meta, const std::string& key,
                                              const std::string& source) {
  auto it = meta.find(key);
  if (it == meta.end()) return {};
  auto j = parse_json(it->second, source, "__metadata__." + key);
  if (!j.is_array()) throw FormatError(source, "__metadata__." + key, "must be a JSON list of strings");
  std::vector<std::string> out;
  for (const auto& s : j) {
    if (!s.is_string()) throw FormatError(source, "__metadata__." + key, "entry " + detail::json_excerpt(s) + " is not a string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

/// Metadata key and value that mark a compiled graph file (graph/compiled_graph.hpp).
inline constexpr const char* kCompiledFormatKey = "hgtok_format";
inline constexpr const char* kCompiledFormat = "compiled_graph";

/// The tensors and type order of a graph safetensors file, before anything is read from the tensors.
struct GraphLayout {
  std::map<std::string, const TensorView*> xs, edges;  ///< by node type / edge key
  std::map<std::string, const TensorView*> csr;        ///< csr/... tensors of a compiled file, by full name
  std::map<std::string, Index> counts;                 ///< __metadata__.num_nodes
  std::vector<std::string> node_order, edge_order;
};

/// Reads the layout of `file` (see the file comment); csr/... tensors are accepted only in a compiled file.
inline GraphLayout graph_layout(const SafetensorsFile& file, const std::string& path) {
  GraphLayout l;
  auto& xs = l.xs;
  auto& edges = l.edges;
  const auto format = file.metadata().find(kCompiledFormatKey);
  const bool compiled = format != file.metadata().end() && format->second == kCompiledFormat;
  for (const auto& v : file.tensors()) {
    if (v.name.rfind("x/", 0) == 0) xs[v.name.substr(2)] = &v;
    else if (v.name.rfind("edge_index/", 0) == 0) edges[v.name.substr(11)] = &v;
    else if (compiled && v.name.rfind("csr/", 0) == 0) l.csr[v.name] = &v;
    else throw FormatError(path, v.name, "unexpected tensor (expected x/<type> or edge_index/<src>__<rel>__<dst>)");
  }
  auto& counts = l.counts;
  if (auto it = file.metadata().find("num_nodes"); it != file.metadata().end()) {
    auto j = detail::parse_json(it->second, path, "__metadata__.num_nodes");
    if (!j.is_object()) throw FormatError(path, "__metadata__.num_nodes", "must be a JSON object type -> count");
    for (auto c = j.begin(); c != j.end(); ++c) {
      if (!c->is_number_integer() || c->get<std::int64_t>() < 0)
        throw FormatError(path, "__metadata__.num_nodes." + c.key(), "count " + detail::json_excerpt(*c) + " is not a non-negative integer");
      counts[c.key()] = c->get<Index>();
    }
  }
  std::vector<std::string> node_order = detail::metadata_list(file.metadata(), "node_types", path);
  if (node_order.empty()) {
    std::map<std::string, int> all;
    for (const auto& kv : xs) all[kv.first];
    for (const auto& kv : counts) all[kv.first];
    for (const auto& kv : all) node_order.push_back(kv.first);
  }
  std::vector<std::string> edge_order = detail::metadata_list(file.metadata(), "edge_types", path);
  if (edge_order.empty())
    for (const auto& kv : edges) edge_order.push_back(kv.first);
  l.node_order = std::move(node_order);
  l.edge_order = std::move(edge_order);
  return l;
}

}  // namespace detail

/// Loads a graph from a safetensors file in the PyG HeteroData layout (a compiled file's CSR tensors are
/// ignored: the CSR is built again; graph/compiled_graph.hpp maps them instead).
template <class T = float>
HeteroGraph<T> load_graph(const std::string& path, Index max_nodes_without_features = kMaxNodesWithoutFeatures) {
  auto file = SafetensorsFile::open(path);
  const detail::GraphLayout layout = detail::graph_layout(file, path);
  const auto& xs = layout.xs;
  const auto& edges = layout.edges;
  const auto& counts = layout.counts;
  const auto& node_order = layout.node_order;
  const auto& edge_order = layout.edge_order;

  HeteroGraph<T> g;
  detail::GraphBudget budget(max_nodes_without_features);
  for (const auto& type : node_order) {
    auto x = xs.find(type);
    auto c = counts.find(type);
    if (x == xs.end() && c == counts.end())
      throw LookupError(path, "__metadata__.node_types", "node type '" + type + "' has neither x/" + type + " nor a count");
    if (x != xs.end()) {
      const TensorView& v = *x->second;
      if (v.shape.size() == 2) budget.add_nodes(v.shape[0], v.shape[1] > 0, path, v.name);
      auto m = detail::feature_matrix<T>(v.dtype, v.shape, v.data, v.nbytes, path, v.name);
      if (c != counts.end() && m.rows() != c->second)
        throw ShapeError(path, v.name, "feature matrix has " + std::to_string(m.rows()) + " rows, __metadata__.num_nodes gives " +
                                           std::to_string(c->second) + " nodes");
      detail::with_source(path, [&] { return g.add_node_type(type, std::move(m)); });
    } else {
      budget.add_nodes(c->second, false, path, "__metadata__.num_nodes." + type);
      detail::with_source(path, [&] { return g.add_node_type(type, c->second); });
    }
  }
  for (const auto& kv : xs)
    if (!g.has_node_type(kv.first)) throw LookupError(path, "x/" + kv.first, "node type missing from __metadata__.node_types");
  for (const auto& kv : counts)
    if (!g.has_node_type(kv.first))
      throw LookupError(path, "__metadata__.num_nodes." + kv.first, "node type missing from __metadata__.node_types");
  for (const auto& key : edge_order) {
    auto e = edges.find(key);
    if (e == edges.end()) throw LookupError(path, "__metadata__.edge_types", "no tensor edge_index/" + key);
    const TensorView& v = *e->second;
    const EdgeType type = EdgeType::parse(key, path);
    const auto [src_nodes, dst_nodes] = detail::end_counts(g, type);
    budget.add_edges(detail::edge_count(v.shape), src_nodes, dst_nodes, path, v.name);
    auto values = detail::edge_index_values(v.dtype, v.shape, v.data, v.nbytes, path, v.name);
    detail::with_source(path, [&] { return g.add_edge_type(type, values); });
  }
  if (edge_order.size() != edges.size())
    throw FormatError(path, "__metadata__.edge_types", "lists " + std::to_string(edge_order.size()) + " edge types, the file has " +
                                                          std::to_string(edges.size()));
  return g;
}

/// Saves a graph as one safetensors file (features as T, edge indices as int64, type order in __metadata__).
template <class T>
void save_graph(const HeteroGraph<T>& g, const std::string& path) {
  SafetensorsWriter w;
  nlohmann::json node_types = nlohmann::json::array(), edge_types = nlohmann::json::array(), counts = nlohmann::json::object();
  for (Index t = 0; t < g.num_node_types(); ++t) {
    const auto& name = g.node_type_name(t);
    node_types.push_back(name);
    counts[name] = g.num_nodes(t);
    w.add("x/" + name, g.x(t));
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    edge_types.push_back(g.edge_type(e).key());
    std::vector<Index> ei = g.edge_src(e).to_vector();
    ei.insert(ei.end(), g.edge_dst(e).begin(), g.edge_dst(e).end());
    w.add("edge_index/" + g.edge_type(e).key(), Shape{2, g.num_edges(e)}, ei.data());
  }
  w.set_metadata("node_types", node_types.dump());
  w.set_metadata("edge_types", edge_types.dump());
  w.set_metadata("num_nodes", counts.dump());
  w.save(path);
}

/// Loads a graph from a directory holding graph.json and .npy files.
template <class T = float>
HeteroGraph<T> load_graph_dir(const std::string& dir, Index max_nodes_without_features = kMaxNodesWithoutFeatures) {
  namespace fs = std::filesystem;
  const std::string json_path = (fs::path(dir) / "graph.json").string();
  const auto j = detail::read_json_file(json_path);
  if (!j.is_object() || !j.contains("node_types") || !j["node_types"].is_array())
    throw FormatError(json_path, "node_types", "must be a list of {name, num_nodes, x}");
  auto str = [&](const nlohmann::json& o, const char* key, const std::string& where) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string())
      throw FormatError(json_path, where + "." + key, "missing or not a string");
    return o[key].get<std::string>();
  };
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) throw IOError(dir, "", "cannot resolve the directory: " + ec.message());
  // A file graph.json names: relative, inside the directory once links are resolved, a regular file (read_file.hpp).
  auto npy = [&](const std::string& rel, const std::string& field) {
    const fs::path p(rel);
    bool climbs = false;
    for (const auto& part : p) climbs = climbs || part == "..";
    if (rel.empty() || p.is_absolute() || p.has_root_name() || climbs)
      throw ValueError(json_path, field, "'" + rel + "' must be a relative path inside the graph directory, without '..'");
    std::error_code err;
    const fs::path resolved = fs::weakly_canonical(root / p, err);
    const auto [end, at] = std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
    if (err || end != root.end())
      throw ValueError(json_path, field, "'" + rel + "' leads outside the graph directory (through a symbolic link)");
    return load_npy_array(resolved.string());
  };
  HeteroGraph<T> g;
  detail::GraphBudget budget(max_nodes_without_features);
  for (std::size_t i = 0; i < j["node_types"].size(); ++i) {
    const auto& n = j["node_types"][i];
    const std::string where = "node_types[" + std::to_string(i) + "]";
    const std::string name = str(n, "name", where);
    std::optional<Index> count;
    if (n.contains("num_nodes")) {
      if (!n["num_nodes"].is_number_integer() || n["num_nodes"].get<std::int64_t>() < 0)
        throw FormatError(json_path, where + ".num_nodes", "count " + detail::json_excerpt(n["num_nodes"]) + " is not a non-negative integer");
      count = n["num_nodes"].get<Index>();
    }
    if (n.contains("x")) {
      auto a = npy(str(n, "x", where), where + ".x");
      if (a.shape.size() == 2) budget.add_nodes(a.shape[0], a.shape[1] > 0, a.source, "x/" + name);
      auto m = detail::feature_matrix<T>(a.dtype, a.shape, a.bytes.data(), a.bytes.size(), a.source, "x/" + name);
      if (count && m.rows() != *count)
        throw ShapeError(a.source, "x/" + name, "feature matrix has " + std::to_string(m.rows()) + " rows, " + where +
                                                    ".num_nodes in " + json_path + " gives " + std::to_string(*count) + " nodes");
      detail::with_source(json_path, [&] { return g.add_node_type(name, std::move(m)); });
    } else if (count) {
      budget.add_nodes(*count, false, json_path, where + ".num_nodes");
      detail::with_source(json_path, [&] { return g.add_node_type(name, *count); });
    } else {
      throw FormatError(json_path, where, "node type '" + name + "' needs num_nodes or x");
    }
  }
  if (j.contains("edge_types")) {
    if (!j["edge_types"].is_array()) throw FormatError(json_path, "edge_types", "must be a list");
    for (std::size_t i = 0; i < j["edge_types"].size(); ++i) {
      const auto& e = j["edge_types"][i];
      const std::string where = "edge_types[" + std::to_string(i) + "]";
      EdgeType type{str(e, "src", where), str(e, "relation", where), str(e, "dst", where)};
      auto a = npy(str(e, "edge_index", where), where + ".edge_index");
      const auto [src_nodes, dst_nodes] = detail::end_counts(g, type);
      budget.add_edges(detail::edge_count(a.shape), src_nodes, dst_nodes, a.source, "edge_index/" + type.key());
      auto values = detail::edge_index_values(a.dtype, a.shape, a.bytes.data(), a.bytes.size(), a.source,
                                              "edge_index/" + type.key());
      detail::with_source(json_path, [&] { return g.add_edge_type(type, values); });
    }
  }
  return g;
}

/// Saves a graph as a directory (graph.json + one .npy per tensor).
template <class T>
void save_graph_dir(const HeteroGraph<T>& g, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IOError(dir, "", "cannot create directory: " + ec.message());
  nlohmann::json j;
  j["node_types"] = nlohmann::json::array();
  j["edge_types"] = nlohmann::json::array();
  for (Index t = 0; t < g.num_node_types(); ++t) {
    const auto& name = g.node_type_name(t);
    const std::string file = "x_" + name + ".npy";
    save_npy((fs::path(dir) / file).string(), g.x(t));
    j["node_types"].push_back({{"name", name}, {"num_nodes", g.num_nodes(t)}, {"x", file}});
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const auto& type = g.edge_type(e);
    const std::string file = "edge_index_" + type.key() + ".npy";
    std::vector<Index> ei = g.edge_src(e).to_vector();
    ei.insert(ei.end(), g.edge_dst(e).begin(), g.edge_dst(e).end());
    save_npy((fs::path(dir) / file).string(), Dtype::I64, Shape{2, g.num_edges(e)}, ei.data());
    j["edge_types"].push_back({{"src", type.src}, {"relation", type.relation}, {"dst", type.dst}, {"edge_index", file}});
  }
  const std::string text = j.dump(2) + "\n";
  detail::write_file_atomic((fs::path(dir) / "graph.json").string(), text, {});
}

}  // namespace hgtok
