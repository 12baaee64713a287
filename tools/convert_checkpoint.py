#!/usr/bin/env python3
"""Converts another project's checkpoint into an hgtok tokenizer directory (config.json + weights.safetensors, the
layout Tokenizer::load / hgtok.Tokenizer.load / `hgtok tokenize --tokenizer DIR` read). docs/convert.md shows each
path with commands.

    convert_checkpoint.py higpt TOWER_DIR --projector graph_projector.bin|STAGE2_MODEL_DIR -o OUT_DIR
        HiGPT's released layout: the MetaHGT graph tower directory load_metahgt_pretrained reads (graph_config.json,
        text_config.json, one Lightning *.ckpt with the layer under model.graph_encoder.) and the graph_projector
        from the stage-1 adapter file or the stage-2 model (model.graph_projector.*). --variant inference (default:
        the copy load_metahgt_pretrained builds, higpt/model/meta_hgt) or pretrain (HG_grounding's).
    convert_checkpoint.py pyg MODEL.pt -o OUT_DIR [--graph GRAPH.safetensors]
        A PyG model's state dict: HGTConv or HANConv layers (one, or a ModuleList) and a Linear projector, all read
        from the tensors; --graph gives the edge-type order when the model is a safetensors file.
    convert_checkpoint.py hetgnn WEIGHTS -o OUT_DIR --graph GRAPH --restart-prob P --walk-length L --top-k K --seed S
        HetGNN weights in hgtok's naming; edge types from the graph, walk settings from the options.
    convert_checkpoint.py openhgnn STATE_DICT OUT_DIR (--graph GRAPH | --edge-type E ...) [options]
        OpenHGNN's HetGNN state dict, with the "compat": "openhgnn" preset: tools/convert_openhgnn.py, whose
        arguments follow the word openhgnn unchanged (docs/hetgnn.md).
    convert_checkpoint.py layer CHECKPOINT OUT.safetensors [--prefix P]
        One HGTConv / MetaHGTConv layer's weights with its dimensions in __metadata__ (HGTConv::load(w, prefix),
        MetaHGTConv::load(w)), no tokenizer directory. Without --prefix: 'model.graph_encoder.' when HiGPT's keys
        are there, else none.

Common options: --projector identity (tokens are the encoder's outputs, llm_dim = its width) or FILE, --projector-key
NAME (the Linear's key without .weight), --ignore PREFIX (drop tensors, repeatable), --dtype float32|float64,
--trust-pickle (torch.load with weights_only=False: runs the pickle's code, only for files you trust).
PyTorch files (.pt/.bin/.ckpt) need torch; safetensors files are read with numpy alone.
Exit status 2 with "FILE: KEY: what is wrong" on stderr when a checkpoint cannot be converted.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import ConvertError  # noqa: E402
from convert import hetgnn, higpt, pyg, tokenizer  # noqa: E402
from convert.layers import find_layers, hgt_layer, meta_hgt_layer  # noqa: E402
from convert.tensors import read_state, write_safetensors  # noqa: E402

import numpy as np  # noqa: E402


def layer_file(args):
    """The `layer` command: one layer's weights plus its dimensions in __metadata__."""
    state = read_state(args.checkpoint, args.trust_pickle)
    prefix = args.prefix
    if prefix is None:
        prefix = higpt.PREFIX if any(k.startswith(higpt.PREFIX) for k in state) else ""
    t = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not t:
        raise ConvertError(args.checkpoint, prefix, f"no tensor key starts with it (first keys: {list(state)[:5]}); set --prefix")
    kinds = find_layers(t)
    if kinds.get("") == "meta_hgt":
        L = meta_hgt_layer(t, "", args.checkpoint)
        meta = {"layer": "MetaHGTConv", "in_channels": L.in_channels, "out_channels": L.out, "heads": L.heads,
                "embedding_dim": L.embedding_dim}
    elif kinds.get("") == "hgt":
        L = hgt_layer(t, "", args.checkpoint)
        meta = {"layer": "HGTConv", "out_channels": L.out, "heads": L.heads, "in_channels": json.dumps(L.in_by_type),
                "edge_types": json.dumps(L.edge_types)}
    else:
        raise ConvertError(args.checkpoint, prefix, f"neither a MetaHGTConv nor an HGTConv state dict under this prefix "
                                                    f"(layers found: {kinds or 'none'}; keys: {sorted(t)[:6]})")
    tokenizer.unused(t, set(L.keys()), args.checkpoint, "one layer's")
    cast = tokenizer.DTYPES[args.dtype]
    write_safetensors(args.output, {k: t[k].astype(cast) for k in L.keys()}, meta)
    print(f"wrote {args.output}: {len(L.keys())} tensors, {meta}")


