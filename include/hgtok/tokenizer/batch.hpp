// Batch tokenization: many targets → subgraphs → graph tokens, streamed to disk
// in shards (HiGPT's "offline graph tokenizing", run_offline_hgt_tokenizer.py,
// which writes one processed graph per instruction item).
//
// Targets are cut into shards of `shard_size` consecutive targets, tokenized in
// micro-batches of `micro_batch` targets (Tokenizer::tokenize_many) taken by all
// threads from one queue. A target's tokens depend neither on the thread count nor
// on the micro-batch size, so neither is fingerprinted. Each shard is written
// atomically to out_dir/shard_<k>.safetensors by a background task while the next
// shards are tokenized (direct I/O where the file system allows: shards are large and
// read back rarely), and only then recorded, in order, in out_dir/index.json (also
// written atomically). Memory holds at most seven shards' worth of tokens.
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
// Resume: run again with the same arguments. Shards already in index.json (or in
// the entry file of a shard written out of order, tokenizer/batch_index.hpp) are
// kept and skipped; the run writes the others, in order (a shard file written just
// before an interruption but not yet recorded is rewritten). The MPI batch
// (tokenizer/mpi_batch.hpp) runs this same code on each rank's share of the shards.
// The fingerprint (FNV-1a of the tokenizer config, the sampler's seed and
// fan-outs, the targets, type order, shard size and the type-embedding table)
// must match, else the directory belongs to another run: ValueError. (The
// tokenizer's weights are not hashed — they can be GBs at HiGPT's size — so do
// not resume with other weights of the same config.)
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/atomic_file.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/tokenizer/batch_index.hpp"
#include "hgtok/tokenizer/tokenizer.hpp"

namespace hgtok {

struct BatchOptions {
  std::string target_type;              ///< node type of the targets (required)
  std::vector<std::string> type_order;  ///< HiGPT's hetero_key_order; empty: the graph's node-type order
  Index shard_size = 256;               ///< targets per shard (> 0)
  Index micro_batch = 16;               ///< targets per Tokenizer::tokenize_many call (> 0); no result depends on it
  bool stop_on_error = false;           ///< a failing target stops the run (finished shards stay) instead of being skipped
  /// progress on stderr (done/total, rate, ETA): 1 on, 0 off, -1 when stderr is a terminal. A terminal gets a bar
  /// redrawn in place, anything else a line now and then (first shard, every 10 s, last).
  int progress = -1;
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

/// Checks the arguments of a batch run (throws before any work) and fingerprints everything that decides its bytes.
template <class T, class Kernels>
BatchPlan plan_batch(const Tokenizer<T, Kernels>& tokenizer, const HeteroGraph<T>& graph, const EmbeddingTable<T>& table,
                     const NeighborSampler& sampler, const std::vector<Index>& targets, const std::string& out_dir,
                     const BatchOptions& options) {
  if (options.shard_size <= 0)
    throw ValueError("BatchOptions", "shard_size", "must be positive, got " + std::to_string(options.shard_size));
  if (options.micro_batch <= 0)
    throw ValueError("BatchOptions", "micro_batch", "must be positive, got " + std::to_string(options.micro_batch));
  if (options.target_type.empty()) throw ValueError("BatchOptions", "target_type", "is empty: name the node type of the targets");
  graph.node_type_id(options.target_type);  // LookupError for an unknown target type
  std::vector<std::string> order = options.type_order;
  if (order.empty())
    for (Index t = 0; t < graph.num_node_types(); ++t) order.push_back(graph.node_type_name(t));
  for (const auto& type : order) graph.node_type_id(type);

  // Fingerprint of everything that decides the output.
  std::uint64_t h = 0xCBF29CE484222325ULL;
  h = detail::fnv1a(h, tokenizer.config().to_json(tokenizer.kernels()).dump());
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

  BatchPlan plan;
  plan.out_dir = out_dir;
  plan.index_path = (std::filesystem::path(out_dir) / "index.json").string();
  plan.fingerprint = hex;
  plan.target_type = options.target_type;
  plan.type_order = order;
  plan.num_targets = static_cast<Index>(targets.size());
  plan.shard_size = options.shard_size;
  plan.num_shards = (plan.num_targets + options.shard_size - 1) / options.shard_size;
  plan.llm_dim = tokenizer.config().llm_dim;
  return plan;
}

/// Writes shards `todo` (ascending shard numbers) of the plan, and calls record(k, entry) for each once its file
/// is on disk: in todo's order, one call at a time, from a background task. Returns this call's counts (the caller
/// fills in shards_skipped and complete). With stop_on_error, throws the first failing target's error after the
/// shards before it are recorded.
template <class T, class Kernels, class Record>
BatchReport write_shards(const Tokenizer<T, Kernels>& tokenizer, const HeteroGraph<T>& graph, const EmbeddingTable<T>& table,
                         const NeighborSampler& sampler, const std::vector<Index>& targets, const BatchPlan& plan,
                         const BatchOptions& options, const std::vector<Index>& todo, Record record) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string>& order = plan.type_order;
  const Index n = plan.num_targets;
  const std::string& out_dir = plan.out_dir;
  BatchReport report;
  report.shards_total = plan.num_shards;
  const bool terminal = ::isatty(2) != 0;
  const bool progress = options.progress == 1 || (options.progress == -1 && terminal);
  auto last_line = std::chrono::steady_clock::now();
  const Index d = tokenizer.config().llm_dim;
  const std::size_t types = order.size();

