// SentenceEncoder: Sentence-BERT (Reimers & Gurevych, EMNLP 2019) as the
// sentence-transformers library runs it, from a model directory in its layout:
//
//   <dir>/modules.json                  [Transformer, Pooling, (Normalize)] — other modules are refused by name
//   <dir>/<transformer path>/config.json, model.safetensors, vocab.txt, tokenizer_config.json,
//                                        sentence_bert_config.json (max_seq_length)
//   <dir>/<pooling path>/config.json    pooling_mode_cls_token / _max_tokens / _mean_tokens / _mean_sqrt_len_tokens
//
//   e(text) = normalize(pool(BERT([CLS] wordpiece(text) [SEP])))
//   mean: Σ_t h_t / L    max: max_t h_t    cls: h_0    mean_sqrt_len: Σ_t h_t / √L
//   (several modes enabled: concatenated in the order cls, max, mean, mean_sqrt_len, as sentence-transformers)
//   normalize: x / max(‖x‖₂, 1e-12), only when modules.json lists sentence_transformers.models.Normalize.
//
// A directory with pytorch_model.bin but no model.safetensors is refused; convert it with
// tools/convert_pytorch_bin.py.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/bert.hpp"
#include "hgtok/text/wordpiece.hpp"

namespace hgtok {

/// 1_Pooling/config.json.
struct PoolingConfig {
  Index word_embedding_dimension = 0;
  bool cls = false;
  bool max = false;
  bool mean = true;
  bool mean_sqrt_len = false;

  static PoolingConfig load(const std::string& path);
  /// Number of enabled modes (the output width is modes() · hidden).
  Index modes() const { return Index(cls) + Index(max) + Index(mean) + Index(mean_sqrt_len); }
};

template <class T = float>
class SentenceEncoder {
 public:
  SentenceEncoder() = default;

  /// Loads a sentence-transformers model directory (see the top of this file).
  static SentenceEncoder load(const std::string& dir);

  /// Embeds every text: [texts.size(), dim()]. Texts are tokenised in parallel and run through BERT
  /// `batch_size` at a time; the result of a text does not depend on the others in its batch
  /// (up to float rounding) nor, bitwise, on the thread count. Throws ValueError for invalid UTF-8.
  Matrix<T> encode(const std::vector<std::string>& texts, Index batch_size = 32) const;

