// SentenceEncoder on the tiny random BERT fixture (tests/fixtures/sbert_tiny, written by
// tests/reference/make_sbert_fixtures.py with sentence-transformers), so the encoder is
// tested without any download: ids, every pooling mode, Normalize on/off, float and double,
// padding invariance, thread-count invariance, and bad model directories.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hgtok/core/threading.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/text/sentence_encoder.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_sentence_encoder {

using hgtok::Index;
using hgtok::Matrix;
using hgtok::SentenceEncoder;
using hgtok_test::tests_path;
namespace fs = std::filesystem;

namespace {

const std::size_t kTinySentences = 60;

std::vector<std::string> sentences() {
  std::ifstream in(tests_path("fixtures/sbert_sentences.json"));
  auto all = nlohmann::json::parse(in).get<std::vector<std::string>>();
  all.resize(kTinySentences);
  return all;
}

hgtok::SafetensorsFile expected() { return hgtok::SafetensorsFile::open(tests_path("fixtures/sbert_tiny_expected.safetensors")); }

Matrix<double> expected_matrix(const std::string& name) {
  auto f = expected();
  const auto& v = f.at(name);
  auto data = v.to_vector<double>();
  return hgtok::ConstMatrixMap<double>(data.data(), v.shape[0], v.shape[1]);
}

std::string tiny_dir() { return tests_path("fixtures/sbert_tiny"); }

/// A copy of the tiny model directory that a test may edit.
struct TinyCopy {
  hgtok_test::TempDir tmp;
  fs::path dir;
  TinyCopy() : dir(tmp.path / "model") { fs::copy(tiny_dir(), dir, fs::copy_options::recursive); }
  std::string str() const { return dir.string(); }
  void write(const std::string& rel, const std::string& text) const { std::ofstream(dir / rel) << text; }
  nlohmann::json json(const std::string& rel) const {
    std::ifstream in(dir / rel);
    return nlohmann::json::parse(in);
  }
};

void set_pooling(const TinyCopy& c, const std::string& mode) {
  auto j = c.json("1_Pooling/config.json");
  for (const char* k : {"pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
                        "pooling_mode_mean_sqrt_len_tokens"})
    j[k] = false;
  j[mode] = true;
  c.write("1_Pooling/config.json", j.dump());
}

template <class T>
double max_abs_diff(const Matrix<T>& a, const Matrix<double>& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a.template cast<double>() - b).cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("tiny BERT: token ids equal sentence-transformers' (max_seq_length 24)") {
  auto enc = SentenceEncoder<float>::load(tiny_dir());
  CHECK(enc.max_seq_length() == 24);
  CHECK(enc.normalize());
  auto f = expected();
  auto ids = f.at("ids").to_vector<std::int64_t>();
  auto off = f.at("offsets").to_vector<std::int64_t>();
  const auto sents = sentences();
  for (std::size_t i = 0; i < sents.size(); ++i) {
    const std::vector<std::int64_t> want(ids.begin() + off[i], ids.begin() + off[i + 1]);
    INFO("sentence " << i << ": " << sents[i]);
    CHECK(enc.tokenizer().encode(sents[i], enc.max_seq_length()) == want);
  }
}

TEST_CASE("tiny BERT: mean pooling + Normalize equals sentence-transformers (double and float)") {
  const auto want = expected_matrix("mean");
  const auto sents = sentences();
  auto enc64 = SentenceEncoder<double>::load(tiny_dir());
  CHECK(max_abs_diff(enc64.encode(sents, 7), want) <= 1e-12);
  auto enc32 = SentenceEncoder<float>::load(tiny_dir());
  CHECK(enc32.dim() == 32);
  CHECK(max_abs_diff(enc32.encode(sents), want) <= 1e-5);
}

TEST_CASE("tiny BERT: every pooling mode, and no Normalize when modules.json omits it") {
  const auto sents = sentences();
  for (const auto& [key, mode] : std::vector<std::pair<std::string, std::string>>{
           {"cls", "pooling_mode_cls_token"},
           {"max", "pooling_mode_max_tokens"},
           {"mean_sqrt_len", "pooling_mode_mean_sqrt_len_tokens"}}) {
    TinyCopy c;
    set_pooling(c, mode);
    INFO("pooling " << key);
    CHECK(max_abs_diff(SentenceEncoder<double>::load(c.str()).encode(sents), expected_matrix(key)) <= 1e-12);
  }
  TinyCopy c;
  auto modules = c.json("modules.json");
  modules.erase(2);
  c.write("modules.json", modules.dump());
  auto enc = SentenceEncoder<double>::load(c.str());
  CHECK_FALSE(enc.normalize());
  CHECK(max_abs_diff(enc.encode(sents), expected_matrix("mean_raw")) <= 1e-12);
}

TEST_CASE("tiny BERT: several pooling modes are concatenated in sentence-transformers' order") {
  TinyCopy c;
  auto j = c.json("1_Pooling/config.json");
  j["pooling_mode_cls_token"] = true;
  j["pooling_mode_mean_tokens"] = true;
  c.write("1_Pooling/config.json", j.dump());
  auto modules = c.json("modules.json");
  modules.erase(2);
  c.write("modules.json", modules.dump());
  auto enc = SentenceEncoder<double>::load(c.str());
  REQUIRE(enc.dim() == 64);
  const auto got = enc.encode(sentences());
  // cls rows of the fixture are normalised; compare directions of the cls half, and the mean half exactly.
  CHECK(max_abs_diff(Matrix<double>(got.rightCols(32)), expected_matrix("mean_raw")) <= 1e-12);
  Matrix<double> cls_half = got.leftCols(32);
  cls_half.rowwise().normalize();
  CHECK(max_abs_diff(cls_half, expected_matrix("cls")) <= 1e-12);
}

TEST_CASE("tiny BERT: padding invariance — batched equals one by one") {
  auto enc = SentenceEncoder<float>::load(tiny_dir());
  const auto sents = sentences();
  const Matrix<float> batched = enc.encode(sents, 64);
  for (std::size_t i = 0; i < sents.size(); ++i) {
    const Matrix<float> alone = enc.encode({sents[i]});
    INFO("sentence " << i);
    CHECK((alone.row(0) - batched.row(static_cast<Index>(i))).cwiseAbs().maxCoeff() <= 1e-6f);
  }
}

TEST_CASE("tiny BERT: bitwise identical for 1 and 2 threads") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  auto enc = SentenceEncoder<float>::load(tiny_dir());
  const auto sents = sentences();
  hgtok::set_num_threads(1);
  const Matrix<float> one = enc.encode(sents, 200);
  hgtok::set_num_threads(2);
  const Matrix<float> two = enc.encode(sents, 200);
  CHECK(one == two);
}

