// WordPiece tokenizer identical to Hugging Face's BertTokenizer (transformers 5,
// which is the `tokenizers` pipeline BertNormalizer → BertPreTokenizer →
// WordPiece → TemplateProcessing "[CLS] $A [SEP]"). For a text:
//
//   0. special tokens: exact occurrences of [CLS], [SEP], [PAD], [UNK], [MASK] in the raw text become that token
//      (leftmost, longest first), the text between them goes through steps 1-5;
//   1. clean: drop U+0000, U+FFFD and every character of category Cc, Cf, Co, Cs except \t \n \r (unassigned
//      code points stay); map every White_Space
//      character to ' ';
//   2. CJK: put ' ' on both sides of every CJK ideograph (the ranges of BERT's _is_chinese_char);
//   3. accents (strip_accents, default = do_lower_case): NFD, then drop category Mn;
//   4. lower-case (do_lower_case): full Unicode lower-case mapping of each character (U+0130 → "i\u0307");
//   5. split on ' ' and isolate each punctuation character (ASCII punctuation, or category Pc Pd Ps Pe Pi Pf Po);
//   6. WordPiece: greedy longest match from the start of each word, continuations prefixed "##"; a word longer
//      than max_input_chars_per_word (100) characters, or one with an unmatched rest, becomes [UNK];
//   7. [CLS] pieces [SEP], truncated so the whole sequence has at most max_length ids.
//
// Character properties come from utf8proc (categories, NFD, lower-case); the
// only table written here is Unicode's White_Space list (as Rust's char::is_whitespace).
//
// Invalid UTF-8 (bad bytes, overlong forms, surrogates, truncated sequences) is an error:
// ValueError naming the text's index and byte offset. Python strings cannot hold invalid
// UTF-8, so there is no HF behaviour to copy; silently replacing bytes would embed a text
// the caller never wrote.
#pragma once

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/io/json.hpp"

namespace hgtok {

/// Settings of a BertTokenizer, as in its tokenizer_config.json.
struct WordPieceConfig {
  bool do_lower_case = true;
  /// Unset: follows do_lower_case (BERT's rule).
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  Index max_input_chars_per_word = 100;
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";

  /// Reads tokenizer_config.json. Absent keys keep their defaults; a key of the wrong type is a FormatError naming it.
  static WordPieceConfig load(const std::string& path);
};

/// A padded batch of token ids: row i holds lengths[i] ids then pad ids; mask is 1 on real tokens.
struct TokenBatch {
  Index rows = 0;
  Index cols = 0;
  std::vector<std::int64_t> input_ids;       // [rows * cols]
  std::vector<std::int64_t> attention_mask;  // [rows * cols]
  std::vector<Index> lengths;                // [rows]
};

/// BertTokenizer: vocab.txt + WordPieceConfig.
class WordPieceTokenizer {
 public:
  WordPieceTokenizer() = default;

  /// Loads vocab.txt (one token per line; line i has id i; a later duplicate wins, as in HF).
  /// Throws IOError for a missing file, LookupError naming a required special token the vocab lacks.
  static WordPieceTokenizer load(const std::string& vocab_path, const WordPieceConfig& config = {});
  /// Builds from an in-memory vocabulary (index = id).
  static WordPieceTokenizer from_vocab(const std::vector<std::string>& vocab, const WordPieceConfig& config = {},
                                       const std::string& source = "<memory>");

  const WordPieceConfig& config() const { return config_; }
  Index vocab_size() const { return static_cast<Index>(id_to_token_.size()); }
  /// The id of a token; throws LookupError naming it.
  std::int64_t token_id(const std::string& token) const;
  /// The token of an id; throws ValueError when out of range.
  const std::string& token(std::int64_t id) const;
  std::int64_t cls_id() const { return cls_id_; }
  std::int64_t sep_id() const { return sep_id_; }
  std::int64_t pad_id() const { return pad_id_; }
  std::int64_t unk_id() const { return unk_id_; }

  /// Word-piece ids of `text`, without [CLS]/[SEP] and without truncation.
  std::vector<std::int64_t> tokenize_ids(const std::string& text, Index text_index = 0) const;
  /// Word pieces of `text` as strings.
  std::vector<std::string> tokenize(const std::string& text) const;
  /// [CLS] pieces [SEP], truncated to at most max_length ids (max_length >= 2; <= 0: no truncation).
  std::vector<std::int64_t> encode(const std::string& text, Index max_length = 0, Index text_index = 0) const;
  /// encode() of every text (in parallel), padded with [PAD] to the longest; with attention masks.
  TokenBatch encode_batch(const std::vector<std::string>& texts, Index max_length = 0) const;

