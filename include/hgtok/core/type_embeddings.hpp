// TypeEmbeddings: how a kernel reads type embeddings (HiGPT §3.1.1), one vector of width m per node or edge
// type, keyed as in core/types.hpp. Kernels that generate their weights from type embeddings (MetaHGT,
// MetaHAN, MetaHetGNN) take this interface, so they do not depend on where the vectors come from;
// EmbeddingTable (text/embedding_table.hpp) implements it.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/types.hpp"

namespace hgtok {

template <class T>
class TypeEmbeddings {
 public:
  virtual ~TypeEmbeddings() = default;
  /// The entry for a key from type_key(), or nullptr when there is none.
  virtual const Vector<T>* find(const std::string& key) const = 0;
  /// Entry width m (0 when empty) and number of entries.
  virtual Index dim() const = 0;
  virtual std::size_t size() const = 0;
  /// Where the entries came from (a file path), for error messages.
  virtual const std::string& source() const = 0;

 protected:
  TypeEmbeddings() = default;
  TypeEmbeddings(const TypeEmbeddings&) = default;
  TypeEmbeddings& operator=(const TypeEmbeddings&) = default;
};

namespace detail {

template <class T>
std::string embeddings_source(const TypeEmbeddings<T>& table) {
  return table.source().empty() ? "EmbeddingTable" : table.source();
}

/// Throws ShapeError unless a non-empty table has width m (`who` is "layer" or "model").
template <class T>
void check_embedding_width(const TypeEmbeddings<T>& table, Index m, const char* who) {
  if (table.size() != 0 && table.dim() != m)
    throw ShapeError(embeddings_source(table), "dim",
                     "type-embedding width " + std::to_string(table.dim()) + ", the " + who + " expects " + std::to_string(m));
}

/// The embedding of a node type or an edge type; LookupError naming the key and the type when it is missing.
template <class T, class Type>
const Vector<T>& type_embedding(const TypeEmbeddings<T>& table, const Type& type) {
  const std::string key = type_key(type);
  if (const Vector<T>* e = table.find(key)) return *e;
  constexpr bool edge = std::is_same_v<Type, EdgeType>;
  throw LookupError(embeddings_source(table), key,
                    std::string("no type embedding for ") + (edge ? "edge type '" : "node type '") + key.substr(5) + "'");
}

}  // namespace detail
}  // namespace hgtok
