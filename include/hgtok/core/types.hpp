// Node types, edge types and their keys.
//
// A node type is named by a string; an edge type is a canonical triplet (src node type, relation, dst node
// type), written "src__relation__dst" in files and configs. Type-embedding tables key their entries
//
//   node/<type>                      for a node type
//   edge/<src>__<relation>__<dst>    for an edge type
//
// type_key formats such a key and parse_type_key reads one back; nothing else spells the prefixes.
#pragma once

#include <string>

#include "hgtok/core/error.hpp"

namespace hgtok {

/// A node type's name.
using NodeType = std::string;

/// A canonical edge type (src node type, relation, dst node type).
struct EdgeType {
  NodeType src;
  std::string relation;
  NodeType dst;

  /// "src__relation__dst", the key used in files and configs.
  std::string key() const { return src + "__" + relation + "__" + dst; }

  /// Parses "src__relation__dst"; throws FormatError naming `source`.
  static EdgeType parse(const std::string& key, const std::string& source = "EdgeType") {
    const auto a = key.find("__");
    const auto b = a == std::string::npos ? a : key.find("__", a + 2);
    if (a == std::string::npos || b == std::string::npos || a == 0 || b == a + 2 || b + 2 >= key.size() ||
        key.find("__", b + 2) != std::string::npos)
      throw FormatError(source, key, "edge type key must be 'src__relation__dst'");
    return {key.substr(0, a), key.substr(a + 2, b - a - 2), key.substr(b + 2)};
  }
  bool operator==(const EdgeType& o) const { return src == o.src && relation == o.relation && dst == o.dst; }
  bool operator!=(const EdgeType& o) const { return !(*this == o); }
};

/// A parsed type-embedding key: a node type or an edge type.
struct TypeKey {
  bool is_edge = false;
  NodeType node;  ///< when !is_edge
  EdgeType edge;  ///< when is_edge
};

/// "node/<type>".
inline std::string type_key(const NodeType& type) { return "node/" + type; }
/// "edge/<src>__<relation>__<dst>".
inline std::string type_key(const EdgeType& type) { return "edge/" + type.key(); }

/// Reads a key written by type_key; throws FormatError naming `source` and the key when it is not one.
inline TypeKey parse_type_key(const std::string& key, const std::string& source) {
  TypeKey k;
  if (key.rfind("node/", 0) == 0) {
    k.node = key.substr(5);
    if (k.node.empty() || k.node.find("__") != std::string::npos)
      throw FormatError(source, key, "node key must be 'node/<type>'");
    return k;
  }
  if (key.rfind("edge/", 0) == 0) {
    k.is_edge = true;
    k.edge = EdgeType::parse(key.substr(5), source);
    return k;
  }
  throw FormatError(source, key, "key must start with 'node/' or 'edge/'");
}

}  // namespace hgtok
