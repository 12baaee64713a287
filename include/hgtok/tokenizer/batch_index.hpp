// The bookkeeping of a batch directory (tokenizer/batch.hpp): index.json and the entry files of shards written
// out of order.
//
// index.json lists the shards on disk as a prefix, shard 0, 1, ..., in order (the format ShardReader reads). A
// shard whose predecessors are not all indexed yet (several processes write shards side by side: the MPI batch,
// tokenizer/mpi_batch.hpp) is recorded in an entry file beside it, shard_<k>.entry.json =
// {"fingerprint", "shard", "entry"}, written atomically after the shard file. Whoever owns index.json (the single
// process, or MPI rank 0) moves entries into the index as soon as the prefix reaches them, rewrites index.json
// atomically and then removes those entry files; so a finished run leaves exactly the files of a single-process
// run, and an interrupted one leaves the index, the shards and the entry files of the shards done past a gap.
// A resume, with any number of processes, merges the entry files first and redoes only the shards neither
// indexed nor entered. An entry file of another run (other fingerprint), of a shard already indexed, or whose
// shard file is gone is removed, and its shard is redone if not indexed.
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/atomic_file.hpp"
#include "hgtok/io/json.hpp"

namespace hgtok::detail {

/// What a batch run writes and where: checked arguments and the fingerprint of everything that decides the bytes.
struct BatchPlan {
  std::string out_dir, index_path, fingerprint, target_type;
  std::vector<std::string> type_order;
  Index num_targets = 0, shard_size = 1, num_shards = 0, llm_dim = 0;
};

/// "shard_00007.safetensors" / "shard_00007.entry.json".
inline std::string shard_file_name(Index k, const char* suffix = ".safetensors") {
  char name[64];  // "shard_" + up to 20 digits + suffix + NUL fits
  std::snprintf(name, sizeof name, "shard_%05lld%s", static_cast<long long>(k), suffix);
  return name;
}
constexpr const char* kEntrySuffix = ".entry.json";

/// Reads a batch directory's index.json; a file that is not one (wrong format, no shard list) is a FormatError.
inline nlohmann::json read_batch_index(const std::string& index_path) {
  nlohmann::json index = read_json_file(index_path);
  if (!index.is_object() || index.value("format", "") != "hgtok-batch-1" || !index.contains("shards") ||
      !index["shards"].is_array())
    throw FormatError(index_path, "format", "not an hgtok batch index");
  return index;
}

/// Records shard k's index entry in its entry file (a process that does not own index.json).
inline void write_batch_entry_file(const BatchPlan& plan, Index k, const nlohmann::json& entry) {
  const nlohmann::json file{{"fingerprint", plan.fingerprint}, {"shard", k}, {"entry", entry}};
  write_file_atomic((std::filesystem::path(plan.out_dir) / shard_file_name(k, kEntrySuffix)).string(), file.dump() + "\n");
}

/// index.json of a batch directory, owned by one process (see the header comment). Not thread-safe: record() is
/// called by one shard-writing task at a time.
class BatchIndex {
 public:
  /// Creates out_dir and index.json, or reads index.json of an earlier run with the same fingerprint (else
  /// ValueError) and merges the entry files found beside it.
  static BatchIndex open(const BatchPlan& plan) {
    namespace fs = std::filesystem;
    BatchIndex b;
    b.plan_ = plan;
    std::error_code ec;
    fs::create_directories(plan.out_dir, ec);
    if (ec) throw IOError(plan.out_dir, "", "cannot create directory: " + ec.message());
    if (fs::exists(plan.index_path)) {  // resume
      b.index_ = read_batch_index(plan.index_path);
      if (b.index_.value("fingerprint", "") != plan.fingerprint)
        throw ValueError(plan.index_path, "fingerprint",
                         "'" + b.index_.value("fingerprint", "") + "' was written by another run (this run: '" +
                             plan.fingerprint + "'); use another directory");
      const auto& shards = b.index_["shards"];
      for (std::size_t k = 0; k < shards.size(); ++k) {
        const auto& s = shards[k];
        if (!s.is_object() || s.value("first", Index(-1)) != static_cast<Index>(k) * plan.shard_size ||
            !fs::exists(fs::path(plan.out_dir) / s.value("file", std::string("?"))))
          throw FormatError(plan.index_path, "shards[" + std::to_string(k) + "]",
                            "does not match a shard on disk: " + json_excerpt(s));
      }
    } else {
      b.index_ = {{"format", "hgtok-batch-1"}, {"fingerprint", plan.fingerprint}, {"num_targets", plan.num_targets},
                  {"shard_size", plan.shard_size}, {"target_type", plan.target_type}, {"type_order", plan.type_order},
                  {"llm_dim", plan.llm_dim}, {"shards", nlohmann::json::array()}, {"complete", plan.num_targets == 0}};
      write_file_atomic(plan.index_path, b.index_.dump(1) + "\n");
    }
    b.merge_entry_files();
    return b;
  }

