// Tokenizer: the whole path of ../DESIGN.md, top to bottom.
//
//   HeteroGraph (or a Subgraph from NeighborSampler, graph/sampler.hpp)
//     → MetaHGT layers × num_layers (type-specific weights generated from the
//       EmbeddingTable's type embeddings, cached; conv/meta_hgt.hpp)
//     → LLMProjector (tokenizer/llm_projector.hpp):
//         "linear":     HiGPT's graph_projector, Linear(hidden → d_llm), one token per node
//         "mlp_prefix": G-Retriever's projector, mean-pool → MLP → k prefix tokens
//     → GraphTokens [T, d_llm], node types in the requested order (HiGPT's hetero_key_order)
//
// The type embeddings come from an EmbeddingTable: read one from safetensors /
// npy, or build it with TypeDescriptions::embed(SentenceEncoder) (text/).
//
// A tokenizer is described completely by a directory holding config.json and
// weights.safetensors; load(dir) and save(dir) round-trip. Weight names:
//   layers.<i>.<HiGPT MetaHGTConv state_dict name>      (conv/meta_hgt.hpp)
//   graph_projector.{weight,bias}                       ("linear", HiGPT's name)
//   projector.{0,2}.{weight,bias}                       ("mlp_prefix", G-Retriever's names)
// A weights file must hold exactly these tensors with the shapes the config
// implies: a missing tensor is a LookupError, a wrong shape a ShapeError, a
// tensor the config does not use a FormatError (e.g. a 3-layer file read with
// num_layers = 2).
//
// Tokenizer::random builds an UNTRAINED tokenizer with seeded weights, for
// trying the path; real use loads trained weights (e.g. HiGPT's In-Context-HGT
// converted with tools/convert_checkpoint.py).
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"
#include "hgtok/tokenizer/llm_projector.hpp"

namespace hgtok {

/// Everything that shapes a tokenizer (config.json).
struct TokenizerConfig {
  std::string kernel = "meta_hgt";   ///< the encoder layer; a Tokenizer composes: meta_hgt
  std::string variant = "pretrain";  ///< meta_hgt: "pretrain" (HG_grounding) or "inference" (higpt/model copy)
  Index in_channels = 0;             ///< node feature width (same for every node type)
  Index hidden_channels = 0;         ///< width of every layer's output
  Index heads = 1;
  Index num_layers = 1;
  Index embedding_dim = 0;           ///< type-embedding width m
  std::string projector = "linear";  ///< "linear" (HiGPT graph_projector) or "mlp_prefix" (G-Retriever)
  Index num_prefix_tokens = 0;       ///< mlp_prefix: k tokens per graph (0 for linear)
  Index llm_dim = 0;                 ///< LLM embedding width (projector output)

