// hgtok tokenize: one target's subgraph to graph tokens, or many targets to shards (--batch-out).
//
// Everything is read from the graph before anything is assumed: the target type is the graph's first node type
// (or --target-type), the token order the graph's node-type order (or --order), the prompt names no dataset. The
// tokenizer is trained (--tokenizer DIR) or built untrained from a seed: --kernel NAME (any of the registry's
// kernels) and the flags, or --config FILE (a config.json, possibly partial); fields left out come from the graph
// (per-type input widths, node and edge types) and from the flags. A type table is read only for a kernel that
// generates its weights from type embeddings, and every type it lacks is listed at once. With no --graph, the
// bundled IMDB sample, its names and HiGPT's IMDB type table are used (the README's first command).
#include <algorithm>
#include <filesystem>
#include <hgtok/hgtok.hpp>
#include <iostream>
#include <numeric>
#include <optional>
#include <set>

#include "cli.hpp"
#include "dot.hpp"
#ifdef HGTOK_WITH_MPI
#include "mpi_batch.hpp"  // under mpirun / srun: the shards split over the ranks
#endif

namespace hgtok::cli {
namespace {

namespace fs = std::filesystem;

struct TokenizeArgs {
  std::string data = default_data_dir();
  std::string graph, types, names, tokenizer_dir, config_file, kernel = "meta_hgt", save_tokenizer, out, batch_out, dot, svg;
  std::string target_type;  // default: the graph's first node type
  std::string prompt;       // default: generic_prompt()
  std::vector<std::string> order;
  bool allow_partial_order = false;
  std::vector<Index> fanouts{10, 5};
  std::vector<Index> targets;
  Index target = 0, shard_size = 256, llm_dim = 4096, hidden = 64, heads = 4, layers = 1;
  std::uint64_t seed = 0;
  bool stop_on_error = false;
  std::string progress = "auto";
  CLI::Option* kernel_option = nullptr;
};

std::string generic_prompt(const std::string& target_type) {
  return "Given a heterogeneous graph: <graph>, what can you tell about the " + target_type + " node at its centre?";
}

/// The config of an untrained tokenizer: --config FILE's fields, then what the flags and the graph give for the
/// fields the kernel takes and the file leaves out.
TokenizerConfig untrained_config(const TokenizeArgs& a, const HeteroGraph<float>& g, const EmbeddingTable<float>* table) {
  nlohmann::json j = nlohmann::json::object();
  std::string source = "--kernel " + a.kernel;
  if (!a.config_file.empty()) {
    j = detail::read_json_file(a.config_file, "--config");
    if (!j.is_object()) throw FormatError(a.config_file, "--config", "must be a JSON object (a tokenizer's config.json)");
    source = a.config_file;
    if (a.kernel_option->count() > 0 && j.contains("kernel") && j["kernel"] != a.kernel)
      throw ValueError(a.config_file, "kernel", "says " + detail::json_excerpt(j["kernel"]) + " but --kernel says '" + a.kernel + "'");
    if (!j.contains("kernel")) j["kernel"] = a.kernel;
  } else {
    j["kernel"] = a.kernel;
  }
  const std::string kernel_name = j["kernel"].is_string() ? j["kernel"].get<std::string>() : "";
  const TokenizerKernel& kernel = TokenizerConfig::find_kernel(kernel_name, source, tokenizer_kernels());
  auto fill = [&](const char* key, const nlohmann::json& value) {
    if (!j.contains(key)) j[key] = value;
  };
  fill("hidden_channels", a.hidden);
  fill("num_layers", a.layers);
  fill("llm_dim", a.llm_dim);
  if (kernel.takes("heads")) fill("heads", a.heads);
  if (kernel.takes("embedding_dim") && table) fill("embedding_dim", table->dim());
  if (kernel.takes("node_types")) fill("node_types", g.node_types());
  if (kernel.takes("edge_types")) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& e : g.edge_types()) keys.push_back(e.key());
    fill("edge_types", keys);
  }
  std::map<std::string, Index> widths;
  std::set<Index> distinct;
  for (Index t = 0; t < g.num_node_types(); ++t) {
    widths[g.node_type_name(t)] = g.feature_dim(t);
    distinct.insert(g.feature_dim(t));
  }
  auto width_list = [&] {
    std::string out;
    for (Index t = 0; t < g.num_node_types(); ++t)
      out += (t ? ", " : "") + g.node_type_name(t) + " " + std::to_string(g.feature_dim(t));
    return out;
  };
  if (kernel.takes("in_channels") && !j.contains("in_channels")) {
    if (distinct.size() == 1) {
      j["in_channels"] = *distinct.begin();
    } else if (!kernel.generated) {
      j["in_channels"] = widths;
    } else {
      std::string statics;
      for (const auto& k : tokenizer_kernels())
        if (!k.generated) statics += (statics.empty() ? "" : ", ") + k.name;
      throw ShapeError(source, "in_channels",
                       "kernel " + kernel.name + " takes one input width for every node type, but the graph's feature widths differ (" +
                           width_list() + "): use a kernel with one width per node type (--kernel " + statics +
                           "), or give the types features of one width");
    }
  }
  if (kernel.takes("content_dim") && !j.contains("content_dim")) {
    if (!kernel.generated && distinct.size() > 1) {
      j["content_dim"] = widths;  // one content vector per node
    } else {
      Index d = 0;  // every width a multiple of it: one or more content vectors per node
      for (Index w : distinct) d = std::gcd(d, w);
      j["content_dim"] = d;
    }
  }
  if (kernel.takes("walk_length")) {
    fill("restart_prob", 0.5);
    fill("walk_length", 30);
    fill("top_k", 3);
    fill("seed", a.seed);
  }
  return TokenizerConfig::from_json(j, source);
}

