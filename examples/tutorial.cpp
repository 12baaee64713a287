// The C++ half of docs/tutorial.md: from a graph file written by tools/export_pyg.py (a PyG HeteroData) to graph
// tokens spliced into a prompt with two graphs (HiGPT's graph in-context learning), exported for an LLM runtime.
//
//   ./example_tutorial [graph.safetensors] [--model MINILM_DIR] [--tokenizer DIR]
//
// Defaults: the bundled sample graph (examples/data/imdb_sample.safetensors, itself written by export_pyg.py),
// HiGPT's IMDB type table (examples/data/imdb_types.safetensors) and an UNTRAINED MetaHGT tokenizer from a fixed
// seed. --model embeds descriptions of the graph's own types with Sentence-BERT instead of using HiGPT's table
// (needed for any graph whose types are not IMDB's); --tokenizer loads trained weights (config.json +
// weights.safetensors). Nothing is assumed about the graph: the targets are nodes of its first node type and the
// token order is its node-type order.
#include <algorithm>
#include <hgtok/hgtok.hpp>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  using namespace hgtok;
  std::string graph_path = HGTOK_SOURCE_DIR "/examples/data/imdb_sample.safetensors", model_dir, tokenizer_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--model" || arg == "--tokenizer") && i + 1 < argc)
      (arg == "--model" ? model_dir : tokenizer_dir) = argv[++i];
    else if (!arg.empty() && arg[0] != '-')
      graph_path = arg;
    else
      throw ValueError("example_tutorial", "argv", "unknown argument '" + arg + "'");
  }

  // Step 2: the graph, as export_pyg.py wrote it (x/<type>, edge_index/<src>__<rel>__<dst>).
  const auto graph = load_graph<float>(graph_path);

  // Step 3: one embedding per node type and edge type, from natural-language descriptions (or HiGPT's table).
  EmbeddingTable<float> table;
  if (!model_dir.empty()) {
    TypeDescriptions d;
    for (const auto& type : graph.node_types())
      d.add_node(type, {"This node represents a " + type + ".", "Ce nœud représente un nœud de type " + type + "."});
    for (const auto& et : graph.edge_types())
      d.add_edge(et, {"The " + et.src + " is connected to the " + et.dst + " by " + et.relation + ".",
                      "Le nœud " + et.src + " est relié au nœud " + et.dst + "."});
    table = d.embed(SentenceEncoder<float>::load(model_dir));
  } else {
    table = EmbeddingTable<float>::load(HGTOK_SOURCE_DIR "/examples/data/imdb_types.safetensors");
    for (const auto& type : graph.node_types())
      if (!table.has_node(type))
        throw LookupError(graph_path, "--model", "HiGPT's IMDB table has no embedding for node type '" + type +
                                                     "': pass --model DIR (bash scripts/fetch-model.sh) to embed your graph's types");
  }

  // Step 4: the tokenizer (trained weights, or an untrained one of the same shape).
  const Tokenizer<float> tok = [&] {
    if (!tokenizer_dir.empty()) return Tokenizer<float>::load(tokenizer_dir);
    TokenizerConfig c;
    c.in_channels = graph.feature_dim(0);
    c.hidden_channels = 64;
    c.heads = 4;
    c.num_layers = 2;
    c.embedding_dim = table.dim();
    c.llm_dim = 4096;  // Vicuna-7B's embedding width
    return Tokenizer<float>::random(c, 7);
  }();
  if (tokenizer_dir.empty()) std::cout << "note: untrained tokenizer (seeded weights): shapes and path only\n";

  // Step 5: one subgraph per target (seeded: the same tokens on every run and thread count), tokenized.
  const NeighborSampler sampler({10, 5}, 42);
  const std::string target_type = graph.node_type_name(0);  // the targets: nodes of the graph's first node type
  const std::vector<std::string> order = graph.node_types();  // HiGPT's hetero_key_order: here the graph's own
  std::vector<GraphTokens<float>> graphs;
  for (Index target : {Index(0), std::min<Index>(6, graph.num_nodes(target_type) - 1)})
    graphs.push_back(tok.tokenize(sampler.sample(graph, target_type, target), {order, &table}));

  // Step 6: the prompt, with one <graph> per subgraph: the in-context example first, then the query.
  const auto prompt = expand_prompt("Here is a " + target_type + " and its neighbourhood: <graph>. Its label is A. "
                                    "Which label has the " + target_type + " of <graph>?",
                                    {graphs[0].size(), graphs[1].size()});
  std::cout << "prompt: " << prompt.text.size() << " bytes, " << prompt.total_patches << " <g_patch> tokens\n";

  // What the LLM runtime does: the k-th <g_patch> of the prompt takes row k of this matrix.
  Matrix<float> patch_rows(prompt.total_patches, tok.config().llm_dim);
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const auto& s = prompt.splices[i];
    patch_rows.middleRows(s.first_patch, s.num_patches) =
        ConstMatrixMap<float>(graphs[i].tokens.data(), graphs[i].size(), graphs[i].width());
    std::cout << "graph " << i << ": tokens [" << graphs[i].size() << ", " << graphs[i].width() << "] -> patches "
              << s.first_patch << ".." << s.first_patch + s.num_patches << " (first at byte " << s.text_offset << ")\n";
    for (const auto& span : graphs[i].spans)
      std::cout << "  " << span.type << ": rows " << span.offset << ".." << span.offset + span.count << "\n";
  }

  // Many subgraphs in one call (docs/tokenizer.md): tokenize_many takes pointers (no subgraph is copied) and returns
  // for each exactly what tokenize returns for it alone; on_error reports a subgraph that fails instead of throwing.
  std::vector<Subgraph<float>> sampled;
  for (Index target : {Index(0), std::min<Index>(6, graph.num_nodes(target_type) - 1)})
    sampled.push_back(sampler.sample(graph, target_type, target));
  std::vector<const Subgraph<float>*> subs;
  for (const auto& sub : sampled) subs.push_back(&sub);
  const auto on_error = [](std::size_t i, const std::string& message) { std::cerr << "subgraph " << i << ": " << message << "\n"; };
  const std::vector<GraphTokens<float>> many = tok.tokenize_many(subs, {order, &table, nullptr, on_error});
  bool same_many = many.size() == graphs.size();
  for (std::size_t i = 0; same_many && i < many.size(); ++i) same_many = many[i].tokens == graphs[i].tokens;
  std::cout << "tokenize_many: " << many.size() << " subgraphs, " << (same_many ? "equal to" : "DIFFERENT FROM")
            << " tokenize one by one\n";

  // Step 7: export. safetensors for files (Python: safetensors.torch.load_file), DLPack for zero-copy hand-off.
  graphs[1].save_safetensors("tutorial_tokens.safetensors");
  std::cout << "wrote tutorial_tokens.safetensors\n";
  bool same = true;
#if __has_include(<dlpack/dlpack.h>)
  const Index rows = graphs[1].size();
  DLManagedTensor* dl = to_dlpack(std::move(graphs[1]));  // the buffer moves, it is not copied
  same = dlpack_matrix<float>(dl->dl_tensor) == patch_rows.middleRows(prompt.splices[1].first_patch, rows);
  std::cout << "DLPack tensor [" << dl->dl_tensor.shape[0] << ", " << dl->dl_tensor.shape[1] << "] "
            << (same ? "equals" : "DIFFERS FROM") << " the query's patch rows\n";
  dl->deleter(dl);
#endif
  return same && same_many ? 0 : 1;
} catch (const hgtok::Error& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
