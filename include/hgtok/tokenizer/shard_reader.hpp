// ShardReader: reads back a directory written by tokenize_batch (tokenizer/batch.hpp; layout there), memory-mapped.
//
//   ShardReader<float> r = ShardReader<float>::open("out");
//   ShardTarget<float> t = r.at(42);       // target id 42: t.tokens [t.rows × t.width], views into the mapped shard
//   for (Index i = 0; i < r.size(); ++i) r.at_position(i);   // every target on disk, in the run's order
//
// open() reads index.json and maps every shard it lists, validating each against the index (target counts, row
// offsets, tensor shapes and dtypes, type order): a shard that does not match is a FormatError naming the file and
// the field, so a reader never hands out a view past a tensor. Views stay valid while the reader (or a copy) lives.
//
// Missing and failed targets. A batch that is not complete (interrupted, or run with max_shards) holds the targets
// at positions [0, size()) of its target list; missing() says which positions are not on disk yet (rerun
// tokenize_batch to resume). index.json does not list the targets, so a target id not found on disk is either
// not written yet or not part of the run: at() is a LookupError saying which, as far as the index tells. A target
// that failed has zero rows and its error message (failed()). A target listed twice is found by at() at its first
// position. Python: hgtok.ShardReader (docs/python.md).
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/tokenizer/batch.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"

namespace hgtok {

/// One target's tokens as stored in a shard: views into the mapped file.
template <class T = float>
struct ShardTarget {
  Index target = 0;                ///< original target id
  Index position = 0;              ///< position in the run's target list
  const T* tokens = nullptr;       ///< [rows × width], row-major
  const Index* node_ids = nullptr; ///< [rows]: original node id of every row
  Index rows = 0;
  Index width = 0;
  /// Rows per node type of the batch's type_order (zero-count types included). Shards do not record the graph's
  /// type ids: Span::type_id is the type's position in type_order. (An mlp_prefix tokenizer's k rows are counted
  /// under the first type.)
  std::vector<typename GraphTokens<T>::Span> spans;
  std::string error;  ///< the target's error when it failed (then rows == 0)

  bool failed() const { return !error.empty(); }
  /// A copy as GraphTokens (tokens, node ids, spans).
  GraphTokens<T> to_graph_tokens() const {
    GraphTokens<T> g;
    g.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(width)});
    std::copy(tokens, tokens + rows * width, g.tokens.data());
    g.node_ids.assign(node_ids, node_ids + rows);
    g.spans = spans;
    return g;
  }
};

template <class T = float>
class ShardReader {
 public:
  /// Opens the batch directory `dir` (index.json and every shard it lists). IOError when index.json is missing,
  /// FormatError when the index or a shard does not match the layout.
  static ShardReader open(const std::string& dir) {
    ShardReader r;
    r.dir_ = dir;
    const std::string index_path = (std::filesystem::path(dir) / "index.json").string();
    const nlohmann::json index = detail::read_batch_index(index_path);
    r.num_targets_ = detail::json_get<Index>(index, "num_targets", -1, index_path);
    r.shard_size_ = detail::json_get<Index>(index, "shard_size", 0, index_path);
    r.llm_dim_ = detail::json_get<Index>(index, "llm_dim", 0, index_path);
    r.target_type_ = detail::json_get<std::string>(index, "target_type", "", index_path);
    r.type_order_ = detail::json_get<std::vector<std::string>>(index, "type_order", {}, index_path);
    r.complete_ = detail::json_get<bool>(index, "complete", false, index_path);
    if (r.num_targets_ < 0) throw FormatError(index_path, "num_targets", "missing or negative");
    if (r.shard_size_ <= 0) throw FormatError(index_path, "shard_size", "missing or not positive");
    if (r.llm_dim_ <= 0) throw FormatError(index_path, "llm_dim", "missing or not positive");
    const auto& shards = index["shards"];
    for (std::size_t k = 0; k < shards.size(); ++k) r.add_shard(shards[k], static_cast<Index>(k), index_path);
    if (r.complete_ && r.size_ != r.num_targets_)
      throw FormatError(index_path, "complete", "is true, but the shards hold " + std::to_string(r.size_) + " of " +
                                                    std::to_string(r.num_targets_) + " targets");
    return r;
  }

