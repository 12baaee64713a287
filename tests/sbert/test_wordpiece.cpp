// WordPieceTokenizer against HF BertTokenizer / sentence-transformers token ids
// (tests/reference/make_sbert_fixtures.py), with all-MiniLM-L6-v2's vocab.txt
// committed as tests/fixtures/sbert_minilm_vocab.txt, so no download is needed.
#include <nlohmann/json.hpp>

#include "hgtok/core/threading.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/text/wordpiece.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_wordpiece {

using hgtok::WordPieceConfig;
using hgtok::WordPieceTokenizer;
using hgtok_test::tests_path;

namespace {

std::vector<std::string> sentences() {
  std::ifstream in(tests_path("fixtures/sbert_sentences.json"));
  return nlohmann::json::parse(in).get<std::vector<std::string>>();
}

std::vector<std::vector<std::int64_t>> expected_ids(const std::string& prefix) {
  auto f = hgtok::SafetensorsFile::open(tests_path("fixtures/sbert_minilm_expected.safetensors"));
  auto ids = f.at(prefix + "ids").to_vector<std::int64_t>();
  auto off = f.at(prefix + "offsets").to_vector<std::int64_t>();
  std::vector<std::vector<std::int64_t>> out;
  for (std::size_t i = 0; i + 1 < off.size(); ++i) out.emplace_back(ids.begin() + off[i], ids.begin() + off[i + 1]);
  return out;
}

std::string vocab_path() { return tests_path("fixtures/sbert_minilm_vocab.txt"); }

void check_all(const WordPieceTokenizer& tok, const std::string& prefix, hgtok::Index max_length) {
  const auto sents = sentences();
  const auto want = expected_ids(prefix);
  REQUIRE(sents.size() == want.size());
  REQUIRE(sents.size() >= 200);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < sents.size(); ++i) {
    const auto got = tok.encode(sents[i], max_length);
    if (got != want[i]) {
      ++mismatches;
      UNSCOPED_INFO("sentence " << i << ": " << sents[i]);
    }
  }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("token ids equal sentence-transformers' for all-MiniLM-L6-v2 (lower case, max_seq_length 256)") {
  auto tok = WordPieceTokenizer::load(vocab_path(), WordPieceConfig{});
  check_all(tok, "", 256);
}

TEST_CASE("token ids equal BertTokenizer's for other tokenizer settings") {
  SECTION("cased") {
    WordPieceConfig c;
    c.do_lower_case = false;
    check_all(WordPieceTokenizer::load(vocab_path(), c), "cased_", 0);
  }
  SECTION("cased, strip accents") {
    WordPieceConfig c;
    c.do_lower_case = false;
    c.strip_accents = true;
    check_all(WordPieceTokenizer::load(vocab_path(), c), "cased_strip_", 0);
  }
  SECTION("lower case, keep accents") {
    WordPieceConfig c;
    c.strip_accents = false;
    check_all(WordPieceTokenizer::load(vocab_path(), c), "lower_nostrip_", 0);
  }
  SECTION("no CJK spacing") {
    WordPieceConfig c;
    c.tokenize_chinese_chars = false;
    check_all(WordPieceTokenizer::load(vocab_path(), c), "nochinese_", 0);
  }
}

TEST_CASE("[UNK] for words over 100 characters, [CLS]/[SEP], truncation") {
  auto tok = WordPieceTokenizer::load(vocab_path());
  // (the pieces themselves are checked against HF above: long words, [MASK] in text, ...)
  CHECK(tok.tokenize(std::string(101, 'a')) == std::vector<std::string>{"[UNK]"});
  const auto ids = tok.encode("one two three four five", 4);
  REQUIRE(ids.size() == 4);
  CHECK(ids.front() == tok.cls_id());
  CHECK(ids.back() == tok.sep_id());
  CHECK(tok.encode("").size() == 2);
  HGTOK_REQUIRE_THROWS_WITH(tok.encode("x", 1), hgtok::ValueError, "max_length");
}

TEST_CASE("batch padding and masks; identical for any thread count") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  auto tok = WordPieceTokenizer::load(vocab_path());
  const auto sents = sentences();
  hgtok::set_num_threads(1);
  const auto b1 = tok.encode_batch(sents, 256);
  hgtok::set_num_threads(2);
  const auto b2 = tok.encode_batch(sents, 256);
  CHECK(b1.input_ids == b2.input_ids);
  CHECK(b1.cols == 256);
  for (hgtok::Index r = 0; r < b1.rows; ++r) {
    const auto want = tok.encode(sents[static_cast<std::size_t>(r)], 256);
    REQUIRE(b1.lengths[static_cast<std::size_t>(r)] == static_cast<hgtok::Index>(want.size()));
    for (hgtok::Index c = 0; c < b1.cols; ++c) {
      const auto k = static_cast<std::size_t>(r * b1.cols + c);
      const bool real = c < static_cast<hgtok::Index>(want.size());
      CHECK(b1.attention_mask[k] == (real ? 1 : 0));
      CHECK(b1.input_ids[k] == (real ? want[static_cast<std::size_t>(c)] : tok.pad_id()));
    }
  }
}

