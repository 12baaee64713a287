// GraphTokens: what the tokenizer hands to an LLM. One token (row) per node of
// each requested node type, types in the caller's order (HiGPT's
// hetero_key_order), nodes of one type in id order (with an mlp_prefix
// projector: k rows, one span "prefix", type_id -1, node ids -1).
//
// File layout (save_safetensors / load_safetensors; Python:
// safetensors.safe_open(path, "np") reads it as is):
//   tokens   [T, d_llm]  F32 (F64 for GraphTokens<double>)
//   node_ids [T]         I64
//   __metadata__ "spans": JSON [{"type", "type_id", "offset", "count"}, ...]
// save_npy writes only the token tensor. DLPack: io/dlpack.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "hgtok/core/tensor.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/npy.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

template <class T = float>
struct GraphTokens {
  /// The rows of one node type.
  struct Span {
    std::string type;
    Index type_id = 0;  ///< position of the type in the graph's node-type order
    Index offset = 0;   ///< first row in `tokens`
    Index count = 0;    ///< number of rows
  };

  xt::xarray<T> tokens;        ///< [T, d_llm]
  std::vector<Span> spans;     ///< in the requested type order
  std::vector<Index> node_ids; ///< per row: node id within its type (original ids when tokenizing a subgraph)

  Index size() const { return tokens.dimension() == 2 ? static_cast<Index>(tokens.shape()[0]) : 0; }
  Index width() const { return tokens.dimension() == 2 ? static_cast<Index>(tokens.shape()[1]) : 0; }

  /// Saves tokens, node ids and spans (metadata) as safetensors.
  void save_safetensors(const std::string& path) const {
    SafetensorsWriter w;
    w.add("tokens", Shape{size(), width()}, tokens.data());
    w.add("node_ids", Shape{static_cast<Index>(node_ids.size())}, node_ids.data());
    nlohmann::json js = nlohmann::json::array();
    for (const auto& s : spans) js.push_back({{"type", s.type}, {"type_id", s.type_id}, {"offset", s.offset}, {"count", s.count}});
    w.set_metadata("spans", js.dump());
    w.save(path);
  }
  /// Reads a file written by save_safetensors (or by Python in that layout). Checks that the spans tile the rows
  /// and node_ids has one entry per row; a mismatch is a FormatError naming the file and field.
  static GraphTokens load_safetensors(const std::string& path) {
    const auto f = SafetensorsFile::open(path);
    GraphTokens g;
    const auto& t = f.at("tokens");
    if (t.shape.size() != 2) throw FormatError(path, "tokens", "rank " + std::to_string(t.shape.size()) + ", expected 2");
    const auto values = t.template to_vector<T>();
    g.tokens = xt::adapt(values, std::vector<std::size_t>{static_cast<std::size_t>(t.shape[0]), static_cast<std::size_t>(t.shape[1])});
    g.node_ids = f.at("node_ids").template to_vector<Index>();
    if (static_cast<Index>(g.node_ids.size()) != t.shape[0])
      throw FormatError(path, "node_ids", std::to_string(g.node_ids.size()) + " ids for " + std::to_string(t.shape[0]) + " rows");
    auto it = f.metadata().find("spans");
    if (it == f.metadata().end()) throw FormatError(path, "__metadata__.spans", "missing");
    const nlohmann::json js = detail::parse_json(it->second, path, "__metadata__.spans");
    if (!js.is_array()) throw FormatError(path, "__metadata__.spans", "not a JSON array: " + it->second);
    Index next = 0;
    for (const auto& s : js) {
      if (!s.is_object() || !s.contains("type") || !s["type"].is_string() || !s.contains("type_id") ||
          !s["type_id"].is_number_integer() || !s.contains("offset") || !s["offset"].is_number_integer() ||
          !s.contains("count") || !s["count"].is_number_integer())
        throw FormatError(path, "__metadata__.spans", "bad span " + detail::json_excerpt(s));
      Span sp{s["type"].get<std::string>(), s["type_id"].get<Index>(), s["offset"].get<Index>(), s["count"].get<Index>()};
      if (sp.offset != next || sp.count < 0 || sp.offset + sp.count > t.shape[0])
        throw FormatError(path, "__metadata__.spans", "span " + detail::json_excerpt(s) + " does not continue at row " + std::to_string(next));
      next += sp.count;
      g.spans.push_back(sp);
    }
    if (next != t.shape[0])
      throw FormatError(path, "__metadata__.spans", "spans cover " + std::to_string(next) + " of " + std::to_string(t.shape[0]) + " rows");
    return g;
  }

  /// Saves the token tensor as .npy [T, d_llm].
  void save_npy(const std::string& path) const { hgtok::save_npy(path, dtype_of<T>(), Shape{size(), width()}, tokens.data()); }
};

}  // namespace hgtok
