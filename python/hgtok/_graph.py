"""HeteroGraph.from_dict / from_pyg: a graph from PyG-style dicts of arrays (NumPy or CPU torch tensors).

Memory: the C++ HeteroGraph owns its features (row-major float32 matrices) and builds a CSR of every edge type,
so both functions copy: features once, edges once into the CSR. Nothing keeps a reference to the caller's arrays.
Accepted without conversion: float32 features [N, F], int64 (or int32) edge_index [2, E], C-contiguous, on the CPU;
anything else is an hgtok.ShapeError / hgtok.ValueError naming the array (no silent conversion).
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple, Union

from . import _core

EdgeKey = Union[Tuple[str, str, str], str]


def _plain(array):
    """A torch tensor without autograd history (nanobind reads tensors through DLPack, which refuses requires_grad)."""
    return array.detach() if hasattr(array, "detach") else array


def from_dict(x_dict: Mapping[str, object], edge_index_dict: Mapping[EdgeKey, object],
              num_nodes_dict: Optional[Mapping[str, int]] = None) -> "_core.HeteroGraph":
    """A graph from x_dict {node type: [N, F] float32} and edge_index_dict {(src, rel, dst) or "src__rel__dst":
    [2, E] int64}; node types in x_dict's order, then num_nodes_dict's types without features."""
    g = _core.HeteroGraph()
    for name, x in x_dict.items():
        g.add_node_type(name, _plain(x))
    for name, n in (num_nodes_dict or {}).items():
        if name not in x_dict:
            g.add_node_type_without_features(name, int(n))
    for key, edge_index in edge_index_dict.items():
        g.add_edge_type(key, _plain(edge_index))
    return g


def from_pyg(data) -> "_core.HeteroGraph":
    """A graph from a torch_geometric.data.HeteroData: node types in data.node_types order with data[t].x (a type
    without x gets width 0 and data[t].num_nodes nodes), edge types in data.edge_types order."""
    x_dict: Dict[str, object] = {}
    counts: Dict[str, int] = {}
    for t in data.node_types:
        store = data[t]
        if "x" in store and store.x is not None:
            x_dict[t] = store.x
        else:
            counts[t] = int(store.num_nodes)
    g = _core.HeteroGraph()
    for t in data.node_types:  # keep PyG's order, features or not
        if t in x_dict:
            g.add_node_type(t, _plain(x_dict[t]))
        else:
            g.add_node_type_without_features(t, counts[t])
    for et in data.edge_types:
        g.add_edge_type(tuple(et), _plain(data[et].edge_index))
    return g
