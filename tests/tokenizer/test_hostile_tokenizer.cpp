// Hostile tokenizer directories (issue 18, docs/security.md): a config.json nested a million levels, and configs
// whose dimensions would size gigabytes of weights before the weights file is checked against them.
#include <filesystem>
#include <hgtok/tokenizer/tokenizer.hpp>
#include <new>
#include <string>

#include "test_util.hpp"

namespace test_hostile_tokenizer {

namespace fs = std::filesystem;
using hgtok::Tokenizer;

/// A tokenizer directory in `tmp` holding `config` and the weights of the fixture tokenizer_<weights_of>.
std::string tokenizer_dir(const hgtok_test::TempDir& tmp, const std::string& config, const std::string& weights_of) {
  const fs::path dir = tmp.path / "tok";
  fs::create_directories(dir);
  fs::copy_file(hgtok_test::tests_path("fixtures/tokenizer_" + weights_of + "/weights.safetensors"), dir / "weights.safetensors",
                fs::copy_options::overwrite_existing);
  hgtok_test::write_bytes((dir / "config.json").string(), std::vector<unsigned char>(config.begin(), config.end()));
  return dir.string();
}

const std::string kMetaHgt = R"("kernel": "meta_hgt", "variant": "pretrain", "in_channels": 16, "hidden_channels": 24,
  "heads": 2, "num_layers": 2, "embedding_dim": 16)";

TEST_CASE("hostile: a config.json nested 1,000,000 levels is refused while parsing", "[tokenizer][hostile]") {
  hgtok_test::TempDir tmp;
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(tokenizer_dir(tmp, deep, "linear")), hgtok::ResourceError,
                            "config.json: JSON nests deeper than max_json_depth");
  // Nested inside a field.
  const std::string field = "{" + kMetaHgt + R"(, "llm_dim": 40, "projector": "linear", "node_types": )" +
                            std::string(100000, '[') + std::string(100000, ']') + "}";
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(tokenizer_dir(tmp, field, "linear")), hgtok::ResourceError, "max_json_depth");
}

TEST_CASE("hostile: config dimensions size no weights before the file's shapes agree", "[tokenizer][hostile]") {
  hgtok_test::TempDir tmp;
  // llm_dim 2^24 used to build a zero graph_projector of 24 x 2^24 floats (1.6 GB) before the ShapeError.
  const std::string wide = "{" + kMetaHgt + R"(, "llm_dim": 16777216, "projector": "linear"})";
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(tokenizer_dir(tmp, wide, "linear")), hgtok::ShapeError,
                            "field 'graph_projector.weight'");
  // mlp_prefix with 64 prefix tokens of width 2^24: 103 GB of zeros, and std::bad_alloc escaped. Now the file is
  // read first: the linear tokenizer's file has no projector.* tensors, the prefix tokenizer's has other shapes.
  const std::string prefix = "{" + kMetaHgt + R"(, "llm_dim": 16777216, "projector": "mlp_prefix", "num_prefix_tokens": 64})";
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(tokenizer_dir(tmp, prefix, "linear")), hgtok::LookupError,
                            "field 'projector.0.weight'");
  HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>::load(tokenizer_dir(tmp, prefix, "prefix")), hgtok::ShapeError,
                            "field 'projector.2.weight'");
  // The fixtures' own configs still load.
  CHECK(Tokenizer<float>::load(hgtok_test::tests_path("fixtures/tokenizer_prefix")).projector().num_tokens() == 3);
}

TEST_CASE("hostile: an allocation the system refuses is a ResourceError naming what was allocated", "[tokenizer][hostile]") {
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::allocating("w.safetensors", "layers.0.", []() -> int { throw std::bad_alloc(); }),
                            hgtok::ResourceError, "w.safetensors: field 'layers.0.': cannot allocate memory");
  CHECK(hgtok::detail::allocating("s", "f", [] { return 3; }) == 3);
}

}  // namespace test_hostile_tokenizer
