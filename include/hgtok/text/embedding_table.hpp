// EmbeddingTable: type embeddings (HiGPT §3.1.1) keyed by type.
//
// Keys as in core/types.hpp: "node/<type>" for a node type and
// "edge/<src>__<relation>__<dst>" for an edge type. Every entry is a vector of
// the same width m; kernels read it through TypeEmbeddings (core/type_embeddings.hpp). Tables load from a safetensors file holding one 1-d tensor
// [m] per key (HiGPT's meta_dict tables converted), or from an .npy matrix
// [K, m] plus a JSON list of its K keys; they save to safetensors.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/type_embeddings.hpp"
#include "hgtok/core/types.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/npy.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

template <class T = float>
class EmbeddingTable : public TypeEmbeddings<T> {
 public:
  EmbeddingTable() = default;

  static std::string node_key(const NodeType& type) { return type_key(type); }
  static std::string edge_key(const EdgeType& type) { return type_key(type); }

  /// Loads a safetensors table (one 1-d tensor per key).
  static EmbeddingTable load(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    EmbeddingTable t;
    t.source_ = path;
    for (const auto& v : file.tensors()) {
      if (v.shape.size() != 1)
        throw ShapeError(path, v.name, "type embedding must be 1-d, shape is " + detail::shape_str(v.shape));
      check_float(v.dtype, path, v.name);
      auto data = v.template to_vector<T>(true);
      t.add(v.name, ConstVectorMap<T>(data.data(), static_cast<Index>(data.size())));
    }
    return t;
  }

  /// Loads an .npy matrix [K, m] and a JSON file holding the list of its K keys.
  static EmbeddingTable load_npy(const std::string& npy_path, const std::string& keys_json_path) {
    auto arr = load_npy_array(npy_path);
    if (arr.shape.size() != 2)
      throw ShapeError(npy_path, "shape", "embedding matrix must be 2-d [K, m], shape is " + detail::shape_str(arr.shape));
    check_float(arr.dtype, npy_path, "descr");
    const nlohmann::json keys = detail::read_json_file(keys_json_path, "keys");
    if (!keys.is_array()) throw FormatError(keys_json_path, "keys", "must be a JSON array of strings");
    if (static_cast<std::int64_t>(keys.size()) != arr.shape[0])
      throw ShapeError(keys_json_path, "keys",
                       std::to_string(keys.size()) + " keys for " + std::to_string(arr.shape[0]) + " rows in " + npy_path);
    auto values = arr.template to_vector<T>();
    EmbeddingTable t;
    t.source_ = npy_path;
    const Index m = arr.shape[1];
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!keys[i].is_string()) throw FormatError(keys_json_path, "keys[" + std::to_string(i) + "]", "is not a string");
      if (t.contains(keys[i].template get<std::string>()))
        throw ValueError(keys_json_path, "keys[" + std::to_string(i) + "]", "duplicate key " + detail::json_excerpt(keys[i]));
      t.add(keys[i].template get<std::string>(), ConstVectorMap<T>(values.data() + i * static_cast<std::size_t>(m), m));
    }
    return t;
  }

  /// Adds (or replaces) an entry. The key must follow the convention; the width
  /// must equal the table's; values must be finite.
  void add(const std::string& key, const Vector<T>& embedding) {
    check_key(key);
    if (!entries_.empty() && embedding.size() != dim_)
      throw ShapeError(source_, key, "embedding width " + std::to_string(embedding.size()) + ", table width " + std::to_string(dim_));
    for (Index i = 0; i < embedding.size(); ++i)
      if (!std::isfinite(static_cast<double>(embedding[i])))
        throw ValueError(source_, key, "element " + std::to_string(i) + " is not finite");
    dim_ = embedding.size();
    entries_[key] = embedding;
  }
  void add_node(const NodeType& type, const Vector<T>& e) { add(node_key(type), e); }
  void add_edge(const EdgeType& type, const Vector<T>& e) { add(edge_key(type), e); }

  /// Entry width m (0 for an empty table).
  Index dim() const override { return dim_; }
  std::size_t size() const override { return entries_.size(); }
  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  bool has_node(const NodeType& type) const { return contains(node_key(type)); }
  bool has_edge(const EdgeType& type) const { return contains(edge_key(type)); }
  /// Keys in sorted order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }
  /// Node types with an entry, sorted.
  std::vector<NodeType> node_types() const {
    std::vector<NodeType> out;
    for (const auto& kv : entries_) {
      auto k = parse_type_key(kv.first, source_);
      if (!k.is_edge) out.push_back(std::move(k.node));
    }
    return out;
  }
  /// Edge types with an entry, sorted by key.
  std::vector<EdgeType> edge_types() const {
    std::vector<EdgeType> out;
    for (const auto& kv : entries_) {
      auto k = parse_type_key(kv.first, source_);
      if (k.is_edge) out.push_back(std::move(k.edge));
    }
    return out;
  }

  /// The entry for `key`; throws LookupError naming the key and the table.
  const Vector<T>& get(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) throw LookupError(source_, key, "no type embedding for this type in the table");
    return it->second;
  }
  const Vector<T>& node(const NodeType& type) const { return get(node_key(type)); }
  const Vector<T>& edge(const EdgeType& type) const { return get(edge_key(type)); }
  /// The entry for `key`, or nullptr.
  const Vector<T>* find(const std::string& key) const override {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  /// Saves as safetensors (float32 unless T is double), one 1-d tensor per key.
  void save(const std::string& path) const {
    SafetensorsWriter w;
    for (const auto& [key, v] : entries_) w.add(key, Shape{v.size()}, v.data());
    w.save(path);
  }
  const std::string& source() const override { return source_; }

 private:
  static void check_float(Dtype d, const std::string& source, const std::string& field) {
    if (d != Dtype::F32 && d != Dtype::F64 && d != Dtype::F16 && d != Dtype::BF16)
      throw ShapeError(source, field, std::string("type embedding dtype is ") + dtype_name(d) + ", expected a float type");
  }
  void check_key(const std::string& key) const { parse_type_key(key, source_); }

  std::string source_ = "<memory>";
  Index dim_ = 0;
  std::map<std::string, Vector<T>> entries_;
};

}  // namespace hgtok
