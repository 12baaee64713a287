// hgtok: command-line front end.
//
//   hgtok tokenize                 the bundled sample graph (examples/data/), HiGPT's IMDB type table and an
//                                  UNTRAINED MetaHGT tokenizer from a fixed seed: prints the token shape, the spans
//                                  per node type and the expanded prompt
//   hgtok tokenize --target 6 --fanouts 10 5 --out tokens.safetensors
//   hgtok tokenize --tokenizer DIR  trained weights (config.json + weights.safetensors)
//   hgtok tokenize --batch-out DIR [--targets 0 1 2 | all targets] [--shard-size N] [--stop-on-error]
//                                  many targets, streamed to shards with an index; rerun to resume
//   hgtok embed-types --model DIR --descriptions FILE.json --out table.safetensors
//                                  type embeddings with Sentence-BERT (HiGPT §3.1.1)
//   hgtok inspect PATH             a graph file, a type table, a tokens file, a tokenizer or batch directory
//
// The bundled data are found under the source directory baked in at build time (HGTOK_SOURCE_DIR) or --data DIR.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#ifdef HGTOK_WITH_MPI
#include "mpi_batch.hpp"  // under mpirun / srun: the shards split over the ranks
#endif

namespace {

using namespace hgtok;
namespace fs = std::filesystem;

std::map<std::string, std::vector<std::string>> read_names(const std::string& path) {
  std::map<std::string, std::vector<std::string>> names;
  if (path.empty() || !fs::exists(path)) return names;  // names are optional: ids are printed instead
  std::ifstream in(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw FormatError(path, "", "expected an object of name lists per node type");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it->is_array() && !it->empty() && (*it)[0].is_string()) names[it.key()] = it->get<std::vector<std::string>>();
  return names;
}

struct TokenizeArgs {
  std::string data = std::string(HGTOK_SOURCE_DIR) + "/examples/data";
  std::string graph, types, names, tokenizer_dir, save_tokenizer, out, batch_out;
  std::string target_type = "movie";
  std::string prompt = "Given a heterogeneous graph about a movie: <graph>, which genres does the movie belong to?";
  std::vector<std::string> order;
  std::vector<Index> fanouts{10, 5};
  std::vector<Index> targets;
  Index target = 0, shard_size = 256, llm_dim = 4096, hidden = 64, heads = 4, layers = 1;
  std::uint64_t seed = 0;
  bool stop_on_error = false;
};

int tokenize(TokenizeArgs a) {
  const std::string graph_path = a.graph.empty() ? (fs::path(a.data) / "imdb_sample.safetensors").string() : a.graph;
  const std::string types_path = a.types.empty() ? (fs::path(a.data) / "imdb_types.safetensors").string() : a.types;
  const std::string names_path = a.names.empty() && a.graph.empty() ? (fs::path(a.data) / "imdb_sample_names.json").string() : a.names;
  if (!fs::exists(graph_path))
    throw IOError(graph_path, "", "no such file (point --data at hgtok's examples/data, or pass --graph)");
  const auto graph = load_graph<float>(graph_path);
  const auto table = EmbeddingTable<float>::load(types_path);
  const auto names = read_names(names_path);
  if (a.order.empty())
    for (Index t = 0; t < graph.num_node_types(); ++t) a.order.push_back(graph.node_type_name(t));

  const bool untrained = a.tokenizer_dir.empty();
  Tokenizer<float> tok = [&] {
    if (!untrained) return Tokenizer<float>::load(a.tokenizer_dir);
    TokenizerConfig config;
    config.in_channels = graph.feature_dim(0);
    config.hidden_channels = a.hidden;
    config.heads = a.heads;
    config.num_layers = a.layers;
    config.embedding_dim = table.dim();
    config.llm_dim = a.llm_dim;
    return Tokenizer<float>::random(config, a.seed);
  }();
  if (untrained)
    std::cout << "NOTE: this tokenizer is UNTRAINED (MetaHGT + graph_projector weights drawn from seed " << a.seed
              << "): the tokens show the shapes and the path, not meaning. Real use: --tokenizer DIR with trained\n"
                 "      weights, e.g. HiGPT's In-Context-HGT converted with tools/convert_checkpoint.py.\n";
  if (!a.save_tokenizer.empty()) {
    tok.save(a.save_tokenizer);
    std::cout << "saved tokenizer to " << a.save_tokenizer << "\n";
  }
  std::cout << "graph: " << graph_path << " (" << graph.num_nodes() << " nodes, " << graph.num_edges() << " edges)\n"
            << "type table: " << types_path << " (" << table.size() << " types, " << table.dim() << "-d)\n"
            << "tokenizer: " << tok.config().to_json().dump() << "\n";
  const NeighborSampler sampler(a.fanouts, a.seed);

  if (!a.batch_out.empty()) {
    if (a.targets.empty())
      for (Index i = 0; i < graph.num_nodes(a.target_type); ++i) a.targets.push_back(i);
    BatchOptions o;
    o.target_type = a.target_type;
    o.type_order = a.order;
    o.shard_size = a.shard_size;
    o.stop_on_error = a.stop_on_error;
#ifdef HGTOK_WITH_MPI
    if (hgtok_cli::launched_by_mpi()) return hgtok_cli::tokenize_batch_mpi(tok, graph, table, sampler, a.targets, a.batch_out, o);
#endif
    const auto r = tokenize_batch(tok, graph, table, sampler, a.targets, a.batch_out, o);
    std::cout << "batch: " << a.targets.size() << " targets in " << r.shards_total << " shards under " << a.batch_out << "; "
              << r.shards_skipped << " already done (resumed), " << r.shards_written << " written now (" << r.targets_done
              << " subgraphs, " << r.rows_written << " token rows, " << r.seconds << " s)"
              << (r.complete ? ", complete" : ", not complete: run again to resume") << "\n";
    for (const auto& f : r.failed) std::cout << "  failed target " << f.target << ": " << f.error << "\n";
    return r.failed.empty() ? 0 : 3;
  }

  const auto sub = sampler.sample(graph, a.target_type, a.target);
  const auto tokens = tok.tokenize(sub, {a.order, &table});
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
  return 0;
}

int embed_types(const std::string& model, const std::string& descriptions, const std::string& out, Index batch_size) {
  const auto encoder = SentenceEncoder<float>::load(model);
  const auto desc = TypeDescriptions::load(descriptions);
  const auto table = desc.embed(encoder, batch_size);
  table.save(out);
  std::cout << "wrote " << out << ": " << table.size() << " type embeddings of width " << table.dim() << "\n";
  for (const auto& key : table.keys()) std::cout << "  " << key << " (" << desc.descriptions(key).size() << " descriptions)\n";
  return 0;
}

int inspect(const std::string& path) {
  if (fs::is_directory(path)) {
    if (fs::exists(fs::path(path) / "index.json")) {
      const auto r = ShardReader<float>::open(path);  // validates every shard against the index
      std::cout << "batch " << path << ": " << r.num_targets() << " " << r.target_type() << " targets, " << r.shards_on_disk()
                << " of " << r.num_shards() << " shards on disk, " << (r.complete() ? "complete" : "incomplete") << "\n";
      Index rows = 0;
      for (Index i = 0; i < r.size(); ++i) rows += r.at_position(i).rows;
      std::cout << "  " << r.size() << " targets on disk, " << rows << " token rows of width " << r.llm_dim() << "\n";
      if (!r.complete())
        std::cout << "  missing: positions " << r.missing().first << ".." << r.missing().second << " (rerun to resume)\n";
      for (const auto& f : r.failed()) std::cout << "  failed target " << f.target << ": " << f.error << "\n";
      return 0;
    }
    const auto tok = Tokenizer<float>::load(path);
    std::cout << "tokenizer " << path << ": " << tok.config().to_json().dump() << "\n";
    for (std::size_t l = 0; l < tok.layers().size(); ++l) {
      const Index in = l > 0 ? tok.config().hidden_channels : tok.config().in_channels;
      std::cout << "  layer " << l << ": " << tok.config().kernel << " " << (in > 0 ? std::to_string(in) : std::string("per type"))
                << " -> " << std::visit([](const auto& conv) { return conv.out_channels(); }, tok.layers()[l]);
      if (tok.kernel().takes("heads")) std::cout << ", " << tok.config().heads << " heads";
      std::cout << "\n";
    }
    std::cout << "  projector: " << tok.config().projector << " " << tok.config().hidden_channels << " -> " << tok.config().llm_dim
              << "\n";
    return 0;
  }
  const auto file = SafetensorsFile::open(path);
  if (file.contains("tokens")) {
    const auto t = GraphTokens<float>::load_safetensors(path);
    std::cout << "graph tokens " << path << ": [" << t.size() << ", " << t.width() << "]\n";
    for (const auto& s : t.spans) std::cout << "  " << s.type << ": rows " << s.offset << ".." << s.offset + s.count << "\n";
    return 0;
  }
  if (!file.names().empty() && (file.names()[0].rfind("node/", 0) == 0 || file.names()[0].rfind("edge/", 0) == 0)) {
    const auto table = EmbeddingTable<float>::load(path);
    std::cout << "type table " << path << ": " << table.size() << " types, " << table.dim() << "-d\n";
    for (const auto& key : table.keys()) std::cout << "  " << key << "\n";
    return 0;
  }
  const auto g = load_graph<float>(path);
  std::cout << "graph " << path << ": " << g.num_nodes() << " nodes, " << g.num_edges() << " edges\n";
  for (Index t = 0; t < g.num_node_types(); ++t)
    std::cout << "  node type " << g.node_type_name(t) << ": " << g.num_nodes(t) << " nodes, features [" << g.x(t).rows() << ", "
              << g.x(t).cols() << "]\n";
  for (Index e = 0; e < g.num_edge_types(); ++e) std::cout << "  edge type " << g.edge_type(e).key() << ": " << g.num_edges(e) << " edges\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hgtok: heterogeneous graph tokenizers (HiGPT's in-context heterogeneous graph tokenizer)"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "threads (0: the OpenMP default)");

