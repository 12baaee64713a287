#!/usr/bin/env python3
"""Builds the converter fixtures under tests/fixtures/convert/ (tests/python/test_convert.py converts them with
tools/convert_checkpoint.py; tests/tokenizer/test_convert.cpp loads the converted directories in double).

Each case is a source model built with the original classes, saved in its original checkpoint layout, its outputs on
a small graph, and the directory the converter makes of it (--dtype float64):

  higpt/    HiGPT's released layout, written and read back with HiGPT's own code (--higpt CHECKOUT, commit recorded):
              MetaHGT/graph_config.json, MetaHGT/text_config.json, MetaHGT/metahgt.ckpt   the graph tower directory
                  load_metahgt_pretrained (higpt/model/HeteroLlama.py) reads: MetaHGTConvCfg, CLIPTextCfg, and a
                  Lightning-style checkpoint whose state_dict holds the layer under model.graph_encoder. (plus a
                  text-side tensor HiGPT ignores)
              graph_projector.bin   stage-1 adapter: {model.graph_projector.weight, .bias} (GraphChatTrainer._save)
              stage2/model.safetensors   stage-2 model weights (HF layout): model.graph_projector.*, model.embed_tokens.weight,
                  lm_head.weight; another projector than stage 1's
              graph.safetensors, table.safetensors (node/<t>, edge/<key> type embeddings)
              expected.safetensors   tokens_stage1, tokens_stage2 [T, llm_dim]: HiGPT's tower (loaded by its
                  load_metahgt_pretrained, the higpt/model/meta_hgt copy) on the graph, graph_projector loaded as
                  HeteroLlamaModel.initialize_graph_modules does, rows of the hetero_key_order types one after another
                  (HeteroLlamaModel.forward); __metadata__ hetero_key_order
              tokenizer/   converted from the tower + graph_projector.bin
  pyg_hgt/  model.pt: torch.save(state_dict) of a model with convs = ModuleList[HGTConv, HGTConv] and lin = Linear
            (PyG's HGT example without its input Linear), on a graph with different widths per node type; graph,
            expected (tokens: lin(conv1(conv0(x)))[t] for t in the order), tokenizer/
  pyg_han/  the same with one HANConv and a Linear named proj_out
  pyg_han_metapath/  that model built for and run on the graph after PyG's AddMetaPaths (two metapaths, original edge
            types dropped); expected __metadata__ metapaths (the converter's --metapaths), graph.safetensors the
            original graph (the tokenizer adds the metapaths itself)
  hetgnn/   tokenizer/ converted from tests/fixtures/hetgnn_static.safetensors (identity projector)

Heads = 1 for MetaHGT: HiGPT's MetaHGTConv applies the relation transform to head 0 only (docs/hgt.md).
Run by hand (needs torch, torch_geometric, transformers, safetensors and a git checkout of HKUDS/HiGPT):
    python tests/reference/make_convert_fixtures.py --higpt /path/to/HiGPT
"""
import argparse
import ast
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from dataclasses import dataclass  # HiGPT's CLIPTextCfg, exec'd below, is one

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torch_geometric.data import HeteroData
from torch_geometric.nn import HANConv, HGTConv
from torch_geometric.transforms import AddMetaPaths

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
from export_pyg import export_hetero_data  # noqa: E402
from make_hgt_fixtures import load_higpt_class, randomize_  # noqa: E402
import provenance  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "convert")
CONVERT = os.path.join(ROOT, "tools", "convert_checkpoint.py")


def higpt_definitions(higpt_root, path, names, namespace):
    """Executes the top-level definitions `names` of HiGPT's file `path` (git show, nothing copied) in `namespace`:
    the functions and dataclasses we need without importing the modules around them (LLaMA, CLIP, ...)."""
    src = subprocess.run(["git", "-C", higpt_root, "show", f"HEAD:{path}"], check=True, capture_output=True, text=True).stdout
    tree = ast.parse(src)
    nodes = [n for n in tree.body if getattr(n, "name", None) in names]
    assert {n.name for n in nodes} == set(names), (path, names)
    exec(compile(ast.Module(body=nodes, type_ignores=[]), f"HiGPT:{path}", "exec"), namespace)


def convert(*args):
    subprocess.run([sys.executable, CONVERT, *args, "--dtype", "float64"], check=True)