TEST_CASE("encode: invalid UTF-8, bad batch size, empty input") {
  auto enc = SentenceEncoder<float>::load(tiny_dir());
  HGTOK_REQUIRE_THROWS_WITH(enc.encode({"good", "bad \xe2\x28\xa1"}), hgtok::ValueError, "text[1]");
  HGTOK_REQUIRE_THROWS_WITH(enc.encode({"x"}, 0), hgtok::ValueError, "batch_size");
  CHECK(enc.encode({}).rows() == 0);
}

TEST_CASE("BertModel: ids out of range and sentences longer than max_position_embeddings") {
  auto enc = SentenceEncoder<float>::load(tiny_dir());
  const auto& model = enc.model();
  HGTOK_REQUIRE_THROWS_WITH(model.forward({2, 99999, 3}, {0, 3}), hgtok::ValueError, "token id 99999");
  HGTOK_REQUIRE_THROWS_WITH(model.forward({2, -1, 3}, {0, 3}), hgtok::ValueError, "token id -1");
  std::vector<std::int64_t> many(41, 5);
  HGTOK_REQUIRE_THROWS_WITH(model.forward(many, {0, 41}), hgtok::ValueError, "max_position_embeddings");
  HGTOK_REQUIRE_THROWS_WITH(model.forward({2, 3}, {0, 1}), hgtok::ValueError, "offsets");
}

