// Tokenizer: the whole path of ../DESIGN.md, top to bottom.
//
//   HeteroGraph (or a Subgraph from NeighborSampler)
//     → MetaHGT layers (type-specific weights generated from the EmbeddingTable's
//       type embeddings, cached; any depth)
//     → graph_projector: Linear(hidden → d_llm), HiGPT's LLM projector
//     → GraphTokens [T, d_llm], node types in the requested order
//
// A tokenizer is described completely by a directory holding config.json and
// weights.safetensors (weights under "layers.<i>." in HiGPT MetaHGTConv
// state_dict names, and "graph_projector.weight/bias"); load(dir) and save(dir)
// round-trip. Tokenizer::random builds an UNTRAINED tokenizer with seeded
// weights, for trying the path; real use loads trained weights (e.g. HiGPT's
// In-Context-HGT converted with tools/convert_checkpoint.py).
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"

namespace hgtok {

/// Everything that shapes a tokenizer (config.json).
struct TokenizerConfig {
  std::string kernel = "meta_hgt";  ///< the only kernel a Tokenizer composes today
  Index in_channels = 0;            ///< node feature width (same for every node type)
  Index hidden_channels = 0;        ///< width of every layer's output
  Index heads = 1;
  Index num_layers = 1;
  Index embedding_dim = 0;          ///< type-embedding width m
  Index llm_dim = 0;                ///< LLM embedding width (graph_projector output)

  nlohmann::json to_json() const {
    return {{"kernel", kernel}, {"in_channels", in_channels}, {"hidden_channels", hidden_channels}, {"heads", heads},
            {"num_layers", num_layers}, {"embedding_dim", embedding_dim}, {"llm_dim", llm_dim}};
  }
  static TokenizerConfig from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object()) throw FormatError(source, "", "config must be a JSON object");
    TokenizerConfig c;
    auto integer = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<std::int64_t>() <= 0)
        throw FormatError(source, key, "must be a positive integer, got " + (j.contains(key) ? j[key].dump() : std::string("nothing")));
      return j[key].get<Index>();
    };
    if (!j.contains("kernel") || !j["kernel"].is_string()) throw FormatError(source, "kernel", "missing or not a string");
    c.kernel = j["kernel"].get<std::string>();
    if (c.kernel != "meta_hgt")
      throw ValueError(source, "kernel", "unknown kernel '" + c.kernel + "' (a Tokenizer composes: meta_hgt)");
    c.in_channels = integer("in_channels");
    c.hidden_channels = integer("hidden_channels");
    c.heads = integer("heads");
    c.num_layers = integer("num_layers");
    c.embedding_dim = integer("embedding_dim");
    c.llm_dim = integer("llm_dim");
    return c;
  }
};

template <class T = float>
class Tokenizer {
 public:
  /// Builds from a config and a weight store (names as documented above).
  Tokenizer(TokenizerConfig config, const WeightStore& weights) : config_(std::move(config)) {
    for (Index l = 0; l < config_.num_layers; ++l)
      layers_.push_back(MetaHGTConv<T>::load(weights, "layers." + std::to_string(l) + ".",
                                             l == 0 ? config_.in_channels : config_.hidden_channels,
                                             config_.hidden_channels, config_.heads, config_.embedding_dim));
    projector_ = nn::Linear<T>::load(weights, "graph_projector", config_.hidden_channels, config_.llm_dim);
  }

  /// An UNTRAINED tokenizer: every weight drawn uniformly from ±1/√fan_in with Rng(seed).
  static Tokenizer random(const TokenizerConfig& config, std::uint64_t seed) {
    // Shapes come from a zero-initialised model's own state_dict, so names and shapes cannot drift.
    WeightStore shapes;
    for (Index l = 0; l < config.num_layers; ++l)
      MetaHGTConv<T>(l == 0 ? config.in_channels : config.hidden_channels, config.hidden_channels, config.heads,
                     config.embedding_dim)
          .save(shapes, "layers." + std::to_string(l) + ".");
    nn::Linear<T>(config.hidden_channels, config.llm_dim).save(shapes, "graph_projector");
    WeightStore w;
    Rng rng(seed);
    for (const auto& name : shapes.names()) {
      const Shape shape = shapes.shape(name);
      Index n = 1;
      for (auto d : shape) n *= d;
      std::vector<T> v(static_cast<std::size_t>(n));
      const bool norm = name.find(".norm.") != std::string::npos;
      const double scale = 1.0 / std::sqrt(static_cast<double>(shape.size() == 2 ? shape[1] : shape[0]));
      for (auto& x : v) x = norm ? T(name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? 1 : 0)
                                  : static_cast<T>((2.0 * rng.uniform() - 1.0) * scale);
      w.add(name, shape, v.data());
    }
    return Tokenizer(config, w);
  }

  /// Loads config.json and weights.safetensors from `dir`.
  static Tokenizer load(const std::string& dir) {
    namespace fs = std::filesystem;
    const std::string config_path = (fs::path(dir) / "config.json").string();
    std::ifstream in(config_path);
    if (!in) throw IOError(config_path, "", "cannot open for reading");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(config_path, "", std::string("not valid JSON: ") + e.what());
    }
    return Tokenizer(TokenizerConfig::from_json(j, config_path), WeightStore::load((fs::path(dir) / "weights.safetensors").string()));
  }

  /// Writes config.json and weights.safetensors into `dir` (created if needed).
  void save(const std::string& dir) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IOError(dir, "", "cannot create directory: " + ec.message());
    WeightStore w;
    for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].save(w, "layers." + std::to_string(l) + ".");
    projector_.save(w, "graph_projector");
    w.save((fs::path(dir) / "weights.safetensors").string());
    std::ofstream out((fs::path(dir) / "config.json").string());
    if (!out) throw IOError(dir, "config.json", "cannot open for writing");
    out << config_.to_json().dump(2) << '\n';
  }

  const TokenizerConfig& config() const { return config_; }
  const std::vector<MetaHGTConv<T>>& layers() const { return layers_; }

  /// Graph tokens of `g`: one row per node of each type in `type_order`, after
  /// the layers and the graph projector. A type that is unknown, or that the
  /// last layer produces no output for (it receives no edge type), is a LookupError.
  GraphTokens<T> tokenize(const HeteroGraph<T>& g, const EmbeddingTable<T>& table,
                          const std::vector<std::string>& type_order,
                          const std::map<std::string, std::vector<Index>>* original_ids = nullptr) const {
    TypeMatrices<T> x;
    for (Index t = 0; t < g.num_node_types(); ++t) x[g.node_type_name(t)] = g.x(t);
    for (const auto& layer : layers_) x = layer.forward(g, x, table);
    GraphTokens<T> out;
    Index rows = 0;
    for (const auto& type : type_order) {
      const Index id = g.node_type_id(type);
      auto it = x.find(type);
      if (it == x.end())
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      out.spans.push_back({type, id, rows, it->second.rows()});
      rows += it->second.rows();
    }
    out.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(config_.llm_dim)});
    MatrixMap<T> tokens(out.tokens.data(), rows, config_.llm_dim);
    for (const auto& span : out.spans) {
      projector_.forward_into(x.at(span.type), tokens.middleRows(span.offset, span.count));
      for (Index i = 0; i < span.count; ++i)
        out.node_ids.push_back(original_ids ? original_ids->at(span.type)[static_cast<std::size_t>(i)] : i);
    }
    return out;
  }

 private:
  TokenizerConfig config_;
  std::vector<MetaHGTConv<T>> layers_;
  nn::Linear<T> projector_;
};

}  // namespace hgtok
