#!/usr/bin/env python3
"""hgtok vs HiGPT's offline tokenizing path in PyTorch, end to end, same targets, 1 and 2 threads, one launch.

Workload (docs/benchmarks.md, "Tokenizer end to end (issue 6)"): an IMDB-like graph (4,278 movies, 2,081
directors, 5,257 actors; every movie 1 director and 3 distinct actors, edges both ways, 768-wide features), N
target movies drawn with replacement (default 10,000), HiGPT's IMDB type table (examples/data/imdb_types.safetensors),
neighbour sampling with fan-outs [10, 5] and seed 42, and a tokenizer at HiGPT's size: one MetaHGT layer (HiGPT's
run_offline_hgt_tokenizer.py runs a single MetaHGTConv, the higpt/model copy = hgtok variant "inference"),
768 -> 768, 12 heads, m = 768, graph_projector Linear(768 -> 4096). Random weights (uniform +-1/sqrt(fan_in),
LayerNorm 1/0), float32.

Steps:
  1. writes graph.safetensors, targets.safetensors, table.safetensors and tokenizer/ (config.json +
     weights.safetensors, ~3.7 GB) into a temporary directory (--dir: keep them there);
  2. runs build-bench/benchmarks/bench_tokenizer once with HGTOK_BENCH_DIR (it runs every case at 1 and 2 threads,
     hgtok::set_num_threads) and reads its JSON;
  3. checks that hgtok's tokens of the first --check targets (from the first shard BM_Tokenizer_Batch wrote, at 1
     and at 2 threads) equal PyTorch's to 1e-4 relative (max |a - b| / max |b|), node ids included;
  4. times the PyTorch path on the first --torch-targets targets with torch.set_num_threads 1 and 2: the neighbour
     sampler of tests/reference/make_tokenizer_fixtures.py (same SplitMix64 stream as hgtok), MetaHGTReference
     (tests/reference/make_hgt_fixtures.py, after HiGPT's MetaHGTConv, regenerating every projector on every call
     as HiGPT's code does) and graph_projector, under torch.no_grad();
  5. prints subgraphs/s of both, the ratios, hgtok's 1 -> 2 thread scaling, and peak memory against the weights.

    python benchmarks/compare_tokenizer.py --bench build-bench/benchmarks/bench_tokenizer [--targets 10000]
        [--torch-targets 20] [--check 3] [--dir DIR]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file as save_numpy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from make_tokenizer_fixtures import TokenizerReference, sample  # noqa: E402

NODE_TYPES = ["movie", "director", "actor"]
EDGE_TYPES = [("movie", "to", "director"), ("director", "to", "movie"), ("movie", "to", "actor"), ("actor", "to", "movie")]
COUNTS = {"movie": 4278, "director": 2081, "actor": 5257}
WIDTH, HEADS, M, LLM = 768, 12, 768, 4096
FANOUTS, SEED = [10, 5], 42
ORDER = ["movie", "director", "actor"]
CONFIG = {"kernel": "meta_hgt", "variant": "inference", "in_channels": WIDTH, "hidden_channels": WIDTH, "heads": HEADS,
          "num_layers": 1, "embedding_dim": M, "projector": "linear", "llm_dim": LLM}


def make_graph(rng):
    x = {t: (rng.random((n, WIDTH), dtype=np.float32) * 2 - 1) for t, n in COUNTS.items()}
    movies = np.arange(COUNTS["movie"], dtype=np.int64)
    directors = rng.integers(0, COUNTS["director"], COUNTS["movie"], dtype=np.int64)
    actors = np.stack([rng.choice(COUNTS["actor"], 3, replace=False) for _ in movies]).astype(np.int64)
    md = np.stack([movies, directors])
    ma = np.stack([np.repeat(movies, 3), actors.reshape(-1)])
    ei = {EDGE_TYPES[0]: md, EDGE_TYPES[1]: md[::-1].copy(), EDGE_TYPES[2]: ma, EDGE_TYPES[3]: ma[::-1].copy()}
    return x, ei


def save_graph(path, x, ei):
    tensors = {f"x/{t}": np.ascontiguousarray(v) for t, v in x.items()}
    tensors.update({"edge_index/" + "__".join(et): np.ascontiguousarray(v) for et, v in ei.items()})
    save_numpy(tensors, path, metadata={"node_types": json.dumps(NODE_TYPES),
                                        "edge_types": json.dumps(["__".join(et) for et in EDGE_TYPES])})


def new_model(variant="inference"):
    model = TokenizerReference(WIDTH, WIDTH, HEADS, 1, M, LLM, "linear")
    for layer in model.layers:
        layer.variant = variant
    return model


def write_tokenizer(directory, gen):
    model = new_model()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm." in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                bound = 1.0 / (p.shape[-1] if p.dim() > 1 else M) ** 0.5
                p.uniform_(-bound, bound, generator=gen)  # in place: no second copy of 3.7 GB
    os.makedirs(directory, exist_ok=True)
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(directory, "weights.safetensors"))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    return sum(p.numel() * p.element_size() for p in model.parameters())


def load_model(directory):
    model = new_model()
    with safe_open(os.path.join(directory, "weights.safetensors"), "pt") as f:
        sd = {k: f.get_tensor(k) for k in f.keys()}
    model.load_state_dict(sd, assign=True)  # the loaded tensors become the parameters (no second copy)
    return model.eval()


def run_bench(bench, directory, targets):
    out_json = os.path.join(directory, "bench.json")
    env = dict(os.environ, HGTOK_BENCH_DIR=directory, HGTOK_BENCH_TARGETS=str(targets))
    env.pop("OMP_NUM_THREADS", None)  # each case sets its own thread count
    subprocess.run([bench, f"--benchmark_out={out_json}", "--benchmark_out_format=json"], env=env, check=True)
    with open(out_json) as f:
        res = {}
        for b in json.load(f)["benchmarks"]:
            name = b["name"].split("/")
            res[(name[0], int(name[1]))] = b
    return res


class TorchPath:
    def __init__(self, model, x, ei, table):
        self.model, self.x, self.ei = model, x, ei
        self.node_emb = {t: torch.from_numpy(table[f"node/{t}"]) for t in NODE_TYPES}
        self.edge_emb = {et: torch.from_numpy(table["edge/" + "__".join(et)]) for et in EDGE_TYPES}
        # CSR by destination (edge-list order within a row, as hgtok's stable CSR), for a fast in_neighbors.
        import make_tokenizer_fixtures as mtf
        self.csr = {}
        for et, e in ei.items():
            order = np.argsort(e[1], kind="stable")
            indptr = np.zeros(COUNTS[et[2]] + 1, dtype=np.int64)
            np.add.at(indptr, e[1] + 1, 1)
            self.csr[id(e)] = (np.cumsum(indptr), e[0][order])
        csr = self.csr

        def in_neighbors(e, v):
            indptr, idx = csr[id(e)]
            return idx[indptr[v]:indptr[v + 1]].tolist()
        mtf.in_neighbors = in_neighbors  # same result as the reference's scan, without O(E) per call

    def tokenize(self, target):
        ids, sub_ei = sample(NODE_TYPES, EDGE_TYPES, self.ei, "movie", int(target), FANOUTS, SEED)
        x_sub = {t: torch.from_numpy(self.x[t][ids[t]]) for t in NODE_TYPES}
        ei_sub = {et: torch.from_numpy(sub_ei[et]) for et in EDGE_TYPES}
        with torch.no_grad():
            tokens = self.model(x_sub, ei_sub, self.node_emb, self.edge_emb, ORDER)
        return tokens, np.concatenate([np.array(ids[t], dtype=np.int64) for t in ORDER])


def check_parity(torch_path, directory, threads_list, count):
    worst = 0.0
    shards = {}
    for t in threads_list:
        with safe_open(os.path.join(directory, f"out_t{t}", "shard_00000.safetensors"), "np") as f:
            shards[t] = {k: f.get_tensor(k) for k in ("tokens", "row_offsets", "targets", "node_ids")}
    a, b = shards[threads_list[0]], shards[threads_list[-1]]
    same = all(np.array_equal(a[k], b[k]) for k in a)
    for i in range(count):
        s = shards[threads_list[0]]
        r0, r1 = int(s["row_offsets"][i]), int(s["row_offsets"][i + 1])
        want, ids = torch_path.tokenize(s["targets"][i])
        got = s["tokens"][r0:r1]
        assert got.shape == tuple(want.shape), (got.shape, want.shape)
        assert np.array_equal(s["node_ids"][r0:r1], ids), "node ids differ"
        rel = float(np.abs(got - want.numpy()).max() / np.abs(want.numpy()).max())
        worst = max(worst, rel)
        print(f"  target {int(s['targets'][i])}: {r1 - r0} tokens x {got.shape[1]}, max |hgtok - torch| / max |torch| = {rel:.2e}")
    assert worst <= 1e-4, f"hgtok and PyTorch tokens differ: {worst:.2e} relative"
    return worst, same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-bench", "benchmarks", "bench_tokenizer"))
    ap.add_argument("--targets", type=int, default=10000)
    ap.add_argument("--torch-targets", type=int, default=20)
    ap.add_argument("--check", type=int, default=3)
    ap.add_argument("--dir", help="write the inputs here and keep them (default: a temporary directory)")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    directory = args.dir or tempfile.mkdtemp(prefix="hgtok_compare_tokenizer_")
    os.makedirs(directory, exist_ok=True)
    try:
        rng = np.random.default_rng(2024)
        gen = torch.Generator().manual_seed(2024)
        x, ei = make_graph(rng)
        targets = rng.integers(0, COUNTS["movie"], args.targets, dtype=np.int64)
        save_graph(os.path.join(directory, "graph.safetensors"), x, ei)
        save_numpy({"targets": targets}, os.path.join(directory, "targets.safetensors"))
        shutil.copy(os.path.join(ROOT, "examples", "data", "imdb_types.safetensors"), os.path.join(directory, "table.safetensors"))
        with safe_open(os.path.join(directory, "table.safetensors"), "np") as f:
            table = {k: f.get_tensor(k) for k in f.keys()}
        t0 = time.perf_counter()
        weight_bytes = write_tokenizer(os.path.join(directory, "tokenizer"), gen)
        print(f"inputs written to {directory} ({weight_bytes / 1e9:.2f} GB of weights, {time.perf_counter() - t0:.0f} s)",
              flush=True)

        hg = run_bench(args.bench, directory, args.targets)

        model = load_model(os.path.join(directory, "tokenizer"))
        tp = TorchPath(model, x, ei, table)
        print(f"parity on the first {args.check} targets (shard 0 of BM_Tokenizer_Batch, 1 and 2 threads):")
        worst, same = check_parity(tp, directory, [1, 2], args.check)
        print(f"  worst {worst:.2e} (<= 1e-4); 1-thread and 2-thread shards bitwise equal: {same}")

        n_torch = min(args.torch_targets, len(targets))
        torch_rate = {}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            tp.tokenize(targets[0])  # warm-up (allocator, kernels)
            start = time.perf_counter()
            for t in targets[:n_torch]:
                tp.tokenize(t)
            torch_rate[threads] = n_torch / (time.perf_counter() - start)
            print(f"  PyTorch, {threads} thread(s): {n_torch} targets, {torch_rate[threads]:.3f} subgraphs/s", flush=True)
        torch_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)

    c = hg[("BM_Tokenizer_Batch", 1)]
    print()
    print(f"hgtok: {int(c['targets'])} targets, {c['rows_per_subgraph']:.2f} tokens per subgraph; weights "
          f"{c['weights_MB']:.0f} MB (float32), generated-projector cache {c['cache_MB']:.1f} MB; first call "
          f"(generates the projectors) {c['first_call_ms']:.0f} ms; load {c['load_s']:.1f} s, peak RSS after load "
          f"{c['load_peak_MB']:.0f} MiB")
    print(f"PyTorch: {n_torch} targets timed per thread count; process peak RSS {torch_peak:.0f} MiB")
    print()
    print(f"{'case':24} {'threads':>7} {'hgtok sg/s':>11} {'torch sg/s':>11} {'ratio':>8} {'scaling':>8} "
          f"{'cpu_util':>8} {'peak MiB':>8} {'wts+1GiB':>9}")
    # bench_tokenizer's weights_MB is 10^6 bytes, its RSS counters (VmHWM) are MiB: compare in MiB.
    weights_mib = c["weights_MB"] * 1e6 / 2**20
    budget = weights_mib + 1024
    for case in ("BM_Tokenizer_Batch", "BM_Tokenizer_BatchNoIO", "BM_Tokenizer_PerTarget"):
        for threads in (1, 2):
            b = hg[(case, threads)]
            rate = b["subgraphs_per_s"]
            scaling = rate / hg[(case, 1)]["subgraphs_per_s"]
            print(f"{case[13:]:24} {threads:7d} {rate:11.1f} {torch_rate[threads]:11.3f} "
                  f"{rate / torch_rate[threads]:7.0f}x {scaling:7.2f}x {b['cpu_util']:8.2f} {b['peak_rss_MB']:8.0f} "
                  f"{budget:9.0f}")
    s = hg[("BM_Tokenizer_Batch", 2)]["subgraphs_per_s"] / hg[("BM_Tokenizer_Batch", 1)]["subgraphs_per_s"]
    peak = max(hg[(k, t)]["peak_rss_MB"] for k in ("BM_Tokenizer_Batch", "BM_Tokenizer_BatchNoIO", "BM_Tokenizer_PerTarget")
               for t in (1, 2))
    print()
    print(f"batch scaling 1 -> 2 threads: {s:.2f}x (target >= 1.8x: {'met' if s >= 1.8 else 'NOT met'})")
    print(f"peak RSS while tokenizing: {peak:.0f} MiB vs weights ({weights_mib:.0f} MiB) + 1 GiB = {budget:.0f} MiB "
          f"({'met' if peak <= budget else 'NOT met'}); including the load: {c['load_peak_MB']:.0f} MiB "
          f"({'met' if c['load_peak_MB'] <= budget else 'NOT met'})")
    print(f"torch.__version__ {torch.__version__}, torch threads used: 1 and 2; uptime: {os.getloadavg()}")


if __name__ == "__main__":
    main()
