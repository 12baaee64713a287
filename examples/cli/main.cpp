// hgtok: command-line front end (man page: docs/cli.md).
//
//   hgtok tokenize                 the bundled sample graph (examples/data/), HiGPT's IMDB type table and an
//                                  UNTRAINED MetaHGT tokenizer from a fixed seed: prints the token shape, the spans
//                                  per node type and the expanded prompt
//   hgtok tokenize --graph g.safetensors --kernel hgt     any graph, any of the six kernels (untrained), defaults
//                                  read from the graph; --config FILE for the kernel's fields, --tokenizer DIR for
//                                  trained weights; --batch-out DIR for many targets (shards, resumable)
//   hgtok embed-types --model DIR --descriptions FILE.json --out table.safetensors
//   hgtok inspect PATH             a graph, type table, tokens file (.safetensors or .npy), tokenizer or batch dir
//   hgtok graph compile IN OUT     a graph file with its CSR index, memory-mapped when opened (graph_command.hpp)
//
// One file per subcommand (tokenize.cpp, inspect.cpp, embed_types.cpp); shared pieces in cli.hpp / common.cpp,
// the Graphviz picture in dot.hpp.
#include <hgtok/hgtok.hpp>
#include <iostream>

#include "cli.hpp"
#include "graph_command.hpp"

int main(int argc, char** argv) {
  using namespace hgtok::cli;
  CLI::App app{"hgtok: heterogeneous graph tokenizers (HiGPT's in-context heterogeneous graph tokenizer)"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();  // --help shows every default
  app.fallthrough();  // a subcommand hands options it does not know (the global ones) to the program
  GlobalOptions global;
  app.add_option("--threads", global.threads, "threads (0: the OpenMP default); also accepted after the subcommand");

  const std::vector<Command> commands{add_tokenize(app, global), add_embed_types(app, global), add_inspect(app, global),
                                      Command{hgtok_cli::add_graph_command(app), hgtok_cli::run_graph_command}};
  CLI11_PARSE(app, argc, argv);
  try {
    hgtok::set_num_threads(global.threads);
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
    return 2;
  } catch (const hgtok::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