  // Background shard writes, at most in_flight at a time, so tokenizing never waits for the disk. A task
  // writes its file, then records it once the task before it has (shards are recorded in order, and only once
  // on disk), and hands its buffer back for the next shard. A failed write fails every later task (nothing is
  // recorded after it); leaving this scope by an exception waits for every task, so the shards before a failure
  // are on disk and recorded.
  const std::size_t in_flight = num_threads() > 1 ? 3 : 2;
  std::deque<std::future<std::unique_ptr<SafetensorsImage>>> writes;
  std::shared_future<void> indexed;  // ready once the last launched shard is indexed (or its task failed)
  std::unique_ptr<SafetensorsImage> spare;
  const auto finish_oldest = [&] {
    auto oldest = std::move(writes.front());
    writes.pop_front();
    spare = oldest.get();
  };
  const auto finish_pending = [&] {
    while (!writes.empty()) finish_oldest();
  };

  // One queue of micro-batches over all the shards of todo, taken in order by every thread. The tokens of the
  // shard at position p of todo land in slot p % num_slots; the thread that finishes its last micro-batch
  // assembles it (in todo's order) while the others go on, so no thread waits at a shard's end, and a
  // micro-batch of position p starts only once position p - num_slots is assembled. Each micro-batch tokenizes straight into its own slab, kept from shard to shard
  // so its pages are faulted in once. The last shard's tail goes in quarter-size micro-batches so the threads
  // finish together. No shard's bytes depend on any of this.
  const Index threads = num_threads();
  const Index num_slots = threads > 1 ? 3 : 1;  // one thread takes the micro-batches in order: one shard at a time
  struct ShardWork {
    Index shard = -1, pos = -1, first = 0, count = 0, remaining = 0;  // pos: in todo; remaining: micro-batches left
    std::vector<std::pair<Index, Index>> ranges;            // micro-batches, shard-relative [i0, i1)
    std::vector<std::vector<T>> slabs;                       // one per micro-batch, kept from shard to shard
    std::vector<GraphTokens<T>> results;
    std::vector<std::string> errors;
    std::vector<Index> result_rows;
  };
  const Index end_pos = static_cast<Index>(todo.size());
  Index todo_targets = 0;
  for (Index k : todo) todo_targets += std::min(options.shard_size, n - k * options.shard_size);
  const auto micro_ranges = [&](Index k, bool last) {
    const Index count = std::min(options.shard_size, n - k * options.shard_size);
    const Index micro = std::min(options.micro_batch, count);
    const Index tail = threads > 1 && last ? std::min(count, micro * threads) : 0;
    const Index small = std::max<Index>(1, micro / 4);
    std::vector<std::pair<Index, Index>> ranges;
    for (Index i = 0; i < count - tail; i += micro) ranges.emplace_back(i, std::min(i + micro, count - tail));
    for (Index i = count - tail; i < count; i += small) ranges.emplace_back(i, std::min(i + small, count));
    return ranges;
  };
  std::vector<std::vector<std::pair<Index, Index>>> shard_ranges;  // of the shards of todo
  std::vector<std::pair<Index, Index>> tasks;                       // (position in todo, micro-batch), in order
  for (Index p = 0; p < end_pos; ++p) {
    shard_ranges.push_back(micro_ranges(todo[static_cast<std::size_t>(p)], p == end_pos - 1));
    for (Index b = 0; b < static_cast<Index>(shard_ranges.back().size()); ++b) tasks.emplace_back(p, b);
  }
  std::vector<ShardWork> slots(static_cast<std::size_t>(num_slots));
  const auto prepare = [&](Index p) {  // the slot of the shard at position p, for its micro-batches
    ShardWork& w = slots[static_cast<std::size_t>(p % num_slots)];
    w.pos = p;
    w.shard = todo[static_cast<std::size_t>(p)];
    w.first = w.shard * options.shard_size;
    w.count = std::min(options.shard_size, n - w.first);
    w.ranges = shard_ranges[static_cast<std::size_t>(p)];
    w.remaining = static_cast<Index>(w.ranges.size());
    if (w.slabs.size() < w.ranges.size()) w.slabs.resize(w.ranges.size());
    w.results.assign(static_cast<std::size_t>(w.count), GraphTokens<T>());
    w.errors.assign(static_cast<std::size_t>(w.count), std::string());
    w.result_rows.assign(static_cast<std::size_t>(w.count), 0);
  };
  for (Index p = 0; p < std::min(end_pos, num_slots); ++p) prepare(p);

