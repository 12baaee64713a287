// The CLI's MPI batch (mpi_batch.hpp).
#include "mpi_batch.hpp"

#include <mpi.h>

#include <cstdlib>
#include <hgtok/tokenizer/mpi_batch.hpp>
#include <iostream>

namespace hgtok_cli {

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

int tokenize_batch_mpi(const hgtok::Tokenizer<float>& tokenizer, const hgtok::HeteroGraph<float>& graph,
                       const hgtok::EmbeddingTable<float>& table, const hgtok::NeighborSampler& sampler,
                       const std::vector<hgtok::Index>& targets, const std::string& out_dir, const hgtok::BatchOptions& options) {
  int initialized = 0, provided = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  struct Finalize {
    ~Finalize() {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    }
  } finalize;  // also when an error (thrown on every rank) leaves this function
  const auto r = hgtok::tokenize_batch_mpi(tokenizer, graph, table, sampler, targets, out_dir, options);
  if (r.rank == 0) {
    std::cout << "batch (MPI, " << r.ranks << " ranks): " << targets.size() << " targets in " << r.local.shards_total
              << " shards under " << out_dir << "; " << r.local.shards_skipped << " already done (resumed), " << r.shards_written
              << " written now (" << r.targets_done << " subgraphs, " << r.seconds << " s)"
              << (r.complete ? ", complete" : ", not complete") << "\n";
    if (r.targets_failed > 0) std::cout << "  " << r.targets_failed << " targets failed (listed in index.json)\n";
    for (const auto& [rank, error] : r.rank_errors) std::cerr << "rank " << rank << " stopped: " << error << "\n";
    if (!r.missing.empty()) {
      std::cerr << "missing shards:";
      for (std::size_t i = 0; i < r.missing.size(); ++i) std::cerr << (i ? ", " : " ") << r.missing[i];
      std::cerr << " (rerun, with any number of ranks, to write them)\n";
    }
  }
  if (!r.missing.empty() || !r.complete) return 4;
  return r.targets_failed > 0 ? 3 : 0;
}

}  // namespace hgtok_cli
