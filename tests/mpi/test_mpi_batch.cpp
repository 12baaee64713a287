// tokenizer/mpi_batch.hpp, run by ctest under `mpirun -np 2 hgtok_tests "[mpi]"`: every case runs on every rank (the
// calls are collective). The MPI batch writes the files of a single-process run byte for byte; an interrupted MPI run
// resumes with another number of ranks (1 and 2) and without MPI to the same files; a rank whose shard write fails
// leaves the index valid, the other rank's shards recorded, and the report names the missing shards. The cases are
// hidden ([.mpi]): a plain run of hgtok_tests, without mpirun, leaves them out.
#include <mpi.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <hgtok/tokenizer/mpi_batch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"
#include "tokenizer/batch_setup.hpp"

namespace mpi_batch_check {

using namespace hgtok;

/// MPI is started when the first [mpi] case starts, and finalised when the run ends, so that hgtok_tests starts no
/// MPI in the runs of the other labels.
struct MpiLifetime : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    int started = 0;
    MPI_Initialized(&started);
    if (!started && std::count(info.lcaseTags.begin(), info.lcaseTags.end(), "mpi") > 0) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    }
  }
  void testRunEnded(const Catch::TestRunStats& stats) override {
    int started = 0, finished = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&finished);
    if (started && !finished) MPI_Finalize();
    TestEventListenerBase::testRunEnded(stats);
  }
};
CATCH_REGISTER_LISTENER(MpiLifetime)

using hgtok_test::require_same_dirs;

namespace fs = std::filesystem;

int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
BatchOptions options() { return hgtok_test::batch_options(2); }  // 11 targets: 6 shards
/// A directory shared by the ranks (rank 0 names it, every rank gets the name), removed at the end.
struct SharedDir {
  std::string path;
  SharedDir() {
    char name[256] = {};
    if (rank_of(MPI_COMM_WORLD) == 0) {
      std::string tmpl = (fs::temp_directory_path() / "hgtok_mpi_XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      std::snprintf(name, sizeof name, "%s", tmpl.c_str());
    }
    MPI_Bcast(name, sizeof name, MPI_CHAR, 0, MPI_COMM_WORLD);
    path = name;
  }
  ~SharedDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    std::error_code ec;
    if (rank_of(MPI_COMM_WORLD) == 0) fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};
/// The single-process run, by rank 0, seen by all ranks once written.
void single_process_run(const std::string& out) {
  const auto& s = hgtok_test::batch_setup();
  if (rank_of(MPI_COMM_WORLD) == 0) tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, out, options());
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST_CASE("mpi batch: 2 ranks write the files of one process, byte for byte", "[.mpi]") {
  const auto& s = hgtok_test::batch_setup();
  SharedDir dir;
  single_process_run(dir.file("single"));
  const auto r = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("mpi"), options());
  REQUIRE(r.ranks == 2);
  REQUIRE(r.complete);
  REQUIRE(r.missing.empty());
  REQUIRE(r.rank_errors.empty());
  REQUIRE(r.shards_written == 6);
  REQUIRE(r.local.shards_written == 3);  // round robin: 0, 2, 4 and 1, 3, 5
  REQUIRE(r.targets_done == 11);
  REQUIRE(r.targets_failed == 1);  // target 25 is out of range, recorded as in the single run
  if (r.rank == 0) require_same_dirs(dir.file("single"), dir.file("mpi"));
  // Nothing left: a rerun writes nothing.
  const auto again = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("mpi"), options());
  REQUIRE(again.shards_written == 0);
  REQUIRE(again.local.shards_skipped == 6);
  REQUIRE(again.complete);
}

