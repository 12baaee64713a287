// Batch tokenizing over MPI: tokenize_batch (tokenizer/batch.hpp) with its shards split over the ranks of a
// communicator, for programs that run under mpirun or srun. The files are those of a single-process run, byte for
// byte: shard k's bytes depend only on the run's inputs, and index.json only on the shards.
//
//   rank 0    checks the arguments, opens or creates index.json (resume: merges the entry files an interrupted run
//             left), and sends every rank the shards still missing
//   all       write shards todo[i] for i = rank, rank + size, ... with tokenize_batch's own code (threads and all);
//             rank 0 records its shards in index.json, the others in entry files (tokenizer/batch_index.hpp) that
//             rank 0 merges into index.json whenever it records one of its own, and once more at the end
//   all       learn which ranks failed and which shards are still missing
//
// Every process must see the same out_dir (a shared file system) and be given the same arguments; the graph may be
// opened by each process from its own copy or from the shared file. Only rank 0 writes index.json, always
// atomically, so a failing or killed rank never corrupts it: its finished shards are recorded (index or entry
// file), the others are missing, and a rerun with any number of ranks, or a single process without MPI, writes
// only those. A rank whose part throws (a failed write, stop_on_error) stops its own part; the others finish
// theirs. Setup errors (bad arguments, another run's directory) are thrown on every rank; errors after that are
// reported, not thrown, so every rank returns the same MpiBatchReport and none is left waiting in a collective.
//
// MPI must be initialised (MPI_Init_thread with at least MPI_THREAD_FUNNELED: only the calling thread calls MPI,
// while the shard writing runs its own threads). This header is the only one of hgtok that includes <mpi.h>; the
// CMake target hgtok::mpi (HGTOK_WITH_MPI=ON) adds MPI to hgtok::hgtok.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/tokenizer/batch.hpp"

