#!/usr/bin/env python3
"""Steps 1 and 2 of docs/tutorial.md: a PyG HeteroData, written to my_graph.safetensors (in the current directory)
for hgtok. Needs torch, torch_geometric and safetensors. Run by tests/python/test_tutorial.py.

    python3 examples/python/tutorial_graph.py
"""
import os
import sys

import torch
from torch_geometric.data import HeteroData

data = HeteroData()
data["movie"].x = torch.randn(20, 16)
data["director"].x = torch.randn(11, 16)
data["actor"].x = torch.randn(30, 16)
data["director", "to", "movie"].edge_index = torch.tensor([[0, 1, 2], [0, 1, 2]])
data["movie", "to", "director"].edge_index = torch.tensor([[0, 1, 2], [0, 1, 2]])
data["actor", "to", "movie"].edge_index = torch.tensor([[0, 1, 2, 3], [0, 0, 1, 2]])
data["movie", "to", "actor"].edge_index = torch.tensor([[0, 0, 1, 2], [0, 1, 2, 3]])

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from export_pyg import export_hetero_data  # noqa: E402

export_hetero_data(data, "my_graph.safetensors")  # or: python tools/export_pyg.py data.pt my_graph.safetensors
print("wrote my_graph.safetensors:", data.node_types, [f"{s}__{r}__{d}" for s, r, d in data.edge_types])
