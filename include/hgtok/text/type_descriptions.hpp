// TypeDescriptions: natural-language descriptions of node types and edge types
// (HiGPT §3.1.1, "in-context heterogeneous graph tokenizer"): each type gets several
// descriptions — other phrasings, other languages — which are encoded with Sentence-BERT and
// averaged into its type embedding:
//
//   e(type) = (1/K) Σ_k SBERT(description_k)          K = number of descriptions of the type
//
// The result is an EmbeddingTable keyed node/<type> and edge/<src>__<relation>__<dst>
// (core/types.hpp), ready to save to safetensors.
//
// JSON form (TypeDescriptions::load):
//   {"node": {"movie": ["This node represents a movie.", "该节点代表一部电影。"], ...},
//    "edge": {"movie__to__director": ["..."], ...}}
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/types.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/text/sentence_encoder.hpp"
#include "hgtok/text/wordpiece.hpp"

namespace hgtok {

class TypeDescriptions {
 public:
  TypeDescriptions() = default;

  /// Appends descriptions of a node type. Throws ValueError for an empty list, FormatError for a bad type name.
  void add_node(const NodeType& type, const std::vector<std::string>& descriptions) {
    add(type_key(type), descriptions);
  }
  /// Appends descriptions of an edge type.
  void add_edge(const EdgeType& type, const std::vector<std::string>& descriptions) {
    add(type_key(type), descriptions);
  }

  /// Reads the JSON form above; errors name the file and the offending key.
  static TypeDescriptions load(const std::string& path) {
    const auto j = detail::read_json_file(path);
    if (!j.is_object()) throw FormatError(path, "", "must be a JSON object with \"node\" and/or \"edge\"");
    TypeDescriptions d;
    d.source_ = path;
    for (const auto& [section, types] : j.items()) {
      if (section != "node" && section != "edge")
        throw FormatError(path, section, "unknown section (expected \"node\" or \"edge\")");
      if (!types.is_object()) throw FormatError(path, section, "must map type names to lists of descriptions");
      for (const auto& [name, list] : types.items()) {
        const std::string field = section + "/" + name;
        if (!list.is_array()) throw FormatError(path, field, "must be a list of strings");
        std::vector<std::string> texts;
        for (const auto& t : list) {
          if (!t.is_string()) throw FormatError(path, field, "holds a non-string " + detail::json_excerpt(t));
          texts.push_back(t.get<std::string>());
        }
        if (section == "node")
          d.add_node(name, texts);
        else
          d.add_edge(EdgeType::parse(name, path), texts);
      }
    }
    return d;
  }

  /// Table keys in sorted order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& kv : descriptions_) out.push_back(kv.first);
    return out;
  }
  std::size_t size() const { return descriptions_.size(); }
  /// The descriptions of a key ("node/movie"); throws LookupError naming it.
  const std::vector<std::string>& descriptions(const std::string& key) const {
    auto it = descriptions_.find(key);
    if (it == descriptions_.end()) throw LookupError(source_, key, "no descriptions for this type");
    return it->second;
  }

  /// Encodes every description in one encode() call and averages per type.
  template <class T>
  EmbeddingTable<T> embed(const SentenceEncoder<T>& encoder, Index batch_size = 32) const {
    std::vector<std::string> texts;
    for (const auto& kv : descriptions_) texts.insert(texts.end(), kv.second.begin(), kv.second.end());
    const Matrix<T> e = encoder.encode(texts, batch_size);
    EmbeddingTable<T> table;
    Index row = 0;
    for (const auto& [key, list] : descriptions_) {
      const Index k = static_cast<Index>(list.size());
      Vector<T> mean = e.middleRows(row, k).colwise().sum().transpose() / static_cast<T>(k);
      table.add(key, mean);
      row += k;
    }
    return table;
  }

 private:
  void add(const std::string& key, const std::vector<std::string>& texts) {
    if (texts.empty()) throw ValueError(source_, key, "needs at least one description");
    parse_type_key(key, source_);  // the table's rules, checked now so errors name the type where it is added
    for (std::size_t i = 0; i < texts.size(); ++i)
      detail::decode_utf8(texts[i], source_, key + "[" + std::to_string(i) + "]");
    auto& list = descriptions_[key];
    list.insert(list.end(), texts.begin(), texts.end());
  }

  std::string source_ = "TypeDescriptions";
  std::map<std::string, std::vector<std::string>> descriptions_;
};

}  // namespace hgtok
