// GraphTokens: what the tokenizer hands to an LLM. One token (row) per node of
// each requested node type, types in the caller's order (HiGPT's
// hetero_key_order), nodes of one type in id order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "hgtok/core/tensor.hpp"
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
  /// Saves the token tensor as .npy [T, d_llm].
  void save_npy(const std::string& path) const { hgtok::save_npy(path, dtype_of<T>(), Shape{size(), width()}, tokens.data()); }
};

}  // namespace hgtok
