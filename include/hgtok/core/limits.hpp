// Resource limits for untrusted input (docs/security.md). Every count a reader takes from a file, and every byte it
// reads into memory, is checked against these before anything is allocated, so a small hostile file cannot make
// hgtok take gigabytes, recurse without bound or block. A limit exceeded is a ResourceError naming the file and
// field. The defaults admit every real graph and model hgtok targets; raise them for larger ones.
#pragma once

#include <cstdint>

namespace hgtok {

/// The limits readers apply; `limits()` holds the ones in force.
struct Limits {
  /// Bytes read into memory from one file (.npy, JSON, vocab.txt); safetensors files are mapped, not read.
  std::uint64_t max_file_bytes = std::uint64_t(1) << 32;  // 4 GiB
  /// Nesting depth of any JSON text (safetensors headers, configs, graph.json); deeper is refused while parsing.
  int max_json_depth = 128;
  /// Nodes in one graph read from a file, all node types together.
  std::int64_t max_graph_nodes = std::int64_t(1) << 30;
  /// Edges in one graph read from a file, all edge types together.
  std::int64_t max_graph_edges = std::int64_t(1) << 31;
  /// Offsets of the per-node index arrays of one graph read from a file: each edge type costs (source nodes + 1)
  /// + (destination nodes + 1), its in- and out-CSR, whether or not it has edges (8 bytes each: 2^28 is 2 GiB).
  std::int64_t max_graph_index_entries = std::int64_t(1) << 28;
};

/// The limits in force for this process. Set them before loading (not while another thread loads):
/// `hgtok::limits().max_graph_nodes = std::int64_t(1) << 32;`
inline Limits& limits() {
  static Limits current;
  return current;
}

}  // namespace hgtok