TEST_CASE("bad model directories name the file, the field, the tensor, the token") {
  SECTION("missing files") {
    for (const std::string rel : {"modules.json", "config.json", "vocab.txt", "tokenizer_config.json",
                                  "sentence_bert_config.json", "1_Pooling/config.json", "model.safetensors"}) {
      TinyCopy c;
      fs::remove(c.dir / rel);
      INFO(rel);
      HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::IOError, (c.dir / rel).string());
    }
  }
  SECTION("pytorch_model.bin only: names the tools/ converter") {
    TinyCopy c;
    fs::rename(c.dir / "model.safetensors", c.dir / "pytorch_model.bin");
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::IOError, "tools/convert_pytorch_bin.py");
  }
  SECTION("not BERT") {
    TinyCopy c;
    auto j = c.json("config.json");
    j["model_type"] = "roberta";
    c.write("config.json", j.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ValueError, "'roberta' is not supported");
  }
  SECTION("config field of the wrong type or value") {
    const std::vector<std::pair<std::string, nlohmann::json>> cases = {
        {"hidden_size", "32"}, {"num_hidden_layers", 2.5}, {"layer_norm_eps", "tiny"}, {"hidden_act", 3}};
    for (const auto& [field, value] : cases) {
      TinyCopy c;
      auto j = c.json("config.json");
      j[field] = value;
      c.write("config.json", j.dump());
      INFO(field);
      HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::FormatError, "field '" + field + "'");
    }
    TinyCopy c;
    auto j = c.json("config.json");
    j["hidden_act"] = "swish";
    c.write("config.json", j.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ValueError, "'swish'");
    j["hidden_act"] = "gelu";
    j["num_attention_heads"] = 5;
    c.write("config.json", j.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ValueError, "field 'num_attention_heads'");
    // A config that disagrees with the weights is caught at the first tensor, before any large allocation.
    j["num_attention_heads"] = 4;
    j["hidden_size"] = 60000;
    c.write("config.json", j.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ShapeError, "embeddings.word_embeddings.weight");
    j["hidden_size"] = 32;
    j["vocab_size"] = 100000000;
    c.write("config.json", j.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ValueError, "field 'vocab_size'");
  }
  SECTION("weight of the wrong shape, missing weight") {
    TinyCopy c;
    auto store = hgtok::WeightStore::load(tiny_dir() + "/model.safetensors");
    hgtok::Matrix<float> wrong = hgtok::Matrix<float>::Zero(31, 32);
    store.add("encoder.layer.1.intermediate.dense.weight", wrong);
    store.save((c.dir / "model.safetensors").string());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ShapeError,
                              "encoder.layer.1.intermediate.dense.weight");
  }
  SECTION("vocab lacking a special token") {
    for (const std::string tok : {"[CLS]", "[SEP]", "[PAD]", "[UNK]"}) {
      TinyCopy c;
      std::ifstream in(c.dir / "vocab.txt");
      std::string line, text;
      while (std::getline(in, line)) text += (line == tok ? std::string("[unused]") : line) + "\n";
      in.close();
      c.write("vocab.txt", text);
      INFO(tok);
      HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::LookupError, tok);
    }
  }
  SECTION("unsupported module, pooling, max_seq_length") {
    TinyCopy c;
    auto modules = c.json("modules.json");
    modules[2]["type"] = "sentence_transformers.models.Dense";
    c.write("modules.json", modules.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(c.str()), hgtok::ValueError, "sentence_transformers.models.Dense");
    TinyCopy d;
    auto pool = d.json("1_Pooling/config.json");
    pool["pooling_mode_lasttoken"] = true;
    d.write("1_Pooling/config.json", pool.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(d.str()), hgtok::ValueError, "pooling_mode_lasttoken");
    TinyCopy e;
    e.write("sentence_bert_config.json", R"({"max_seq_length": 4096})");
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(e.str()), hgtok::ValueError, "field 'max_seq_length'");
    e.write("sentence_bert_config.json", R"({"max_seq_length": "24"})");
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(e.str()), hgtok::FormatError, "field 'max_seq_length'");
    TinyCopy g;
    pool = g.json("1_Pooling/config.json");
    pool["word_embedding_dimension"] = 48;
    g.write("1_Pooling/config.json", pool.dump());
    HGTOK_REQUIRE_THROWS_WITH(SentenceEncoder<float>::load(g.str()), hgtok::ShapeError, "word_embedding_dimension");
  }
}

}  // namespace test_sentence_encoder
