#!/usr/bin/env python3
"""hgtok vs PyG on HAN, same inputs and weights, at 1 and 2 threads, in one launch.

Workload: torch_geometric.nn.HANConv vs hgtok::HANConv (float), 10,000 nodes in 3 types (paper 5000, author 3000,
subject 2000, width 128), 8 heads, out_channels 128, 3 metapath relations with 100,000 edges in all
(paper-author-paper 40,000, author-paper-author 30,000, subject-paper-subject 30,000; random pairs).

The inputs are written to a temporary directory; the hgtok side is build-*/benchmarks/bench_han run with
HGTOK_BENCH_DIR and OMP_NUM_THREADS (--benchmark_format=json, parsed). Before timing, the script checks that
both sides compute the same thing: hgtok's output is not exported by the benchmark, so the check is that PyG's
output is deterministic and finite; parity itself is tests/parity/test_han.cpp.

    python benchmarks/compare_han.py --bench build-han2/benchmarks/bench_han
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402


def timeit(fn, min_time=2.0, min_iter=3):
    """(wall ms, process CPU ms) per call."""
    fn()
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el >= min_time and n >= min_iter:
            return el / n * 1e3, (time.process_time() - cpu) / n * 1e3


def run_bench(bench, directory, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), HGTOK_BENCH_DIR=directory)
    out = subprocess.run([bench, "--benchmark_filter=BM_HAN", "--benchmark_format=json", "--benchmark_min_time=2"],
                         env=env, check=True, capture_output=True, text=True).stdout
    for b in json.loads(out)["benchmarks"]:
        if b["name"].split("/")[0] == "BM_HAN":
            scale = 1.0 if b["time_unit"] == "ms" else 1e-6
            return b["real_time"] * scale, b["cpu_time"] * scale
    raise RuntimeError("BM_HAN missing from the benchmark output")


def workload(directory, gen):
    from torch_geometric.data import HeteroData
    from torch_geometric.nn import HANConv
    d = HeteroData()
    counts = {"paper": 5000, "author": 3000, "subject": 2000}
    for t, n in counts.items():
        d[t].x = torch.randn(n, 128, generator=gen)
    for t, rel, e in [("paper", "metapath_0", 40000), ("author", "metapath_1", 30000), ("subject", "metapath_2", 30000)]:
        d[t, rel, t].edge_index = torch.stack([torch.randint(counts[t], (e,), generator=gen),
                                               torch.randint(counts[t], (e,), generator=gen)])
    conv = HANConv(128, 128, d.metadata(), heads=8)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    conv.eval()
    export_hetero_data(d, os.path.join(directory, "han_graph.safetensors"))
    save_file({k: v.contiguous() for k, v in conv.state_dict().items()}, os.path.join(directory, "han_weights.safetensors"))
    return d, conv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-han2", "benchmarks", "bench_han"))
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    gen = torch.Generator().manual_seed(5)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        d, conv = workload(directory, gen)
        hg = {threads: run_bench(args.bench, directory, threads) for threads in (1, 2)}
    with torch.no_grad():
        a = conv(d.x_dict, d.edge_index_dict)
        b = conv(d.x_dict, d.edge_index_dict)
        for t in a:
            assert torch.isfinite(a[t]).all() and torch.equal(a[t], b[t])
    for threads in (1, 2):
        torch.set_num_threads(threads)
        with torch.no_grad():
            t_pyg = timeit(lambda: conv(d.x_dict, d.edge_index_dict))
        rows.append((threads, t_pyg, hg[threads]))
    print(f"torch {torch.__version__}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("wall: real time per call; cpu: CPU time per call (Google Benchmark's cpu_time is the main thread's)")
    print(f"{'PyTorch reference':20} {'threads':>7} {'PyG wall ms':>12} {'hgtok wall ms':>14} {'ratio':>7}"
          f" {'PyG cpu ms':>11} {'hgtok cpu ms':>13}")
    for th, (tw, tc), (hw, hc) in rows:
        print(f"{'PyG HANConv':20} {th:7d} {tw:12.3f} {hw:14.3f} {tw / hw:6.1f}x {tc:11.3f} {hc:13.3f}")


if __name__ == "__main__":
    main()
