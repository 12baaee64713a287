// The input the batch and shard-reader tests share: the bundled sample graph, the fixture tokenizer and table, a
// seeded sampler, and targets of which one is out of range (25) and one repeated (3).
#pragma once

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

inline const BatchSetup& batch_setup() {
  static const BatchSetup s;
  return s;
}

}  // namespace hgtok_test
