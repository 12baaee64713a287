// What the hgtok command's files share: the subcommand registry, the options every subcommand accepts, and the
// small checks on paths and names (output extensions, node names for printing, the graph file to read).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hgtok::cli {

/// Options of the whole program, accepted before or after the subcommand (`hgtok --threads 1 tokenize` and
/// `hgtok tokenize --threads 1`).
struct GlobalOptions {
  int threads = 0;
};

/// One subcommand: `add_*` registers it on the program (its options bound to state the returned `run` owns).
/// A subcommand in its own file adds one line to main.cpp's list.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
Command add_tokenize(CLI::App& app, const GlobalOptions& global);
Command add_inspect(CLI::App& app, const GlobalOptions& global);
Command add_embed_types(CLI::App& app, const GlobalOptions& global);

/// Where the bundled sample (examples/data) is found unless --data says otherwise: the source tree the command
/// was built from, else where `cmake --install` put it.
std::string default_data_dir();

/// Node names per type from a JSON object {type: [name, ...]} (empty path: none; names are only for printing).
std::map<std::string, std::vector<std::string>> read_names(const std::string& path, const std::string& option);

/// Throws a ValueError naming `option` when `path` does not end in one of `extensions` (".npy", ...): a file
/// hgtok cannot write is refused before any work, not written in another format.
void require_extension(const std::string& path, const std::string& option, const std::vector<std::string>& extensions);

/// "a, b, and c" (or another conjunction).
std::string join_names(const std::vector<std::string>& names, const std::string& conjunction = "and");

}  // namespace hgtok::cli
