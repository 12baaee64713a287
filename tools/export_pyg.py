#!/usr/bin/env python3
"""Write a PyG HeteroData to hgtok's safetensors graph layout.

Layout (see include/hgtok/graph/io.hpp):
    x/<node type>                      [N, F] float tensor (omitted for a type without features)
    edge_index/<src>__<relation>__<dst> [2, E] int64
    __metadata__:
        node_types  JSON list, PyG's data.node_types order
        edge_types  JSON list of "src__relation__dst", PyG's data.edge_types order
        num_nodes   JSON object node type -> node count

With compiled=True (--compiled) the file is then compiled in place with `hgtok graph compile` (docs/compiled-graphs.md):
the same tensors plus each edge type's CSR, opened by memory-mapping it. The hgtok command is taken from the HGTOK_CLI
environment variable, else `hgtok` on PATH; by_source=True (--by-source) also stores the CSR by source.

Usage as a module:  from export_pyg import export_hetero_data; export_hetero_data(data, "graph.safetensors")
Usage as a script:  python tools/export_pyg.py data.pt graph.safetensors [--compiled [--by-source]]
                    (data.pt holds a torch.save'd HeteroData)
"""
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import save_file

FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _check_name(name, what):
    if not name or "__" in name or "/" in name:
        raise ValueError(f"{what} {name!r} must be non-empty and contain neither '__' nor '/'")


def compile_graph_file(path, out, by_source=False):
    """Runs `hgtok graph compile path out` (HGTOK_CLI or `hgtok` on PATH); raises CalledProcessError on failure."""
    cmd = [os.environ.get("HGTOK_CLI", "hgtok"), "graph", "compile", path, out] + (["--by-source"] if by_source else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def export_hetero_data(data, path, compiled=False, by_source=False):
    """Writes `data` (torch_geometric.data.HeteroData) to `path` in hgtok's layout, compiled when asked."""
    tensors = {}
    num_nodes = {}
    for node_type in data.node_types:
        _check_name(node_type, "node type")
        store = data[node_type]
        n = store.num_nodes
        if n is None:
            raise ValueError(f"node type {node_type!r} has no num_nodes and no x")
        num_nodes[node_type] = int(n)
        x = getattr(store, "x", None)
        if x is not None:
            if x.dim() != 2 or x.size(0) != n:
                raise ValueError(f"x of {node_type!r} has shape {tuple(x.shape)}, expected [{n}, F]")
            if x.dtype not in FLOAT_DTYPES:
                raise ValueError(f"x of {node_type!r} has dtype {x.dtype}, expected a float type")
            tensors[f"x/{node_type}"] = x.detach().cpu().contiguous()
    edge_keys = []
    for src, rel, dst in data.edge_types:
        for name, what in ((src, "node type"), (rel, "relation"), (dst, "node type")):
            _check_name(name, what)
        key = f"{src}__{rel}__{dst}"
        edge_index = data[src, rel, dst].edge_index
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index of {key!r} has shape {tuple(edge_index.shape)}, expected [2, E]")
        edge_keys.append(key)
        tensors[f"edge_index/{key}"] = edge_index.detach().cpu().to(torch.int64).contiguous()
    metadata = {
        "node_types": json.dumps(list(data.node_types)),
        "edge_types": json.dumps(edge_keys),
        "num_nodes": json.dumps(num_nodes),
    }
    if not compiled:
        save_file(tensors, path, metadata=metadata)
        return
    plain = path + ".plain"
    save_file(tensors, plain, metadata=metadata)
    del tensors
    try:
        compile_graph_file(plain, path, by_source)
    finally:
        os.remove(plain)


def main(argv):
    flags = [a for a in argv[1:] if a.startswith("--")]
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2 or any(f not in ("--compiled", "--by-source") for f in flags) or ("--by-source" in flags and "--compiled" not in flags):
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(args[0], weights_only=False)
    export_hetero_data(data, args[1], compiled="--compiled" in flags, by_source="--by-source" in flags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
