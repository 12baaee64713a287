// `hgtok graph ...`: compiling a graph file into its memory-mapped form and checking one (graph/compile.hpp,
// graph/compiled_graph.hpp, docs/compiled-graphs.md).
//
//   hgtok graph compile IN.safetensors OUT.safetensors [--by-source]
//   hgtok graph check FILE [--full] [--source IN.safetensors]
#pragma once

#include <CLI/CLI.hpp>

namespace hgtok_cli {

/// Adds the `graph` subcommand (and its own subcommands) to `app`; returns it.
CLI::App* add_graph_command(CLI::App& app);

/// Runs the parsed `graph` subcommand; the exit code. Throws hgtok::Error on bad input.
int run_graph_command();

}  // namespace hgtok_cli
