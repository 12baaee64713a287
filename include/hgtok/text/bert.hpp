// BERT encoder (Devlin et al., NAACL 2019) as transformers' BertModel, inference only,
// on a packed batch: the tokens of all sentences are rows of one matrix, so there
// are no pad rows and no attention mask is needed — a sentence sees exactly its own
// tokens, which is what BertModel computes for the unmasked positions.
//
//   x⁰ = LayerNorm(word[id] + position[p] + token_type[0])
//   per layer l:
//     [q k v] = x·[W_q W_k W_v] + b                          one GEMM over all rows
//     per (sentence, head h):  a_h = softmax(q_h·k_hᵀ / √D) · v_h      D = hidden / heads
//     x' = LayerNorm(x + a·W_o + b_o)
//     x  = LayerNorm(x' + gelu(x'·W_i + b_i)·W_2 + b_2)               gelu in erf form
//
// Weights: the BertModel state_dict() names of model.safetensors ("embeddings.word_embeddings.weight",
// "encoder.layer.<l>.attention.self.query.weight", ...), with or without a "bert." prefix.
//
// GELU uses Eigen's vectorised erf (|error| < 5e-7 for float; std::erf for double).
//
// Threads: row blocks and (sentence, head) pairs run in parallel. The blocks depend only on the
// number of rows n (an even number of blocks of at most kRowBlock rows, so two threads get equal
// work) and every GEMM inside a block runs on one thread, so results are bitwise identical for
// any thread count. Each GEMM call repacks its weight matrix, so blocks are kept large.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/layer_norm.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/text/wordpiece.hpp"

namespace hgtok {

/// The fields of a transformers BertConfig (config.json) that inference needs.
struct BertConfig {
  Index vocab_size = 0;
  Index hidden_size = 0;
  Index num_hidden_layers = 0;
  Index num_attention_heads = 0;
  Index intermediate_size = 0;
  Index max_position_embeddings = 0;
  Index type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  std::string hidden_act = "gelu";

  /// Reads config.json. Refuses models that are not BERT (by model_type), activations other than "gelu",
  /// non-absolute position embeddings; a field of the wrong type or out of range names the field.
  static BertConfig load(const std::string& path);
  /// Checks ranges; throws ValueError naming the field.
  void validate(const std::string& source) const;
};

template <class T = float>
class BertModel {
 public:
  /// Most rows per block of the row-parallel stages.
  static constexpr Index kRowBlock = 512;

  BertModel() = default;
  /// Loads every parameter from `weights` (shape-checked against `config`).
  static BertModel load(const WeightStore& weights, const BertConfig& config);

  const BertConfig& config() const { return config_; }
  Index hidden_size() const { return config_.hidden_size; }

  /// Token embeddings of the last layer for a packed batch: `ids` holds the ids of every sentence
  /// back to back, sentence s being ids[offsets[s], offsets[s+1]). Returns [ids.size(), hidden].
  /// Throws ValueError for an id outside the vocabulary or a sentence longer than max_position_embeddings.
  Matrix<T> forward(const std::vector<std::int64_t>& ids, const std::vector<Index>& offsets) const;

 private:
  struct Layer {
    nn::Linear<T> qkv;  // [hidden → 3·hidden]: query, key, value side by side
    nn::Linear<T> attention_out;
    nn::LayerNorm<T> attention_norm;
    nn::Linear<T> intermediate;
    nn::Linear<T> output;
    nn::LayerNorm<T> output_norm;
  };
  void attention(const Matrix<T>& qkv, const std::vector<Index>& offsets, Matrix<T>& context) const;

