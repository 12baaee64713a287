#!/usr/bin/env python3
"""Builds the HGT / MetaHGT parity fixtures for tests/parity/test_hgt.cpp and test_meta_hgt.cpp.

Every case is three small float64 files under tests/fixtures/:

    hgt_<case>_graph.safetensors   the input graph (tools/export_pyg.py layout, PyG type order in __metadata__)
    hgt_<case>.safetensors         the layer's state_dict() (PyG / HiGPT names) plus expected/<type> outputs;
                                   __metadata__ holds heads, out_channels (and for MetaHGT in_channels,
                                   embedding_dim, variant)
    hgt_<case>_table.safetensors   MetaHGT only: type embeddings, node/<type> and edge/<src>__<rel>__<dst>

HGT expected outputs come from torch_geometric.nn.HGTConv itself (random weights, and random skip / p_rel so
those parameters matter). MetaHGT expected outputs come from `MetaHGTReference` below, written here after
HiGPT's MetaHGTConv (HG_grounding/models/meta_hgt/meta_hgtconv_bert_all.py, meta_linear.py): generated
kqv_lin / out_lin per node type, generated k_rel / v_rel per edge type applied to every head, p_rel and skip from
linear maps of the type embeddings, gelu, clamp(+-100), LayerNorm(eps=1e-6). With --higpt <HiGPT checkout> the
script also runs HiGPT's own MetaHGTConv (both copies, import-only dependencies stubbed) on the heads = 1 cases
and asserts it matches the reference to 1e-12. The MetaHGT files record it in __metadata__ (provenance.py):
higpt_checked "true" and higpt_commit (the checkout's HEAD) for the heads = 1 cases checked, "false" / "none"
otherwise; every file also records the script and the library versions (tests/reference/README.md).

Cases (the graph covers: a relation with zero edges whose destination receives nothing else, isolated nodes,
multi-edges and self-loops, a node type that is no destination, input widths that differ per type):
    hgt_h1, hgt_h4          PyG HGTConv, 1 and 4 heads
    hgt_single              a graph with a single node (one self-loop)
    meta_h1, meta_h4        MetaHGT, 1 and 4 heads (Pretrain variant)
    meta_h1_inference       MetaHGT, HiGPT's inference copy (no gelu, no clamp)
    meta_noskip             in_channels != out_channels (no skip connection)
    meta_single             a graph with a single node

Run by hand (needs torch, torch_geometric, safetensors):
    python tests/reference/make_hgt_fixtures.py [--higpt /path/to/HiGPT]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import types

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torch_geometric.data import HeteroData
from torch_geometric.nn import HGTConv
from torch_geometric.utils import softmax

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_pyg import export_hetero_data  # noqa: E402
sys.path.insert(0, HERE)
import provenance  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def main_graph(gen, widths):
    """IMDB-like graph. widths: node type -> feature width."""
    d = HeteroData()
    d["movie"].x = torch.randn(5, widths["movie"], generator=gen)
    d["director"].x = torch.randn(3, widths["director"], generator=gen)
    d["actor"].x = torch.randn(4, widths["actor"], generator=gen)
    d["keyword"].x = torch.randn(3, widths["keyword"], generator=gen)  # only ever a source
    d["studio"].x = torch.randn(2, widths["studio"], generator=gen)  # destination of a zero-edge relation only
    # movie -> director; director 1 receives nothing (isolated as a destination); a multi-edge 0 -> 2 twice.
    d["movie", "directed_by", "director"].edge_index = torch.tensor([[0, 1, 2, 0, 4, 3], [2, 0, 2, 2, 0, 0]])
    d["director", "directs", "movie"].edge_index = torch.tensor([[2, 0, 0, 2], [0, 1, 4, 2]])
    d["actor", "acts_in", "movie"].edge_index = torch.tensor([[0, 1, 2, 0, 1], [0, 0, 1, 4, 4]])
    # Self-loops (2 -> 2, 4 -> 4) and a duplicate (0 -> 1 twice); movie 3 receives nothing at all.
    d["movie", "cites", "movie"].edge_index = torch.tensor([[2, 4, 0, 0, 1], [2, 4, 1, 1, 0]])
    d["keyword", "describes", "movie"].edge_index = torch.tensor([[0, 2, 1], [1, 1, 2]])
    d["movie", "made_by", "studio"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    return d


def single_graph(gen, width):
    d = HeteroData()
    d["paper"].x = torch.randn(1, width, generator=gen)
    d["paper", "cites", "paper"].edge_index = torch.tensor([[0], [0]])
    return d


def edge_key(et):
    return "__".join(et)


def randomize_(module, gen, scale=0.5):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)


def save_case(name, data, weights, expected, meta, table=None):
    export_hetero_data(data, os.path.join(FIXTURES, f"hgt_{name}_graph.safetensors"))
    tensors = {k: v.detach().contiguous() for k, v in weights.items()}
    for t, v in expected.items():
        tensors[f"expected/{t}"] = v.detach().contiguous()
    save_file(tensors, os.path.join(FIXTURES, f"hgt_{name}.safetensors"), metadata={k: str(v) for k, v in meta.items()})
    if table is not None:
        save_file({k: v.contiguous() for k, v in table.items()}, os.path.join(FIXTURES, f"hgt_{name}_table.safetensors"))


# ---------------------------------------------------------------- HGT (PyG itself)
def hgt_case(name, data, out_channels, heads, gen):
    in_channels = {t: data[t].x.size(1) for t in data.node_types}
    conv = HGTConv(in_channels, out_channels, data.metadata(), heads=heads)
    randomize_(conv, gen)
    conv.eval()
    with torch.no_grad():
        out = conv(data.x_dict, data.edge_index_dict)
    expected = {t: v for t, v in out.items() if v is not None}
    save_case(name, data, conv.state_dict(), expected, {"heads": heads, "out_channels": out_channels})
    print(name, {t: tuple(v.shape) for t, v in expected.items()})


# ---------------------------------------------------------------- MetaHGT reference (after HiGPT's code)
class Generator(nn.Module):
    """HiGPT's ParameterGenerator (dynamic): MLPs m -> m/2 -> m/2 -> in*out (weight) and -> out (bias)."""

    def __init__(self, m, fan_in, fan_out):
        super().__init__()
        h = m // 2
        self.fan_in, self.fan_out = fan_in, fan_out
        self.weight_generator = nn.Sequential(nn.Linear(m, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, fan_in * fan_out))
        self.bias_generator = nn.Sequential(nn.Linear(m, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, fan_out))

    def forward(self, e):
        return self.weight_generator(e).view(self.fan_in, self.fan_out), self.bias_generator(e).view(self.fan_out)


