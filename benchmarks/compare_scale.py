#!/usr/bin/env python3
"""Time to first tokens and peak RSS on a big graph: PyG against hgtok, side by side in one launch (issue 20).

The same graph (IMDB-shaped, written by `bench_scale generate`), the same target, the same layer shape; each side in
its own fresh process, so each peak RSS is its own and each start is cold:

  PyG    safetensors.torch.load_file -> HeteroData; NeighborLoader(num_neighbors=[10, 5]) for the target when
         pyg-lib or torch-sparse is installed, else the same sampling in plain PyTorch (a destination-sorted index per
         edge type from a stable torch.argsort, which is what NeighborLoader builds first, then two hops drawn in
         Python); one HGTConv(64 -> 64, 4 heads) and a Linear(64 -> 4096) on the subgraph.
  hgtok  `bench_scale first COMPILED TARGET [DIR]`: open the compiled file by mmap, the demo tokenizer of
         `hgtok tokenize` (MetaHGT 64 wide, 4 heads, HiGPT's IMDB type table, LLM width 4096; loaded from DIR, written
         by `bench_scale save-demo DIR`, as a trained tokenizer would be, else drawn from its seed), the target's tokens.

Reported: each process's wall time from launch to exit, the time to first tokens measured inside it (PyG: after its
imports, as the issue measured it; hgtok: from main()), and peak RSS (ru_maxrss).

PyG reads x/ and edge_index/ of either file (a compiled file holds the plain file's tensors), so PLAIN may be the
compiled file itself when disk is short.

Usage: python benchmarks/compare_scale.py PLAIN.safetensors COMPILED.safetensors BENCH_SCALE_BINARY [TARGET [DIR]]
"""
import json
import subprocess
import sys
import time

PYG_CHILD = r"""
import json, resource, sys, time
import torch
import torch_geometric
from safetensors import safe_open
from torch_geometric.data import HeteroData
from torch_geometric.nn import HGTConv
t0 = time.perf_counter()
path, target = sys.argv[1], int(sys.argv[2])
data = HeteroData()
with safe_open(path, framework="pt") as f:  # x/ and edge_index/ (a compiled file's csr/ tensors are not PyG's)
    for name in f.keys():
        kind, key = name.split("/", 1)
        if kind == "x":
            data[key].x = f.get_tensor(name)
        elif kind == "edge_index":
            src, rel, dst = key.split("__")
            data[src, rel, dst].edge_index = f.get_tensor(name)
torch.manual_seed(0)
fanouts = [10, 5]
try:
    from torch_geometric.loader import NeighborLoader
    loader = NeighborLoader(data, num_neighbors=fanouts, input_nodes=("movie", torch.tensor([target])), batch_size=1)
    sub = next(iter(loader))
    how = "NeighborLoader"
except ImportError:
    # NeighborLoader needs pyg-lib or torch-sparse; the same sampling in plain PyTorch.
    how = "torch"
    csc = {}
    for et in data.edge_types:
        ei = data[et].edge_index
        n_dst = data[et[2]].num_nodes
        order = torch.argsort(ei[1], stable=True)
        indptr = torch.zeros(n_dst + 1, dtype=torch.long)
        indptr[1:] = torch.cumsum(torch.bincount(ei[1], minlength=n_dst), 0)
        csc[et] = (indptr, ei[0][order])
    nodes = {t: [] for t in data.node_types}
    local = {t: {} for t in data.node_types}
    def add(t, v):
        if v not in local[t]:
            local[t][v] = len(nodes[t]); nodes[t].append(v); return True
        return False
    add("movie", target)
    frontier = [("movie", target)]
    edges = {et: ([], []) for et in data.edge_types}
    for f in fanouts:
        nxt = []
        for t, v in frontier:
            for et, (indptr, src) in csc.items():
                if et[2] != t:
                    continue
                nb = src[indptr[v]:indptr[v + 1]]
                pick = nb[torch.randperm(len(nb))[:f]].tolist()
                for u in pick:
                    if add(et[0], u):
                        nxt.append((et[0], u))
                    edges[et][0].append(local[et[0]][u]); edges[et][1].append(local[t][v])
        frontier = nxt
    sub = HeteroData()
    for t in data.node_types:
        sub[t].x = data[t].x[torch.tensor(nodes[t], dtype=torch.long)]
    for et, (s, d) in edges.items():
        sub[et].edge_index = torch.tensor([s, d], dtype=torch.long).reshape(2, -1)
conv = HGTConv(64, 64, sub.metadata(), heads=4)
proj = torch.nn.Linear(64, 4096)
with torch.no_grad():
    out = conv(sub.x_dict, sub.edge_index_dict)
    tokens = torch.cat([proj(out[t]) for t in ("movie", "director", "actor") if t in out])
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"side": "pyg", "how": how, "tokens": list(tokens.shape), "ms_after_imports": ms,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "torch": torch.__version__, "torch_geometric": torch_geometric.__version__}))
"""


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{p.stderr}")
    return wall, p.stdout.strip().splitlines()[-1]


def main(argv):
    if len(argv) not in (4, 5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    plain, compiled, bench = argv[1:4]
    target = argv[4] if len(argv) >= 5 else "0"
    wall_h, line_h = run([bench, "first", compiled, target] + argv[5:6])
    fields = dict(kv.split("=", 1) for kv in line_h.split()[1:])
    wall_p, line_p = run([sys.executable, "-c", PYG_CHILD, plain, target])
    pyg = json.loads(line_p)
    h_ms, h_rss = float(fields["ms"]), float(fields["peak_rss_mib"])
    print(f"hgtok: first tokens {h_ms:.1f} ms after main() ({wall_h:.0f} ms process wall), peak RSS {h_rss:.0f} MiB")
    print(f"PyG ({pyg['how']}, torch {pyg['torch']}, torch_geometric {pyg['torch_geometric']}): first tokens "
          f"{pyg['ms_after_imports']:.0f} ms after imports ({wall_p:.0f} ms process wall), peak RSS {pyg['peak_rss_mib']:.0f} MiB")
    print(f"ratio: {pyg['ms_after_imports'] / h_ms:.0f}x faster to first tokens (process wall: {wall_p / wall_h:.0f}x), "
          f"{pyg['peak_rss_mib'] / h_rss:.0f}x less peak RSS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
