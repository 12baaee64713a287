#!/usr/bin/env python3
"""Converts a PyTorch checkpoint of HiGPT's MetaHGTConv (or PyG's HGTConv) into the safetensors file that
hgtok's MetaHGTConv::load / HGTConv::load read (hgtok never unpickles PyTorch files).

    python tools/convert_checkpoint.py CHECKPOINT.ckpt OUT.safetensors [--prefix model.graph_encoder.] [--trust-pickle]

CHECKPOINT is a .pt/.pth/.ckpt file holding a state dict, or a dict with it under 'state_dict' (PyTorch
Lightning, as HiGPT's In-Context-HGT checkpoints are). Only keys starting with --prefix are kept, with the prefix
removed (HiGPT's layout: 'model.graph_encoder.kqv_lin.lin_gen.weight_generator.0.weight' ->
'kqv_lin.lin_gen.weight_generator.0.weight'); pass --prefix '' to keep every key. The dimensions hgtok needs are
read from the tensor shapes and written to __metadata__ (in_channels, out_channels, heads, embedding_dim for
MetaHGT; for HGT the per-type input widths and the edge types in the order of the checkpoint's p_rel entries,
which is the layer's metadata order for a state dict saved by PyTorch: HGTConv::load needs that order, as k_rel and
v_rel are indexed by it). Tensors are stored as float32 unless --keep-dtype.

--trust-pickle loads with weights_only=False (arbitrary code execution: only for checkpoints you trust); without
it, a checkpoint holding non-tensor Python objects is refused.
"""
import argparse
import json
import sys

import torch
from safetensors.torch import save_file


def load_state(path, trust):
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not trust)
    except Exception as e:  # noqa: BLE001 - report any unpickling failure with the way out
        sys.exit(f"{path}: cannot load with weights_only={not trust} ({e.__class__.__name__}: {e}); "
                 "use --trust-pickle for a checkpoint you trust")
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        sys.exit(f"{path}: expected a state dict, got {type(obj).__name__}")
    return obj


def meta_hgt_dims(t):
    m = t["kqv_lin.lin_gen.weight_generator.0.weight"].shape[1]
    out = t["norm.weight"].shape[0]
    heads = t["p_relTrans.weight"].shape[0]
    kqv = t["kqv_lin.lin_gen.weight_generator.4.weight"].shape[0]
    if kqv % (3 * out):
        sys.exit(f"kqv generator output {kqv} is not a multiple of 3*out_channels={3 * out}")
    return {"layer": "MetaHGTConv", "in_channels": kqv // (3 * out), "out_channels": out, "heads": heads,
            "embedding_dim": m}


def hgt_dims(t):
    out = next(v.shape[0] for k, v in t.items() if k.startswith("out_lin.lins.") and k.endswith(".weight"))
    heads = next(v.shape[1] for k, v in t.items() if k.startswith("p_rel."))
    in_channels = {k[len("kqv_lin.lins."):-len(".weight")]: v.shape[1] for k, v in t.items()
                   if k.startswith("kqv_lin.lins.") and k.endswith(".weight")}
    edge_types = [k[len("p_rel."):] for k in t if k.startswith("p_rel.")]
    return {"layer": "HGTConv", "out_channels": out, "heads": heads, "in_channels": json.dumps(in_channels),
            "edge_types": json.dumps(edge_types)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    ap.add_argument("--prefix", default="model.graph_encoder.")
    ap.add_argument("--trust-pickle", action="store_true")
    ap.add_argument("--keep-dtype", action="store_true")
    args = ap.parse_args()
    state = load_state(args.checkpoint, args.trust_pickle)
    tensors = {}
    for k, v in state.items():
        if not isinstance(v, torch.Tensor) or not k.startswith(args.prefix):
            continue
        v = v.detach().clone().contiguous()
        tensors[k[len(args.prefix):]] = v if args.keep_dtype or not v.is_floating_point() else v.float()
    if not tensors:
        sys.exit(f"{args.checkpoint}: no tensor key starts with {args.prefix!r} "
                 f"(first keys: {list(state)[:5]}); set --prefix")
    if "kqv_lin.lin_gen.weight_generator.0.weight" in tensors:
        dims = meta_hgt_dims(tensors)
    elif any(k.startswith("kqv_lin.lins.") for k in tensors):
        dims = hgt_dims(tensors)
    else:
        sys.exit(f"{args.checkpoint}: neither a MetaHGTConv nor an HGTConv state dict under {args.prefix!r} "
                 f"(keys: {sorted(tensors)[:8]})")
    save_file(tensors, args.output, metadata={k: str(v) for k, v in dims.items()})
    print(f"wrote {args.output}: {len(tensors)} tensors, {dims}")


if __name__ == "__main__":
    main()