TEST_CASE("mpi batch: an interrupted run resumes with another number of ranks to the same files", "[.mpi]") {
  const auto& s = hgtok_test::batch_setup();
  SharedDir dir;
  single_process_run(dir.file("single"));
  auto interrupted = options();
  interrupted.max_shards = 1;  // each rank stops after one shard, as an interrupted run would

  // 2 ranks, then 1 rank (a communicator of rank 0 alone), then 2 again.
  const auto part = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("a"), interrupted);
  REQUIRE(part.shards_written == 2);
  REQUIRE(part.missing == std::vector<Index>{2, 3, 4, 5});
  REQUIRE_FALSE(part.complete);
  MPI_Comm alone;
  MPI_Comm_split(MPI_COMM_WORLD, rank_of(MPI_COMM_WORLD) == 0 ? 0 : MPI_UNDEFINED, 0, &alone);
  if (alone != MPI_COMM_NULL) {
    const auto one =
        tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("a"), interrupted, alone);
    REQUIRE(one.ranks == 1);
    REQUIRE(one.shards_written == 1);
    REQUIRE(one.missing == std::vector<Index>{3, 4, 5});
    MPI_Comm_free(&alone);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto rest = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("a"), options());
  REQUIRE(rest.local.shards_skipped == 3);
  REQUIRE(rest.shards_written == 3);
  REQUIRE(rest.complete);
  if (rest.rank == 0) require_same_dirs(dir.file("single"), dir.file("a"));

  // Interrupted under MPI with a gap (rank 0's shard 0 done, rank 1's shard 1 not; shard 2 by rank 0 past the
  // gap goes to an entry file), resumed by one process without MPI.
  auto two_of_rank0 = options();
  two_of_rank0.max_shards = rank_of(MPI_COMM_WORLD) == 0 ? 2 : 0;
  const auto gap = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("b"), two_of_rank0);
  REQUIRE(gap.missing == std::vector<Index>{1, 3, 4, 5});
  if (gap.rank == 0) {
    REQUIRE(fs::exists(dir.file("b/shard_00002.entry.json")));
    const auto plain = tokenize_batch(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("b"), options());
    REQUIRE(plain.shards_skipped == 2);
    REQUIRE(plain.shards_written == 4);
    require_same_dirs(dir.file("single"), dir.file("b"));
  }
}

TEST_CASE("mpi batch: a rank whose write fails leaves a valid index, and the report names the missing shards",
          "[.mpi]") {
  const auto& s = hgtok_test::batch_setup();
  SharedDir dir;
  single_process_run(dir.file("single"));
  const std::string out = dir.file("out");
  // A directory where shard 1's file goes (rank 1's first shard) makes its rename fail: rank 1 stops, rank 0
  // writes shards 0, 2 and 4.
  if (rank_of(MPI_COMM_WORLD) == 0) fs::create_directories(out + "/shard_00001.safetensors/in_the_way");
  MPI_Barrier(MPI_COMM_WORLD);
  const auto r = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, out, options());
  REQUIRE_FALSE(r.complete);
  REQUIRE(r.missing == std::vector<Index>{1, 3, 5});
  REQUIRE(r.rank_errors.size() == 1);
  REQUIRE(r.rank_errors[0].first == 1);
  REQUIRE(r.rank_errors[0].second.find("shard_00001.safetensors") != std::string::npos);
  if (r.rank == 0) {
    std::ifstream in(out + "/index.json");
    const auto index = nlohmann::json::parse(in);
    REQUIRE(index["shards"].size() == 1);  // the prefix: shard 0; shards 2 and 4 wait in entry files
    REQUIRE_FALSE(index["complete"].get<bool>());
    REQUIRE(fs::exists(out + "/shard_00002.entry.json"));
    REQUIRE(fs::exists(out + "/shard_00004.entry.json"));
    fs::remove_all(out + "/shard_00001.safetensors");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto rest = tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, out, options());
  REQUIRE(rest.shards_written == 3);
  REQUIRE(rest.complete);
  if (rest.rank == 0) require_same_dirs(dir.file("single"), out);
}

TEST_CASE("mpi batch: bad arguments and another run's directory are thrown on every rank", "[.mpi]") {
  const auto& s = hgtok_test::batch_setup();
  SharedDir dir;
  auto bad = options();
  bad.shard_size = 0;
  REQUIRE_THROWS_AS(tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("x"), bad), ValueError);
  tokenize_batch_mpi(s.tok, s.graph, s.table, s.sampler, s.targets, dir.file("y"), options());
  const NeighborSampler other({3, 2}, 12);
  try {
    tokenize_batch_mpi(s.tok, s.graph, s.table, other, s.targets, dir.file("y"), options());
    FAIL("no error");
  } catch (const ValueError& e) {
    REQUIRE(std::string(e.what()).find("written by another run") !=
            std::string::npos);  // rank 0's message, on every rank
  }
}

}  // namespace mpi_batch_check
