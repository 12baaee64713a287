// Tokenizer: the whole path of a heterogeneous graph to graph tokens, top to bottom.
//
//   HeteroGraph (or a Subgraph from NeighborSampler, graph/sampler.hpp)
//     → (kernels with metapaths: add_metapaths, graph/metapath.hpp, original edge types dropped)
//     → (kernels with random-walk fields: neighbours from RandomWalkWithRestart, graph/random_walk.hpp, or
//        OpenHGNNWalk, graph/openhgnn_walk.hpp, by the config's walk)
//     → encoder layers × num_layers, all of one kernel (config "kernel"; the registry, tokenizer/kernels.hpp:
//       meta_hgt, hgt, han, meta_han, hetgnn, meta_hetgnn), each layer reading the previous layer's outputs
//     → LLMProjector (tokenizer/llm_projector.hpp):
//         "linear":     HiGPT's graph_projector, Linear(hidden → d_llm), one token per node
//         "mlp_prefix": G-Retriever's projector, mean-pool → MLP → k prefix tokens
//     → GraphTokens [T, d_llm], node types in the requested order (HiGPT's hetero_key_order)
//
// Generated kernels (meta_hgt, meta_han, meta_hetgnn) take their type embeddings from the EmbeddingTable in
// TokenizeOptions::table: read one from safetensors / npy, or build it with TypeDescriptions::embed(SentenceEncoder)
// (text/). Static kernels (hgt, han, hetgnn) hold one learned weight set per node / edge type listed in the config
// (node_types, edge_types) and need no table (one given to them is ignored).
//
// A tokenizer is described completely by a directory holding config.json (tokenizer/config.hpp) and
// weights.safetensors; load(dir) and save(dir) round-trip. Weight names:
//   layers.<i>.<the kernel's own state_dict name>        (see the kernel's header; docs/tokenizer.md)
//   graph_projector.{weight,bias}                       ("linear", HiGPT's name)
//   projector.{0,2}.{weight,bias}                       ("mlp_prefix", G-Retriever's names)
// A weights file must hold exactly these tensors with the shapes the config implies: a missing tensor is a
// LookupError, a wrong shape a ShapeError, a tensor the config does not use a FormatError (e.g. a 3-layer file
// read with num_layers = 2).
//
// Tokenizer::random builds an UNTRAINED tokenizer with seeded weights, for trying the path; real use loads trained
// weights (e.g. HiGPT's In-Context-HGT converted with tools/convert_checkpoint.py).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/metapath.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/atomic_file.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/tokenizer/config.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"
#include "hgtok/tokenizer/kernels.hpp"
#include "hgtok/tokenizer/llm_projector.hpp"
#include "hgtok/tokenizer/union_batch.hpp"

namespace hgtok {

/// What encode, tokenize and tokenize_many take besides the graph.
template <class T>
struct TokenizeOptions {
  /// Node types whose tokens are returned, in this order (HiGPT's hetero_key_order); not used by encode.
  std::vector<std::string> type_order;
  /// Type embeddings (an EmbeddingTable, or any TypeEmbeddings): generated kernels need them (ValueError without);
  /// static kernels ignore them.
  const TypeEmbeddings<T>* table = nullptr;
  /// Per node type, the id each local node id stands for (e.g. a Subgraph's original_ids), written to node_ids;
  /// null: the local ids. Only for a HeteroGraph: a Subgraph brings its own.
  const std::map<std::string, std::vector<Index>>* original_ids = nullptr;
  /// tokenize_many's error sink: when set, a subgraph that fails is reported as on_error(i, message) (on the
  /// calling thread, in index order), its tokens stay empty and the others are still tokenized; when empty, the
  /// first subgraph's error is thrown.
  std::function<void(std::size_t, const std::string&)> on_error = nullptr;
};

/// `Kernels`: the kernel registry (tokenizer/kernels.hpp); a program's own kernels: BuiltinKernels::With<...>.
template <class T = float, class Kernels = BuiltinKernels>
class Tokenizer {
 public:
  /// One encoder layer: the kernel config.kernel names (every layer of a stack has the same kernel).
  using Layer = typename Kernels::template Layer<T>;