  // Tokenizes micro-batch b of the shard in w into its slab; never throws (errors are the targets').
  const auto run_micro = [&](ShardWork& w, Index b) {
    const Index i0 = w.ranges[static_cast<std::size_t>(b)].first, i1 = w.ranges[static_cast<std::size_t>(b)].second;
    auto& slab = w.slabs[static_cast<std::size_t>(b)];
    try {
      std::vector<Subgraph<T>> subs(static_cast<std::size_t>(i1 - i0));
      std::vector<const Subgraph<T>*> sampled;
      std::vector<Index> where;
      for (Index i = i0; i < i1; ++i) {
        try {
          subs[static_cast<std::size_t>(i - i0)] = sampler.sample(graph, options.target_type, targets[static_cast<std::size_t>(w.first + i)]);
          sampled.push_back(&subs[static_cast<std::size_t>(i - i0)]);
          where.push_back(i);
        } catch (const std::exception& e) {
          w.errors[static_cast<std::size_t>(i)] = e.what();
        }
      }
      std::vector<std::string> failed_here(sampled.size());
      const auto sink = [&failed_here](std::size_t j, const std::string& message) { failed_here[j] = message; };
      // The rows of the targets that succeed, in order, straight into the slab (node_ids and spans stay in the
      // results for the shard's other tensors; one id per row).
      auto tokens = tokenizer.tokenize_many_into(sampled, slab, {order, &table, nullptr, sink});
      for (std::size_t j = 0; j < where.size(); ++j) {
        const auto i = static_cast<std::size_t>(where[j]);
        if (failed_here[j].empty()) {
          w.result_rows[i] = static_cast<Index>(tokens[j].node_ids.size());
          w.results[i] = std::move(tokens[j]);
        } else {
          w.errors[i] = failed_here[j];
        }
      }
    } catch (const std::exception& e) {  // e.g. out of memory for the whole micro-batch
      slab.clear();
      for (Index i = i0; i < i1; ++i) {
        if (w.errors[static_cast<std::size_t>(i)].empty()) w.errors[static_cast<std::size_t>(i)] = e.what();
        w.results[static_cast<std::size_t>(i)] = GraphTokens<T>();
        w.result_rows[static_cast<std::size_t>(i)] = 0;
      }
    }
  };