TEST_CASE("invalid UTF-8 is a ValueError naming the text and the byte offset") {
  auto tok = WordPieceTokenizer::load(vocab_path());
  HGTOK_REQUIRE_THROWS_WITH(tok.encode("ok \xff bad"), hgtok::ValueError, "invalid UTF-8 at byte 3");
  HGTOK_REQUIRE_THROWS_WITH(tok.encode("\xc3"), hgtok::ValueError, "invalid UTF-8 at byte 0");           // truncated
  HGTOK_REQUIRE_THROWS_WITH(tok.encode("a\xc0\xaf"), hgtok::ValueError, "invalid UTF-8 at byte 1");      // overlong '/'
  HGTOK_REQUIRE_THROWS_WITH(tok.encode("\xed\xa0\x80"), hgtok::ValueError, "invalid UTF-8 at byte 0");   // surrogate
  HGTOK_REQUIRE_THROWS_WITH(tok.encode_batch({"fine", "also \x80"}), hgtok::ValueError, "text[1]");
}

TEST_CASE("bad vocabularies and configs name the file, the field, the token") {
  hgtok_test::TempDir dir;
  HGTOK_REQUIRE_THROWS_WITH(WordPieceTokenizer::load(dir.file("nope.txt")), hgtok::IOError, "nope.txt");
  for (const std::string missing : {"[CLS]", "[SEP]", "[PAD]", "[UNK]"}) {
    std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"};
    v.erase(std::find(v.begin(), v.end(), missing));
    HGTOK_REQUIRE_THROWS_WITH(WordPieceTokenizer::from_vocab(v, {}, "vocab.txt"), hgtok::LookupError, missing);
  }
  {
    std::ofstream(dir.file("tokenizer_config.json")) << R"({"do_lower_case": "yes"})";
    HGTOK_REQUIRE_THROWS_WITH(WordPieceConfig::load(dir.file("tokenizer_config.json")), hgtok::FormatError,
                              "field 'do_lower_case'");
  }
  {
    std::ofstream(dir.file("tokenizer_config.json")) << R"({"strip_accents": 3})";
    HGTOK_REQUIRE_THROWS_WITH(WordPieceConfig::load(dir.file("tokenizer_config.json")), hgtok::FormatError,
                              "field 'strip_accents'");
  }
  {
    std::ofstream(dir.file("tokenizer_config.json")) << R"({"do_lower_case": tru)";
    HGTOK_REQUIRE_THROWS_WITH(WordPieceConfig::load(dir.file("tokenizer_config.json")), hgtok::FormatError,
                              "not valid JSON");
  }
  HGTOK_REQUIRE_THROWS_WITH(WordPieceTokenizer::from_vocab({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "bad\xff"}, {}, "v.txt"),
                            hgtok::ValueError, "line 5");
}

}  // namespace test_wordpiece
