// hgtok inspect: what a file or directory holds. A batch directory (index.json, read through ShardReader), a
// tokenizer directory (config.json), a tokens file (.safetensors from tokenize --out, or .npy), a type table, a
// graph; with --dot / --svg, a graph's sampled subgraph as a picture. A file of another format is named by the
// readers' errors (io/file_format.hpp).
#include <filesystem>
#include <hgtok/hgtok.hpp>
#include <iostream>

#include "cli.hpp"
#include "dot.hpp"

namespace hgtok::cli {
namespace {

namespace fs = std::filesystem;

struct InspectArgs {
  std::string path, dot, svg, names, target_type;
  Index target = 0;
  std::vector<Index> fanouts{10, 5};
  std::uint64_t seed = 0;
};

int inspect_batch(const std::string& path) {
  const auto r = ShardReader<float>::open(path);  // validates every shard against the index
  std::cout << "batch " << path << ": " << r.num_targets() << " " << r.target_type() << " targets, " << r.shards_on_disk() << " of "
            << r.num_shards() << " shards on disk, " << (r.complete() ? "complete" : "incomplete") << "\n";
  Index rows = 0;
  for (Index i = 0; i < r.size(); ++i) rows += r.at_position(i).rows;
  std::cout << "  " << r.size() << " targets on disk, " << rows << " token rows of width " << r.llm_dim() << ", type order "
            << join_names(r.type_order()) << "\n";
  if (!r.complete()) std::cout << "  missing: positions " << r.missing().first << ".." << r.missing().second << " (rerun to resume)\n";
  for (const auto& f : r.failed()) std::cout << "  failed target " << f.target << ": " << f.error << "\n";
  return 0;
}

int inspect_tokenizer(const std::string& path) {
  const auto tok = Tokenizer<float>::load(path);
  std::cout << "tokenizer " << path << ": " << tok.config().to_json().dump() << "\n";
  for (std::size_t l = 0; l < tok.layers().size(); ++l) {
    const Index in = l > 0 ? tok.config().hidden_channels : tok.config().in_channels;
    std::cout << "  layer " << l << ": " << tok.config().kernel << " " << (in > 0 ? std::to_string(in) : std::string("per type"))
              << " -> " << std::visit([](const auto& conv) { return conv.out_channels(); }, tok.layers()[l]);
    if (tok.kernel().takes("heads")) std::cout << ", " << tok.config().heads << " heads";
    std::cout << "\n";
  }
  std::cout << "  projector: " << tok.config().projector << " " << tok.config().hidden_channels << " -> " << tok.config().llm_dim << "\n";
  return 0;
}

int inspect_npy(const std::string& path) {
  const auto a = load_npy_array(path);
  std::cout << "npy array " << path << ": " << dtype_name(a.dtype) << " [";
  for (std::size_t i = 0; i < a.shape.size(); ++i) std::cout << (i ? ", " : "") << a.shape[i];
  std::cout << "]\n";
  if (a.shape.size() == 2)
    std::cout << "  as graph tokens: " << a.shape[0] << " tokens of width " << a.shape[1]
              << " (tokenize --out FILE.npy keeps only this matrix; FILE.safetensors also keeps spans and node ids)\n";
  return 0;
}

int inspect_file(const InspectArgs& a) {
  const std::string& path = a.path;
  if (fs::path(path).extension() == ".npy") return inspect_npy(path);
  const auto file = SafetensorsFile::open(path);  // a file of another format: the error says which it looks like
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
  const auto g = open_graph<float>(path);  // a compiled graph is mapped, not loaded
  std::cout << "graph " << path << ": " << g.num_nodes() << " nodes, " << g.num_edges() << " edges\n";
  for (Index t = 0; t < g.num_node_types(); ++t)
    std::cout << "  node type " << g.node_type_name(t) << ": " << g.num_nodes(t) << " nodes, features [" << g.num_nodes(t) << ", "
              << g.feature_dim(t) << "]\n";
  for (Index e = 0; e < g.num_edge_types(); ++e) std::cout << "  edge type " << g.edge_type(e).key() << ": " << g.num_edges(e) << " edges\n";
  if (a.dot.empty() && a.svg.empty()) return 0;
  if (g.num_node_types() == 0) throw ValueError(path, "--dot", "the graph is empty: there is no subgraph to draw");
  const std::string target_type = a.target_type.empty() ? g.node_type_name(0) : a.target_type;
  if (!g.has_node_type(target_type))
    throw LookupError(path, "--target-type", "unknown node type '" + target_type + "'; the graph's node types are " + join_names(g.node_types()));
  const auto sub = NeighborSampler(a.fanouts, a.seed).sample(g, target_type, a.target);
  const auto names = read_names(a.names, "--names");
  DotPicture picture{&sub, &names, nullptr, "no attention drawn: inspect draws the graph alone (hgtok tokenize --dot with kernel han draws its attention)"};
  write_picture(subgraph_dot(picture), a.dot, a.svg);
  for (const auto& p : {a.dot, a.svg})
    if (!p.empty()) std::cout << "wrote " << p << "\n";
  return 0;
}

int run_inspect(const InspectArgs& a) {
  if (!a.dot.empty()) require_extension(a.dot, "--dot", {".dot", ".gv"});
  if (!a.svg.empty()) {
    require_extension(a.svg, "--svg", {".svg"});
    require_dot(a.svg);
  }
  if (!fs::exists(a.path)) throw IOError(a.path, "path", "no such file or directory");
  if (fs::is_directory(a.path)) {
    if (!a.dot.empty() || !a.svg.empty()) throw ValueError(a.path, "--dot", "draws a graph file's subgraph, not a directory");
    if (fs::exists(fs::path(a.path) / "index.json")) return inspect_batch(a.path);
    if (fs::exists(fs::path(a.path) / "config.json")) return inspect_tokenizer(a.path);
    throw IOError(a.path, "path", "a directory that is neither a batch (index.json) nor a tokenizer (config.json)");
  }
  return inspect_file(a);
}

}  // namespace

Command add_inspect(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<InspectArgs>();
  auto* c = app.add_subcommand("inspect", "summarise a graph, type table, tokens file (.safetensors, .npy), tokenizer or batch directory");
  c->add_option("path", a->path, "file or directory")->required();
  c->add_option("--dot", a->dot, "a graph: write the subgraph sampled around --target as Graphviz DOT (.dot or .gv)");
  c->add_option("--svg", a->svg, "a graph: render that subgraph to SVG with Graphviz's dot (.svg)");
  c->add_option("--names", a->names, "with --dot: JSON {node type: [names]} to label nodes with");
  c->add_option("--target-type", a->target_type, "with --dot: node type of the target (default: the graph's first node type)");
  c->add_option("--target", a->target, "with --dot: target node id");
  c->add_option("--fanouts", a->fanouts, "with --dot: neighbours per node and edge type, one value per hop");
  c->add_option("--seed", a->seed, "with --dot: sampler seed");
  return {c, [a] { return run_inspect(*a); }};
}

}  // namespace hgtok::cli