def json_option(flag, text):
    try:
        return json.loads(text)
    except ValueError as e:
        raise ConvertError("command line", flag, f"is not JSON ({e}): {text[:80]!r}") from None


def tokenizer_dir(args):
    if args.command == "higpt":
        config, tensors, proj, source = higpt.convert(args.tower, args.projector, args.variant, args.ckpt, args.trust_pickle,
                                                      args.projector_key)
    elif args.command == "pyg":
        metapaths = json_option("--metapaths", args.metapaths) if args.metapaths else None
        config, tensors, proj, source = pyg.convert(args.model, args.graph, args.layers, args.projector, args.projector_key,
                                                    args.ignore, metapaths, args.trust_pickle)
    else:
        top_k = json_option("--top-k", args.top_k)
        config, tensors, hidden = hetgnn.convert(args.weights, args.graph, args.restart_prob, args.walk_length, top_k, args.seed,
                                                 args.ignore, args.trust_pickle)
        w, b, where = tokenizer.read_projector(args.projector, hidden, args.trust_pickle, args.projector_key)
        proj, source = (w, b), f"{args.weights} + projector {where}"
    n = tokenizer.write(args.output, config, tensors, proj, args.dtype, source)
    print(f"wrote {args.output}: config.json (kernel {config['kernel']}, {config['num_layers']} layer(s), hidden "
          f"{config['hidden_channels']}, llm_dim {int(np.shape(proj[0])[0])}) and weights.safetensors ({n} tensors) from {source}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["openhgnn"]:
        import convert_openhgnn
        return convert_openhgnn.main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dtype", choices=sorted(tokenizer.DTYPES), default="float32", help="weights' dtype (default float32)")
    common.add_argument("--trust-pickle", action="store_true", help="torch.load(weights_only=False): runs the file's code")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("-o", "--output", required=True, help="the tokenizer directory to write")
    out.add_argument("--projector-key", help="the projector Linear's key without '.weight'")

    p = sub.add_parser("higpt", parents=[common, out], help="HiGPT's graph tower directory + graph_projector")
    p.add_argument("tower", help="directory with graph_config.json, text_config.json and one *.ckpt")
    p.add_argument("--projector", required=True, help="graph_projector.bin (stage 1), a stage-2 model directory, or 'identity'")
    p.add_argument("--ckpt", help="the checkpoint, when the directory holds several")
    p.add_argument("--variant", choices=("inference", "pretrain"), default="inference",
                   help="inference: higpt/model/meta_hgt (what load_metahgt_pretrained builds; default); pretrain: HG_grounding")

    p = sub.add_parser("pyg", parents=[common, out], help="a PyG model: HGTConv or HANConv layers and a Linear projector")
    p.add_argument("model", help="its state dict (.pt from torch.save(model.state_dict()), or safetensors)")
    p.add_argument("--graph", help="the graph the model was built for (tools/export_pyg.py layout): edge-type order, checks")
    p.add_argument("--layers", nargs="+", help="the layers' key prefixes in order (default: found from the keys)")
    p.add_argument("--projector", help="'identity' or a file holding the projector (default: the model's own Linear)")
    p.add_argument("--ignore", action="append", default=[], help="drop tensors whose key starts with this")
    p.add_argument("--metapaths", help="HAN: JSON list of metapaths, written to the config (see docs/han.md)")

    p = sub.add_parser("hetgnn", parents=[common, out], help="HetGNN weights in hgtok's naming")
    p.add_argument("weights")
    p.add_argument("--graph", required=True, help="the graph (tools/export_pyg.py layout): its edge types drive the walks")
    p.add_argument("--restart-prob", type=float, required=True)
    p.add_argument("--walk-length", type=int, required=True)
    p.add_argument("--top-k", required=True, help="an integer, or a JSON object {node type: k}")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--projector", default="identity", help="'identity' (default) or a file holding a Linear")
    p.add_argument("--ignore", action="append", default=[], help="drop tensors whose key starts with this")

    p = sub.add_parser("layer", parents=[common], help="one HGTConv / MetaHGTConv layer's weights file")
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--prefix", help="keep keys under it, removed (default: model.graph_encoder. when present, else '')")

    args = ap.parse_args(argv)
    try:
        layer_file(args) if args.command == "layer" else tokenizer_dir(args)
    except ConvertError as e:
        print(f"convert_checkpoint.py {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