/// Every node and edge type of `g` the table lacks, listed at once (a LookupError).
void require_types(const EmbeddingTable<float>& table, const HeteroGraph<float>& g, const std::string& table_path,
                   const std::string& kernel) {
  std::vector<std::string> missing;
  for (const auto& t : g.node_types())
    if (!table.has_node(t)) missing.push_back(EmbeddingTable<float>::node_key(t));
  for (const auto& e : g.edge_types())
    if (!table.has_edge(e)) missing.push_back(EmbeddingTable<float>::edge_key(e));
  if (missing.empty()) return;
  throw LookupError(table_path, "--types",
                    "kernel " + kernel + " generates its weights from type embeddings, and this table has none for " +
                        std::to_string(missing.size()) + " of the graph's types: " + join_names(missing) +
                        " (make a table with `hgtok embed-types`, or use a kernel with its own weights per type: --kernel hgt)");
}

/// HAN / MetaHAN's last-layer semantic attention on the subgraph (dot.hpp), when the kernel has it.
bool han_attention(const Tokenizer<float>& tok, const HeteroGraph<float>& g, const EmbeddingTable<float>* table,
                   RelationWeights& out, std::string& note) {
  const std::string& kernel = tok.config().kernel;
  if (kernel != "han" && kernel != "meta_han") {
    note = kernel == "hgt" || kernel == "meta_hgt"
               ? "no attention drawn: hgtok's " + kernel + " fuses the edge softmax with the aggregation and keeps no per-edge weights"
               : "no attention drawn: kernel " + kernel + " has no attention over relations";
    return false;
  }
  if (!tok.config().metapaths.empty()) {
    note = "no attention drawn: with metapaths HAN attends over metapath relations, which the picture does not show";
    return false;
  }
  TypeMatrices<float> x;
  for (Index t = 0; t < g.num_node_types(); ++t) x[g.node_type_name(t)] = g.x(t);
  HanSemanticAttention<float> beta;
  for (std::size_t l = 0; l < tok.layers().size(); ++l) {
    const bool last = l + 1 == tok.layers().size();
    if (kernel == "han") {
      const auto& conv = std::get<HANConv<float>>(tok.layers()[l]);
      x = last ? conv.forward(g, x, beta) : conv.forward(g, x);
    } else {
      const auto& conv = std::get<MetaHANConv<float>>(tok.layers()[l]);
      x = last ? conv.forward(g, x, *table, beta) : conv.forward(g, x, *table);
    }
  }
  for (const auto& [dst, weights] : beta) {
    std::size_t r = 0;
    for (Index e = 0; e < g.num_edge_types(); ++e)
      if (g.edge_type(e).dst == dst && r < weights.size()) out[dst][g.edge_type(e).key()] = weights[r++];
  }
  note = "pen width 1 + 4*beta: " + kernel + "'s semantic attention beta of the last layer (one weight per destination type and relation)";
  return true;
}