  TokenizeArgs a;
  auto* tok = app.add_subcommand("tokenize", "tokenize a target's subgraph (default: the bundled sample graph)");
  tok->add_option("--data", a.data, "directory with imdb_sample.safetensors, imdb_types.safetensors, imdb_sample_names.json");
  tok->add_option("--graph", a.graph, "graph file (safetensors: x/<type>, edge_index/<src>__<rel>__<dst>)");
  tok->add_option("--types", a.types, "type-embedding table (node/<type>, edge/<src>__<rel>__<dst>)");
  tok->add_option("--names", a.names, "JSON of node names per type, for printing");
  tok->add_option("--target-type", a.target_type, "node type of the target");
  tok->add_option("--target", a.target, "target node id (subgraph centre)");
  tok->add_option("--order", a.order, "node types in token order (HiGPT's hetero_key_order); default: the graph's order");
  tok->add_option("--seed", a.seed, "seed of the sampler and of the untrained weights");
  tok->add_option("--fanouts", a.fanouts, "neighbours per node and edge type, one value per hop");
  tok->add_option("--tokenizer", a.tokenizer_dir, "tokenizer directory (config.json + weights.safetensors)");
  tok->add_option("--save-tokenizer", a.save_tokenizer, "write the tokenizer used to this directory");
  tok->add_option("--llm-dim", a.llm_dim, "untrained tokenizer: LLM width (HiGPT: 4096)");
  tok->add_option("--hidden", a.hidden, "untrained tokenizer: MetaHGT width");
  tok->add_option("--heads", a.heads, "untrained tokenizer: attention heads");
  tok->add_option("--layers", a.layers, "untrained tokenizer: MetaHGT layers");
  tok->add_option("--out", a.out, "write the tokens to FILE (.safetensors or .npy)");
  tok->add_option("--prompt", a.prompt, "prompt holding one <graph>");
  tok->add_option("--batch-out", a.batch_out, "tokenize many targets into shards under DIR (rerun to resume)");
  tok->add_option("--targets", a.targets, "with --batch-out: target ids (default: every node of --target-type)");
  tok->add_option("--shard-size", a.shard_size, "with --batch-out: targets per shard");
  tok->add_flag("--stop-on-error", a.stop_on_error, "with --batch-out: stop at the first bad target");

  std::string model, descriptions, table_out;
  Index batch_size = 32;
  auto* emb = app.add_subcommand("embed-types", "type embeddings from descriptions with a Sentence-BERT model");
  emb->add_option("--model", model, "sentence-transformers model directory")->required();
  emb->add_option("--descriptions", descriptions, "JSON {\"node\": {type: [texts]}, \"edge\": {src__rel__dst: [texts]}}")->required();
  emb->add_option("--out", table_out, "output table (.safetensors)")->required();
  emb->add_option("--batch-size", batch_size, "sentences per forward pass");

  std::string inspect_path;
  auto* ins = app.add_subcommand("inspect", "summarise a graph, type table, tokens file, tokenizer or batch directory");
  ins->add_option("path", inspect_path, "file or directory")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    hgtok::set_num_threads(threads);
    if (*tok) return tokenize(a);
    if (*emb) return embed_types(model, descriptions, table_out, batch_size);
    return inspect(inspect_path);
  } catch (const hgtok::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