def fresh(case):
    d = os.path.join(OUT, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# ---------------------------------------------------------------- HiGPT
def higpt_case(higpt_root, gen):
    d = fresh("higpt")
    in_ch, out_ch, heads, m, llm = 8, 8, 1, 6, 5
    data = HeteroData()
    data["movie"].x = torch.randn(4, in_ch, generator=gen)
    data["director"].x = torch.randn(2, in_ch, generator=gen)
    data["actor"].x = torch.randn(3, in_ch, generator=gen)
    data["movie", "to", "director"].edge_index = torch.tensor([[0, 1, 2, 3], [0, 0, 1, 1]])
    data["director", "to", "movie"].edge_index = torch.tensor([[0, 0, 1, 1], [0, 1, 2, 3]])
    data["actor", "to", "movie"].edge_index = torch.tensor([[0, 1, 2, 2], [0, 0, 1, 3]])
    data["movie", "to", "actor"].edge_index = torch.tensor([[0, 0, 1, 3], [0, 1, 2, 2]])
    node_emb = {t: torch.randn(m, generator=gen) for t in data.node_types}
    edge_emb = {et: torch.randn(m, generator=gen) for et in data.edge_types}

    MetaHGTConv = load_higpt_class(higpt_root, "inference")
    cfg_mod = sys.modules["higpt.model.meta_hgt.meta_hgtconv_bert_all"]
    ns = {"torch": torch, "json": json, "osp": osp, "glob": glob, "MetaHGTConv": MetaHGTConv,
          "MetaHGTConvCfg": cfg_mod.MetaHGTConvCfg, "dataclass": dataclass, "__name__": "higpt_loader"}
    higpt_definitions(higpt_root, "higpt/model/heteclip_models/model.py", ["CLIPTextCfg"], ns)
    higpt_definitions(higpt_root, "higpt/model/HeteroLlama.py", ["load_metahgt_pretrained"], ns)

    # The graph tower as HiGPT's stage-1 (HG_grounding) Lightning module saves it: state_dict under model.graph_encoder.
    text_cfg = {"context_length": 77, "vocab_size": 100, "width": m, "heads": 1, "layers": 1}
    tower = MetaHGTConv(in_ch, out_ch, heads=heads, dynamic=True, text_cfg=ns["CLIPTextCfg"](**text_cfg))
    randomize_(tower, gen, scale=0.3)
    tdir = os.path.join(d, "MetaHGT")
    os.makedirs(tdir)
    with open(os.path.join(tdir, "graph_config.json"), "w") as f:
        json.dump({"in_channels": in_ch, "out_channels": out_ch, "heads": heads, "dynamic": True}, f)
    with open(os.path.join(tdir, "text_config.json"), "w") as f:
        json.dump(text_cfg, f)
    state = {"model.graph_encoder." + k: v for k, v in tower.state_dict().items()}
    state["model.text_projection"] = torch.randn(m, 3, generator=gen)  # the CLIP side, which HiGPT's loader skips
    torch.save({"epoch": 4, "global_step": 50, "pytorch-lightning_version": "2.0.0", "state_dict": state},
               os.path.join(tdir, "metahgt.ckpt"))

    stage1, stage2 = nn.Linear(out_ch, llm), nn.Linear(out_ch, llm)
    randomize_(stage1, gen)
    randomize_(stage2, gen)
    torch.save({"model.graph_projector." + k: v for k, v in stage1.state_dict().items()}, os.path.join(d, "graph_projector.bin"))
    os.makedirs(os.path.join(d, "stage2"))
    s2 = {"model.graph_projector." + k: v.contiguous() for k, v in stage2.state_dict().items()}
    s2["model.embed_tokens.weight"] = torch.randn(7, llm, generator=gen)
    s2["lm_head.weight"] = torch.randn(7, llm, generator=gen)
    save_file(s2, os.path.join(d, "stage2", "model.safetensors"), metadata={"format": "pt"})

    # HiGPT's path: load_metahgt_pretrained, the tower on the graph, graph_projector as initialize_graph_modules
    # loads it ({k.split('.')[-1]: v}), rows in hetero_key_order (HeteroLlamaModel.forward).
    loaded = ns["load_metahgt_pretrained"](MetaHGTConv, tdir)
    loaded.eval()
    order = ["movie", "actor", "director"]
    with torch.no_grad():
        out = loaded(data.x_dict, data.edge_index_dict, node_type_feas_dict=node_emb, edge_type_feas_dict=edge_emb)
        expected = {}
        for name, src in (("tokens_stage1", torch.load(os.path.join(d, "graph_projector.bin"))),
                          ("tokens_stage2", {k: v for k, v in s2.items() if "graph_projector" in k})):
            proj = nn.Linear(out_ch, llm)
            proj.load_state_dict({k.split(".")[-1]: v for k, v in src.items()})
            expected[name] = torch.cat([proj(out[t]) for t in order])
    export_hetero_data(data, os.path.join(d, "graph.safetensors"))
    table = {f"node/{t}": e for t, e in node_emb.items()}
    table.update({f"edge/{'__'.join(et)}": e for et, e in edge_emb.items()})
    save_file(table, os.path.join(d, "table.safetensors"))
    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(d, "expected.safetensors"),
              metadata={"hetero_key_order": json.dumps(order)})
    convert("higpt", tdir, "--projector", os.path.join(d, "graph_projector.bin"), "-o", os.path.join(d, "tokenizer"))
    print("higpt", {k: tuple(v.shape) for k, v in expected.items()})


