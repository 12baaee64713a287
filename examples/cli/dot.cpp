// The Graphviz picture of a sampled subgraph (dot.hpp).
#include "dot.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <hgtok/io/atomic_file.hpp>
#include <sstream>

extern char** environ;

namespace hgtok::cli {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n')
      out += "\\n";  // a line break inside a label
    else
      out += c;
  }
  return out + "\"";
}

std::string node_id(const std::string& type, Index local) { return quoted(type + "/" + std::to_string(local)); }

// ColorBrewer Set3: light fills that keep black labels readable.
const char* const kPalette[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};

/// The absolute path of `dot` on PATH, or "".
std::string find_dot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/dot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string subgraph_dot(const DotPicture& p) {
  const Subgraph<float>& s = *p.sub;
  const HeteroGraph<float>& g = s.graph;
  std::ostringstream o;
  o << "// hgtok: the subgraph sampled around " << s.target_type << " " << s.original_ids.at(s.target_type).at(0) << " ("
    << g.num_nodes() << " nodes, " << g.num_edges() << " edges)\n";
  o << "// " << p.note << "\n";
  o << "digraph hgtok_subgraph {\n"
    << "  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label="
    << quoted("subgraph around " + s.target_type + " " + std::to_string(s.original_ids.at(s.target_type).at(0))) << "];\n"
    << "  node [style=filled, fontname=\"Helvetica\", fontsize=10, shape=ellipse];\n"
    << "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n";
  for (Index t = 0; t < g.num_node_types(); ++t) {
    const std::string& type = g.node_type_name(t);
    const char* colour = kPalette[static_cast<std::size_t>(t) % (sizeof kPalette / sizeof kPalette[0])];
    const auto& ids = s.original_ids.at(type);
    const std::vector<std::string>* names = nullptr;
    if (p.names && p.names->count(type)) names = &p.names->at(type);
    for (Index i = 0; i < g.num_nodes(t); ++i) {
      const Index id = ids[static_cast<std::size_t>(i)];
      std::string label = type + " " + std::to_string(id);
      if (names && id >= 0 && id < static_cast<Index>(names->size())) label = (*names)[static_cast<std::size_t>(id)] + "\n(" + type + ")";
      const bool target = type == s.target_type && i == s.target;
      o << "  " << node_id(type, i) << " [label=" << quoted(label) << ", fillcolor=\"" << colour << "\"";
      if (target) o << ", shape=doubleoctagon, penwidth=2, tooltip=\"target\"";
      o << "];\n";
    }
  }
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const EdgeType& et = g.edge_type(e);
    double width = 1;
    std::string label = et.relation;
    if (p.weights) {
      auto d = p.weights->find(et.dst);
      if (d != p.weights->end() && d->second.count(et.key())) {
        const double beta = d->second.at(et.key());
        width = 1 + 4 * beta;
        char text[32];
        std::snprintf(text, sizeof text, " (%.2f)", beta);
        label += text;
      }
    }
    const Index dst_type = g.dst_type_id(e);
    for (Index v = 0; v < g.num_nodes(dst_type); ++v)
      for (auto u : g.in_neighbors(e, v)) {
        o << "  " << node_id(et.src, u) << " -> " << node_id(et.dst, v) << " [label=" << quoted(label);
        if (p.weights) o << ", penwidth=" << width;
        o << "];\n";
      }
  }
  o << "}\n";
  return o.str();
}

void require_dot(const std::string& svg_path) {
  if (find_dot().empty())
    throw IOError(svg_path, "--svg",
                  "Graphviz's `dot` is not on PATH, so no SVG can be rendered (Debian: apt-get install graphviz, which "
                  "scripts/install-deps.sh installs); --dot FILE writes the picture's DOT text without it");
}

void write_picture(const std::string& dot_text, const std::string& dot_path, const std::string& svg_path) {
  if (!dot_path.empty()) detail::write_file_atomic(dot_path, dot_text);
  if (svg_path.empty()) return;
  require_dot(svg_path);
  const std::string dot = find_dot();
  const std::string source = dot_path.empty() ? svg_path + ".dot" : dot_path;
  if (dot_path.empty()) detail::write_file_atomic(source, dot_text);
  std::vector<std::string> args{dot, "-Tsvg", "-o", svg_path, source};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, dot.c_str(), nullptr, nullptr, argv.data(), environ);
  int status = 0;
  if (spawned == 0)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  if (dot_path.empty()) std::filesystem::remove(source);
  if (spawned != 0) throw IOError(svg_path, "--svg", "cannot run " + dot + ": " + std::strerror(spawned));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw IOError(svg_path, "--svg", dot + " failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

}  // namespace hgtok::cli
