// Quickstart: build a heterogeneous graph, look up HiGPT's type embeddings for
// its node and edge types, and save both. (The README shows this file.)
#include <hgtok/hgtok.hpp>
#include <iostream>

int main(int argc, char** argv) try {
  using namespace hgtok;
  const std::string table_path = argc > 1 ? argv[1] : HGTOK_SOURCE_DIR "/tests/data/imdb.safetensors";
  HeteroGraph<float> g;  // 2 movies, 1 director, 3 actors; feature widths differ per type
  g.add_node_type("movie", Matrix<float>::Random(2, 8));
  g.add_node_type("director", Matrix<float>::Random(1, 4));
  g.add_node_type("actor", Matrix<float>::Random(3, 4));
  g.add_edge_type({"director", "to", "movie"}, std::vector<Index>{0, 0, /*->*/ 0, 1});
  g.add_edge_type({"actor", "to", "movie"}, std::vector<Index>{0, 1, 2, /*->*/ 0, 0, 1});
  const auto table = EmbeddingTable<float>::load(table_path);  // HiGPT's IMDB type embeddings
  for (const auto& et : g.edge_types())
    std::cout << et.key() << ": " << g.num_edges(g.edge_type_id(et)) << " edges, |e| = "
              << table.edge(et).norm() << "\n";
  for (auto v : g.in_neighbors(g.edge_type_id({"actor", "to", "movie"}), 0)) std::cout << "actor " << v << " -> movie 0\n";
  save_graph(g, "quickstart_graph.safetensors");
  return 0;
} catch (const hgtok::Error& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
