#!/usr/bin/env python3
"""Cold start on unseen types: HiGPT's own MetaHGTConv forward against hgtok's first call, same inputs and weights.

Workload: in = out = 768, 12 heads, type-embedding width 768 (HiGPT's size), a 2,000-node graph of 5 node types
(400 each, 768-wide features) and 9 edge types (4,000 random edges each), random type embeddings. HiGPT's layer
(HG_grounding/models/meta_hgt/meta_hgtconv_bert_all.py, read from a HiGPT checkout with git show as
tests/reference/make_hgt_fixtures.py does) regenerates every projector on every call, so each of its forwards is a
cold start; hgtok generates on its first call and caches. The inputs go to a temporary directory (3.7 GB of
generator weights); the hgtok side is bench_cold_start run on them (HGTOK_BENCH_DIR, OMP_NUM_THREADS), one process
per thread count, after PyTorch has freed its copy.

    python benchmarks/compare_cold_start.py --higpt /path/to/HiGPT --bench build-bench/benchmarks/bench_cold_start
"""
import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from export_pyg import export_hetero_data  # noqa: E402
from make_hgt_fixtures import load_higpt_class  # noqa: E402


def workload(directory, higpt, gen):
    from torch_geometric.data import HeteroData
    d = HeteroData()
    node_types = ["movie", "director", "actor", "writer", "company"]
    for t in node_types:
        d[t].x = torch.randn(400, 768, generator=gen)
    pairs = [(s, t) for o in node_types[1:] for s, t in (("movie", o), (o, "movie"))] + [("actor", "director")]
    for s, t in pairs:
        d[s, "to", t].edge_index = torch.randint(400, (2, 4000), generator=gen)
    try:  # HiGPT's module imports BertTokenizer / BertModel for its text side only
        import transformers  # noqa: F401
    except ImportError:
        sys.modules["transformers"] = types.SimpleNamespace(BertTokenizer=None, BertModel=None)
    cls = load_higpt_class(higpt, "pretrain")
    conv = cls(768, 768, heads=12, dynamic=True, text_cfg=types.SimpleNamespace(width=768, context_length=77))
    with torch.no_grad():
        for p in conv.parameters():  # in place: the largest is 2.7 GB
            bound = 1 / (p.shape[-1] if p.dim() > 1 else 768) ** 0.5
            p.uniform_(-bound, bound, generator=gen)
    node_emb = {t: torch.randn(768, generator=gen) for t in d.node_types}
    edge_emb = {et: torch.randn(768, generator=gen) for et in d.edge_types}
    export_hetero_data(d, os.path.join(directory, "c_graph.safetensors"))
    table = {f"node/{t}": e for t, e in node_emb.items()}
    table.update({f"edge/{s}__{r}__{t}": e for (s, r, t), e in edge_emb.items()})
    save_file(table, os.path.join(directory, "c_table.safetensors"))
    save_file({k: v.contiguous() for k, v in conv.state_dict().items()}, os.path.join(directory, "c_weights.safetensors"))
    return d, conv, node_emb, edge_emb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--higpt", required=True, help="a git checkout (or bare clone) of HKUDS/HiGPT")
    ap.add_argument("--bench", required=True, help="bench_cold_start binary")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="HiGPT forwards timed after the first")
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", args.higpt, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    print(f"torch {torch.__version__}, HiGPT {commit}, CPU: "
          + next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"))
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        gen = torch.Generator().manual_seed(0)
        d, conv, node_emb, edge_emb = workload(directory, args.higpt, gen)
        for threads in args.threads:
            torch.set_num_threads(threads)
            times = []
            with torch.no_grad():
                for _ in range(args.repeat + 1):
                    start = time.perf_counter()
                    conv(d.x_dict, d.edge_index_dict, node_type_feas_dict=node_emb, edge_type_feas_dict=edge_emb)
                    times.append((time.perf_counter() - start) * 1e3)
            results[threads] = {"higpt_first_ms": times[0], "higpt_mean_ms": sum(times[1:]) / len(times[1:])}
        del conv
        gc.collect()
        for threads in args.threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(threads), HGTOK_BENCH_DIR=directory)
            out = subprocess.run([args.bench, "--benchmark_format=json"], env=env, check=True, capture_output=True, text=True).stdout
            for b in json.loads(out)["benchmarks"]:
                results[threads][b["name"].split("/")[0]] = b["real_time"]
    print(f"{'threads':>7} {'HiGPT first':>12} {'HiGPT mean':>11} {'hgtok first':>12} {'batched':>9} {'type by type':>13} "
          f"{'warm':>7} {'HiGPT/first':>12}")
    for threads, r in results.items():
        print(f"{threads:>7} {r['higpt_first_ms']:>12.1f} {r['higpt_mean_ms']:>11.1f} {r['BM_ColdStart_FirstCall']:>12.1f} "
              f"{r['BM_ColdStart_Batched']:>9.1f} {r['BM_ColdStart_OneTypeAtATime']:>13.1f} {r['BM_Warm']:>7.1f} "
              f"{r['higpt_mean_ms'] / r['BM_ColdStart_FirstCall']:>11.2f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