# ---------------------------------------------------------------- PyG
def pyg_graph(gen):
    data = HeteroData()
    data["paper"].x = torch.randn(5, 6, generator=gen)
    data["author"].x = torch.randn(4, 3, generator=gen)
    data["venue"].x = torch.randn(2, 5, generator=gen)
    data["author", "writes", "paper"].edge_index = torch.tensor([[0, 1, 1, 2, 3, 3], [0, 0, 1, 2, 3, 4]])
    data["paper", "written_by", "author"].edge_index = torch.tensor([[0, 0, 1, 2, 3, 4], [0, 1, 1, 2, 3, 3]])
    data["paper", "cites", "paper"].edge_index = torch.tensor([[1, 2, 3, 4], [0, 0, 1, 2]])
    data["paper", "in", "venue"].edge_index = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 1, 1, 1]])
    data["venue", "has", "paper"].edge_index = torch.tensor([[0, 0, 1, 1, 1], [0, 1, 2, 3, 4]])
    return data


class HGTModel(nn.Module):
    def __init__(self, data, hidden, heads, llm):
        super().__init__()
        widths = {t: data[t].x.size(1) for t in data.node_types}
        self.convs = nn.ModuleList([HGTConv(widths, hidden, data.metadata(), heads=heads),
                                    HGTConv(hidden, hidden, data.metadata(), heads=heads)])
        self.lin = nn.Linear(hidden, llm)

    def forward(self, x_dict, edge_index_dict):
        for conv in self.convs:
            x_dict = conv(x_dict, edge_index_dict)
        return {t: self.lin(x) for t, x in x_dict.items()}


class HANModel(nn.Module):
    def __init__(self, data, hidden, heads, llm):
        super().__init__()
        self.han = HANConv({t: data[t].x.size(1) for t in data.node_types}, hidden, data.metadata(), heads=heads)
        self.proj_out = nn.Linear(hidden, llm)

    def forward(self, x_dict, edge_index_dict):
        return {t: self.proj_out(x) for t, x in self.han(x_dict, edge_index_dict).items() if x is not None}


def pyg_case(name, model_cls, gen, metapaths=None):
    """metapaths: the model is built for, and run on, the graph after PyG's AddMetaPaths (original edge types
    dropped); the tokenizer gets the metapaths (--metapaths) and the original graph."""
    d = fresh(name)
    data = pyg_graph(gen)
    seen = AddMetaPaths(metapaths, drop_orig_edge_types=True)(data.clone()) if metapaths else data
    model = model_cls(seen, 8, 2, 5)
    randomize_(model, gen, scale=0.4)
    model.eval()
    order = ["venue", "paper", "author"] if not metapaths else ["paper", "author"]
    with torch.no_grad():
        out = model(seen.x_dict, seen.edge_index_dict)
        tokens = torch.cat([out[t] for t in order])
    torch.save(model.state_dict(), os.path.join(d, "model.pt"))
    export_hetero_data(data, os.path.join(d, "graph.safetensors"))
    meta = {"order": json.dumps(order)}
    args = ["pyg", os.path.join(d, "model.pt"), "-o", os.path.join(d, "tokenizer")]
    if metapaths:
        meta["metapaths"] = json.dumps([["__".join(e) for e in path] for path in metapaths])
        args += ["--metapaths", meta["metapaths"]]
    save_file({"tokens": tokens.contiguous()}, os.path.join(d, "expected.safetensors"), metadata=meta)
    convert(*args)
    print(name, tuple(tokens.shape))


def hetgnn_case():
    d = fresh("hetgnn")
    fixture = os.path.join(ROOT, "tests", "fixtures", "hetgnn_static")
    with open(fixture + ".safetensors", "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    convert("hetgnn", fixture + ".safetensors", "--graph", fixture + "_graph.safetensors", "--ignore", "expected/",
            "--ignore", "neighbors/", "--restart-prob", meta["restart_prob"], "--walk-length", meta["walk_length"],
            "--top-k", meta["top_k"], "--seed", meta["seed"], "-o", os.path.join(d, "tokenizer"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--higpt", required=True, help="a git checkout of HKUDS/HiGPT")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(2024_1130)
    higpt_case(args.higpt, gen)
    pyg_case("pyg_hgt", HGTModel, gen)
    pyg_case("pyg_han", HANModel, gen)
    pyg_case("pyg_han_metapath", HANModel, gen, metapaths=[[("author", "writes", "paper"), ("paper", "written_by", "author")],
                                                           [("paper", "in", "venue"), ("venue", "has", "paper")]])
    hetgnn_case()
    commit = provenance.higpt_commit(args.higpt)
    provenance.stamp_written(__file__, ("torch_geometric", "transformers"),
                             higpt=[("convert/higpt/*", True, commit), ("convert/*", False, None)])


if __name__ == "__main__":
    main()
