// Builds against the installed hgtok package: find_package(hgtok CONFIG REQUIRED).
#include <hgtok/hgtok.hpp>
#include <iostream>

int main() {
  hgtok::HeteroGraph<float> g;
  g.add_node_type("movie", hgtok::Matrix<float>::Ones(2, 4));
  g.add_node_type("director", hgtok::Matrix<float>::Ones(1, 3));
  g.add_edge_type({"director", "to", "movie"}, std::vector<hgtok::Index>{0, 0, 0, 1});
  std::cout << "hgtok consumer: " << g.num_nodes() << " nodes, " << g.num_edges() << " edges\n";
  return g.in_degree(0, 1) == 1 ? 0 : 1;
}