  // Assembles the finished shard in w into a file image and hands it to a background write (one assembler at
  // a time, shards in order, so the writes deque and the report are only touched here).
  const auto assemble = [&](ShardWork& w) {
    const Index k = w.shard, first = w.first, count = w.count;
    nlohmann::json failed = nlohmann::json::array();
    for (Index i = 0; i < count; ++i)
      if (!w.errors[static_cast<std::size_t>(i)].empty()) {
        const Index target = targets[static_cast<std::size_t>(first + i)];
        if (options.stop_on_error)
          throw ValueError("tokenize_batch", "targets[" + std::to_string(first + i) + "]",
                           "target " + std::to_string(target) + " failed: " + w.errors[static_cast<std::size_t>(i)] + " (" +
                               std::to_string(report.shards_written) + " shards written before it)");
        failed.push_back({{"target", target}, {"error", w.errors[static_cast<std::size_t>(i)]}});
        report.failed.push_back({target, w.errors[static_cast<std::size_t>(i)]});
      }
    // Assemble the shard in the buffer that is written (SafetensorsImage: no copy after this one).
    Index rows = 0;
    for (Index r : w.result_rows) rows += r;
    std::vector<SafetensorsImage::Tensor> tensors{{"tokens", dtype_of<T>(), Shape{rows, d}},
                                                  {"row_offsets", dtype_of<Index>(), Shape{count + 1}},
                                                  {"targets", dtype_of<Index>(), Shape{count}},
                                                  {"node_ids", dtype_of<Index>(), Shape{rows}},
                                                  {"span_counts", dtype_of<Index>(), Shape{count, static_cast<Index>(types)}}};
    std::map<std::string, std::string> metadata{{"type_order", nlohmann::json(order).dump()}};
    auto image = spare ? std::make_unique<SafetensorsImage>(std::move(tensors), std::move(metadata), std::move(*spare))
                       : std::make_unique<SafetensorsImage>(std::move(tensors), std::move(metadata));
    spare.reset();
    Index* row_offsets = image->data<Index>("row_offsets");
    Index* shard_targets = image->data<Index>("targets");
    Index* node_ids = image->data<Index>("node_ids");
    Index* span_counts = image->data<Index>("span_counts");
    T* tokens = image->data<T>("tokens");
    row_offsets[0] = 0;
    for (Index i = 0; i < count; ++i) {
      const auto& r = w.results[static_cast<std::size_t>(i)];
      shard_targets[i] = targets[static_cast<std::size_t>(first + i)];
      const Index rows_i = w.result_rows[static_cast<std::size_t>(i)];
      row_offsets[i + 1] = row_offsets[i] + rows_i;
      if (static_cast<Index>(r.node_ids.size()) != rows_i)  // tokenize's invariant; guards the copy below
        throw ShapeError("tokenize_batch", "node_ids", std::to_string(r.node_ids.size()) + " ids for " + std::to_string(rows_i) + " rows");
      std::copy(r.node_ids.begin(), r.node_ids.end(), node_ids + row_offsets[i]);
      for (std::size_t t = 0; t < types; ++t)
        span_counts[static_cast<std::size_t>(i) * types + t] =
            r.spans.size() == types ? r.spans[t].count : (r.spans.size() == 1 && t == 0 ? rows_i : 0);
    }
    for (std::size_t b = 0; b < w.ranges.size(); ++b) {  // a micro-batch's targets are consecutive: one range
      const Index i0 = w.ranges[b].first, i1 = w.ranges[b].second;
      const auto& slab = w.slabs[b];
      if (slab.size() != static_cast<std::size_t>((row_offsets[i1] - row_offsets[i0]) * d))
        throw ShapeError("tokenize_batch", "tokens", "micro-batch " + std::to_string(b) + " holds " + std::to_string(slab.size()) +
                                                         " values for " + std::to_string(row_offsets[i1] - row_offsets[i0]) + " rows");
      std::copy(slab.begin(), slab.end(), tokens + row_offsets[i0] * d);
    }
    w.results.clear();
    if (writes.size() >= in_flight) finish_oldest();
    const std::string file = shard_file_name(k);
    std::promise<void> indexed_here;
    std::shared_future<void> previous = indexed;
    indexed = indexed_here.get_future().share();
    nlohmann::json entry{{"file", file}, {"first", first}, {"count", count}, {"rows", rows}, {"failed", std::move(failed)}};
    writes.push_back(std::async(std::launch::async, [&record, k, path = (std::filesystem::path(out_dir) / file).string(),
                                                     image = std::move(image), entry = std::move(entry), previous,
                                                     indexed_here = std::move(indexed_here)]() mutable {
      try {
        image->save(path);
        if (previous.valid()) previous.get();  // the shards before are recorded (rethrows their task's error)
        record(k, std::move(entry));
      } catch (...) {
        indexed_here.set_exception(std::current_exception());
        throw;
      }
      indexed_here.set_value();
      return std::move(image);
    }));
    ++report.shards_written;
    report.targets_done += count;
    report.rows_written += rows;
    if (progress) {
      // This call's targets (a resumed run or one MPI rank does part of the batch): done, rate and ETA.
      const Index done_targets = report.targets_done;
      const auto now = std::chrono::steady_clock::now();
      const double secs = std::chrono::duration<double>(now - start).count();
      const double rate = secs > 0 ? static_cast<double>(done_targets) / secs : 0.0;
      const long long eta = rate > 0 ? static_cast<long long>(static_cast<double>(todo_targets - done_targets) / rate + 0.5) : -1;
      char eta_text[32] = "?";
      if (eta >= 0) std::snprintf(eta_text, sizeof eta_text, "%lld:%02lld", eta / 60, eta % 60);
      if (terminal) {  // one line redrawn in place
        const int width = 30, filled = static_cast<int>(width * done_targets / std::max<Index>(todo_targets, 1));
        std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld targets, %.1f subgraphs/s, ETA %s ", filled, "##############################",
                     width - filled, "", static_cast<long long>(done_targets), static_cast<long long>(todo_targets), rate, eta_text);
        if (done_targets == todo_targets) std::fprintf(stderr, "\n");
      } else if (report.shards_written == 1 || done_targets == todo_targets || now - last_line >= std::chrono::seconds(10)) {
        // a log file or a pipe: a whole line now and then (the first shard, every 10 s, the last)
        std::fprintf(stderr, "progress: %lld/%lld targets (%.0f%%), %.1f subgraphs/s, ETA %s\n",
                     static_cast<long long>(done_targets), static_cast<long long>(todo_targets),
                     100.0 * static_cast<double>(done_targets) / static_cast<double>(std::max<Index>(todo_targets, 1)), rate, eta_text);
        last_line = now;
      }
    }
  };

