#!/usr/bin/env python3
"""Builds the fixtures the CLI tests (label cli, examples/cli/CMakeLists.txt) run on: a graph that is not IMDB.

A small PyG HeteroData with four node types of four different feature widths (paper 12x32, author 8x16,
venue 3x8, term 6x4) and six relations, every node type the destination of at least one, exported with
tools/export_pyg.py to

    tests/fixtures/cli_graph.safetensors

with, for the kernels that generate their weights from type embeddings, a type table of random 16-d embeddings
(keys node/<type>, edge/<src>__<relation>__<dst>), a partial HAN config (the CLI fills in the rest from the graph),
a graph file with no node type, and the same HeteroData written in the formats a user might pass by mistake, for
the CLI's "it looks like ..." messages:

    tests/fixtures/cli_types.safetensors        type table
    tests/fixtures/cli_han_config.json          {"kernel": "han", "hidden_channels": 32, "heads": 2, "num_layers": 2, "llm_dim": 4096}
    tests/fixtures/cli_empty_graph.safetensors  no tensors, node_types []
    tests/fixtures/cli_graph.pt                 torch.save(data) (a zip holding data.pkl)
    tests/fixtures/cli_graph.npz                numpy.savez of the feature matrices

Run by hand (needs torch, torch_geometric, safetensors, numpy):  python tests/reference/make_cli_fixtures.py
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file
from torch_geometric.data import HeteroData

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402
sys.path.insert(0, HERE)
import provenance  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def edges(g, n_src, n_dst, count):
    src = torch.randint(0, n_src, (count,), generator=g)
    dst = torch.randint(0, n_dst, (count,), generator=g)
    return torch.stack([src, dst])


def main():
    g = torch.Generator().manual_seed(19)
    sizes = {"paper": (12, 32), "author": (8, 16), "venue": (3, 8), "term": (6, 4)}
    data = HeteroData()
    for t, (n, f) in sizes.items():
        data[t].x = torch.randn(n, f, generator=g)
    data["author", "writes", "paper"].edge_index = edges(g, 8, 12, 20)
    data["paper", "written_by", "author"].edge_index = data["author", "writes", "paper"].edge_index.flip(0)
    data["paper", "published_in", "venue"].edge_index = torch.stack([torch.arange(12), torch.arange(12) % 3])
    data["venue", "publishes", "paper"].edge_index = data["paper", "published_in", "venue"].edge_index.flip(0)
    data["term", "describes", "paper"].edge_index = edges(g, 6, 12, 18)
    data["paper", "has_term", "term"].edge_index = data["term", "describes", "paper"].edge_index.flip(0)
    os.makedirs(FIXTURES, exist_ok=True)
    export_hetero_data(data, os.path.join(FIXTURES, "cli_graph.safetensors"))
    table = {f"node/{t}": torch.randn(16, generator=g) for t in data.node_types}
    table.update({f"edge/{s}__{r}__{d}": torch.randn(16, generator=g) for s, r, d in data.edge_types})
    save_file(table, os.path.join(FIXTURES, "cli_types.safetensors"))
    save_file({}, os.path.join(FIXTURES, "cli_empty_graph.safetensors"),
              metadata={"node_types": "[]", "edge_types": "[]", "num_nodes": "{}"})
    provenance.stamp_written(__file__, ("torch_geometric",))
    with open(os.path.join(FIXTURES, "cli_han_config.json"), "w") as f:
        json.dump({"kernel": "han", "hidden_channels": 32, "heads": 2, "num_layers": 2, "llm_dim": 4096}, f, indent=2)
        f.write("\n")
    torch.save(data, os.path.join(FIXTURES, "cli_graph.pt"))
    np.savez(os.path.join(FIXTURES, "cli_graph.npz"), **{t: data[t].x.numpy() for t in sizes})
    print("wrote cli_graph.safetensors, cli_types.safetensors, cli_empty_graph.safetensors, cli_han_config.json, "
          "cli_graph.pt and cli_graph.npz under", FIXTURES)


if __name__ == "__main__":
    main()