class GeneratedLinear(nn.Module):
    def __init__(self, m, fan_in, fan_out):
        super().__init__()
        self.lin_gen = Generator(m, fan_in, fan_out)

    def forward(self, x, e):
        w, b = self.lin_gen(e)
        return x @ w + b


class MetaHGTReference(nn.Module):
    """MetaHGTConv with the relation transform applied to every head (hgtok's semantics; HiGPT's for heads = 1)."""

    def __init__(self, in_channels, out_channels, heads, m, variant="pretrain"):
        super().__init__()
        self.F, self.H, self.variant = out_channels, heads, variant
        D = out_channels // heads
        self.kqv_lin = GeneratedLinear(m, in_channels, 3 * out_channels)
        self.out_lin = GeneratedLinear(m, out_channels, out_channels)
        self.k_rel = GeneratedLinear(m, D, D)
        self.v_rel = GeneratedLinear(m, D, D)
        self.skipTrans = nn.Linear(m, 1)
        self.p_relTrans = nn.Linear(m, heads)
        self.norm = nn.LayerNorm(out_channels, eps=1e-6)

    def forward(self, x_dict, edge_index_dict, node_emb, edge_emb):
        F, H = self.F, self.H
        D = F // H
        k, q, v = {}, {}, {}
        for t, x in x_dict.items():
            kk, qq, vv = torch.tensor_split(self.kqv_lin(x, node_emb[t]), 3, dim=1)
            k[t], q[t], v[t] = kk.view(-1, H, D), qq.view(-1, H, D), vv.view(-1, H, D)
        # Per destination type: scores and messages of every incoming edge, all relations together.
        agg = {}
        dst_types = {et[2] for et in edge_index_dict}
        for dt in dst_types:
            n = x_dict[dt].size(0)
            scores, msgs, index = [], [], []
            for et, ei in edge_index_dict.items():
                if et[2] != dt:
                    continue
                e = edge_emb[et]
                kr = self.k_rel(k[et[0]], e)  # [N, H, D] @ [D, D] + b: every head
                vr = self.v_rel(v[et[0]], e)
                p = self.p_relTrans(e)  # [H]
                src, dst = ei
                s = (q[dt][dst] * kr[src]).sum(-1) * p / math.sqrt(D)
                scores.append(s)
                msgs.append(vr[src])
                index.append(dst)
            s, msg, index = torch.cat(scores), torch.cat(msgs), torch.cat(index)
            alpha = softmax(s, index, num_nodes=n)
            out = torch.zeros(n, H, D).index_add_(0, index, msg * alpha.unsqueeze(-1))
            agg[dt] = out.view(n, F)
        result = {}
        for dt, a in agg.items():
            if self.variant == "pretrain":
                a = torch.nn.functional.gelu(a)
            o = self.out_lin(a, node_emb[dt])
            if o.size(-1) == x_dict[dt].size(-1):
                beta = self.skipTrans(node_emb[dt]).sigmoid()
                o = beta * o + (1 - beta) * x_dict[dt]
            if self.variant == "pretrain":
                o = torch.clamp(o, -100.0, 100.0)
            result[dt] = self.norm(o)
        return result