  const std::string& dir() const { return dir_; }
  /// Targets of the whole run (index.json's num_targets), on disk or not.
  Index num_targets() const { return num_targets_; }
  /// Targets on disk: positions [0, size()) of the run's target list.
  Index size() const { return size_; }
  /// Shards of the whole run, and those on disk.
  Index num_shards() const { return (num_targets_ + shard_size_ - 1) / shard_size_; }
  Index shards_on_disk() const { return static_cast<Index>(shards_.size()); }
  Index shard_size() const { return shard_size_; }
  bool complete() const { return complete_; }
  Index llm_dim() const { return llm_dim_; }
  const std::string& target_type() const { return target_type_; }
  const std::vector<std::string>& type_order() const { return type_order_; }
  /// Positions of the run's target list not on disk yet: [first, second) (empty when complete).
  std::pair<Index, Index> missing() const { return {size_, num_targets_}; }
  /// Targets on disk that failed, with their errors, in order.
  const std::vector<BatchFailure>& failed() const { return failed_; }
  /// Whether target id `target` is on disk (failed targets included).
  bool contains(Index target) const { return position_of_.count(target) != 0; }

  /// The target at `position` of the run's target list; LookupError when it is not on disk.
  ShardTarget<T> at_position(Index position) const {
    if (position < 0 || position >= size_)
      throw LookupError(dir_, "position", "position " + std::to_string(position) + " is not on disk (" + held() + ")");
    const Shard& s = shards_[static_cast<std::size_t>(position / shard_size_)];
    const Index i = position % shard_size_;
    ShardTarget<T> t;
    t.target = s.targets[i];
    t.position = position;
    t.width = llm_dim_;
    const Index r0 = s.row_offsets[i];
    t.rows = s.row_offsets[i + 1] - r0;
    t.tokens = s.tokens + r0 * llm_dim_;
    t.node_ids = s.node_ids + r0;
    const Index types = static_cast<Index>(type_order_.size());
    Index offset = 0;
    for (Index k = 0; k < types; ++k) {
      const Index count = s.span_counts[i * types + k];
      t.spans.push_back({type_order_[static_cast<std::size_t>(k)], k, offset, count});
      offset += count;
    }
    auto f = s.errors.find(t.target);
    if (f != s.errors.end() && t.rows == 0) t.error = f->second;
    return t;
  }

  /// The tokens of target id `target` (its first position when listed twice); LookupError when it is not on disk.
  ShardTarget<T> at(Index target) const {
    auto it = position_of_.find(target);
    if (it == position_of_.end())
      throw LookupError(dir_, "target", "target " + std::to_string(target) + " is not on disk (" + held() +
                                            (complete_ ? "; the batch is complete, so it was not one of its targets)"
                                                       : "; it may be among the targets not written yet)"));
    return at_position(it->second);
  }

 private:
  struct Shard {
    SafetensorsFile file;
    const T* tokens = nullptr;
    const Index* row_offsets = nullptr;
    const Index* targets = nullptr;
    const Index* node_ids = nullptr;
    const Index* span_counts = nullptr;
    std::unordered_map<Index, std::string> errors;  // failed target id -> error
  };

  ShardReader() = default;

  std::string held() const {
    return "the batch holds positions 0.." + std::to_string(size_) + " of " + std::to_string(num_targets_) + " targets in " +
           std::to_string(shards_.size()) + " of " + std::to_string(num_shards()) + " shards" +
           (complete_ ? "" : ": rerun tokenize_batch to resume");
  }

  /// A tensor of the shard with the expected dtype and shape (FormatError naming the file and tensor otherwise).
  template <class U>
  static const U* tensor(const SafetensorsFile& f, const std::string& name, const Shape& shape) {
    if (!f.contains(name)) throw FormatError(f.path(), name, "missing: not an hgtok batch shard");
    const TensorView& v = f.at(name);
    if (v.dtype != dtype_of<U>() || v.shape != shape)
      throw FormatError(f.path(), name, std::string(dtype_name(v.dtype)) + " " + detail::shape_str(v.shape) + ", expected " +
                                            dtype_name(dtype_of<U>()) + " " + detail::shape_str(shape));
    return v.template as<U>();
  }