  /// Records shard k (its file is on disk) and moves every entry that now continues the prefix into index.json;
  /// a shard past a gap goes to its entry file, so that an interruption does not lose it.
  void record(Index k, nlohmann::json entry) {
    pending_[k] = std::move(entry);
    flush();
    auto it = pending_.find(k);
    if (it != pending_.end() && entry_files_.count(k) == 0) {
      write_batch_entry_file(plan_, k, it->second);
      entry_files_[k] = (std::filesystem::path(plan_.out_dir) / shard_file_name(k, kEntrySuffix)).string();
    }
  }

  /// Takes in the entry files of other processes (see the header comment) and moves what continues the prefix
  /// into index.json.
  void merge_entry_files() {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(plan_.out_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() > 17 && name.rfind("shard_", 0) == 0 &&
          name.compare(name.size() - 11, 11, kEntrySuffix) == 0)
        files.push_back(it->path());
    }
    if (ec) throw IOError(plan_.out_dir, "", "cannot list directory: " + ec.message());
    for (const auto& path : files) {
      nlohmann::json file;
      try {
        file = read_json_file(path.string());
      } catch (const Error&) {
        file = nullptr;  // unreadable: treated as absent, its shard is redone
      }
      Index k = -1;
      bool usable = false;
      try {  // a field of the wrong JSON type makes the file unusable, like a wrong value
        k = file.is_object() ? file.value("shard", Index(-1)) : -1;
        usable = k >= indexed() && k < plan_.num_shards && file.value("fingerprint", "") == plan_.fingerprint &&
                 file.contains("entry") && file["entry"].is_object() &&
                 file["entry"].value("first", Index(-1)) == k * plan_.shard_size &&
                 file["entry"].value("file", std::string()) == shard_file_name(k) &&
                 fs::exists(fs::path(plan_.out_dir) / shard_file_name(k));
      } catch (const nlohmann::json::exception&) {
        usable = false;
      }
      if (usable) {
        pending_[k] = file["entry"];
        entry_files_[k] = path.string();
      } else {
        fs::remove(path, ec);  // stale; a failure to remove leaves it to the next merge
      }
    }
    flush();
  }

  /// Shards neither indexed nor recorded in an entry file, in order.
  std::vector<Index> missing() const {
    std::vector<Index> out;
    for (Index k = indexed(); k < plan_.num_shards; ++k)
      if (pending_.count(k) == 0) out.push_back(k);
    return out;
  }
  Index indexed() const { return static_cast<Index>(index_["shards"].size()); }
  bool complete() const { return index_["complete"].get<bool>(); }

 private:
  void flush() {
    bool moved = false;
    for (auto it = pending_.find(indexed()); it != pending_.end(); it = pending_.find(indexed())) {
      index_["shards"].push_back(std::move(it->second));
      pending_.erase(it);
      moved = true;
    }
    if (!moved) return;
    index_["complete"] = indexed() == plan_.num_shards;
    write_file_atomic(plan_.index_path, index_.dump(1) + "\n");
    std::error_code ec;
    for (auto it = entry_files_.begin(); it != entry_files_.end() && it->first < indexed();) {
      std::filesystem::remove(it->second, ec);  // indexed now; a leftover is removed by the next merge
      it = entry_files_.erase(it);
    }
  }

  BatchPlan plan_;
  nlohmann::json index_;
  std::map<Index, nlohmann::json> pending_;     // recorded, not yet in the prefix
  std::map<Index, std::string> entry_files_;    // entry files taken in, removed once indexed
};

}  // namespace hgtok::detail