  /// Output width.
  Index dim() const { return pooling_.modes() * model_.hidden_size(); }
  Index max_seq_length() const { return max_seq_length_; }
  bool normalize() const { return normalize_; }
  const PoolingConfig& pooling() const { return pooling_; }
  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
  const BertModel<T>& model() const { return model_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  WordPieceTokenizer tokenizer_;
  BertModel<T> model_;
  PoolingConfig pooling_;
  Index max_seq_length_ = 0;
  bool normalize_ = false;
};

// ---------------------------------------------------------------------------------------------

inline PoolingConfig PoolingConfig::load(const std::string& path) {
  const auto j = detail::read_json_file(path);
  if (!j.is_object()) throw FormatError(path, "", "must be a JSON object");
  PoolingConfig c;
  if (!j.contains("word_embedding_dimension") || !j["word_embedding_dimension"].is_number_integer())
    throw FormatError(path, "word_embedding_dimension", "must be an integer");
  c.word_embedding_dimension = j["word_embedding_dimension"].get<Index>();
  c.cls = detail::json_get<bool>(j, "pooling_mode_cls_token", false, path);
  c.max = detail::json_get<bool>(j, "pooling_mode_max_tokens", false, path);
  c.mean = detail::json_get<bool>(j, "pooling_mode_mean_tokens", false, path);
  c.mean_sqrt_len = detail::json_get<bool>(j, "pooling_mode_mean_sqrt_len_tokens", false, path);
  for (const char* unsupported : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
    if (detail::json_get<bool>(j, unsupported, false, path))
      throw ValueError(path, unsupported, "this pooling mode is not supported (cls, max, mean, mean_sqrt_len are)");
  if (c.modes() == 0) throw ValueError(path, "pooling_mode_mean_tokens", "no pooling mode is enabled");
  return c;
}

template <class T>
SentenceEncoder<T> SentenceEncoder<T>::load(const std::string& dir) {
  namespace fs = std::filesystem;
  SentenceEncoder e;
  e.source_ = dir;
  const fs::path root(dir);
  const std::string modules_path = (root / "modules.json").string();
  const auto modules = detail::read_json_file(modules_path);
  if (!modules.is_array() || modules.empty()) throw FormatError(modules_path, "", "must be a non-empty JSON array");
  std::string transformer_dir, pooling_dir;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const auto& m = modules[i];
    const std::string field = "[" + std::to_string(i) + "]";
    if (!m.is_object()) throw FormatError(modules_path, field, "must be an object");
    const auto type = detail::json_get<std::string>(m, "type", "", modules_path);
    const auto path = detail::json_get<std::string>(m, "path", "", modules_path);
    if (fs::path(path).is_absolute() || path.find("..") != std::string::npos)
      throw ValueError(modules_path, field + ".path", "'" + path + "' must be a relative path inside the model directory");
    const auto short_type = type.substr(type.rfind('.') == std::string::npos ? 0 : type.rfind('.') + 1);
    if (short_type == "Transformer" && i == 0) {
      transformer_dir = (root / path).string();
    } else if (short_type == "Pooling" && i == 1) {
      pooling_dir = (root / path).string();
    } else if (short_type == "Normalize" && i == 2) {
      e.normalize_ = true;
    } else {
      throw ValueError(modules_path, field + ".type",
                       "module '" + type + "' at position " + std::to_string(i) +
                           " is not supported (hgtok runs Transformer, Pooling, then optionally Normalize)");
    }
  }
  if (transformer_dir.empty() || pooling_dir.empty())
    throw ValueError(modules_path, "", "needs a Transformer module then a Pooling module");
  const fs::path tdir(transformer_dir);

  const auto config = BertConfig::load((tdir / "config.json").string());
  const auto weights_path = (tdir / "model.safetensors").string();
  if (!fs::exists(weights_path)) {
    if (fs::exists(tdir / "pytorch_model.bin"))
      throw IOError(weights_path, "",
                    "missing; the directory holds only pytorch_model.bin, which hgtok does not read. Convert it with "
                    "`python tools/convert_pytorch_bin.py " +
                        transformer_dir + "` (writes model.safetensors)");
    throw IOError(weights_path, "", "cannot open for reading (missing file?)");
  }
  e.model_ = BertModel<T>::load(WeightStore::load(weights_path), config);

  const auto tcfg = WordPieceConfig::load((tdir / "tokenizer_config.json").string());
  e.tokenizer_ = WordPieceTokenizer::load((tdir / "vocab.txt").string(), tcfg);
  if (e.tokenizer_.vocab_size() > config.vocab_size)
    throw ValueError((tdir / "vocab.txt").string(), "",
                     std::to_string(e.tokenizer_.vocab_size()) + " tokens, more than vocab_size " +
                         std::to_string(config.vocab_size) + " of config.json");

  const auto sbert_path = (tdir / "sentence_bert_config.json").string();
  const auto sbert = detail::read_json_file(sbert_path);
  if (!sbert.is_object()) throw FormatError(sbert_path, "", "must be a JSON object");
  if (!sbert.contains("max_seq_length") || !sbert["max_seq_length"].is_number_integer())
    throw FormatError(sbert_path, "max_seq_length", "must be an integer");
  e.max_seq_length_ = sbert["max_seq_length"].get<Index>();
  if (e.max_seq_length_ < 2 || e.max_seq_length_ > config.max_position_embeddings)
    throw ValueError(sbert_path, "max_seq_length",
                     std::to_string(e.max_seq_length_) + " is outside [2, max_position_embeddings " +
                         std::to_string(config.max_position_embeddings) + "]");
  if (detail::json_get<bool>(sbert, "do_lower_case", false, sbert_path))
    throw ValueError(sbert_path, "do_lower_case", "true is not supported (lower-casing belongs in tokenizer_config.json)");

  const auto pooling_path = (fs::path(pooling_dir) / "config.json").string();
  e.pooling_ = PoolingConfig::load(pooling_path);
  if (e.pooling_.word_embedding_dimension != config.hidden_size)
    throw ShapeError(pooling_path, "word_embedding_dimension",
                     std::to_string(e.pooling_.word_embedding_dimension) + ", but hidden_size is " +
                         std::to_string(config.hidden_size));
  return e;
}

template <class T>
Matrix<T> SentenceEncoder<T>::encode(const std::vector<std::string>& texts, Index batch_size) const {
  if (batch_size < 1) throw ValueError("SentenceEncoder", "batch_size", std::to_string(batch_size) + " must be >= 1");
  const Index n = static_cast<Index>(texts.size()), h = model_.hidden_size();
  std::vector<std::vector<std::int64_t>> ids(texts.size());
  detail::parallel_for(n, [&](std::int64_t i) {
    ids[static_cast<std::size_t>(i)] = tokenizer_.encode(texts[static_cast<std::size_t>(i)], max_seq_length_, i);
  });
  Matrix<T> out(n, dim());
  std::vector<std::int64_t> packed;
  std::vector<Index> offsets;
  for (Index first = 0; first < n; first += batch_size) {
    const Index last = std::min(n, first + batch_size);
    packed.clear();
    offsets.assign(1, 0);
    for (Index i = first; i < last; ++i) {
      const auto& s = ids[static_cast<std::size_t>(i)];
      packed.insert(packed.end(), s.begin(), s.end());
      offsets.push_back(static_cast<Index>(packed.size()));
    }
    const Matrix<T> tokens = model_.forward(packed, offsets);
    detail::parallel_for(last - first, [&](std::int64_t k) {
      const Index begin = offsets[static_cast<std::size_t>(k)];
      const Index len = offsets[static_cast<std::size_t>(k) + 1] - begin;
      const auto rows = tokens.middleRows(begin, len);
      auto row = out.row(first + k);
      Index col = 0;
      if (pooling_.cls) {
        row.segment(col, h) = rows.row(0);
        col += h;
      }
      if (pooling_.max) {
        row.segment(col, h) = rows.colwise().maxCoeff();
        col += h;
      }
      const RowVector<T> sum = rows.colwise().sum();
      if (pooling_.mean) {
        row.segment(col, h) = sum / static_cast<T>(len);
        col += h;
      }
      if (pooling_.mean_sqrt_len) row.segment(col, h) = sum / std::sqrt(static_cast<T>(len));
      if (normalize_) row /= std::max(row.norm(), T(1e-12));
    });
  }
  return out;
}

}  // namespace hgtok