def load_higpt_class(higpt_root, copy):
    """Imports HiGPT's MetaHGTConv from a checkout (git show, nothing copied into hgtok), stubbing the imports
    that only its text side needs."""
    base = {"pretrain": "HG_grounding/models/meta_hgt", "inference": "higpt/model/meta_hgt"}[copy]
    pkg = {"pretrain": "models.meta_hgt", "inference": "higpt.model.meta_hgt"}[copy]
    tmp = tempfile.mkdtemp()
    for f in ("meta_linear.py", "meta_hgtconv_bert_all.py"):
        src = subprocess.run(["git", "-C", higpt_root, "show", f"HEAD:{base}/{f}"], check=True, capture_output=True, text=True).stdout
        with open(os.path.join(tmp, f), "w") as fh:
            fh.write(src)
    for mod in ("models", "models.meta_hgt", "models.clip_models", "models.clip_models.tokenizer", "higpt", "higpt.model",
                "higpt.model.meta_hgt", "higpt.model.heteclip_models", "higpt.model.heteclip_models.tokenizer",
                "torch_geometric.backend"):
        sys.modules.setdefault(mod, types.ModuleType(mod))
    sys.modules["models.clip_models.tokenizer"].tokenize = None
    sys.modules["higpt.model.heteclip_models.tokenizer"].tokenize = None
    import importlib.util

    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod

    load(f"{pkg}.meta_linear", os.path.join(tmp, "meta_linear.py"))
    return load(f"{pkg}.meta_hgtconv_bert_all", os.path.join(tmp, "meta_hgtconv_bert_all.py")).MetaHGTConv


def meta_case(name, data, in_channels, out_channels, heads, m, gen, variant="pretrain", higpt=None):
    ref = MetaHGTReference(in_channels, out_channels, heads, m, variant)
    # Scale 0.3: generated weights of order 1, so attention scores stay of order 10 and float32 results are
    # comparable at 1e-5 (with 0.5, scores reach the hundreds and float32 rounding alone exceeds 1e-5).
    randomize_(ref, gen, scale=0.3)
    node_emb = {t: torch.randn(m, generator=gen) for t in data.node_types}
    edge_emb = {et: torch.randn(m, generator=gen) for et in data.edge_types}
    with torch.no_grad():
        out = ref(data.x_dict, data.edge_index_dict, node_emb, edge_emb)
    if higpt is not None and heads == 1:
        cls = load_higpt_class(higpt, variant)
        cfg = types.SimpleNamespace(width=m, context_length=77)
        theirs = cls(in_channels, out_channels, heads=heads, dynamic=True, text_cfg=cfg)
        theirs.load_state_dict(ref.state_dict())
        with torch.no_grad():
            out2 = theirs(data.x_dict, data.edge_index_dict, node_type_feas_dict=node_emb, edge_type_feas_dict=edge_emb)
        assert set(out2) == set(out), (set(out2), set(out))
        worst = 0.0
        for t in out:
            err = (out2[t] - out[t]).abs().max().item()
            assert err < 1e-12, (name, t, err)
            worst = max(worst, err)
        print(f"  {name}: matches HiGPT's own MetaHGTConv ({variant} copy), max |difference| {worst:.3g}")
    table = {f"node/{t}": e for t, e in node_emb.items()}
    table.update({f"edge/{edge_key(et)}": e for et, e in edge_emb.items()})
    meta = {"heads": heads, "out_channels": out_channels, "in_channels": in_channels, "embedding_dim": m, "variant": variant}
    save_case(name, data, ref.state_dict(), out, meta, table)
    print(name, {t: tuple(v.shape) for t, v in out.items()})