  void add_shard(const nlohmann::json& entry, Index k, const std::string& index_path) {
    const std::string field = "shards[" + std::to_string(k) + "]";
    if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string())
      throw FormatError(index_path, field, "not a shard entry: " + entry.dump());
    const Index first = detail::json_get<Index>(entry, "first", -1, index_path);
    const Index count = detail::json_get<Index>(entry, "count", -1, index_path);
    const Index expected = std::min(shard_size_, num_targets_ - k * shard_size_);
    if (first != k * shard_size_ || count != expected)
      throw FormatError(index_path, field, "first " + std::to_string(first) + ", count " + std::to_string(count) + "; expected " +
                                               std::to_string(k * shard_size_) + ", " + std::to_string(expected));
    const std::string file = entry["file"].get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      throw FormatError(index_path, field + ".file", "'" + file + "' is not a file name inside the batch directory");
    Shard s{SafetensorsFile::open((std::filesystem::path(dir_) / file).string()), nullptr, nullptr, nullptr, nullptr, nullptr, {}};
    const SafetensorsFile& f = s.file;
    const Index types = static_cast<Index>(type_order_.size());
    s.row_offsets = tensor<Index>(f, "row_offsets", {count + 1});
    if (!f.contains("tokens") || f.at("tokens").shape.size() != 2)
      throw FormatError(f.path(), "tokens", "missing or not [rows, llm_dim]");
    const Index rows = f.at("tokens").shape[0];
    s.tokens = tensor<T>(f, "tokens", {rows, llm_dim_});
    s.targets = tensor<Index>(f, "targets", {count});
    s.node_ids = tensor<Index>(f, "node_ids", {rows});
    s.span_counts = tensor<Index>(f, "span_counts", {count, types});
    auto meta = f.metadata().find("type_order");
    if (meta == f.metadata().end() || detail::parse_json(meta->second, f.path(), "__metadata__.type_order") != nlohmann::json(type_order_))
      throw FormatError(f.path(), "__metadata__.type_order", "missing or not index.json's type_order");
    if (s.row_offsets[0] != 0 || s.row_offsets[count] != rows)
      throw FormatError(f.path(), "row_offsets", "must run from 0 to the " + std::to_string(rows) + " token rows");
    for (Index i = 0; i < count; ++i) {
      const Index n = s.row_offsets[i + 1] - s.row_offsets[i];
      if (n < 0) throw FormatError(f.path(), "row_offsets", "decreases at target " + std::to_string(i));
      Index sum = 0;
      for (Index t = 0; t < types; ++t) {
        const Index c = s.span_counts[i * types + t];
        if (c < 0 || c > n) throw FormatError(f.path(), "span_counts", "count " + std::to_string(c) + " of target " + std::to_string(i) + " is out of range");
        sum += c;
      }
      if (sum != n)
        throw FormatError(f.path(), "span_counts", "target " + std::to_string(i) + ": spans cover " + std::to_string(sum) + " of " +
                                                       std::to_string(n) + " rows");
      position_of_.emplace(s.targets[i], first + i);  // the first position wins
    }
    if (entry.contains("failed")) {
      if (!entry["failed"].is_array()) throw FormatError(index_path, field + ".failed", "not a list");
      for (const auto& fail : entry["failed"]) {
        const Index target = detail::json_get<Index>(fail, "target", -1, index_path);
        const std::string error = detail::json_get<std::string>(fail, "error", "", index_path);
        failed_.push_back({target, error});
        s.errors.emplace(target, error);
      }
    }
    shards_.push_back(std::move(s));
    size_ += count;
  }

  std::string dir_;
  Index num_targets_ = 0, shard_size_ = 0, llm_dim_ = 0, size_ = 0;
  std::string target_type_;
  std::vector<std::string> type_order_;
  bool complete_ = false;
  std::vector<Shard> shards_;
  std::unordered_map<Index, Index> position_of_;
  std::vector<BatchFailure> failed_;
};

}  // namespace hgtok
