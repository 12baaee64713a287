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

MetaHAN cases (tests/parity/test_han.cpp), three files each, like make_hgt_fixtures.py's MetaHGT cases:
    han_meta_<case>_graph.safetensors   han_graph's node types and edges, features redrawn with one width
                                        (in_channels) for every node type
    han_meta_<case>.safetensors         MetaHANReference state_dict() plus expected/<type> and attention/<type>;
                                        __metadata__ holds heads, out_channels, in_channels, embedding_dim
    han_meta_<case>_table.safetensors   type embeddings node/<type>, edge/<src>__<rel>__<dst>
    cases: meta_h1 (1 head), meta_h4 (4 heads); in_channels 6, out_channels 8, m 16.
MetaHANReference below is written from the equations of docs/han.md ("MetaHANConv (generated)"): HANConv whose
per-node-type projection is generated from the node type's embedding (make_hgt_fixtures.py's HiGPT
ParameterGenerator reference) and whose lin_src / lin_dst vectors are linear maps of the edge type's
embedding. The script checks it against torch_geometric.nn.HANConv itself, loaded with the generated
parameters, to 1e-12.

Run by hand (needs torch, torch_geometric, safetensors):
    python tests/reference/make_han_fixtures.py [--meta-only]
--meta-only recomputes everything (same random draws) but writes only the MetaHAN files: the safetensors
writer orders __metadata__ keys arbitrarily, so rewriting the other files can change their bytes (never
their values).
"""
import argparse
import os
import sys

import torch
from safetensors.torch import save_file
from torch_geometric.data import HeteroData
from torch_geometric.nn import HANConv
from torch_geometric.transforms import AddMetaPaths
from torch_geometric.utils import coalesce, softmax

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402

sys.path.insert(0, HERE)
from make_hgt_fixtures import GeneratedLinear  # noqa: E402  (HiGPT's ParameterGenerator reference)
import provenance  # noqa: E402

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


def han_case(name, data, out_channels, heads, gen, write=True):
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
    if write:
        save_file(tensors, os.path.join(FIXTURES, f"han_{name}.safetensors"),
                  metadata={"heads": str(heads), "out_channels": str(out_channels)})
    print("han", name, {nt: tuple(v.shape) for nt, v in out.items() if v is not None},
          {nt: a.tolist() for nt, a in attn.items() if a is not None})


# ---------------------------------------------------------------- MetaHAN reference (from the equations)
class MetaHANReference(torch.nn.Module):
    """HANConv with type-dependent parameters generated from type embeddings:

        P_t = x_t @ W(e_t) + b(e_t)                       proj: generator m -> in x F, F    [N_t, H, D]
        lin_src[r] = lin_src_trans(e_r), lin_dst[r] = lin_dst_trans(e_r)   Linear(m -> F), viewed [H, D]
        node-level attention per edge type r = (s, rel, d), over d's incoming edges of r only:
            alpha_ij = softmax_j LeakyReLU_0.2(<P_s[j], lin_src[r]>_h + <P_d[i], lin_dst[r]>_h)
            z_r[i] = ReLU(sum_j alpha_ij P_s[j])
        semantic attention per destination type d: w_r = q . mean_i tanh(k_lin(z_r[i])), beta = softmax_r w_r,
            out_d = sum_r beta_r z_r
    """

    def __init__(self, in_channels, out_channels, heads, m):
        super().__init__()
        self.F, self.H = out_channels, heads
        self.proj = GeneratedLinear(m, in_channels, out_channels)
        self.lin_src_trans = torch.nn.Linear(m, out_channels)
        self.lin_dst_trans = torch.nn.Linear(m, out_channels)
        self.k_lin = torch.nn.Linear(out_channels, out_channels)
        self.q = torch.nn.Parameter(torch.empty(1, out_channels))

    def generated(self, node_emb, edge_emb):
        """The parameters a plain HANConv would hold: proj[t] = (W, b), lin_src / lin_dst[r] of shape [1, H, D]."""
        D = self.F // self.H
        proj = {t: self.proj.lin_gen(e) for t, e in node_emb.items()}
        lin_src = {et: self.lin_src_trans(e).view(1, self.H, D) for et, e in edge_emb.items()}
        lin_dst = {et: self.lin_dst_trans(e).view(1, self.H, D) for et, e in edge_emb.items()}
        return proj, lin_src, lin_dst

    def forward(self, x_dict, edge_index_dict, node_emb, edge_emb):
        F, H = self.F, self.H
        D = F // H
        used = {et[0] for et in edge_index_dict} | {et[2] for et in edge_index_dict}
        p = {t: self.proj(x_dict[t], node_emb[t]).view(-1, H, D) for t in used}
        z = {}
        for et, (src, dst) in edge_index_dict.items():
            s, d = et[0], et[2]
            e = edge_emb[et]
            a_src = (p[s] * self.lin_src_trans(e).view(1, H, D)).sum(-1)  # [N_s, H]
            a_dst = (p[d] * self.lin_dst_trans(e).view(1, H, D)).sum(-1)  # [N_d, H]
            n = p[d].size(0)
            score = torch.nn.functional.leaky_relu(a_src[src] + a_dst[dst], 0.2)
            alpha = softmax(score, dst, num_nodes=n)
            agg = torch.zeros(n, H, D, dtype=p[s].dtype).index_add_(0, dst, p[s][src] * alpha.unsqueeze(-1))
            z.setdefault(d, []).append(torch.relu(agg.view(n, F)))
        out, attn = {}, {}
        for d, zs in z.items():
            stacked = torch.stack(zs)  # [R, N_d, F]
            if stacked.size(1) == 0:
                out[d] = stacked.new_zeros(0, F)
                continue
            w = (self.q * torch.tanh(self.k_lin(stacked)).mean(1)).sum(-1)  # [R]
            beta = torch.softmax(w, dim=0)
            out[d] = (beta.view(-1, 1, 1) * stacked).sum(0)
            attn[d] = beta
        return out, attn


def check_against_pyg(ref, data, in_channels, heads, node_emb, edge_emb, out, attn):
    """Loads PyG's HANConv with the parameters ref generates and asserts the same outputs and attention."""
    conv = HANConv({t: in_channels for t in data.node_types}, ref.F, data.metadata(), heads=heads).double()
    proj, lin_src, lin_dst = ref.generated(node_emb, edge_emb)
    with torch.no_grad():
        for t, (w, b) in proj.items():
            conv.proj[t].weight.copy_(w.t())
            conv.proj[t].bias.copy_(b)
        for et in data.edge_types:
            conv.lin_src["__".join(et)].copy_(lin_src[et])
            conv.lin_dst["__".join(et)].copy_(lin_dst[et])
        conv.k_lin.load_state_dict(ref.k_lin.state_dict())
        conv.q.copy_(ref.q)
    conv.eval()
    with torch.no_grad():
        theirs, theirs_attn = conv(data.x_dict, data.edge_index_dict, return_semantic_attention_weights=True)
    theirs = {t: v for t, v in theirs.items() if v is not None}
    theirs_attn = {t: a for t, a in theirs_attn.items() if a is not None}
    assert set(theirs) == set(out) and set(theirs_attn) == set(attn), (set(theirs), set(out), set(theirs_attn), set(attn))
    for t in out:
        err = (theirs[t] - out[t]).abs().max().item() if out[t].numel() else 0.0
        assert err < 1e-12, (t, err)
    for t in attn:
        err = (theirs_attn[t] - attn[t]).abs().max().item()
        assert err < 1e-12, (t, err)