 private:
  void normalize_and_split(const std::u32string& text, std::vector<std::string>& words) const;
  void word_piece(const std::string& word, std::vector<std::int64_t>& out) const;

  WordPieceConfig config_;
  std::string source_ = "<memory>";
  std::unordered_map<std::string, std::int64_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<std::u32string> specials_;  // special tokens present in the vocab
  std::vector<std::int64_t> special_ids_;
  std::int64_t cls_id_ = 0, sep_id_ = 0, pad_id_ = 0, unk_id_ = 0;
};

namespace detail {

/// Decodes UTF-8; throws ValueError naming `field` and the byte offset of the first invalid sequence.
inline std::u32string decode_utf8(const std::string& s, const std::string& source, const std::string& field) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t pos = 0;
  const auto n = static_cast<utf8proc_ssize_t>(s.size());
  while (pos < n) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len = utf8proc_iterate(p + pos, n - pos, &cp);
    if (len <= 0 || cp < 0)
      throw ValueError(source, field,
                       "invalid UTF-8 at byte " + std::to_string(pos) + " (byte value " +
                           std::to_string(static_cast<unsigned>(p[pos])) + ")");
    out.push_back(static_cast<char32_t>(cp));
    pos += len;
  }
  return out;
}

inline void append_utf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto len = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
}

inline std::string encode_utf8(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

/// Unicode White_Space (Rust's char::is_whitespace, which tokenizers uses).
inline bool is_bert_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/// Categories Cc, Cf, Co, Cs except \t \n \r (tokenizers keeps unassigned code points, Cn).
inline bool is_bert_control(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

/// ASCII punctuation or category P*.
inline bool is_bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

/// The CJK ideograph blocks of BERT's _is_chinese_char.
inline bool is_cjk_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/// Canonical decomposition (NFD, with canonical reordering) of a code-point string.
inline std::u32string nfd(const std::u32string& s) {
  if (s.empty()) return s;
  const std::string utf8 = encode_utf8(s);
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto n = static_cast<utf8proc_ssize_t>(utf8.size());
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_STABLE);
  std::vector<utf8proc_int32_t> buf(s.size() * 4 + 4);
  utf8proc_ssize_t len = utf8proc_decompose(p, n, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()), options);
  if (len > static_cast<utf8proc_ssize_t>(buf.size())) {
    buf.resize(static_cast<std::size_t>(len));
    len = utf8proc_decompose(p, n, buf.data(), len, options);
  }
  if (len < 0) throw ValueError("WordPieceTokenizer", "text", std::string("NFD failed: ") + utf8proc_errmsg(len));
  std::u32string out;
  out.reserve(static_cast<std::size_t>(len));
  for (utf8proc_ssize_t i = 0; i < len; ++i) out.push_back(static_cast<char32_t>(buf[static_cast<std::size_t>(i)]));
  return out;
}

}  // namespace detail

inline WordPieceConfig WordPieceConfig::load(const std::string& path) {
  const auto j = detail::read_json_file(path);
  if (!j.is_object()) throw FormatError(path, "", "must be a JSON object");
  WordPieceConfig c;
  c.do_lower_case = detail::json_get<bool>(j, "do_lower_case", c.do_lower_case, path);
  if (j.contains("strip_accents") && !j["strip_accents"].is_null())
    c.strip_accents = detail::json_get<bool>(j, "strip_accents", false, path);
  c.tokenize_chinese_chars = detail::json_get<bool>(j, "tokenize_chinese_chars", c.tokenize_chinese_chars, path);
  c.unk_token = detail::json_get<std::string>(j, "unk_token", c.unk_token, path);
  c.cls_token = detail::json_get<std::string>(j, "cls_token", c.cls_token, path);
  c.sep_token = detail::json_get<std::string>(j, "sep_token", c.sep_token, path);
  c.pad_token = detail::json_get<std::string>(j, "pad_token", c.pad_token, path);
  c.mask_token = detail::json_get<std::string>(j, "mask_token", c.mask_token, path);
  if (j.contains("do_basic_tokenize") && !detail::json_get<bool>(j, "do_basic_tokenize", true, path))
    throw ValueError(path, "do_basic_tokenize", "false is not supported (hgtok always runs basic tokenisation)");
  return c;
}