  /// Builds from a config and a weight store (names as documented above); `source` names the weights in errors.
  Tokenizer(TokenizerConfig config, const WeightStore& weights) : config_(std::move(config)) {
    // One validation path (the config's source, when it has one, stays in its errors).
    config_ = TokenizerConfig::from_json(config_.to_json(kernels()), config_.source_name(), kernels());
    // Each weight is allocated once its tensor in the file has the shape the config implies (never zero weights
    // sized by the config first); an allocation the system refuses is a ResourceError naming the layer.
    for (Index l = 0; l < config_.num_layers; ++l)
      layers_.push_back(detail::allocating(weights.source(), layer_prefix(l), [&] { return make_layer(config_, l, &weights); }));
    projector_ = detail::allocating(weights.source(), projector_prefix(), [&] {
      return config_.projector == "linear"
                 ? LLMProjector<T>::load_linear(weights, projector_prefix(), config_.hidden_channels, config_.llm_dim)
                 : LLMProjector<T>::load_mlp_prefix(weights, projector_prefix(), config_.hidden_channels, config_.llm_dim,
                                                    config_.num_prefix_tokens);
    });
    // Every tensor of the file must be one the config uses.
    WeightStore used = WeightStore::shapes_only();  // names only: no second copy of the weights
    save_weights(used);
    for (const auto& name : weights.names())
      if (!used.contains(name))
        throw FormatError(weights.source(), name, "tensor '" + name + "' is not used by the config (kernel " + config_.kernel +
                                                      ", num_layers " + std::to_string(config_.num_layers) +
                                                      ", projector " + config_.projector + ")");
  }

  /// The registry's entries, which config parsing uses.
  static const std::vector<TokenizerKernel>& kernels() { return Kernels::infos(); }
  /// Parses a config.json against this tokenizer's kernels (TokenizerConfig::from_json with them).
  static TokenizerConfig parse_config(const nlohmann::json& j, const std::string& source) {
    return TokenizerConfig::from_json(j, source, kernels());
  }