  nlohmann::json to_json() const {
    nlohmann::json j = {{"kernel", kernel}, {"variant", variant}, {"in_channels", in_channels},
                        {"hidden_channels", hidden_channels}, {"heads", heads}, {"num_layers", num_layers},
                        {"embedding_dim", embedding_dim}, {"projector", projector}, {"llm_dim", llm_dim}};
    if (projector == "mlp_prefix") j["num_prefix_tokens"] = num_prefix_tokens;
    return j;
  }
  /// Parses and validates; `source` names the file in errors. Unknown keys are a FormatError (a typo must not
  /// silently fall back to a default).
  static TokenizerConfig from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object()) throw FormatError(source, "", "config must be a JSON object, got " + j.dump());
    static const std::set<std::string> known{"kernel", "variant", "in_channels", "hidden_channels", "heads",
                                             "num_layers", "embedding_dim", "projector", "num_prefix_tokens", "llm_dim"};
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!known.count(it.key())) throw FormatError(source, it.key(), "unknown config key '" + it.key() + "'");
    TokenizerConfig c;
    auto integer = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<std::int64_t>() <= 0 ||
          j[key].get<std::int64_t>() > (std::int64_t(1) << 24))
        throw FormatError(source, key, "must be an integer in [1, 2^24], got " + (j.contains(key) ? j[key].dump() : std::string("nothing")));
      return j[key].get<Index>();
    };
    auto string = [&](const char* key, const std::string& fallback) {
      if (!j.contains(key)) return fallback;
      if (!j[key].is_string()) throw FormatError(source, key, "must be a string, got " + j[key].dump());
      return j[key].get<std::string>();
    };
    if (!j.contains("kernel")) throw FormatError(source, "kernel", "missing");
    c.kernel = string("kernel", "");
    if (c.kernel != "meta_hgt")
      throw ValueError(source, "kernel", "unknown kernel '" + c.kernel + "' (a Tokenizer composes: meta_hgt)");
    c.variant = string("variant", "pretrain");
    if (c.variant != "pretrain" && c.variant != "inference")
      throw ValueError(source, "variant", "unknown variant '" + c.variant + "' (pretrain or inference)");
    c.in_channels = integer("in_channels");
    c.hidden_channels = integer("hidden_channels");
    c.heads = integer("heads");
    c.num_layers = integer("num_layers");
    if (c.num_layers > 64) throw FormatError(source, "num_layers", "at most 64, got " + std::to_string(c.num_layers));
    c.embedding_dim = integer("embedding_dim");
    c.llm_dim = integer("llm_dim");
    c.projector = string("projector", "linear");
    if (c.projector == "mlp_prefix") {
      c.num_prefix_tokens = integer("num_prefix_tokens");
    } else if (c.projector == "linear") {
      if (j.contains("num_prefix_tokens"))
        throw FormatError(source, "num_prefix_tokens", "only an mlp_prefix projector has prefix tokens");
    } else {
      throw ValueError(source, "projector", "unknown projector '" + c.projector + "' (linear or mlp_prefix)");
    }
    if (c.hidden_channels % c.heads != 0)
      throw ValueError(source, "heads", std::to_string(c.heads) + " heads do not divide hidden_channels " +
                                            std::to_string(c.hidden_channels));
    return c;
  }
};

template <class T = float>
class Tokenizer {
 public:
  using Layer = MetaHGTConv<T>;

  /// Builds from a config and a weight store (names as documented above); `source` names the weights in errors.
  Tokenizer(TokenizerConfig config, const WeightStore& weights) : config_(std::move(config)) {
    config_ = TokenizerConfig::from_json(config_.to_json(), "TokenizerConfig");  // one validation path
    for (Index l = 0; l < config_.num_layers; ++l)
      layers_.push_back(Layer::load(weights, layer_prefix(l), l == 0 ? config_.in_channels : config_.hidden_channels,
                                    config_.hidden_channels, config_.heads, config_.embedding_dim, variant()));
    projector_ = empty_projector(config_);
    projector_.load(weights, projector_prefix());
    // Every tensor of the file must be one the config uses.
    WeightStore used;
    save_weights(used);
    for (const auto& name : weights.names())
      if (!used.contains(name))
        throw FormatError(weights.source(), name, "tensor '" + name + "' is not used by the config (kernel " + config_.kernel +
                                                      ", num_layers " + std::to_string(config_.num_layers) +
                                                      ", projector " + config_.projector + ")");
  }