inline WordPieceTokenizer WordPieceTokenizer::load(const std::string& vocab_path, const WordPieceConfig& config) {
  const std::string text = detail::read_file_text(vocab_path);
  std::vector<std::string> vocab;
  for (std::size_t at = 0; at < text.size();) {  // one token per line, as std::getline splits them
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(std::move(line));
    at = end + 1;
  }
  return from_vocab(vocab, config, vocab_path);
}

inline WordPieceTokenizer WordPieceTokenizer::from_vocab(const std::vector<std::string>& vocab, const WordPieceConfig& config,
                                                         const std::string& source) {
  WordPieceTokenizer t;
  t.config_ = config;
  t.source_ = source;
  if (config.max_input_chars_per_word < 1)
    throw ValueError(source, "max_input_chars_per_word", "must be >= 1, got " + std::to_string(config.max_input_chars_per_word));
  t.id_to_token_ = vocab;
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    detail::decode_utf8(vocab[i], source, "line " + std::to_string(i + 1));
    t.vocab_[vocab[i]] = static_cast<std::int64_t>(i);
  }
  auto required = [&](const std::string& tok, const char* role) {
    auto it = t.vocab_.find(tok);
    if (it == t.vocab_.end())
      throw LookupError(source, tok, std::string("the vocabulary lacks the ") + role + " token " + tok);
    return it->second;
  };
  t.cls_id_ = required(config.cls_token, "cls");
  t.sep_id_ = required(config.sep_token, "sep");
  t.pad_id_ = required(config.pad_token, "pad");
  t.unk_id_ = required(config.unk_token, "unk");
  for (const auto& tok : {config.pad_token, config.unk_token, config.cls_token, config.sep_token, config.mask_token}) {
    auto it = t.vocab_.find(tok);
    if (it == t.vocab_.end() || tok.empty()) continue;
    t.specials_.push_back(detail::decode_utf8(tok, source, tok));
    t.special_ids_.push_back(it->second);
  }
  return t;
}

inline std::int64_t WordPieceTokenizer::token_id(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) throw LookupError(source_, token, "token is not in the vocabulary");
  return it->second;
}

inline const std::string& WordPieceTokenizer::token(std::int64_t id) const {
  if (id < 0 || id >= vocab_size())
    throw ValueError(source_, "id", std::to_string(id) + " is out of range [0, " + std::to_string(vocab_size()) + ")");
  return id_to_token_[static_cast<std::size_t>(id)];
}

inline void WordPieceTokenizer::normalize_and_split(const std::u32string& text, std::vector<std::string>& words) const {
  // 1-2: clean and space out CJK ideographs.
  std::u32string s;
  s.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || detail::is_bert_control(c)) continue;
    if (detail::is_bert_whitespace(c)) {
      s.push_back(U' ');
    } else if (config_.tokenize_chinese_chars && detail::is_cjk_char(c)) {
      s.push_back(U' ');
      s.push_back(c);
      s.push_back(U' ');
    } else {
      s.push_back(c);
    }
  }
  // 3: NFD and drop nonspacing marks.
  if (config_.strip_accents.value_or(config_.do_lower_case)) {
    std::u32string d = detail::nfd(s);
    s.clear();
    for (char32_t c : d)
      if (utf8proc_category(static_cast<utf8proc_int32_t>(c)) != UTF8PROC_CATEGORY_MN) s.push_back(c);
  }
  // 4: full lower-case mapping; U+0130 is the one character whose full mapping has two code points.
  if (config_.do_lower_case) {
    std::u32string l;
    l.reserve(s.size());
    for (char32_t c : s) {
      if (c == 0x130) {
        l.push_back(U'i');
        l.push_back(0x307);
      } else {
        l.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
      }
    }
    s.swap(l);
  }
  // 5: split on whitespace, isolate punctuation.
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (char32_t c : s) {
    if (detail::is_bert_whitespace(c)) {
      flush();
    } else if (detail::is_bert_punctuation(c)) {
      flush();
      detail::append_utf8(word, c);
      flush();
    } else {
      detail::append_utf8(word, c);
    }
  }
  flush();
}

