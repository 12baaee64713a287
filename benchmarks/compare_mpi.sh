#!/usr/bin/env bash
# MPI batch vs one process (docs/benchmarks.md, "MPI batch"): the same batch written by `mpirun -np 2` (one thread
# per rank; --bind-to none, as a process's threads are not bound either) and by one process with 2 threads (and with
# 1 thread), the files compared byte for byte, wall times of the whole command and the ratio printed. Workload: an IMDB-shaped graph written here with NumPy (MOVIES movies, default
# 10,000, each with 1 director of MOVIES/2 and 3 actors of MOVIES*6/5, edges both ways, 16-wide features), every
# movie a target, the CLI's untrained MetaHGT tokenizer (64 wide, 4 heads, HiGPT's IMDB type table) projecting to
# LLM_DIM (default 1024), shards of 256, fan-outs [10, 5].
#   bash benchmarks/compare_mpi.sh build/examples/cli/hgtok [rounds]
set -euo pipefail
hgtok=${1:?path to the hgtok CLI built with HGTOK_WITH_MPI=ON}
rounds=${2:-3}
movies=${MOVIES:-10000}
llm_dim=${LLM_DIM:-1024}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
# (The targets are every movie rather than a --targets list: mpirun takes seconds to pass on a 10,000-word command.)
python3 - "$work/graph.safetensors" "$movies" <<'PY'
import json, sys
import numpy as np
from safetensors.numpy import save_file
path, movies = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
n = {"movie": movies, "director": movies // 2, "actor": movies * 6 // 5}
t = {f"x/{k}": rng.standard_normal((v, 16)).astype(np.float32) for k, v in n.items()}
m = np.arange(movies)
for other, per in (("director", 1), ("actor", 3)):
    src = np.repeat(m, per)
    dst = rng.integers(0, n[other], src.size)
    t[f"edge_index/movie__to__{other}"] = np.stack([src, dst]).astype(np.int64)
    t[f"edge_index/{other}__to__movie"] = np.stack([dst, src]).astype(np.int64)
keys = ["movie__to__director", "director__to__movie", "movie__to__actor", "actor__to__movie"]
save_file(t, path, metadata={"node_types": json.dumps(list(n)), "edge_types": json.dumps(keys)})
PY
args=(tokenize --graph "$work/graph.safetensors" --llm-dim "$llm_dim")
grep -m1 'model name' /proc/cpuinfo
echo "targets: $movies, llm_dim $llm_dim, load: $(cut -d' ' -f1-3 /proc/loadavg)"
seconds() { local s; s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }
for ((round = 1; round <= rounds; ++round)); do
  rm -rf "$work"/one "$work"/threads "$work"/mpi
  t1=$(seconds "$hgtok" --threads 1 "${args[@]}" --batch-out "$work/one")
  t2=$(seconds "$hgtok" --threads 2 "${args[@]}" --batch-out "$work/threads")
  tm=$(seconds mpirun -np 2 --oversubscribe --bind-to none "$hgtok" --threads 1 "${args[@]}" --batch-out "$work/mpi")
  for f in "$work"/threads/*; do cmp -s "$f" "$work/mpi/$(basename "$f")" || { echo "DIFFER: $(basename "$f")"; exit 1; }; done
  [ "$(ls "$work/threads" | wc -l)" = "$(ls "$work/mpi" | wc -l)" ] || { echo "file lists differ"; exit 1; }
  n=$movies
  printf 'round %d: 1 thread %.2f s (%.0f/s), 2 threads %.2f s (%.0f/s), mpirun -np 2 %.2f s (%.0f/s); MPI / threads time %.2f; files identical (%s)\n' \
    "$round" "$t1" "$(echo "$n / $t1" | bc -l)" "$t2" "$(echo "$n / $t2" | bc -l)" "$tm" "$(echo "$n / $tm" | bc -l)" \
    "$(echo "$tm / $t2" | bc -l)" "$(ls "$work/mpi" | wc -l) files"
done
