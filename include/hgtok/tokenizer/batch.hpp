// Batch tokenization: many targets → subgraphs → graph tokens, streamed to disk
// in shards (HiGPT's "offline graph tokenizing", run_offline_hgt_tokenizer.py,
// which writes one processed graph per instruction item).
//
// Targets are cut into shards of `shard_size` consecutive targets. Each shard is
// tokenized in parallel, one micro-batch of `micro_batch` targets per task, through
// Tokenizer::tokenize_many (which runs a micro-batch as one disjoint union where that
// cannot change a result). A target's tokens depend neither on the thread count
// (sampler streams are per target, kernels are thread-invariant) nor on the micro-batch
// size (tokenize_many equals tokenize bitwise), so the latter is not fingerprinted;
// written atomically as out_dir/shard_<k>.safetensors, and only then recorded in
// out_dir/index.json (also written atomically). Shard k is written by a background
// thread while shard k + 1 is tokenized (shards are written and indexed in order,
// one write in flight), so memory holds at most two shards. A shard is assembled
// in the buffer that is written (SafetensorsImage) and written with direct I/O
// where the file system allows: at HiGPT's size a shard is ~58 MB, and copying
// gigabytes through the page cache would take a core's time on a small machine.
//
// Shard file:
//   tokens      [R, d_llm]          every target's rows, target after target
//   row_offsets [n + 1]      I64    target i's rows are row_offsets[i] .. row_offsets[i+1]
//   targets     [n]          I64    original target ids
//   node_ids    [R]          I64    original node id of every row
//   span_counts [n, types]   I64    rows per node type (in type_order) of every target
//   __metadata__ type_order (JSON list)
// A target that failed (e.g. id out of range) has zero rows; index.json lists it
// with its error message under "failed".
//
// index.json: {"format": "hgtok-batch-1", "fingerprint", "num_targets",
//   "shard_size", "target_type", "type_order", "llm_dim",
//   "shards": [{"file", "first", "count", "rows", "failed": [{"target", "error"}]}], "complete"}
//
// Resume: run again with the same arguments. Shards already in index.json are
// kept and skipped; the run continues with the first shard not recorded (a shard
// file written just before an interruption but not yet indexed is rewritten).
// The fingerprint (FNV-1a of the tokenizer config, the sampler's seed and
// fan-outs, the targets, type order, shard size and the type-embedding table)
// must match, else the directory belongs to another run: ValueError. (The
// tokenizer's weights are not hashed — they can be GBs at HiGPT's size — so do
// not resume with other weights of the same config.)
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/tokenizer/tokenizer.hpp"

namespace hgtok {

struct BatchOptions {
  std::string target_type = "movie";    ///< node type of the targets
  std::vector<std::string> type_order;  ///< HiGPT's hetero_key_order; empty: the graph's node-type order
  Index shard_size = 256;               ///< targets per shard (> 0)
  Index micro_batch = 16;               ///< targets per Tokenizer::tokenize_many call (> 0); no result depends on it
  bool stop_on_error = false;           ///< a failing target stops the run (finished shards stay) instead of being skipped
  int progress = -1;                    ///< progress bar on stderr: 1 on, 0 off, -1 when stderr is a terminal
  Index max_shards = -1;                ///< write at most this many new shards in this call (-1: all); resume continues
};

struct BatchFailure {
  Index target = 0;
  std::string error;
};

struct BatchReport {
  Index shards_total = 0;    ///< shards of the whole run
  Index shards_skipped = 0;  ///< already in index.json (resumed)
  Index shards_written = 0;  ///< written by this call
  Index targets_done = 0;    ///< tokenized by this call
  Index rows_written = 0;    ///< token rows written by this call
  bool complete = false;     ///< every shard is on disk
  std::vector<BatchFailure> failed;  ///< failures in the shards this call wrote
  double seconds = 0;
};

namespace detail {

inline std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001B3ULL;
  }
  return h;
}
inline std::uint64_t fnv1a(std::uint64_t h, const std::string& s) { return fnv1a(h, s.data(), s.size()); }

inline void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw IOError(tmp, "", "cannot open for writing");
    out << text;
    out.flush();
    if (!out) throw IOError(tmp, "", "write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw IOError(path, "", "cannot rename from " + tmp + ": " + ec.message());
}

}  // namespace detail