  /// An UNTRAINED tokenizer: every weight drawn uniformly from ±1/√fan_in with Rng(seed) (LayerNorm γ = 1, β = 0).
  static Tokenizer random(const TokenizerConfig& config, std::uint64_t seed) {
    const TokenizerConfig c = TokenizerConfig::from_json(config.to_json(), "TokenizerConfig");
    // Shapes come from a zero-initialised model's own state_dict, so names and shapes cannot drift. One layer
    // at a time, so at most one layer's zero copy exists beside the drawn weights (HiGPT's layer is ~3.6 GB).
    WeightStore w;
    Rng rng(seed);
    auto draw = [&](const WeightStore& shapes) {
      for (const auto& name : shapes.names()) {
        const Shape shape = shapes.shape(name);
        Index n = 1;
        for (auto d : shape) n *= d;
        std::vector<T> v(static_cast<std::size_t>(n));
        const bool norm = name.find(".norm.") != std::string::npos;
        const bool gamma = norm && name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0;
        const double scale = 1.0 / std::sqrt(static_cast<double>(shape.size() == 2 ? shape[1] : shape[0]));
        for (auto& x : v) x = norm ? T(gamma ? 1 : 0) : static_cast<T>((2.0 * rng.uniform() - 1.0) * scale);
        w.add(name, shape, v.data());
      }
    };
    for (Index l = 0; l < c.num_layers; ++l) {
      WeightStore shapes;
      Layer(l == 0 ? c.in_channels : c.hidden_channels, c.hidden_channels, c.heads, c.embedding_dim).save(shapes, layer_prefix(l));
      draw(shapes);
    }
    WeightStore shapes;
    empty_projector(c).save(shapes, c.projector == "linear" ? "graph_projector" : "projector");
    draw(shapes);
    return Tokenizer(c, w);
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

  /// Writes config.json and weights.safetensors into `dir` (created if needed; each file written atomically).
  void save(const std::string& dir) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IOError(dir, "", "cannot create directory: " + ec.message());
    WeightStore w;
    save_weights(w);
    w.save((fs::path(dir) / "weights.safetensors").string());
    const fs::path final_path = fs::path(dir) / "config.json", tmp = fs::path(dir) / "config.json.tmp";
    {
      std::ofstream out(tmp);
      if (!out) throw IOError(tmp.string(), "", "cannot open for writing");
      out << config_.to_json().dump(2) << '\n';
      if (!out) throw IOError(tmp.string(), "", "write failed");
    }
    fs::rename(tmp, final_path, ec);
    if (ec) throw IOError(final_path.string(), "", "cannot rename from " + tmp.string() + ": " + ec.message());
  }