namespace hgtok {

struct MpiBatchReport {
  BatchReport local;                                      ///< this rank's part (shards_skipped: shards done before the call)
  int rank = 0, ranks = 1;                                ///< this process and the communicator's size
  Index shards_written = 0, targets_done = 0;             ///< all ranks together, by this call
  Index targets_failed = 0;                               ///< targets that failed in the shards this call wrote (all ranks)
  std::vector<Index> missing;                             ///< shards not on disk after the call, ascending
  std::vector<std::pair<int, std::string>> rank_errors;   ///< ranks whose part stopped early, with the error
  bool complete = false;                                  ///< every shard is on disk and in index.json
  double seconds = 0;                                     ///< this call's wall time on this rank
};

namespace detail {

inline void mpi_check(int code, const char* call) {
  if (code != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    throw IOError("MPI", call, std::string(text, static_cast<std::size_t>(len)));
  }
}

/// Every rank's string, on every rank.
inline std::vector<std::string> mpi_allgather_strings(MPI_Comm comm, const std::string& mine) {
  int size = 0;
  mpi_check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const int len = static_cast<int>(std::min<std::size_t>(mine.size(), 1 << 20));
  std::vector<int> lens(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  mpi_check(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += lens[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  mpi_check(MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, comm), "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r)
    out.push_back(all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]), static_cast<std::size_t>(lens[static_cast<std::size_t>(r)])));
  return out;
}

/// Rank 0's list of shard numbers (or flags), on every rank.
inline std::vector<Index> mpi_broadcast(MPI_Comm comm, std::vector<Index> v) {
  static_assert(sizeof(Index) == sizeof(std::int64_t), "Index travels as MPI_INT64_T");
  std::int64_t n = static_cast<std::int64_t>(v.size());
  mpi_check(MPI_Bcast(&n, 1, MPI_INT64_T, 0, comm), "MPI_Bcast");
  v.resize(static_cast<std::size_t>(n));
  if (n > 0) mpi_check(MPI_Bcast(v.data(), static_cast<int>(n), MPI_INT64_T, 0, comm), "MPI_Bcast");
  return v;
}

inline Index mpi_sum(MPI_Comm comm, Index v) {
  std::int64_t in = v, out = 0;
  mpi_check(MPI_Allreduce(&in, &out, 1, MPI_INT64_T, MPI_SUM, comm), "MPI_Allreduce");
  return out;
}

}  // namespace detail

/// tokenize_batch over the ranks of `comm` (see the header comment): collective, every rank passes the same
/// arguments and gets the same report (apart from `local`). options.max_shards limits each rank's new shards.
template <class T, class Kernels>
MpiBatchReport tokenize_batch_mpi(const Tokenizer<T, Kernels>& tokenizer, const HeteroGraph<T>& graph,
                                  const EmbeddingTable<T>& table, const NeighborSampler& sampler,
                                  const std::vector<Index>& targets, const std::string& out_dir,
                                  const BatchOptions& options = {}, MPI_Comm comm = MPI_COMM_WORLD) {
  const auto start = std::chrono::steady_clock::now();
  MpiBatchReport report;
  detail::mpi_check(MPI_Comm_rank(comm, &report.rank), "MPI_Comm_rank");
  detail::mpi_check(MPI_Comm_size(comm, &report.ranks), "MPI_Comm_size");
  const bool owner = report.rank == 0;  // owns index.json

  // Setup: every rank checks the arguments; rank 0 opens the index. A failure anywhere is thrown everywhere.
  detail::BatchPlan plan;
  detail::BatchIndex index;
  std::vector<Index> todo;
  std::exception_ptr setup_error;
  std::string setup_message;
  try {
    plan = detail::plan_batch(tokenizer, graph, table, sampler, targets, out_dir, options);
    if (owner) {
      index = detail::BatchIndex::open(plan);
      todo = index.missing();
    }
  } catch (const std::exception& e) {
    setup_error = std::current_exception();
    setup_message = e.what();
    if (setup_message.empty()) setup_message = "failed";
  }
  const auto setup_messages = detail::mpi_allgather_strings(comm, setup_message);
  if (setup_error) std::rethrow_exception(setup_error);
  for (int r = 0; r < report.ranks; ++r)
    if (!setup_messages[static_cast<std::size_t>(r)].empty())
      throw ValueError("tokenize_batch_mpi", "rank " + std::to_string(r), setup_messages[static_cast<std::size_t>(r)]);
  todo = detail::mpi_broadcast(comm, std::move(todo));

  // This rank's shards, round robin over the missing ones.
  std::vector<Index> mine;
  for (std::size_t i = static_cast<std::size_t>(report.rank); i < todo.size(); i += static_cast<std::size_t>(report.ranks))
    if (options.max_shards < 0 || static_cast<Index>(mine.size()) < options.max_shards) mine.push_back(todo[i]);
  std::string part_error;
  try {
    if (owner)
      report.local = detail::write_shards(tokenizer, graph, table, sampler, targets, plan, options, mine, [&index](Index k, nlohmann::json entry) {
        index.record(k, std::move(entry));
        index.merge_entry_files();
      });
    else
      report.local = detail::write_shards(tokenizer, graph, table, sampler, targets, plan, options, mine, [&plan](Index k, nlohmann::json entry) {
        detail::write_batch_entry_file(plan, k, entry);
      });
  } catch (const std::exception& e) {
    part_error = e.what();
    if (part_error.empty()) part_error = "failed";
  }
  report.local.shards_total = plan.num_shards;
  report.local.shards_skipped = plan.num_shards - static_cast<Index>(todo.size());

  // Every part has ended (the gather is a barrier): rank 0 merges what the others recorded.
  const auto part_errors = detail::mpi_allgather_strings(comm, part_error);
  for (int r = 0; r < report.ranks; ++r)
    if (!part_errors[static_cast<std::size_t>(r)].empty()) report.rank_errors.emplace_back(r, part_errors[static_cast<std::size_t>(r)]);
  std::vector<Index> missing;
  std::string merge_error;
  if (owner) {
    try {
      index.merge_entry_files();
      missing = index.missing();
    } catch (const std::exception& e) {  // e.g. index.json cannot be written: the entry files stay for a rerun
      merge_error = e.what();
      missing = index.missing();
    }
    missing.push_back(index.complete() ? 1 : 0);  // the flag travels at the end of the list
  }
  missing = detail::mpi_broadcast(comm, std::move(missing));
  report.complete = !missing.empty() && missing.back() == 1;
  if (!missing.empty()) missing.pop_back();
  report.missing = std::move(missing);
  const auto merge_errors = detail::mpi_allgather_strings(comm, merge_error);
  if (!merge_errors[0].empty()) report.rank_errors.emplace_back(0, merge_errors[0]);

  report.shards_written = detail::mpi_sum(comm, report.local.shards_written);
  report.targets_done = detail::mpi_sum(comm, report.local.targets_done);
  report.targets_failed = detail::mpi_sum(comm, static_cast<Index>(report.local.failed.size()));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace hgtok
