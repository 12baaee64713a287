// `hgtok graph compile` and `hgtok graph check` (graph_command.hpp).
#include "graph_command.hpp"

#include <chrono>
#include <hgtok/graph/compile.hpp>
#include <hgtok/graph/compiled_graph.hpp>
#include <iostream>
#include <string>

namespace hgtok_cli {
namespace {

struct GraphArgs {
  CLI::App* compile = nullptr;
  CLI::App* check = nullptr;
  std::string in, out, source;
  bool by_source = false, full = false;
};

GraphArgs& args() {
  static GraphArgs a;
  return a;
}

}  // namespace

CLI::App* add_graph_command(CLI::App& app) {
  GraphArgs& a = args();
  auto* graph = app.add_subcommand("graph", "compile a graph file into its memory-mapped form, or check one");
  graph->require_subcommand(1);
  a.compile = graph->add_subcommand("compile", "write IN with its CSR index, opened later by mapping it (no load)");
  a.compile->add_option("in", a.in, "graph file (safetensors: x/<type>, edge_index/<src>__<rel>__<dst>)")->required();
  a.compile->add_option("out", a.out, "compiled graph file to write")->required();
  a.compile->add_flag("--by-source", a.by_source, "also store the CSR by source (random walks, HetGNN)");
  a.check = graph->add_subcommand("check", "open a compiled graph file and validate it");
  a.check->add_option("file", a.in, "compiled graph file")->required();
  a.check->add_flag("--full", a.full, "check every offset, id, checksum and feature (reads the whole file)");
  a.check->add_option("--source", a.source, "the file it was compiled from: its checksum must match");
  return graph;
}

int run_graph_command() {
  const GraphArgs& a = args();
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  if (*a.compile) {
    hgtok::CompileOptions o;
    o.by_source = a.by_source;
    hgtok::compile_graph(a.in, a.out, o);
    std::cout << "compiled " << a.in << " -> " << a.out << " (" << seconds() << " s)\n";
    return 0;
  }
  hgtok::GraphOpenOptions o;
  o.validation = a.full ? hgtok::GraphValidation::full : hgtok::GraphValidation::sampled;
  o.source = a.source;
  const auto g = hgtok::open_compiled_graph<float>(a.in, o);
  std::cout << "compiled graph " << a.in << ": " << g.num_nodes() << " nodes, " << g.num_edges() << " edges, "
            << (a.full ? "fully" : "sample-") << " checked" << (a.source.empty() ? "" : " against " + a.source) << " ("
            << seconds() << " s)\n";
  return 0;
}

}  // namespace hgtok_cli