  const TokenizerConfig& config() const { return config_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const LLMProjector<T>& projector() const { return projector_; }

  /// The encoder's output per node type (after every layer), before the LLM projector.
  TypeMatrices<T> encode(const HeteroGraph<T>& g, const EmbeddingTable<T>& table) const {
    TypeMatrices<T> x;
    for (Index t = 0; t < g.num_node_types(); ++t) {
      if (g.x(t).cols() != config_.in_channels)
        throw ShapeError("Tokenizer", "x/" + g.node_type_name(t),
                         "feature width " + std::to_string(g.x(t).cols()) + ", the tokenizer's in_channels is " +
                             std::to_string(config_.in_channels));
      x[g.node_type_name(t)] = g.x(t);
    }
    for (const auto& layer : layers_) x = layer.forward(g, x, table);
    return x;
  }

  /// Graph tokens of `g`. Linear projector: one row per node of each type in `type_order`, spans in that
  /// order. MlpPrefix: k rows from the mean of those nodes' encodings, one span "prefix" (type_id -1,
  /// node ids -1). A type unknown to the graph, listed twice, or that the last layer produces no output for
  /// (it receives no edge type), is a LookupError / ValueError. `original_ids` (per type) replaces the
  /// local ids in node_ids, e.g. Subgraph::original_ids.
  GraphTokens<T> tokenize(const HeteroGraph<T>& g, const EmbeddingTable<T>& table,
                          const std::vector<std::string>& type_order,
                          const std::map<std::string, std::vector<Index>>* original_ids = nullptr) const {
    if (type_order.empty()) throw ValueError("Tokenizer", "type_order", "is empty: no node type to tokenize");
    std::set<Index> destinations;  // the encoder's output types (MetaHGT: destinations of an edge type)
    for (Index e = 0; e < g.num_edge_types(); ++e) destinations.insert(g.dst_type_id(e));
    std::set<std::string> seen;
    for (const auto& type : type_order) {
      if (!destinations.count(g.node_type_id(type)))  // node_type_id: LookupError naming an unknown type
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      if (!seen.insert(type).second) throw ValueError("Tokenizer", "type_order", "node type '" + type + "' is listed twice");
    }
    const TypeMatrices<T> x = encode(g, table);
    GraphTokens<T> out;
    Index rows = 0;
    std::vector<const Matrix<T>*> blocks;
    for (const auto& type : type_order) {
      auto it = x.find(type);
      if (it == x.end())
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      out.spans.push_back({type, g.node_type_id(type), rows, it->second.rows()});
      blocks.push_back(&it->second);
      rows += it->second.rows();
    }
    if (original_ids)
      for (const auto& type : type_order) {
        auto it = original_ids->find(type);
        if (it == original_ids->end() || static_cast<Index>(it->second.size()) != g.num_nodes(type))
          throw ValueError("Tokenizer", "original_ids", "no mapping of " + std::to_string(g.num_nodes(type)) +
                                                            " ids for node type '" + type + "'");
      }
    const Index d = config_.llm_dim;
    if (projector_.kind() == LLMProjector<T>::Kind::Linear) {
      out.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(d)});
      MatrixMap<T> tokens(out.tokens.data(), rows, d);
      for (std::size_t s = 0; s < out.spans.size(); ++s) {
        const auto& span = out.spans[s];
        projector_.forward_rows_into(*blocks[s], tokens.middleRows(span.offset, span.count));
        for (Index i = 0; i < span.count; ++i)
          out.node_ids.push_back(original_ids ? original_ids->at(span.type)[static_cast<std::size_t>(i)] : i);
      }
      return out;
    }
    if (rows == 0) throw ValueError("Tokenizer", "type_order", "the requested node types hold no node: nothing to pool");
    RowVector<T> pooled = RowVector<T>::Zero(config_.hidden_channels);
    for (const auto* b : blocks) pooled += b->colwise().sum();  // fixed order: types in type_order, rows in order
    pooled /= static_cast<T>(rows);
    const Index k = projector_.num_tokens();
    out.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(k), static_cast<std::size_t>(d)});
    MatrixMap<T> tokens(out.tokens.data(), k, d);
    projector_.forward_prefix_into(pooled, tokens);
    out.spans = {{"prefix", -1, 0, k}};
    out.node_ids.assign(static_cast<std::size_t>(k), -1);
    return out;
  }

  /// Graph tokens of a sampled subgraph, node ids mapped back to the original graph.
  GraphTokens<T> tokenize(const Subgraph<T>& s, const EmbeddingTable<T>& table, const std::vector<std::string>& type_order) const {
    return tokenize(s.graph, table, type_order, &s.original_ids);
  }

 private:
  static std::string layer_prefix(Index l) { return "layers." + std::to_string(l) + "."; }
  std::string projector_prefix() const { return config_.projector == "linear" ? "graph_projector" : "projector"; }
  typename Layer::Variant variant() const {
    return config_.variant == "inference" ? Layer::Variant::HiGPTInference : Layer::Variant::Pretrain;
  }
  static LLMProjector<T> empty_projector(const TokenizerConfig& c) {
    return c.projector == "linear" ? LLMProjector<T>::linear(c.hidden_channels, c.llm_dim)
                                   : LLMProjector<T>::mlp_prefix(c.hidden_channels, c.llm_dim, c.num_prefix_tokens);
  }
  void save_weights(WeightStore& w) const {
    for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].save(w, layer_prefix(static_cast<Index>(l)));
    projector_.save(w, projector_prefix());
  }

  TokenizerConfig config_;
  std::vector<Layer> layers_;
  LLMProjector<T> projector_;
};

}  // namespace hgtok