inline void WordPieceTokenizer::word_piece(const std::string& word, std::vector<std::int64_t>& out) const {
  // Character boundaries (byte offsets) of the word.
  std::vector<std::size_t> bounds;
  for (std::size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
  const std::size_t nchars = bounds.size();
  bounds.push_back(word.size());
  if (static_cast<Index>(nchars) > config_.max_input_chars_per_word) {
    out.push_back(unk_id_);
    return;
  }
  const std::size_t first = out.size();
  std::string candidate;
  std::size_t start = 0;
  while (start < nchars) {
    std::size_t end = nchars;
    std::int64_t found = -1;
    while (start < end) {
      candidate.assign(start > 0 ? "##" : "");
      candidate.append(word, bounds[start], bounds[end] - bounds[start]);
      auto it = vocab_.find(candidate);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) {
      out.resize(first);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

inline std::vector<std::int64_t> WordPieceTokenizer::tokenize_ids(const std::string& text, Index text_index) const {
  const std::u32string cps = detail::decode_utf8(text, "WordPieceTokenizer", "text[" + std::to_string(text_index) + "]");
  std::vector<std::int64_t> ids;
  std::vector<std::string> words;
  auto run = [&](std::size_t from, std::size_t to) {
    if (from >= to) return;
    words.clear();
    normalize_and_split(cps.substr(from, to - from), words);
    for (const auto& w : words) word_piece(w, ids);
  };
  // 0: special tokens in the raw text, leftmost then longest.
  std::size_t seg = 0, pos = 0;
  while (pos < cps.size()) {
    std::size_t best = specials_.size();
    for (std::size_t k = 0; k < specials_.size(); ++k) {
      const auto& sp = specials_[k];
      if (sp.size() <= cps.size() - pos && cps.compare(pos, sp.size(), sp) == 0 &&
          (best == specials_.size() || sp.size() > specials_[best].size()))
        best = k;
    }
    if (best == specials_.size()) {
      ++pos;
      continue;
    }
    run(seg, pos);
    ids.push_back(special_ids_[best]);
    pos += specials_[best].size();
    seg = pos;
  }
  run(seg, cps.size());
  return ids;
}

inline std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> out;
  for (auto id : tokenize_ids(text)) out.push_back(token(id));
  return out;
}

inline std::vector<std::int64_t> WordPieceTokenizer::encode(const std::string& text, Index max_length, Index text_index) const {
  if (max_length > 0 && max_length < 2)
    throw ValueError("WordPieceTokenizer", "max_length", std::to_string(max_length) + " leaves no room for [CLS] and [SEP]");
  auto pieces = tokenize_ids(text, text_index);
  if (max_length > 0 && static_cast<Index>(pieces.size()) > max_length - 2)
    pieces.resize(static_cast<std::size_t>(max_length - 2));
  std::vector<std::int64_t> ids;
  ids.reserve(pieces.size() + 2);
  ids.push_back(cls_id_);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(sep_id_);
  return ids;
}

inline TokenBatch WordPieceTokenizer::encode_batch(const std::vector<std::string>& texts, Index max_length) const {
  std::vector<std::vector<std::int64_t>> all(texts.size());
  detail::parallel_for(static_cast<std::int64_t>(texts.size()),
                       [&](std::int64_t i) { all[static_cast<std::size_t>(i)] = encode(texts[static_cast<std::size_t>(i)], max_length, i); });
  TokenBatch b;
  b.rows = static_cast<Index>(texts.size());
  for (const auto& ids : all) b.cols = std::max<Index>(b.cols, static_cast<Index>(ids.size()));
  b.input_ids.assign(static_cast<std::size_t>(b.rows * b.cols), pad_id_);
  b.attention_mask.assign(static_cast<std::size_t>(b.rows * b.cols), 0);
  for (Index r = 0; r < b.rows; ++r) {
    const auto& ids = all[static_cast<std::size_t>(r)];
    b.lengths.push_back(static_cast<Index>(ids.size()));
    std::copy(ids.begin(), ids.end(), b.input_ids.begin() + r * b.cols);
    std::fill_n(b.attention_mask.begin() + r * b.cols, ids.size(), 1);
  }
  return b;
}

}  // namespace hgtok
