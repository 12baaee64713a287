// The sampled subgraph as a Graphviz picture: `hgtok tokenize --dot FILE` / `hgtok inspect GRAPH --dot FILE`, and
// `--svg FILE` through Graphviz's `dot` when it is installed.
//
// Nodes are filled with one colour per node type and labelled "<type> <id>" (the original id in the full graph),
// or with their names when --names gives them; the target is a double octagon. Every edge is drawn from source
// to destination and labelled with its relation. Attention as pen widths: hgtok's HGT and MetaHGT layers fuse
// the edge softmax with the aggregation (conv/hgt_kernel.hpp) and keep no per-edge α, so their pictures have
// none; HAN and MetaHAN return their semantic attention β (one weight per destination type and incoming
// relation, PyG's return_semantic_attention_weights), and with those kernels every edge of a relation is drawn
// with pen width 1 + 4β of the last layer, its label showing β. The DOT file says which applies.
#pragma once

#include <hgtok/graph/sampler.hpp>
#include <map>
#include <string>
#include <vector>

namespace hgtok::cli {

/// Per destination node type, per incoming edge-type key "src__relation__dst": a weight in [0, 1].
using RelationWeights = std::map<std::string, std::map<std::string, double>>;

struct DotPicture {
  const Subgraph<float>* sub = nullptr;
  const std::map<std::string, std::vector<std::string>>* names = nullptr;  ///< per type, by original id (optional)
  const RelationWeights* weights = nullptr;  ///< null: no attention to draw (pen width 1)
  std::string note;                          ///< a comment line saying what the pen widths are, or why there are none
};

/// The DOT text of the picture.
std::string subgraph_dot(const DotPicture& picture);

/// Throws the IOError of write_picture when Graphviz's `dot` is not on PATH (checked before any work is done).
void require_dot(const std::string& svg_path);

/// Writes `dot_text` to `dot_path` when it is not empty, and renders it to `svg_path` with Graphviz's `dot` when
/// that is not empty (IOError naming --svg when `dot` is not on PATH or fails).
void write_picture(const std::string& dot_text, const std::string& dot_path, const std::string& svg_path);

}  // namespace hgtok::cli
