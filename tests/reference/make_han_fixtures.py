#!/usr/bin/env python3
"""Builds the metapath and HAN parity fixtures for tests/parity/test_metapath.cpp and test_han.cpp.

All expected values come from PyG itself (torch_geometric.transforms.AddMetaPaths and
torch_geometric.nn.HANConv), in float64:

    metapath_graph.safetensors          the input graph (tools/export_pyg.py layout, PyG type order)
    metapath_<case>.safetensors         AddMetaPaths(...)(graph) for one case (same layout), PyG's raw output:
                                        the test compares its set of (src, dst) pairs per relation, as PyG may
                                        repeat pairs when an input relation has multi-edges
    han_graph.safetensors               the HAN input: AddMetaPaths(drop_orig_edge_types=True,
                                        keep_same_node_type=True) of the input graph, metapath relations
                                        coalesced (see main())
    han_<case>.safetensors              HANConv state_dict() plus expected/<type> outputs and
                                        attention/<type> semantic attention weights; __metadata__ holds
                                        heads and out_channels

The input graph covers: a relation with zero edges (so a metapath through it yields no edges), multi-edges
(merged by the metapath product), self-loops and duplicates in a same-type relation kept for HAN, isolated
nodes, a node type with no edges at all, a node type that is no destination after the transform, feature
widths that differ per type, a 3-hop metapath.

Metapath cases (the metapath lists are repeated in test_metapath.cpp):
    default       APA, PAP, PTP, VPV (empty), A->P->T->P (3 hops); default flags
    drop_keep     APA, PAP, PTP, VPV; drop_orig_edge_types, keep_same_node_type
    drop_all      APA, PAP, PTP, VPV; drop_orig_edge_types, drop_unconnected_node_types
HAN cases: h1 (1 head), h4 (4 heads), out_channels 8, on han_graph.

Run by hand (needs torch, torch_geometric, safetensors):
    python tests/reference/make_han_fixtures.py
"""
import os
import sys

import torch
from safetensors.torch import save_file
from torch_geometric.data import HeteroData
from torch_geometric.nn import HANConv
from torch_geometric.transforms import AddMetaPaths
from torch_geometric.utils import coalesce

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")

WRITES = ("author", "writes", "paper")
WRITTEN_BY = ("paper", "written_by", "author")
HAS = ("paper", "has", "term")
IN = ("term", "in", "paper")
PUBLISHED_IN = ("paper", "published_in", "venue")
LISTS = ("venue", "lists", "paper")  # zero edges
CITES = ("paper", "cites", "paper")

APA = [WRITES, WRITTEN_BY]
PAP = [WRITTEN_BY, WRITES]
PTP = [HAS, IN]
VPV = [LISTS, PUBLISHED_IN]
APTP = [WRITES, HAS, IN]


def t(rows):
    return torch.tensor(rows, dtype=torch.long)


def input_graph(gen):
    d = HeteroData()
    d["author"].x = torch.randn(5, 5, generator=gen, dtype=torch.float64)  # author 4 writes nothing
    d["paper"].x = torch.randn(6, 7, generator=gen, dtype=torch.float64)
    d["term"].x = torch.randn(4, 4, generator=gen, dtype=torch.float64)  # term 3 is isolated
    d["venue"].x = torch.randn(2, 3, generator=gen, dtype=torch.float64)
    d["org"].x = torch.randn(3, 2, generator=gen, dtype=torch.float64)  # no edges at all
    # A multi-edge (author 0 -> paper 1 twice); listed out of order.
    d[WRITES].edge_index = t([[2, 0, 1, 0, 3, 0, 1, 2], [3, 1, 1, 1, 5, 0, 2, 0]])
    d[WRITTEN_BY].edge_index = t([[1, 1, 2, 3, 5, 0, 0], [0, 1, 1, 2, 3, 0, 2]])
    d[HAS].edge_index = t([[0, 1, 1, 2, 4, 5, 5], [0, 0, 2, 1, 2, 2, 0]])
    d[IN].edge_index = t([[2, 0, 1, 0, 2], [1, 0, 2, 5, 4]])
    d[PUBLISHED_IN].edge_index = t([[0, 1, 2, 5], [0, 1, 1, 0]])
    d[LISTS].edge_index = torch.zeros(2, 0, dtype=torch.long)
    # Self-loops (2 -> 2, 4 -> 4 twice) and a duplicate (0 -> 1 twice); paper 3 is never cited.
    d[CITES].edge_index = t([[2, 4, 0, 0, 1, 4, 5], [2, 4, 1, 1, 0, 4, 2]])
    return d


def metapath_cases():
    return {
        "default": dict(metapaths=[APA, PAP, PTP, VPV, APTP]),
        "drop_keep": dict(metapaths=[APA, PAP, PTP, VPV], drop_orig_edge_types=True, keep_same_node_type=True),
        "drop_all": dict(metapaths=[APA, PAP, PTP, VPV], drop_orig_edge_types=True,
                         drop_unconnected_node_types=True),
    }


def randomize_(module, gen, scale=0.5):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale)


def han_case(name, data, out_channels, heads, gen):
    in_channels = {nt: data[nt].x.size(1) for nt in data.node_types}
    conv = HANConv(in_channels, out_channels, data.metadata(), heads=heads).double()
    randomize_(conv, gen)
    conv.eval()
    with torch.no_grad():
        out, attn = conv(data.x_dict, data.edge_index_dict, return_semantic_attention_weights=True)
    tensors = {k: v.detach().contiguous() for k, v in conv.state_dict().items()}
    for nt, v in out.items():
        if v is not None:
            tensors[f"expected/{nt}"] = v.contiguous()
    for nt, a in attn.items():
        if a is not None:
            tensors[f"attention/{nt}"] = a.contiguous()
    save_file(tensors, os.path.join(FIXTURES, f"han_{name}.safetensors"),
              metadata={"heads": str(heads), "out_channels": str(out_channels)})
    print("han", name, {nt: tuple(v.shape) for nt, v in out.items() if v is not None},
          {nt: a.tolist() for nt, a in attn.items() if a is not None})


def main():
    gen = torch.Generator().manual_seed(20240804)
    data = input_graph(gen)
    export_hetero_data(data, os.path.join(FIXTURES, "metapath_graph.safetensors"))
    for name, kw in metapath_cases().items():
        out = AddMetaPaths(**kw)(data.clone())
        del out.metapath_dict
        export_hetero_data(out, os.path.join(FIXTURES, f"metapath_{name}.safetensors"))
        print("metapath", name, out.node_types,
              {"__".join(et): out[et].edge_index.tolist() for et in out.edge_types if "metapath" in et[1]})
    han_data = AddMetaPaths([APA, PAP, PTP, VPV], drop_orig_edge_types=True, keep_same_node_type=True)(data.clone())
    del han_data.metapath_dict
    # PyG's sparse product keeps some duplicate pairs when a relation has multi-edges (how many depends on an
    # unstable sort); hgtok's add_metapaths merges them. Coalesce the metapath relations so that HAN's input is
    # exactly what hgtok builds (the kept 'cites' relation keeps its multi-edges and self-loops).
    for et in han_data.edge_types:
        if et[1].startswith("metapath_"):
            han_data[et].edge_index = coalesce(han_data[et].edge_index)
    export_hetero_data(han_data, os.path.join(FIXTURES, "han_graph.safetensors"))
    han_case("h1", han_data, 8, 1, gen)
    han_case("h4", han_data, 8, 4, gen)


if __name__ == "__main__":
    main()