def meta_han_case(name, structure, in_channels, out_channels, heads, m, gen):
    data = structure.clone()
    for t in data.node_types:
        data[t].x = torch.randn(data[t].num_nodes, in_channels, generator=gen, dtype=torch.float64)
    ref = MetaHANReference(in_channels, out_channels, heads, m).double()
    randomize_(ref, gen, scale=0.3)
    ref.eval()
    node_emb = {t: torch.randn(m, generator=gen, dtype=torch.float64) for t in data.node_types}
    edge_emb = {et: torch.randn(m, generator=gen, dtype=torch.float64) for et in data.edge_types}
    with torch.no_grad():
        out, attn = ref(data.x_dict, data.edge_index_dict, node_emb, edge_emb)
        check_against_pyg(ref, data, in_channels, heads, node_emb, edge_emb, out, attn)
    export_hetero_data(data, os.path.join(FIXTURES, f"han_{name}_graph.safetensors"))
    tensors = {k: v.detach().contiguous() for k, v in ref.state_dict().items()}
    for t, v in out.items():
        tensors[f"expected/{t}"] = v.contiguous()
    for t, a in attn.items():
        tensors[f"attention/{t}"] = a.contiguous()
    meta = {"heads": heads, "out_channels": out_channels, "in_channels": in_channels, "embedding_dim": m}
    save_file(tensors, os.path.join(FIXTURES, f"han_{name}.safetensors"), metadata={k: str(v) for k, v in meta.items()})
    table = {f"node/{t}": e.contiguous() for t, e in node_emb.items()}
    table.update({f"edge/{'__'.join(et)}": e.contiguous() for et, e in edge_emb.items()})
    save_file(table, os.path.join(FIXTURES, f"han_{name}_table.safetensors"))
    print("han", name, {t: tuple(v.shape) for t, v in out.items()}, {t: a.tolist() for t, a in attn.items()},
          "(matches PyG HANConv with the generated parameters)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta-only", action="store_true", help="write only the MetaHAN fixtures")
    write = not ap.parse_args().meta_only
    gen = torch.Generator().manual_seed(20240804)
    data = input_graph(gen)
    if write:
        export_hetero_data(data, os.path.join(FIXTURES, "metapath_graph.safetensors"))
    for name, kw in metapath_cases().items():
        out = AddMetaPaths(**kw)(data.clone())
        del out.metapath_dict
        if write:
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
    if write:
        export_hetero_data(han_data, os.path.join(FIXTURES, "han_graph.safetensors"))
    han_case("h1", han_data, 8, 1, gen, write)
    han_case("h4", han_data, 8, 4, gen, write)
    # MetaHAN: its own generator, so that the cases above draw exactly what they drew before.
    meta_gen = torch.Generator().manual_seed(20261123)
    meta_han_case("meta_h1", han_data, 6, 8, 1, 16, meta_gen)
    meta_han_case("meta_h4", han_data, 6, 8, 4, 16, meta_gen)
    provenance.stamp_written(__file__, ("torch_geometric",))


if __name__ == "__main__":
    main()