  BertConfig config_;
  Matrix<T> word_, position_, token_type_;
  nn::LayerNorm<T> embedding_norm_;
  std::vector<Layer> layers_;
};

// ---------------------------------------------------------------------------------------------

inline BertConfig BertConfig::load(const std::string& path) {
  const auto j = detail::read_json_file(path);
  if (!j.is_object()) throw FormatError(path, "", "must be a JSON object");
  const std::string model_type = detail::json_get<std::string>(j, "model_type", "", path);
  if (model_type != "bert")
    throw ValueError(path, "model_type",
                     "'" + model_type + "' is not supported: hgtok's SentenceEncoder implements BERT (model_type 'bert') only");
  BertConfig c;
  auto integer = [&](const char* key, Index fallback, bool required) {
    if (required && (!j.contains(key) || j[key].is_null())) throw FormatError(path, key, "is missing");
    if (j.contains(key) && !j[key].is_null() && !j[key].is_number_integer())
      throw FormatError(path, key, "must be an integer, got " + detail::json_excerpt(j[key]));
    return detail::json_get<Index>(j, key, fallback, path);
  };
  c.vocab_size = integer("vocab_size", 0, true);
  c.hidden_size = integer("hidden_size", 0, true);
  c.num_hidden_layers = integer("num_hidden_layers", 0, true);
  c.num_attention_heads = integer("num_attention_heads", 0, true);
  c.intermediate_size = integer("intermediate_size", 0, true);
  c.max_position_embeddings = integer("max_position_embeddings", 512, false);
  c.type_vocab_size = integer("type_vocab_size", 2, false);
  if (j.contains("layer_norm_eps") && !j["layer_norm_eps"].is_number())
    throw FormatError(path, "layer_norm_eps", "must be a number, got " + detail::json_excerpt(j["layer_norm_eps"]));
  c.layer_norm_eps = detail::json_get<double>(j, "layer_norm_eps", 1e-12, path);
  c.hidden_act = detail::json_get<std::string>(j, "hidden_act", "gelu", path);
  const auto pos = detail::json_get<std::string>(j, "position_embedding_type", "absolute", path);
  if (pos != "absolute")
    throw ValueError(path, "position_embedding_type", "'" + pos + "' is not supported (only 'absolute')");
  c.validate(path);
  return c;
}

inline void BertConfig::validate(const std::string& source) const {
  auto range = [&](const char* field, Index v, Index lo, Index hi) {
    if (v < lo || v > hi)
      throw ValueError(source, field, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  // Upper bounds keep a corrupt config from driving huge allocations before the weights are checked.
  range("vocab_size", vocab_size, 1, 10000000);
  range("hidden_size", hidden_size, 1, 65536);
  range("num_hidden_layers", num_hidden_layers, 0, 1024);
  range("num_attention_heads", num_attention_heads, 1, hidden_size);
  range("intermediate_size", intermediate_size, 1, 1 << 20);
  range("max_position_embeddings", max_position_embeddings, 2, 1 << 20);
  range("type_vocab_size", type_vocab_size, 1, 1 << 16);
  if (hidden_size % num_attention_heads != 0)
    throw ValueError(source, "num_attention_heads",
                     std::to_string(num_attention_heads) + " does not divide hidden_size " + std::to_string(hidden_size));
  if (!(layer_norm_eps > 0) || !std::isfinite(layer_norm_eps))
    throw ValueError(source, "layer_norm_eps", std::to_string(layer_norm_eps) + " must be positive and finite");
  if (hidden_act != "gelu")
    throw ValueError(source, "hidden_act", "'" + hidden_act + "' is not supported (only 'gelu', the erf form)");
}

template <class T>
BertModel<T> BertModel<T>::load(const WeightStore& w, const BertConfig& c) {
  c.validate(w.source());
  BertModel m;
  m.config_ = c;
  const std::string p = w.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const Index h = c.hidden_size;
  m.word_ = w.matrix<T>(p + "embeddings.word_embeddings.weight", c.vocab_size, h);
  m.position_ = w.matrix<T>(p + "embeddings.position_embeddings.weight", c.max_position_embeddings, h);
  m.token_type_ = w.matrix<T>(p + "embeddings.token_type_embeddings.weight", c.type_vocab_size, h);
  m.embedding_norm_ = nn::LayerNorm<T>::load(w, p + "embeddings.LayerNorm", h, c.layer_norm_eps);
  for (Index l = 0; l < c.num_hidden_layers; ++l) {
    const std::string q = p + "encoder.layer." + std::to_string(l) + ".";
    Layer layer;
    // Read (and shape-check against the file) before allocating the concatenation.
    const char* parts[] = {"query", "key", "value"};
    std::vector<Matrix<T>> part_w;
    std::vector<Vector<T>> part_b;
    for (const char* part : parts) {
      part_w.push_back(w.matrix<T>(q + "attention.self." + part + ".weight", h, h));
      part_b.push_back(w.vector<T>(q + "attention.self." + part + ".bias", h));
    }
    Matrix<T> qkv_w(3 * h, h);
    Vector<T> qkv_b(3 * h);
    for (Index k = 0; k < 3; ++k) {
      qkv_w.middleRows(k * h, h) = part_w[static_cast<std::size_t>(k)];
      qkv_b.segment(k * h, h) = part_b[static_cast<std::size_t>(k)];
    }
    layer.qkv = nn::Linear<T>::from_torch(qkv_w, qkv_b);
    layer.attention_out = nn::Linear<T>::load(w, q + "attention.output.dense", h, h);
    layer.attention_norm = nn::LayerNorm<T>::load(w, q + "attention.output.LayerNorm", h, c.layer_norm_eps);
    layer.intermediate = nn::Linear<T>::load(w, q + "intermediate.dense", h, c.intermediate_size);
    layer.output = nn::Linear<T>::load(w, q + "output.dense", c.intermediate_size, h);
    layer.output_norm = nn::LayerNorm<T>::load(w, q + "output.LayerNorm", h, c.layer_norm_eps);
    m.layers_.push_back(std::move(layer));
  }
  return m;
}

template <class T>
void BertModel<T>::attention(const Matrix<T>& qkv, const std::vector<Index>& offsets, Matrix<T>& context) const {
  const Index h = config_.hidden_size, heads = config_.num_attention_heads, d = h / heads;
  const Index sentences = static_cast<Index>(offsets.size()) - 1;
  const T scale = T(1) / std::sqrt(static_cast<T>(d));
  detail::parallel_for(
      sentences * heads,
      [&](std::int64_t task) {
        const Index s = task / heads, head = task % heads;
        const Index begin = offsets[static_cast<std::size_t>(s)];
        const Index len = offsets[static_cast<std::size_t>(s) + 1] - begin;
        if (len == 0) return;
        const auto q = qkv.block(begin, head * d, len, d);
        const auto k = qkv.block(begin, h + head * d, len, d);
        const auto v = qkv.block(begin, 2 * h + head * d, len, d);
        Matrix<T> scores(len, len);
        scores.noalias() = q * k.transpose();
        for (Index r = 0; r < len; ++r) {
          auto row = scores.row(r);
          row *= scale;
          const T mx = row.maxCoeff();
          row = (row.array() - mx).exp().matrix();
          row /= row.sum();
        }
        context.block(begin, head * d, len, d).noalias() = scores * v;
      },
      1);
}

template <class T>
Matrix<T> BertModel<T>::forward(const std::vector<std::int64_t>& ids, const std::vector<Index>& offsets) const {
  const Index n = static_cast<Index>(ids.size()), h = config_.hidden_size;
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != n)
    throw ValueError("BertModel", "offsets", "must run from 0 to the number of ids (" + std::to_string(n) + ")");
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
    const Index len = offsets[s + 1] - offsets[s];
    if (len < 0) throw ValueError("BertModel", "offsets", "decrease at sentence " + std::to_string(s));
    if (len > config_.max_position_embeddings)
      throw ValueError("BertModel", "ids", "sentence " + std::to_string(s) + " has " + std::to_string(len) +
                                               " tokens, more than max_position_embeddings " +
                                               std::to_string(config_.max_position_embeddings));
    for (Index i = offsets[s]; i < offsets[s + 1]; ++i) {
      const auto id = ids[static_cast<std::size_t>(i)];
      if (id < 0 || id >= config_.vocab_size)
        throw ValueError("BertModel", "ids", "token id " + std::to_string(id) + " of sentence " + std::to_string(s) +
                                                 " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
  // An even number of blocks of at most kRowBlock rows; a function of n only.
  const Index blocks = n == 0 ? 0 : 2 * ((n + 2 * kRowBlock - 1) / (2 * kRowBlock));
  const Index block_rows = blocks == 0 ? 0 : (n + blocks - 1) / blocks;
  auto first_row = [&](std::int64_t b) { return std::min(n, b * block_rows); };
  auto rows_of = [&](std::int64_t b) { return std::min(n, (b + 1) * block_rows) - first_row(b); };

  // Embeddings; the position of row i is its index within its sentence.
  std::vector<Index> position(static_cast<std::size_t>(n));
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s)
    for (Index i = offsets[s]; i < offsets[s + 1]; ++i) position[static_cast<std::size_t>(i)] = i - offsets[s];
  Matrix<T> x(n, h);
  detail::parallel_for(
      blocks,
      [&](std::int64_t b) {
        const Index r0 = first_row(b), rows = rows_of(b);
        if (rows == 0) return;
        for (Index i = r0; i < r0 + rows; ++i)
          x.row(i) = word_.row(ids[static_cast<std::size_t>(i)]) + position_.row(position[static_cast<std::size_t>(i)]) +
                     token_type_.row(0);
        auto xb = x.middleRows(r0, rows);
        embedding_norm_.apply_inplace(xb);
      },
      1);

  Matrix<T> qkv(n, 3 * h), context(n, h);
  for (const auto& layer : layers_) {
    detail::parallel_for(
        blocks,
        [&](std::int64_t b) {
          const Index r0 = first_row(b), rows = rows_of(b);
          layer.qkv.forward_into(x.middleRows(r0, rows), qkv.middleRows(r0, rows));
        },
        1);
    attention(qkv, offsets, context);
    detail::parallel_for(
        blocks,
        [&](std::int64_t b) {
          const Index r0 = first_row(b), rows = rows_of(b);
          auto xb = x.middleRows(r0, rows);
          Matrix<T> attended(rows, h);
          layer.attention_out.forward_into(context.middleRows(r0, rows), attended);
          attended += xb;
          layer.attention_norm.apply_inplace(attended);
          Matrix<T> inner(rows, config_.intermediate_size);
          layer.intermediate.forward_into(attended, inner);
          nn::gelu_inplace(inner);
          layer.output.forward_into(inner, xb);
          xb += attended;
          layer.output_norm.apply_inplace(xb);
        },
        1);
  }
  return x;
}

}  // namespace hgtok