  std::mutex mutex;
  std::condition_variable assembled_cv;
  std::size_t next_task = 0;
  Index next_assemble = 0;  // the shards of todo before this position are assembled
  bool assembling = false, stop = false;
  std::exception_ptr error;  // the first error of an assembly (stop_on_error, a failed write): ends the run
  detail::run_workers([&] {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex);
      if (stop || next_task >= tasks.size()) return;
      const Index p = tasks[next_task].first, b = tasks[next_task].second;
      ++next_task;
      assembled_cv.wait(lock, [&] { return stop || p < next_assemble + num_slots; });
      if (stop) return;
      ShardWork& w = slots[static_cast<std::size_t>(p % num_slots)];
      lock.unlock();
      run_micro(w, b);
      lock.lock();
      bool mine = --w.remaining == 0 && w.pos == next_assemble && !assembling && !stop;
      assembling = assembling || mine;
      while (mine) {  // assemble this shard, then any later one already finished
        ShardWork& a = slots[static_cast<std::size_t>(next_assemble % num_slots)];
        lock.unlock();
        try {
          assemble(a);
        } catch (...) {
          lock.lock();
          if (!error) error = std::current_exception();
          stop = true;
          assembling = false;
          assembled_cv.notify_all();
          return;
        }
        lock.lock();
        if (next_assemble + num_slots < end_pos) prepare(next_assemble + num_slots);  // a's slot, for a later shard
        ++next_assemble;
        const ShardWork& later = slots[static_cast<std::size_t>(next_assemble % num_slots)];
        mine = next_assemble < end_pos && later.pos == next_assemble && later.remaining == 0;
        assembling = mine;
        assembled_cv.notify_all();
      }
    }
  });
  if (error) {
    finish_pending();  // the shards before the error are on disk (a failed write's IOError wins)
    std::rethrow_exception(error);
  }
  finish_pending();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace detail

/// Tokenizes the subgraph of every target into shards under out_dir (see the header comment). Throws on bad
/// arguments before any work; with stop_on_error, throws the first failing target's error after the shards
/// before it are on disk.
template <class T, class Kernels>
BatchReport tokenize_batch(const Tokenizer<T, Kernels>& tokenizer, const HeteroGraph<T>& graph, const EmbeddingTable<T>& table,
                           const NeighborSampler& sampler, const std::vector<Index>& targets, const std::string& out_dir,
                           const BatchOptions& options = {}) {
  const auto start = std::chrono::steady_clock::now();
  const detail::BatchPlan plan = detail::plan_batch(tokenizer, graph, table, sampler, targets, out_dir, options);
  detail::BatchIndex index = detail::BatchIndex::open(plan);
  std::vector<Index> todo = index.missing();
  const Index skipped = plan.num_shards - static_cast<Index>(todo.size());
  if (options.max_shards >= 0 && static_cast<Index>(todo.size()) > options.max_shards)
    todo.resize(static_cast<std::size_t>(options.max_shards));
  BatchReport report = detail::write_shards(tokenizer, graph, table, sampler, targets, plan, options, todo,
                                            [&index](Index k, nlohmann::json entry) { index.record(k, std::move(entry)); });
  report.shards_skipped = skipped;
  report.complete = index.complete();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace hgtok