def nn_case(gen):
    """hgt_nn.safetensors: building blocks computed by torch for tests/nn and tests/projector.
    linear.{weight,bias}, linear/{x,y}; layer_norm.{weight,bias}, layer_norm/{x,y} (eps 1e-6); activations/x, gelu|relu|sigmoid/y;
    segment_softmax/{scores [E,H], index [E], values [E,H*D], alpha, out [N,H*D]} (destination 3 has no edge);
    generator.lin_gen.*: a HiGPT ParameterGenerator state_dict (m=10, in=3, out=4), generator/{embedding, weight [3,4], bias [4]}."""
    t = {}
    x = torch.randn(7, 5, generator=gen) * 2
    lin = nn.Linear(5, 3)
    randomize_(lin, gen)
    t.update({"linear/x": x, "linear.weight": lin.weight, "linear.bias": lin.bias, "linear/y": lin(x)})
    ln = nn.LayerNorm(5, eps=1e-6)
    randomize_(ln, gen)
    xl = torch.randn(6, 5, generator=gen) * 3 + 1
    t.update({"layer_norm/x": xl, "layer_norm.weight": ln.weight, "layer_norm.bias": ln.bias, "layer_norm/y": ln(xl)})
    xa = torch.linspace(-8, 8, 97)
    t.update({"activations/x": xa, "gelu/y": torch.nn.functional.gelu(xa), "relu/y": torch.relu(xa),
              "sigmoid/y": torch.sigmoid(xa)})
    E, H, D, N = 11, 2, 3, 5
    index = torch.tensor([0, 2, 1, 0, 4, 2, 2, 0, 1, 4, 0])
    scores = torch.randn(E, H, generator=gen) * 4
    scores[3, 0] = 60.0  # a large score: the segment max must be subtracted
    values = torch.randn(E, H * D, generator=gen)
    alpha = softmax(scores, index, num_nodes=N)
    out = torch.zeros(N, H, D).index_add_(0, index, values.view(E, H, D) * alpha.unsqueeze(-1)).view(N, H * D)
    t.update({"segment_softmax/scores": scores, "segment_softmax/index": index, "segment_softmax/values": values,
              "segment_softmax/alpha": alpha, "segment_softmax/out": out})
    g = Generator(10, 3, 4)
    randomize_(g, gen)
    e = torch.randn(10, generator=gen)
    w, b = g(e)
    for k, v in g.state_dict().items():
        t[f"generator.lin_gen.{k}"] = v
    t.update({"generator/embedding": e, "generator/weight": w, "generator/bias": b})
    save_file({k: v.detach().contiguous() for k, v in t.items()}, os.path.join(FIXTURES, "hgt_nn.safetensors"))
    print("nn", len(t), "tensors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--higpt", help="a git checkout of HKUDS/HiGPT to cross-check the heads = 1 MetaHGT cases")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(2024_0803)
    widths = {"movie": 16, "director": 6, "actor": 5, "keyword": 16, "studio": 16}
    hgt_case("h1", main_graph(gen, widths), 16, 1, gen)
    hgt_case("h4", main_graph(gen, widths), 16, 4, gen)
    hgt_case("single", single_graph(gen, 12), 12, 2, gen)
    same = {t: 16 for t in widths}
    meta_case("meta_h1", main_graph(gen, same), 16, 16, 1, 12, gen, higpt=args.higpt)
    meta_case("meta_h4", main_graph(gen, same), 16, 16, 4, 12, gen)
    meta_case("meta_h1_inference", main_graph(gen, same), 16, 16, 1, 12, gen, variant="inference", higpt=args.higpt)
    meta_case("meta_noskip", main_graph(gen, {t: 10 for t in widths}), 10, 16, 2, 12, gen, higpt=None)
    meta_case("meta_single", single_graph(gen, 8), 8, 8, 2, 10, gen)
    nn_case(gen)
    # MetaHGT fixtures: heads = 1 cases checked against HiGPT's code when --higpt is given; the others cannot be
    # (HiGPT's MetaHGTConv applies the relation transform to heads = 1 only), so they say "false".
    commit = provenance.higpt_commit(args.higpt) if args.higpt else None
    provenance.stamp_written(__file__, ("torch_geometric",), higpt=[
        ("hgt_meta_h1_*", bool(args.higpt), commit), ("hgt_meta_h1.safetensors", bool(args.higpt), commit),
        ("hgt_meta_*", False, None)])


if __name__ == "__main__":
    main()
