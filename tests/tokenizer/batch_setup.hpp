// The input the batch, shard-reader and MPI batch tests share: the bundled sample graph, the fixture tokenizer and
// table, a seeded sampler, and targets of which one is out of range (25) and one repeated (3); and a byte-for-byte
// comparison of two batch directories.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <hgtok/hgtok.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace hgtok_test {

struct BatchSetup {
  hgtok::HeteroGraph<float> graph = hgtok::load_graph<float>(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors");
  hgtok::EmbeddingTable<float> table = hgtok::EmbeddingTable<float>::load(tests_path("fixtures/tokenizer_table.safetensors"));
  hgtok::Tokenizer<float> tok = hgtok::Tokenizer<float>::load(tests_path("fixtures/tokenizer_linear"));
  hgtok::NeighborSampler sampler{{3, 2}, 11};
  std::vector<hgtok::Index> targets{4, 0, 19, 7, 25, 3, 3, 12, 16, 8, 1};
  std::vector<std::string> order{"movie", "director", "actor"};
};

/// The file names in `dir`, sorted.
inline std::vector<std::string> files_of(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
/// Requires directories a and b to hold the same files with the same bytes.
inline void require_same_dirs(const std::string& a, const std::string& b) {
  REQUIRE(files_of(a) == files_of(b));
  for (const auto& name : files_of(a)) {
    INFO(name);
    REQUIRE(read_bytes(a + "/" + name) == read_bytes(b + "/" + name));
  }
}

inline const BatchSetup& batch_setup() {
  static const BatchSetup s;
  return s;
}

/// The batch options these tests share: movie targets, BatchSetup::order, `shard_size` targets a shard, quiet.
inline hgtok::BatchOptions batch_options(hgtok::Index shard_size = 3) {
  hgtok::BatchOptions o;
  o.target_type = "movie";
  o.type_order = batch_setup().order;
  o.shard_size = shard_size;
  o.progress = 0;
  return o;
}

}  // namespace hgtok_test
