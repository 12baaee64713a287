#!/usr/bin/env python3
"""Builds the graph fixtures for tests/graph/test_graph_io.cpp.

A small IMDB-like PyG HeteroData (movie / director / actor, plus a featureless
keyword type) with multi-edges, a self-loop relation (movie similar_to movie,
holding self-loops), an isolated actor and edges listed out of destination
order. It is exported with tools/export_pyg.py to

    tests/fixtures/pyg_graph.safetensors

and the structure hgtok must derive from it is computed here with torch /
torch_geometric and saved to

    tests/fixtures/pyg_graph_expected.safetensors
        in_indptr/<key>, in_indices/<key>, in_edge_ids/<key>    CSR by destination
        out_indptr/<key>, out_indices/<key>, out_edge_ids/<key> CSR by source
        in_degree/<key>, out_degree/<key>                        torch_geometric.utils.degree
        self_loops/<key>, multi_edges/<key>                      [1]: self-loop count, duplicate-edge count
        isolated/<type>                                          [1]: nodes no edge type touches
        x/<type>                                                 features as float64
        __metadata__ node_types / edge_types / num_nodes         data.node_types, data.edge_types, num_nodes

Run by hand (needs torch, torch_geometric, safetensors):  python tests/reference/make_graph_fixtures.py
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from torch_geometric.data import HeteroData
from torch_geometric.utils import coalesce, degree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402
sys.path.insert(0, HERE)
import provenance  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def build():
    g = torch.Generator().manual_seed(20240222)
    data = HeteroData()
    # Insertion order here is PyG's node_types order; hgtok must keep it (not alphabetical).
    data["movie"].x = torch.randn(5, 4, generator=g)
    data["director"].x = torch.randn(3, 2, generator=g)
    data["actor"].x = torch.randn(4, 3, generator=g)  # actor 3 is isolated: no edge touches it
    data["keyword"].num_nodes = 2  # featureless type, declared only by its count

    # movie -> director: each movie has one director; listed out of destination order.
    data["movie", "directed_by", "director"].edge_index = torch.tensor([[0, 1, 2, 3, 4], [2, 0, 1, 0, 2]])
    # director -> movie: the reverse relation (PyG ToUndirected naming).
    ei = data["movie", "directed_by", "director"].edge_index
    data["director", "rev_directed_by", "movie"].edge_index = ei.flip(0)
    # movie -> actor with a multi-edge (movie 1 -> actor 0 twice); actor 3 isolated.
    data["movie", "stars", "actor"].edge_index = torch.tensor([[1, 0, 1, 4, 2, 1, 3], [0, 1, 0, 2, 1, 2, 0]])
    # actor -> movie.
    data["actor", "acts_in", "movie"].edge_index = torch.tensor([[2, 0, 1, 0], [4, 1, 0, 1]])
    # A self-loop relation with self-loops (2 -> 2, 4 -> 4) and a duplicate (0 -> 3 twice).
    data["movie", "similar_to", "movie"].edge_index = torch.tensor([[0, 2, 3, 0, 4, 1], [3, 2, 0, 3, 4, 3]])
    # movie -> keyword, into the featureless type.
    data["movie", "has", "keyword"].edge_index = torch.tensor([[0, 3, 2], [1, 0, 1]])
    data.validate(raise_on_error=True)
    return data


def csr(rows, row_of, col_of):
    """CSR of `rows` rows: entries sorted by row, stably (COO order kept within a row)."""
    _, perm = torch.sort(row_of, stable=True)
    counts = degree(row_of, num_nodes=rows, dtype=torch.int64)
    indptr = torch.zeros(rows + 1, dtype=torch.int64)
    indptr[1:] = torch.cumsum(counts, 0)
    return indptr, col_of[perm].contiguous(), perm.to(torch.int64).contiguous()


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    data = build()
    export_hetero_data(data, os.path.join(FIXTURES, "pyg_graph.safetensors"))

    expected = {}
    for nt in data.node_types:
        if "x" in data[nt]:
            expected[f"x/{nt}"] = data[nt].x.to(torch.float64).contiguous()
    keys = []
    for (s, r, d) in data.edge_types:
        key = f"{s}__{r}__{d}"
        keys.append(key)
        src, dst = data[s, r, d].edge_index
        n_src, n_dst = data[s].num_nodes, data[d].num_nodes
        ip, ix, ie = csr(n_dst, dst, src)
        expected[f"in_indptr/{key}"], expected[f"in_indices/{key}"], expected[f"in_edge_ids/{key}"] = ip, ix, ie
        op, ox, oe = csr(n_src, src, dst)
        expected[f"out_indptr/{key}"], expected[f"out_indices/{key}"], expected[f"out_edge_ids/{key}"] = op, ox, oe
        # structure counts: self-loops, duplicate edges (E minus E after torch_geometric's coalesce)
        expected[f"self_loops/{key}"] = (src == dst).sum().to(torch.int64).view(1) if s == d else torch.zeros(1, dtype=torch.int64)
        merged = coalesce(torch.stack([src, dst]), num_nodes=max(n_src, n_dst))
        expected[f"multi_edges/{key}"] = torch.tensor([src.numel() - merged.size(1)], dtype=torch.int64)
        expected[f"in_degree/{key}"] = degree(dst, num_nodes=n_dst, dtype=torch.int64)
        expected[f"out_degree/{key}"] = degree(src, num_nodes=n_src, dtype=torch.int64)
    # isolated nodes per type: touched by no edge type, in either direction
    for nt in data.node_types:
        touched = torch.zeros(data[nt].num_nodes, dtype=torch.bool)
        for (s, r, d) in data.edge_types:
            ei = data[s, r, d].edge_index
            if s == nt:
                touched[ei[0]] = True
            if d == nt:
                touched[ei[1]] = True
        expected[f"isolated/{nt}"] = (~touched).sum().to(torch.int64).view(1)
    metadata = {
        "node_types": json.dumps(list(data.node_types)),
        "edge_types": json.dumps(keys),
        "num_nodes": json.dumps({nt: int(data[nt].num_nodes) for nt in data.node_types}),
    }
    save_file(expected, os.path.join(FIXTURES, "pyg_graph_expected.safetensors"), metadata=metadata)
    provenance.stamp_written(__file__, ("torch_geometric",))
    print("wrote", os.path.join(FIXTURES, "pyg_graph.safetensors"), "and pyg_graph_expected.safetensors")


if __name__ == "__main__":
    main()