/// Tokenizes the subgraph of every target into shards under out_dir (see the header comment). Throws on bad
/// arguments before any work; with stop_on_error, throws the first failing target's error after the shards
/// before it are on disk.
template <class T>
BatchReport tokenize_batch(const Tokenizer<T>& tokenizer, const HeteroGraph<T>& graph, const EmbeddingTable<T>& table,
                           const NeighborSampler& sampler, const std::vector<Index>& targets, const std::string& out_dir,
                           const BatchOptions& options = {}) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  if (options.shard_size <= 0)
    throw ValueError("BatchOptions", "shard_size", "must be positive, got " + std::to_string(options.shard_size));
  if (options.micro_batch <= 0)
    throw ValueError("BatchOptions", "micro_batch", "must be positive, got " + std::to_string(options.micro_batch));
  graph.node_type_id(options.target_type);  // LookupError for an unknown target type
  std::vector<std::string> order = options.type_order;
  if (order.empty())
    for (Index t = 0; t < graph.num_node_types(); ++t) order.push_back(graph.node_type_name(t));
  for (const auto& type : order) graph.node_type_id(type);

  // Fingerprint of everything that decides the output.
  std::uint64_t h = 0xCBF29CE484222325ULL;
  h = detail::fnv1a(h, tokenizer.config().to_json().dump());
  const std::uint64_t seed = sampler.seed();
  h = detail::fnv1a(h, &seed, sizeof seed);
  h = detail::fnv1a(h, sampler.fanouts().data(), sampler.fanouts().size() * sizeof(Index));
  for (const auto& [key, f] : sampler.per_relation()) {
    h = detail::fnv1a(h, key);
    h = detail::fnv1a(h, f.data(), f.size() * sizeof(Index));
  }
  h = detail::fnv1a(h, targets.data(), targets.size() * sizeof(Index));
  for (const auto& type : order) h = detail::fnv1a(h, type + "\n");
  h = detail::fnv1a(h, options.target_type + "\n");
  h = detail::fnv1a(h, &options.shard_size, sizeof options.shard_size);
  for (const auto& key : table.keys()) {
    h = detail::fnv1a(h, key);
    const auto& v = table.get(key);
    h = detail::fnv1a(h, v.data(), static_cast<std::size_t>(v.size()) * sizeof(T));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  const std::string fingerprint = hex;

  const Index n = static_cast<Index>(targets.size());
  const Index num_shards = (n + options.shard_size - 1) / options.shard_size;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw IOError(out_dir, "", "cannot create directory: " + ec.message());
  const std::string index_path = (fs::path(out_dir) / "index.json").string();

  nlohmann::json index;
  if (fs::exists(index_path)) {  // resume
    std::ifstream in(index_path);
    try {
      index = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(index_path, "", std::string("not valid JSON: ") + e.what());
    }
    if (!index.is_object() || index.value("format", "") != "hgtok-batch-1" || !index.contains("shards") ||
        !index["shards"].is_array())
      throw FormatError(index_path, "format", "not an hgtok batch index");
    if (index.value("fingerprint", "") != fingerprint)
      throw ValueError(index_path, "fingerprint", "'" + index.value("fingerprint", "") + "' was written by another run (this run: '" +
                                                      fingerprint + "'); use another directory");
    for (std::size_t k = 0; k < index["shards"].size(); ++k) {
      const auto& s = index["shards"][k];
      if (!s.is_object() || s.value("first", Index(-1)) != static_cast<Index>(k) * options.shard_size ||
          !fs::exists(fs::path(out_dir) / s.value("file", std::string("?"))))
        throw FormatError(index_path, "shards[" + std::to_string(k) + "]", "does not match a shard on disk: " + s.dump());
    }
  } else {
    index = {{"format", "hgtok-batch-1"}, {"fingerprint", fingerprint}, {"num_targets", n},
             {"shard_size", options.shard_size}, {"target_type", options.target_type}, {"type_order", order},
             {"llm_dim", tokenizer.config().llm_dim}, {"shards", nlohmann::json::array()}, {"complete", n == 0}};
    detail::write_text_atomic(index_path, index.dump(1) + "\n");
  }

  BatchReport report;
  report.shards_total = num_shards;
  report.shards_skipped = static_cast<Index>(index["shards"].size());
  const bool progress = options.progress == 1 || (options.progress == -1 && ::isatty(2));
  const Index d = tokenizer.config().llm_dim;
  const std::size_t types = order.size();

  // The previous shard's write (file, then index entry), overlapped with the next shard's tokenizing. get()
  // rethrows its IOError; leaving this scope by an exception waits for it (std::async's future), so shards
  // before a failure are on disk.
  std::future<void> pending;
  auto finish_pending = [&] {
    if (pending.valid()) pending.get();
  };

  for (Index k = report.shards_skipped; k < num_shards; ++k) {
    if (options.max_shards >= 0 && report.shards_written >= options.max_shards) break;
    const Index first = k * options.shard_size, count = std::min(options.shard_size, n - first);
    std::vector<GraphTokens<T>> results(static_cast<std::size_t>(count));
    std::vector<std::string> errors(static_cast<std::size_t>(count));
    const Index micro = std::min(options.micro_batch, count);
    detail::parallel_for((count + micro - 1) / micro, [&](Index b) {
      const Index i0 = b * micro, i1 = std::min(count, i0 + micro);
      std::vector<Subgraph<T>> subs(static_cast<std::size_t>(i1 - i0));
      std::vector<const Subgraph<T>*> sampled;
      std::vector<Index> where;
      for (Index i = i0; i < i1; ++i) {
        try {
          subs[static_cast<std::size_t>(i - i0)] = sampler.sample(graph, options.target_type, targets[static_cast<std::size_t>(first + i)]);
          sampled.push_back(&subs[static_cast<std::size_t>(i - i0)]);
          where.push_back(i);
        } catch (const std::exception& e) {  // no exception may leave an OpenMP region
          errors[static_cast<std::size_t>(i)] = e.what();
        }
      }
      try {
        std::vector<std::string> failed_here;
        auto tokens = tokenizer.tokenize_many(sampled, table, order, &failed_here);
        for (std::size_t j = 0; j < where.size(); ++j) {
          const auto i = static_cast<std::size_t>(where[j]);
          if (failed_here[j].empty()) results[i] = std::move(tokens[j]);
          else errors[i] = failed_here[j];
        }
      } catch (const std::exception& e) {  // e.g. out of memory for the whole micro-batch
        for (Index i : where) errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
    nlohmann::json failed = nlohmann::json::array();
    for (Index i = 0; i < count; ++i)
      if (!errors[static_cast<std::size_t>(i)].empty()) {
        const Index target = targets[static_cast<std::size_t>(first + i)];
        if (options.stop_on_error) {
          finish_pending();
          throw ValueError("tokenize_batch", "targets[" + std::to_string(first + i) + "]",
                           "target " + std::to_string(target) + " failed: " + errors[static_cast<std::size_t>(i)] + " (" +
                               std::to_string(report.shards_skipped + report.shards_written) + " shards are on disk)");
        }
        failed.push_back({{"target", target}, {"error", errors[static_cast<std::size_t>(i)]}});
        report.failed.push_back({target, errors[static_cast<std::size_t>(i)]});
      }
    // Assemble the shard in the buffer that is written (SafetensorsImage: no copy after this one).
    Index rows = 0;
    for (const auto& r : results) rows += r.size();
    auto image = std::make_shared<SafetensorsImage>(
        std::vector<SafetensorsImage::Tensor>{{"tokens", dtype_of<T>(), Shape{rows, d}},
                                              {"row_offsets", dtype_of<Index>(), Shape{count + 1}},
                                              {"targets", dtype_of<Index>(), Shape{count}},
                                              {"node_ids", dtype_of<Index>(), Shape{rows}},
                                              {"span_counts", dtype_of<Index>(), Shape{count, static_cast<Index>(types)}}},
        std::map<std::string, std::string>{{"type_order", nlohmann::json(order).dump()}});
    Index* row_offsets = image->data<Index>("row_offsets");
    Index* shard_targets = image->data<Index>("targets");
    Index* node_ids = image->data<Index>("node_ids");
    Index* span_counts = image->data<Index>("span_counts");
    T* tokens = image->data<T>("tokens");
    row_offsets[0] = 0;
    for (Index i = 0; i < count; ++i) {
      const auto& r = results[static_cast<std::size_t>(i)];
      shard_targets[i] = targets[static_cast<std::size_t>(first + i)];
      row_offsets[i + 1] = row_offsets[i] + r.size();
      if (static_cast<Index>(r.node_ids.size()) != r.size())  // tokenize's invariant; guards the copy below
        throw ShapeError("tokenize_batch", "node_ids", std::to_string(r.node_ids.size()) + " ids for " + std::to_string(r.size()) + " rows");
      std::copy(r.node_ids.begin(), r.node_ids.end(), node_ids + row_offsets[i]);
      for (std::size_t t = 0; t < types; ++t)
        span_counts[static_cast<std::size_t>(i) * types + t] =
            r.spans.size() == types ? r.spans[t].count : (r.spans.size() == 1 && t == 0 ? r.size() : 0);
    }
    detail::parallel_for(count, [&](Index i) {
      const auto& r = results[static_cast<std::size_t>(i)];
      if (r.size() == 0) return;  // a failed target (its default xarray is a 0-d scalar: never copy it)
      std::copy(r.tokens.data(), r.tokens.data() + r.size() * d, tokens + row_offsets[i] * d);
    });
    results.clear();
    results.shrink_to_fit();
    char name[48];  // "shard_" + up to 20 digits + ".safetensors" + NUL fits
    std::snprintf(name, sizeof name, "shard_%05lld.safetensors", static_cast<long long>(k));
    finish_pending();  // one write in flight: shards land on disk and in the index in order
    pending = std::async(std::launch::async, [&index, &out_dir, &index_path, num_shards, count, rows, first,
                                              file = std::string(name), image = std::move(image), failed = std::move(failed)]() {
      image->save((std::filesystem::path(out_dir) / file).string());
      index["shards"].push_back({{"file", file}, {"first", first}, {"count", count}, {"rows", rows}, {"failed", failed}});
      index["complete"] = static_cast<Index>(index["shards"].size()) == num_shards;
      detail::write_text_atomic(index_path, index.dump(1) + "\n");
    });
    ++report.shards_written;
    report.targets_done += count;
    report.rows_written += rows;
    if (progress) {
      const Index done = first + count;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int width = 30, filled = static_cast<int>(width * done / std::max<Index>(n, 1));
      std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld targets, %.1f subgraphs/s", filled, "##############################",
                   width - filled, "", static_cast<long long>(done), static_cast<long long>(n),
                   secs > 0 ? static_cast<double>(report.targets_done) / secs : 0.0);
      if (done == n) std::fprintf(stderr, "\n");
    }
  }
  finish_pending();
  report.complete = index["complete"].get<bool>();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace hgtok