int run_tokenize(TokenizeArgs a) {
  // Outputs are checked before any work.
  if (!a.out.empty()) require_extension(a.out, "--out", {".safetensors", ".npy"});
  if (!a.dot.empty()) require_extension(a.dot, "--dot", {".dot", ".gv"});
  if (!a.svg.empty()) {
    require_extension(a.svg, "--svg", {".svg"});
    require_dot(a.svg);
  }
  if (!a.save_tokenizer.empty() && fs::exists(a.save_tokenizer) && !fs::is_directory(a.save_tokenizer))
    throw IOError(a.save_tokenizer, "--save-tokenizer", "exists and is not a directory");
  if (!a.batch_out.empty() && (!a.out.empty() || !a.dot.empty() || !a.svg.empty()))
    throw ValueError("hgtok tokenize", "--batch-out", "writes shards; --out, --dot and --svg are for one target (--target)");

  const bool bundled = a.graph.empty();
  const fs::path data(a.data);
  const std::string graph_path = bundled ? (data / "imdb_sample.safetensors").string() : a.graph;
  if (!fs::exists(graph_path))
    throw IOError(graph_path, bundled ? "--data" : "--graph",
                  bundled ? "the bundled sample graph is not here: point --data at hgtok's examples/data, or pass --graph FILE"
                          : "no such file");
  const auto graph = open_graph<float>(graph_path);  // a compiled graph is mapped, not loaded
  if (graph.num_node_types() == 0 || graph.num_nodes() == 0)
    throw ValueError(graph_path, "--graph", "the graph is empty (" + std::to_string(graph.num_node_types()) +
                                                " node types, no nodes): there is nothing to tokenize");
  std::vector<std::string> graph_types = graph.node_types();
  if (a.target_type.empty()) a.target_type = graph_types.front();
  if (!graph.has_node_type(a.target_type))
    throw LookupError(graph_path, "--target-type",
                      "unknown node type '" + a.target_type + "'; the graph's node types are " + join_names(graph_types));
  if (a.prompt.empty())  // the bundled sample keeps HiGPT's IMDB question (the README's first command)
    a.prompt = bundled && a.target_type == "movie"
                   ? "Given a heterogeneous graph about a movie: <graph>, which genres does the movie belong to?"
                   : generic_prompt(a.target_type);
  const auto names = read_names(bundled && a.names.empty() ? (data / "imdb_sample_names.json").string() : a.names, "--names");

  // The token order: the graph's unless --order says otherwise; dropping a type's rows must be asked for.
  if (a.order.empty()) {
    a.order = graph_types;
  } else {
    std::vector<std::string> dropped;
    for (const auto& t : graph_types)
      if (std::find(a.order.begin(), a.order.end(), t) == a.order.end()) dropped.push_back(t);
    if (!dropped.empty() && !a.allow_partial_order)
      throw ValueError(graph_path, "--order",
                       "leaves out the node type" + std::string(dropped.size() > 1 ? "s " : " ") + join_names(dropped) +
                           ", whose tokens would be dropped: list every type, or pass --allow-partial-order to drop them");
  }

  // The tokenizer, and the type table only when its kernel generates weights from type embeddings.
  const bool trained = !a.tokenizer_dir.empty();
  if (trained && (!a.config_file.empty() || a.kernel_option->count() > 0))
    throw ValueError(a.tokenizer_dir, "--tokenizer", "a trained tokenizer brings its own config: drop --config / --kernel");
  std::string kernel_name = a.kernel;
  if (trained) {
    kernel_name = TokenizerConfig::from_json(detail::read_json_file((fs::path(a.tokenizer_dir) / "config.json").string(), "config"),
                                             (fs::path(a.tokenizer_dir) / "config.json").string())
                      .kernel;
  } else if (!a.config_file.empty()) {
    const auto j = detail::read_json_file(a.config_file, "--config");
    if (j.is_object() && j.contains("kernel") && j["kernel"].is_string()) kernel_name = j["kernel"].get<std::string>();
  }
  const bool generated = TokenizerConfig::find_kernel(kernel_name, "--kernel", tokenizer_kernels()).generated;
  std::optional<EmbeddingTable<float>> table;
  const std::string types_path = a.types.empty() ? (data / "imdb_types.safetensors").string() : a.types;
  if (generated) {
    if (a.types.empty() && !bundled)
      std::cout << "NOTE: no --types given; kernel " << kernel_name << " reads type embeddings, so HiGPT's IMDB table "
                << types_path << " is tried\n";
    table = EmbeddingTable<float>::load(types_path);
    require_types(*table, graph, types_path, kernel_name);
  }
  Tokenizer<float> tok =
      trained ? Tokenizer<float>::load(a.tokenizer_dir) : Tokenizer<float>::random(untrained_config(a, graph, table ? &*table : nullptr), a.seed);
  if (!trained)
    std::cout << "NOTE: this tokenizer is UNTRAINED (" << tok.config().kernel << " + " << tok.config().projector
              << " projector, weights drawn from seed " << a.seed
              << "): the tokens show the shapes and the path, not meaning. Real use: --tokenizer DIR with trained weights\n"
                 "      (tools/convert_checkpoint.py converts HiGPT's and PyG checkpoints).\n";
  if (!a.save_tokenizer.empty()) {
    tok.save(a.save_tokenizer);
    std::cout << "saved tokenizer to " << a.save_tokenizer << "\n";
  }
  std::cout << "graph: " << graph_path << " (" << graph.num_nodes() << " nodes, " << graph.num_edges() << " edges, node types "
            << join_names(graph_types) << ")\n";
  if (table)
    std::cout << "type table: " << types_path << " (" << table->size() << " types, " << table->dim() << "-d)\n";
  else
    std::cout << "type table: none (kernel " << tok.config().kernel << " learns one weight set per type"
              << (a.types.empty() ? "" : "; --types is not read") << ")\n";
  std::cout << "tokenizer: " << tok.config().to_json().dump() << "\n";
  const NeighborSampler sampler(a.fanouts, a.seed);
  const EmbeddingTable<float>* table_ptr = table ? &*table : nullptr;

  if (!a.batch_out.empty()) {
    if (a.targets.empty())
      for (Index i = 0; i < graph.num_nodes(a.target_type); ++i) a.targets.push_back(i);
    BatchOptions o;
    o.target_type = a.target_type;
    o.type_order = a.order;
    o.shard_size = a.shard_size;
    o.stop_on_error = a.stop_on_error;
    o.progress = a.progress == "always" ? 1 : a.progress == "never" ? 0 : -1;
    const EmbeddingTable<float> no_table;  // a static kernel reads none
#ifdef HGTOK_WITH_MPI
    if (hgtok_cli::launched_by_mpi()) return hgtok_cli::tokenize_batch_mpi(tok, graph, table ? *table : no_table, sampler, a.targets, a.batch_out, o);
#endif
    const auto r = tokenize_batch(tok, graph, table ? *table : no_table, sampler, a.targets, a.batch_out, o);
    const Index n = static_cast<Index>(a.targets.size());
    const Index failed = static_cast<Index>(r.failed.size());
    const Index done = r.targets_done - failed;
    const Index skipped = std::min(n, r.shards_skipped * a.shard_size);
    std::cout << "batch: " << n << " targets in " << r.shards_total << " shards under " << a.batch_out << "; "
              << r.shards_skipped << " already done (resumed), " << r.shards_written << " written now (" << r.targets_done
              << " subgraphs, " << r.rows_written << " token rows, " << r.seconds << " s)\n";
    for (const auto& f : r.failed) std::cout << "  failed target " << f.target << ": " << f.error << "\n";
    std::cout << "summary: " << done << " done, " << failed << " failed, " << skipped << " skipped (already on disk); ";
    if (r.targets_done > 0 && done == 0) {
      std::cout << "failed: none of the " << r.targets_done << " targets of this run was tokenized\n";
      return 3;
    }
    std::cout << (r.complete ? "complete" : "not complete: run again to resume")
              << (failed > 0 ? " (with failed targets: their rows are empty, index.json lists them)" : "") << "\n";
    return failed > 0 ? 3 : 0;
  }

  const auto sub = sampler.sample(graph, a.target_type, a.target);
  const auto tokens = tok.tokenize(sub, {a.order, table_ptr});
  auto name_of = [&](const std::string& type, Index id) {
    auto it = names.find(type);
    return it != names.end() && id >= 0 && id < static_cast<Index>(it->second.size()) ? it->second[static_cast<std::size_t>(id)]
                                                                                      : type + " " + std::to_string(id);
  };
  std::cout << "target: " << a.target_type << " " << a.target << " \"" << name_of(a.target_type, a.target) << "\"; subgraph of "
            << sub.graph.num_nodes() << " nodes, " << sub.graph.num_edges() << " edges (fan-outs per hop:";
  for (auto f : a.fanouts) std::cout << ' ' << f;
  std::cout << ", seed " << a.seed << ")\n";
  std::cout << "tokens: [" << tokens.size() << ", " << tokens.width() << "]\n";
  for (const auto& span : tokens.spans) {
    std::cout << "  " << span.type << " (type id " << span.type_id << "): rows " << span.offset << ".." << span.offset + span.count
              << ":";
    for (Index i = 0; i < span.count; ++i)
      std::cout << (i ? ", " : " ") << name_of(span.type, tokens.node_ids[static_cast<std::size_t>(span.offset + i)]);
    std::cout << "\n";
  }
  const auto expanded = expand_prompt(a.prompt, {tokens.size()});
  std::cout << "prompt: " << expanded.text << "\n";
  for (std::size_t i = 0; i < expanded.splices.size(); ++i)
    std::cout << "splice: graph " << i << " -> patches " << expanded.splices[i].first_patch << ".."
              << expanded.splices[i].first_patch + expanded.splices[i].num_patches << " at byte "
              << expanded.splices[i].text_offset << " of the prompt\n";
  if (!a.out.empty()) {
    if (fs::path(a.out).extension() == ".npy")
      tokens.save_npy(a.out);
    else
      tokens.save_safetensors(a.out);
    std::cout << "wrote " << a.out << "\n";
  }
  if (!a.dot.empty() || !a.svg.empty()) {
    RelationWeights weights;
    DotPicture picture{&sub, &names, nullptr, ""};
    if (han_attention(tok, sub.graph, table_ptr, weights, picture.note)) picture.weights = &weights;
    write_picture(subgraph_dot(picture), a.dot, a.svg);
    for (const auto& path : {a.dot, a.svg})
      if (!path.empty()) std::cout << "wrote " << path << "\n";
  }
  return 0;
}

}  // namespace

