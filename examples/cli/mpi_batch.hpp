// `hgtok tokenize --batch-out DIR` under mpirun or srun (a CLI built with HGTOK_WITH_MPI): the shards are split over
// the ranks by tokenize_batch_mpi (tokenizer/mpi_batch.hpp). Rank 0 prints the summary; the exit code is 0 when every
// shard is on disk and no target failed, 3 when targets failed (as without MPI), 4 when shards are missing (listed
// on stderr: rerun, with any number of ranks, to write them).
#pragma once

#include <hgtok/hgtok.hpp>
#include <string>
#include <vector>

namespace hgtok_cli {

/// True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx).
bool launched_by_mpi();

/// The batch over MPI_COMM_WORLD (initialises and finalises MPI); returns the exit code.
int tokenize_batch_mpi(const hgtok::Tokenizer<float>& tokenizer, const hgtok::HeteroGraph<float>& graph,
                       const hgtok::EmbeddingTable<float>& table, const hgtok::NeighborSampler& sampler,
                       const std::vector<hgtok::Index>& targets, const std::string& out_dir, const hgtok::BatchOptions& options);

}  // namespace hgtok_cli