  /// An UNTRAINED tokenizer: every weight drawn uniformly from ±1/√fan_in with Rng(seed) (fan_in = a tensor's
  /// last dimension; LayerNorm γ = 1, β = 0). Works for every kernel.
  static Tokenizer random(const TokenizerConfig& config, std::uint64_t seed) {
    TokenizerConfig c = parse_config(config.to_json(kernels()), config.source_name());
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
        const double scale = 1.0 / std::sqrt(static_cast<double>(shape.size() >= 2 ? shape.back() : shape[0]));
        for (auto& x : v) x = norm ? T(gamma ? 1 : 0) : static_cast<T>((2.0 * rng.uniform() - 1.0) * scale);
        w.add(name, shape, v.data());
      }
    };
    // The config's dimensions size these allocations (that is what random() is for): one refused is a ResourceError.
    const std::string source = c.source_name();
    for (Index l = 0; l < c.num_layers; ++l)
      detail::allocating(source, layer_prefix(l), [&] {
        WeightStore shapes = WeightStore::shapes_only();
        std::visit([&](const auto& layer) { layer.save(shapes, layer_prefix(l)); }, make_layer(c, l, nullptr));
        draw(shapes);
      });
    const std::string projector = c.projector == "linear" ? "graph_projector" : "projector";
    detail::allocating(source, projector, [&] {
      WeightStore shapes = WeightStore::shapes_only();
      empty_projector(c).save(shapes, projector);
      draw(shapes);
    });
    return Tokenizer(std::move(c), w);
  }

  /// Loads config.json and weights.safetensors from `dir`.
  static Tokenizer load(const std::string& dir) {
    namespace fs = std::filesystem;
    const std::string config_path = (fs::path(dir) / "config.json").string();
    const nlohmann::json j = detail::read_json_file(config_path);
    return Tokenizer(parse_config(j, config_path), WeightStore::load((fs::path(dir) / "weights.safetensors").string()));
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
    detail::write_file_atomic((fs::path(dir) / "config.json").string(), config_.to_json(kernels()).dump(2) + "\n");
  }

  const TokenizerConfig& config() const { return config_; }
  /// The kernel's registry entry.
  const TokenizerKernel& kernel() const { return config_.kernel_info(kernels()); }
  /// The encoder layers (std::get<HGTConv<T>>(layers()[i]) etc.; every alternative has out_channels()).
  const std::vector<Layer>& layers() const { return layers_; }
  const LLMProjector<T>& projector() const { return projector_; }
  /// True when the kernel generates its weights from type embeddings (meta_hgt, meta_han, meta_hetgnn): encode and
  /// tokenize then need TokenizeOptions::table.
  bool needs_table() const { return kernel().generated; }

  /// The encoder's output per node type (after every layer), before the LLM projector. Uses options.table only.
  TypeMatrices<T> encode(const HeteroGraph<T>& g, const TokenizeOptions<T>& options = {}) const {
    require_table(options);
    Prepared p;
    prepare(g, p);
    return run_layers(p, options.table);
  }

  /// Graph tokens of `g`. Linear projector: one row per node of each type in options.type_order, spans in that
  /// order. MlpPrefix: k rows from the mean of those nodes' encodings, one span "prefix" (type_id -1, node ids
  /// -1). A type unknown to the graph, listed twice, or that the last layer produces no output for (HGT / MetaHGT
  /// / HAN: it receives no edge type), is a LookupError / ValueError. options.original_ids (per type) replaces
  /// the local ids in node_ids.
  GraphTokens<T> tokenize(const HeteroGraph<T>& g, const TokenizeOptions<T>& options) const {
    require_table(options);
    return tokenize_graph(g, options.table, options.type_order, options.original_ids);
  }
  /// Graph tokens of a sampled subgraph, node ids mapped back to the original graph (options.original_ids must
  /// be null: the subgraph's own are used).
  GraphTokens<T> tokenize(const Subgraph<T>& s, const TokenizeOptions<T>& options) const {
    require_table(options);
    if (options.original_ids)
      throw ValueError("TokenizeOptions", "original_ids", "is set, but a Subgraph brings its own original_ids");
    return tokenize_graph(s.graph, options.table, options.type_order, &s.original_ids);
  }

  /// Graph tokens of many sampled subgraphs: element i is bitwise equal to tokenize(*subs[i], options). Where no
  /// result can depend on which rows share a product (tokenizes_as_union(); tokenizer/union_batch.hpp), they run
  /// as one disjoint union; otherwise, and whenever the union cannot be formed (subgraphs with different type
  /// lists, or any error), one by one. Errors: see TokenizeOptions::on_error.
  std::vector<GraphTokens<T>> tokenize_many(const std::vector<const Subgraph<T>*>& subs, const TokenizeOptions<T>& options) const {
    require_table(options);
    return tokenize_many_impl(subs, options, nullptr);
  }
  /// As tokenize_many, with the token rows of every subgraph that succeeds written to `rows` instead of its own
  /// tensor: one after another, subgraphs in order, [sum of their rows × llm_dim] row-major. `rows` is resized to
  /// that (its capacity is reused; only growth is zero-filled before it is overwritten). Each returned
  /// GraphTokens keeps its spans and node_ids (one id per row, so element i's rows are node_ids.size()) and an
  /// empty `tokens`. For a caller that lays many subgraphs' tokens out in one buffer (tokenize_batch): every
  /// token is copied once less. The rows are bitwise those of tokenize_many.
  std::vector<GraphTokens<T>> tokenize_many_into(const std::vector<const Subgraph<T>*>& subs, std::vector<T>& rows,
                                                 const TokenizeOptions<T>& options) const {
    require_table(options);
    return tokenize_many_impl(subs, options, &rows);
  }
  /// Whether tokenize_many runs subgraphs as one union with this tokenizer (tokenizer/union_batch.hpp).
  bool tokenizes_as_union() const {
    bool kernel_may = false;
    Kernels::find(config_.kernel, [&](auto k) { kernel_may = decltype(k)::runs_as_union; });
    return kernel_may && detail::union_may_run<T>(config_);
  }

 private:
  /// The graph the layers run on (g itself, or its metapath transform) and the sampled neighbours. Filled in
  /// place by prepare() (graph may point at transformed), so neither copied nor moved.
  struct Prepared {
    Prepared() = default;
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    const HeteroGraph<T>* graph = nullptr;
    HeteroGraph<T> transformed;
    HetNeighbors neighbors;
  };

  static std::string layer_prefix(Index l) { return "layers." + std::to_string(l) + "."; }
  std::string projector_prefix() const { return config_.projector == "linear" ? "graph_projector" : "projector"; }
  std::string source() const { return config_.source_name(); }
  static LLMProjector<T> empty_projector(const TokenizerConfig& c) {
    return c.projector == "linear" ? LLMProjector<T>::linear(c.hidden_channels, c.llm_dim)
                                   : LLMProjector<T>::mlp_prefix(c.hidden_channels, c.llm_dim, c.num_prefix_tokens);
  }
  void save_weights(WeightStore& w) const {
    for (std::size_t l = 0; l < layers_.size(); ++l)
      std::visit([&](const auto& layer) { layer.save(w, layer_prefix(static_cast<Index>(l))); }, layers_[l]);
    projector_.save(w, projector_prefix());
  }

  /// Layer l of config c's kernel: zero weights when `w` is null, else loaded from w under layers.<l>.
  static Layer make_layer(const TokenizerConfig& c, Index l, const WeightStore* w) {
    std::optional<Layer> layer;
    if (!Kernels::find(c.kernel, [&](auto k) { layer.emplace(decltype(k)::template make<T>(c, l, w, layer_prefix(l))); }))
      TokenizerConfig::find_kernel(c.kernel, c.source_name(), kernels());  // throws: unknown kernel
    return std::move(*layer);
  }

  void require_table(const TokenizeOptions<T>& options) const {
    if (needs_table() && !options.table)
      throw ValueError(source(), "kernel", "kernel " + config_.kernel +
                                               " generates its weights from type embeddings: pass an EmbeddingTable to encode / "
                                               "tokenize (TokenizeOptions::table)");
  }

  /// Checks g against the config, applies the metapaths and samples the random-walk neighbours (kernels that
  /// take those fields).
  void prepare(const HeteroGraph<T>& g, Prepared& p) const {
    const TokenizerKernel& k = kernel();
    const bool walks = k.takes("walk_length");
    p.graph = &g;
    if (!config_.metapaths.empty()) {
      for (std::size_t j = 0; j < config_.metapaths.size(); ++j)
        for (const auto& e : config_.metapaths[j])
          if (!g.has_edge_type(e))
            throw LookupError(source(), "metapaths[" + std::to_string(j) + "]", "edge type '" + e.key() + "' is not in the graph");
      p.transformed = add_metapaths(g, config_.metapaths, true, config_.keep_same_node_type, config_.drop_unconnected_node_types);
      p.graph = &p.transformed;
    }
    const HeteroGraph<T>& h = *p.graph;
    if (!k.generated) {  // the graph's types must be the layer's
      const std::set<std::string> types(config_.node_types.begin(), config_.node_types.end());
      std::set<std::string> keys;
      for (const auto& e : config_.edge_types) keys.insert(e.key());
      for (const auto& t : h.node_types())
        if (!types.count(t))
          throw LookupError(source(), "node_types", "the graph's node type '" + t + "' is not one of the config's node_types");
      for (const auto& e : h.edge_types())
        if (!keys.count(e.key()))
          throw LookupError(source(), "edge_types",
                            "the graph's edge type '" + e.key() + "' is not one of the config's edge_types" +
                                (config_.metapaths.empty() ? "" : " (after the metapaths are added)"));
    }
    for (Index t = 0; t < h.num_node_types(); ++t) {
      const std::string& name = h.node_type_name(t);
      const Index width = h.x(t).cols();
      if (k.takes("content_dim")) {
        const Index c = config_.content_width(name);
        if (width < c || width % c != 0)
          throw ShapeError("Tokenizer", "x/" + name,
                           "feature width " + std::to_string(width) + " is not a positive multiple of the tokenizer's content_dim " +
                               std::to_string(c) + " (" + source() + ")");
      } else if (width != config_.in_width(name)) {
        throw ShapeError("Tokenizer", "x/" + name,
                         "feature width " + std::to_string(width) + ", the tokenizer's in_channels is " +
                             std::to_string(config_.in_width(name)));
      }
    }
    if (walks) p.neighbors = sample_walk_neighbors(config_, h);
  }

  TypeMatrices<T> run_layers(const Prepared& p, const TypeEmbeddings<T>* table) const {
    const EncoderInput<T> in{p.graph, table, &p.neighbors};
    TypeMatrices<T> x;
    for (Index t = 0; t < p.graph->num_node_types(); ++t) x[p.graph->node_type_name(t)] = p.graph->x(t);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      if (l > 0) check_stack_input(*p.graph, x, l);
      x = Kernels::template visit<T>(layers_[l], [&](auto k, const auto& conv) { return decltype(k)::forward(conv, in, x); });
    }
    return x;
  }

  /// Layer l (≥ 1) reads layer l-1's outputs: every node type it reads must have one.
  void check_stack_input(const HeteroGraph<T>& g, const TypeMatrices<T>& x, std::size_t l) const {
    const bool every = Kernels::template visit<T>(layers_[l], [](auto k, const auto&) { return decltype(k)::reads_every_type; });
    std::set<Index> read;
    for (Index t = 0; t < g.num_node_types(); ++t)
      if (every) read.insert(t);
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      read.insert(g.src_type_id(e));
      read.insert(g.dst_type_id(e));
    }
    for (Index t : read)
      if (!x.count(g.node_type_name(t)))
        throw LookupError("Tokenizer", "num_layers",
                          "layer " + std::to_string(l) + " reads node type '" + g.node_type_name(t) + "', but layer " +
                              std::to_string(l - 1) + " gives it no output (it receives no edge type); a stack of " +
                              std::to_string(layers_.size()) + " layers needs every such type to receive one (" + source() + ")");
  }

  bool gives_output(const HeteroGraph<T>& g, Index t) const {
    return Kernels::template visit<T>(layers_.back(),
                                      [&](auto k, const auto&) { return decltype(k)::template gives_output<T>(config_, g, t); });
  }

  std::vector<GraphTokens<T>> tokenize_many_impl(const std::vector<const Subgraph<T>*>& subs, const TokenizeOptions<T>& options,
                                                 std::vector<T>* into) const {
    const std::size_t n = subs.size();
    std::vector<GraphTokens<T>> out(n);
    if (n > 1 && tokenizes_as_union()) {
      try {
        const detail::SubgraphUnion<T> u = detail::union_of(subs, options.type_order);
        const GraphTokens<T> all = tokenize_graph(u.graph, options.table, options.type_order, nullptr);
        return detail::split_union(all, u, subs, config_.llm_dim, into);
      } catch (const std::exception&) {  // one by one below names the subgraph at fault
        out.assign(n, GraphTokens<T>());
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      try {
        if (!subs[i]) throw ValueError("Tokenizer", "subs[" + std::to_string(i) + "]", "is null");
        out[i] = tokenize_graph(subs[i]->graph, options.table, options.type_order, &subs[i]->original_ids);
      } catch (const std::exception& e) {
        if (!options.on_error) throw;
        options.on_error(i, e.what());
      }
    }
    if (into) detail::gather_rows(out, *into);  // the rows of those that succeeded, in order
    return out;
  }

  GraphTokens<T> tokenize_graph(const HeteroGraph<T>& g, const TypeEmbeddings<T>* table, const std::vector<std::string>& type_order,
                                const std::map<std::string, std::vector<Index>>* original_ids) const {
    if (type_order.empty()) throw ValueError("Tokenizer", "type_order", "is empty: no node type to tokenize");
    Prepared p;
    prepare(g, p);
    const HeteroGraph<T>& h = *p.graph;
    std::set<std::string> seen;
    for (const auto& type : type_order) {
      g.node_type_id(type);  // LookupError naming an unknown type
      if (!h.has_node_type(type))
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' is dropped by drop_unconnected_node_types (" +
                                                         source() + "), so the encoder gives it no output");
      if (!gives_output(h, h.node_type_id(type)))
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      if (!seen.insert(type).second) throw ValueError("Tokenizer", "type_order", "node type '" + type + "' is listed twice");
    }
    const TypeMatrices<T> x = run_layers(p, table);
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

  TokenizerConfig config_;
  std::vector<Layer> layers_;
  LLMProjector<T> projector_;
};

}  // namespace hgtok