Command add_tokenize(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<TokenizeArgs>();
  auto* c = app.add_subcommand("tokenize", "tokenize a target's subgraph (default: the bundled sample graph)");
  c->add_option("--data", a->data, "directory with the bundled sample (used when --graph is not given)");
  c->add_option("--graph", a->graph, "graph file (safetensors: x/<type>, edge_index/<src>__<rel>__<dst>; tools/export_pyg.py writes one)");
  c->add_option("--types", a->types, "type-embedding table (node/<type>, edge/<src>__<rel>__<dst>); read only by generated kernels "
                                     "(default: --data's imdb_types.safetensors)");
  c->add_option("--names", a->names, "JSON {node type: [names]} for printing (default with the bundled sample: its names)");
  c->add_option("--target-type", a->target_type, "node type of the target (default: the graph's first node type)");
  c->add_option("--target", a->target, "target node id (subgraph centre)");
  c->add_option("--order", a->order, "node types in token order (HiGPT's hetero_key_order) (default: the graph's order)");
  c->add_flag("--allow-partial-order", a->allow_partial_order, "let --order leave node types out (their tokens are dropped)");
  c->add_option("--seed", a->seed, "seed of the sampler and of the untrained weights");
  c->add_option("--fanouts", a->fanouts, "neighbours per node and edge type, one value per hop");
  c->add_option("--tokenizer", a->tokenizer_dir, "trained tokenizer directory (config.json + weights.safetensors)");
  a->kernel_option = c->add_option("--kernel", a->kernel, "untrained tokenizer: the kernel (meta_hgt, hgt, han, meta_han, hetgnn, meta_hetgnn)");
  c->add_option("--config", a->config_file, "untrained tokenizer: a config.json (fields it leaves out: from the graph and the flags)");
  c->add_option("--save-tokenizer", a->save_tokenizer, "write the tokenizer used to this directory (loadable with --tokenizer)");
  c->add_option("--llm-dim", a->llm_dim, "untrained tokenizer: LLM width (HiGPT: 4096)");
  c->add_option("--hidden", a->hidden, "untrained tokenizer: hidden_channels");
  c->add_option("--heads", a->heads, "untrained tokenizer: attention heads (kernels that have them)");
  c->add_option("--layers", a->layers, "untrained tokenizer: num_layers");
  c->add_option("--out", a->out, "write the tokens to FILE (.safetensors with spans and node ids, or .npy)");
  c->add_option("--dot", a->dot, "write the sampled subgraph as Graphviz DOT (.dot or .gv)");
  c->add_option("--svg", a->svg, "render the sampled subgraph to SVG with Graphviz's dot (.svg)");
  c->add_option("--prompt", a->prompt, "prompt holding one <graph> (default: a question about the target; the bundled sample: HiGPT's genre question)");
  c->add_option("--batch-out", a->batch_out, "tokenize many targets into shards under DIR (rerun to resume)");
  c->add_option("--targets", a->targets, "with --batch-out: target ids (default: every node of --target-type)");
  c->add_option("--shard-size", a->shard_size, "with --batch-out: targets per shard");
  c->add_flag("--stop-on-error", a->stop_on_error, "with --batch-out: stop at the first bad target");
  c->add_option("--progress", a->progress, "with --batch-out: progress on stderr (a bar on a terminal, else lines) with rate and ETA")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  return {c, [a] { return run_tokenize(*a); }};
}

}  // namespace hgtok::cli
