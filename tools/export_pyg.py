#!/usr/bin/env python3
"""Write a PyG HeteroData to hgtok's safetensors graph layout.

Layout (see include/hgtok/graph/io.hpp):
    x/<node type>                      [N, F] float tensor (omitted for a type without features)
    edge_index/<src>__<relation>__<dst> [2, E] int64
    __metadata__:
        node_types  JSON list, PyG's data.node_types order
        edge_types  JSON list of "src__relation__dst", PyG's data.edge_types order
        num_nodes   JSON object node type -> node count

Usage as a module:  from export_pyg import export_hetero_data; export_hetero_data(data, "graph.safetensors")
Usage as a script:  python tools/export_pyg.py data.pt graph.safetensors   (data.pt holds a torch.save'd HeteroData)
"""
import json
import sys

import torch
from safetensors.torch import save_file

FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _check_name(name, what):
    if not name or "__" in name or "/" in name:
        raise ValueError(f"{what} {name!r} must be non-empty and contain neither '__' nor '/'")


def export_hetero_data(data, path):
    """Writes `data` (torch_geometric.data.HeteroData) to `path` in hgtok's layout."""
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
    save_file(tensors, path, metadata=metadata)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(argv[1], weights_only=False)
    export_hetero_data(data, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
