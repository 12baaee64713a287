// hgtok: command-line front end.
//   hgtok tokenize [--data DIR] [--target N] [--seed S] [--tokenizer DIR] [--out FILE] [--prompt TEXT]
//   hgtok inspect FILE          (a graph .safetensors, or a tokenizer directory)
// `hgtok tokenize` with no options tokenizes the bundled sample graph
// (examples/data/) with HiGPT's IMDB type table and an UNTRAINED tokenizer.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace {

using namespace hgtok;

std::map<std::string, std::vector<std::string>> read_names(const std::string& path) {
  std::map<std::string, std::vector<std::string>> names;
  std::ifstream in(path);
  if (!in) return names;  // names are optional: ids are printed instead
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, "", std::string("not valid JSON: ") + e.what());
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it->is_array() && !it->empty() && (*it)[0].is_string()) names[it.key()] = it->get<std::vector<std::string>>();
  return names;
}

int tokenize(const std::string& data, Index target, std::uint64_t seed, const std::string& tokenizer_dir,
             const std::string& out, const std::string& prompt, std::vector<Index> fanouts) {
  namespace fs = std::filesystem;
  const auto graph = load_graph<float>((fs::path(data) / "imdb_sample.safetensors").string());
  const auto table = EmbeddingTable<float>::load((fs::path(data) / "imdb_types.safetensors").string());
  const auto names = read_names((fs::path(data) / "imdb_sample_names.json").string());
  TokenizerConfig config;
  config.in_channels = graph.feature_dim(0);
  config.hidden_channels = 64;
  config.heads = 4;
  config.num_layers = 1;
  config.embedding_dim = table.dim();
  config.llm_dim = 128;
  const auto tok = tokenizer_dir.empty() ? Tokenizer<float>::random(config, seed) : Tokenizer<float>::load(tokenizer_dir);
  if (tokenizer_dir.empty())
    std::cout << "NOTE: UNTRAINED tokenizer (weights drawn from seed " << seed
              << "); real use: --tokenizer DIR with trained weights (tools/convert_checkpoint.py)\n";
  std::cout << "graph: " << data << "  (" << graph.num_nodes() << " nodes, " << graph.num_edges() << " edges)\n";

  const NeighborSampler sampler(fanouts, seed);
  const auto sub = sampler.sample(graph, "movie", target);
  const auto tokens = tok.tokenize(sub.graph, table, {"movie", "director", "actor"}, &sub.original_ids);
  auto name_of = [&](const std::string& type, Index id) {
    auto it = names.find(type);
    return it != names.end() && id < static_cast<Index>(it->second.size()) ? it->second[static_cast<std::size_t>(id)]
                                                                          : type + " " + std::to_string(id);
  };
  std::cout << "target: movie " << target << " \"" << name_of("movie", target) << "\"; subgraph of "
            << sub.graph.num_nodes() << " nodes, " << sub.graph.num_edges() << " edges (fan-outs";
  for (auto f : fanouts) std::cout << ' ' << f;
  std::cout << ")\ntokens: [" << tokens.size() << ", " << tokens.width() << "]\n";
  for (const auto& span : tokens.spans) {
    std::cout << "  " << span.type << ": rows " << span.offset << ".." << span.offset + span.count << ":";
    for (Index i = 0; i < span.count; ++i)
      std::cout << (i ? ", " : " ") << name_of(span.type, tokens.node_ids[static_cast<std::size_t>(span.offset + i)]);
    std::cout << "\n";
  }
  const auto expanded = expand_prompt(prompt, {tokens.size()});
  std::cout << "prompt: " << expanded.text << "\n";
  if (!out.empty()) {
    if (fs::path(out).extension() == ".npy") tokens.save_npy(out);
    else tokens.save_safetensors(out);
    std::cout << "wrote " << out << "\n";
  }
  return 0;
}

int inspect(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const auto tok = Tokenizer<float>::load(path);
    std::cout << "tokenizer " << path << ": " << tok.config().to_json().dump() << "\n";
    return 0;
  }
  const auto g = load_graph<float>(path);
  std::cout << "graph " << path << ": " << g.num_nodes() << " nodes, " << g.num_edges() << " edges\n";
  for (Index t = 0; t < g.num_node_types(); ++t)
    std::cout << "  node type " << g.node_type_name(t) << ": " << g.num_nodes(t) << " nodes, features [" << g.x(t).rows()
              << ", " << g.x(t).cols() << "]\n";
  for (Index e = 0; e < g.num_edge_types(); ++e)
    std::cout << "  edge type " << g.edge_type(e).key() << ": " << g.num_edges(e) << " edges\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hgtok: heterogeneous graph tokenizers"};
  app.require_subcommand(1);
  std::string data = std::string(HGTOK_SOURCE_DIR) + "/examples/data", tokenizer_dir, out;
  std::string prompt = "Given a heterogeneous graph about a movie <graph>, which genre does the movie belong to?";
  hgtok::Index target = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::vector<hgtok::Index> fanouts{10, 5};
  auto* tok = app.add_subcommand("tokenize", "tokenize a movie's subgraph of the bundled (or given) IMDB-like graph");
  tok->add_option("--data", data, "directory with imdb_sample.safetensors, imdb_types.safetensors");
  tok->add_option("--target", target, "movie id (subgraph centre)");
  tok->add_option("--seed", seed, "seed of the sampler and of the untrained weights");
  tok->add_option("--fanouts", fanouts, "neighbours per node and edge type, per hop");
  tok->add_option("--tokenizer", tokenizer_dir, "tokenizer directory (config.json + weights.safetensors)");
  tok->add_option("--out", out, "write tokens to FILE (.safetensors or .npy)");
  tok->add_option("--prompt", prompt, "prompt holding one <graph>");
  tok->add_option("--threads", threads, "threads (0: default)");
  std::string inspect_path;
  auto* ins = app.add_subcommand("inspect", "summarise a graph file or a tokenizer directory");
  ins->add_option("path", inspect_path, "graph .safetensors or tokenizer directory")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    hgtok::set_num_threads(threads);
    if (*tok) return tokenize(data, target, seed, tokenizer_dir, out, prompt, fanouts);
    return inspect(inspect_path);
  } catch (const hgtok::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
