#!/usr/bin/env python3
"""hgtok vs PyTorch on HGT / MetaHGT, same inputs and weights, at 1 and 2 threads, in one launch.

Workload A: MetaHGT, in = out = 768, 12 heads, type-embedding width 768 (HiGPT's IMDB type table), IMDB-like
  subgraph of 100 nodes (40 movie, 20 director, 40 actor), 4 edge types, 300 edges. PyTorch side: the MetaHGT
  reference of tests/reference/make_hgt_fixtures.py (after HiGPT's code), (1) regenerating the projectors on every
  call as HiGPT does, (2) given pre-generated projectors. hgtok: projectors generated once and cached.
Workload B: HGT, 10,000 nodes in 3 types, 100,000 edges in 4 edge types, width 128, 8 heads: PyG HGTConv vs hgtok.

The inputs are written to a temporary directory (about 3.6 GB for workload A's generator weights), the hgtok side is
build-*/benchmarks/bench_hgt run with HGTOK_BENCH_DIR and OMP_NUM_THREADS, JSON output parsed.

    python benchmarks/compare_hgt.py --bench build-hgt/benchmarks/bench_hgt [--skip-a]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from export_pyg import export_hetero_data  # noqa: E402


def timeit(fn, min_time=2.0, min_iter=3):
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el >= min_time and n >= min_iter:
            return el / n * 1e3  # ms


def run_bench(bench, directory, threads, pattern):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), HGTOK_BENCH_DIR=directory)
    out = subprocess.run([bench, f"--benchmark_filter={pattern}", "--benchmark_format=json", "--benchmark_min_time=2"],
                         env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        res[b["name"].split("/")[0]] = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
    return res


def workload_b(directory, gen):
    from torch_geometric.data import HeteroData
    from torch_geometric.nn import HGTConv
    d = HeteroData()
    counts = {"paper": 5000, "author": 3000, "venue": 2000}
    for t, n in counts.items():
        d[t].x = torch.randn(n, 128, generator=gen)
    for (s, r, t), e in [(("author", "writes", "paper"), 40000), (("paper", "written_by", "author"), 40000),
                         (("paper", "published_in", "venue"), 10000), (("venue", "publishes", "paper"), 10000)]:
        d[s, r, t].edge_index = torch.stack([torch.randint(counts[s], (e,), generator=gen),
                                             torch.randint(counts[t], (e,), generator=gen)])
    conv = HGTConv(128, 128, d.metadata(), heads=8)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    export_hetero_data(d, os.path.join(directory, "b_graph.safetensors"))
    save_file({k: v.contiguous() for k, v in conv.state_dict().items()}, os.path.join(directory, "b_weights.safetensors"))
    return d, conv


def workload_a(directory, gen):
    from make_hgt_fixtures import MetaHGTReference
    from torch_geometric.data import HeteroData
    d = HeteroData()
    counts = {"movie": 40, "director": 20, "actor": 40}
    for t, n in counts.items():
        d[t].x = torch.randn(n, 768, generator=gen)
    for s, t in [("movie", "director"), ("director", "movie"), ("movie", "actor"), ("actor", "movie")]:
        d[s, "to", t].edge_index = torch.stack([torch.randint(counts[s], (75,), generator=gen),
                                                torch.randint(counts[t], (75,), generator=gen)])
    table = load_file(os.path.join(ROOT, "examples", "data", "imdb_types.safetensors"))  # HiGPT's IMDB table
    ref = MetaHGTReference(768, 768, 12, 768)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            fan_in = p.shape[-1] if p.dim() > 1 else 768
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) / fan_in ** 0.5)
    export_hetero_data(d, os.path.join(directory, "a_graph.safetensors"))
    save_file(table, os.path.join(directory, "a_table.safetensors"))
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, os.path.join(directory, "a_weights.safetensors"))
    return d, ref, table


class Pregenerated(torch.nn.Module):
    """The MetaHGT reference with every projector generated once up front (PyTorch given pre-generated weights)."""

    def __init__(self, ref, d, node_emb, edge_emb):
        super().__init__()
        import copy
        self.ref = ref
        with torch.no_grad():
            self.kqv = {t: ref.kqv_lin.lin_gen(node_emb[t]) for t in d.node_types}
            self.out = {t: ref.out_lin.lin_gen(node_emb[t]) for t in d.node_types}
            self.k = {et: ref.k_rel.lin_gen(edge_emb[et]) for et in d.edge_types}
            self.v = {et: ref.v_rel.lin_gen(edge_emb[et]) for et in d.edge_types}
            self.p = {et: ref.p_relTrans(edge_emb[et]) for et in d.edge_types}
            self.skip = {t: ref.skipTrans(node_emb[t]).sigmoid() for t in d.node_types}
        del copy

    def forward(self, x_dict, edge_index_dict):
        import math
        from torch_geometric.utils import softmax
        F, H = self.ref.F, self.ref.H
        D = F // H
        k, q, v = {}, {}, {}
        for t, x in x_dict.items():
            w, b = self.kqv[t]
            kk, qq, vv = torch.tensor_split(torch.addmm(b, x, w), 3, dim=1)
            k[t], q[t], v[t] = kk.view(-1, H, D), qq.view(-1, H, D), vv.view(-1, H, D)
        result = {}
        for dt in {et[2] for et in edge_index_dict}:
            n = x_dict[dt].size(0)
            scores, msgs, index = [], [], []
            for et, ei in edge_index_dict.items():
                if et[2] != dt:
                    continue
                (wk, bk), (wv, bv) = self.k[et], self.v[et]
                kr, vr = k[et[0]] @ wk + bk, v[et[0]] @ wv + bv
                src, dst = ei
                scores.append((q[dt][dst] * kr[src]).sum(-1) * self.p[et] / math.sqrt(D))
                msgs.append(vr[src])
                index.append(dst)
            s, msg, index = torch.cat(scores), torch.cat(msgs), torch.cat(index)
            alpha = softmax(s, index, num_nodes=n)
            a = torch.zeros(n, H, D).index_add_(0, index, msg * alpha.unsqueeze(-1)).view(n, F)
            w, b = self.out[dt]
            o = torch.addmm(b, torch.nn.functional.gelu(a), w)
            o = self.skip[dt] * o + (1 - self.skip[dt]) * x_dict[dt]
            result[dt] = self.ref.norm(torch.clamp(o, -100.0, 100.0))
        return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-hgt", "benchmarks", "bench_hgt"))
    ap.add_argument("--skip-a", action="store_true")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    gen = torch.Generator().manual_seed(5)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        d_b, conv_b = workload_b(directory, gen)
        if not args.skip_a:
            d_a, ref_a, table = workload_a(directory, gen)
            node_emb = {t: table[f"node/{t}"] for t in d_a.node_types}
            edge_emb = {et: table[f"edge/{'__'.join(et)}"] for et in d_a.edge_types}
            del ref_a  # keep one copy of the 3.6 GB of generator weights in memory at a time
        hg = {}
        for threads in (1, 2):
            pattern = "BM_HGT_WorkloadB/" if args.skip_a else "(BM_HGT_WorkloadB|BM_MetaHGT_WorkloadA_Cached|BM_Sgemm1024)/"
            hg[threads] = run_bench(args.bench, directory, threads, pattern)
        if not args.skip_a:
            from make_hgt_fixtures import MetaHGTReference
            ref_a = MetaHGTReference(768, 768, 12, 768)
            ref_a.load_state_dict(load_file(os.path.join(directory, "a_weights.safetensors")))
            pre = Pregenerated(ref_a, d_a, node_emb, edge_emb)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        with torch.no_grad():
            t_b = timeit(lambda: conv_b(d_b.x_dict, d_b.edge_index_dict))
            rows.append(("B", "PyG HGTConv", threads, t_b, hg[threads]["BM_HGT_WorkloadB"]))
            if not args.skip_a:
                t_regen = timeit(lambda: ref_a(d_a.x_dict, d_a.edge_index_dict, node_emb, edge_emb), min_time=3)
                t_pre = timeit(lambda: pre(d_a.x_dict, d_a.edge_index_dict))
                rows.append(("A", "HiGPT-style, regenerates per call", threads, t_regen, hg[threads]["BM_MetaHGT_WorkloadA_Cached"]))
                rows.append(("A", "pre-generated projectors", threads, t_pre, hg[threads]["BM_MetaHGT_WorkloadA_Cached"]))
    print(f"{'workload':8} {'PyTorch reference':36} {'threads':>7} {'torch ms':>10} {'hgtok ms':>10} {'ratio':>7}")
    for w, name, th, tt, th_ms in rows:
        print(f"{w:8} {name:36} {th:7d} {tt:10.3f} {th_ms:10.3f} {tt / th_ms:6.1f}x")
    if not args.skip_a:
        for threads in (1, 2):
            print(f"sgemm 1024^3 one thread (bench_hgt, run {threads}): {hg[threads]['BM_Sgemm1024']:.2f} ms")


if __name__ == "__main__":
    main()
