"""HiGPT's released layout -> a meta_hgt tokenizer.

The graph tower is the directory HiGPT's load_metahgt_pretrained (higpt/model/HeteroLlama.py) reads:
graph_config.json (MetaHGTConvCfg: in_channels, out_channels, heads, dynamic), text_config.json (CLIPTextCfg:
width = the type-embedding width) and one Lightning *.ckpt whose state_dict holds the MetaHGTConv under
'model.graph_encoder.'. HiGPT loads it with strict=False (a missing tensor stays random); here every tensor must be
there with its shape. The graph_projector (Linear graph width -> LLM width) comes from the stage-1 adapter file
(graph_projector.bin, keys '...graph_projector.{weight,bias}') or the stage-2 model's weights
('model.graph_projector.*' in an HF model directory).
"""
import glob
import json
import os
import sys

from . import ConvertError
from .layers import meta_hgt_layer
from .tensors import read_state
from .tokenizer import read_projector, unused

PREFIX = "model.graph_encoder."
GRAPH_CONFIG_KEYS = {"in_channels", "out_channels", "heads", "dynamic"}


def _json(path, required):
    if not os.path.isfile(path):
        raise ConvertError(path, "", "missing: HiGPT's graph tower directory holds graph_config.json, text_config.json and one *.ckpt")
    try:
        with open(path) as f:
            d = json.load(f)
    except ValueError as e:
        raise ConvertError(path, "", f"is not JSON ({e})") from None
    if not isinstance(d, dict):
        raise ConvertError(path, "", f"must be a JSON object, got {type(d).__name__}")
    for k in required:
        if not isinstance(d.get(k), int) or isinstance(d.get(k), bool) or d[k] <= 0:
            raise ConvertError(path, k, f"must be a positive integer, got {d.get(k)!r}")
    return d


def convert(tower_dir, projector, variant, ckpt=None, trust_pickle=False, projector_key=None):
    """(config, layer tensors, projector (w, b), what was read)."""
    if not os.path.isdir(tower_dir):
        raise ConvertError(tower_dir, "", "is not a directory (HiGPT's graph tower directory, e.g. MetaHGT_imdb_dblp_epoch5)")
    gpath, tpath = os.path.join(tower_dir, "graph_config.json"), os.path.join(tower_dir, "text_config.json")
    gcfg = _json(gpath, ("in_channels", "out_channels", "heads"))
    extra = set(gcfg) - GRAPH_CONFIG_KEYS
    if extra:
        raise ConvertError(gpath, sorted(extra)[0], f"unknown key (MetaHGTConvCfg takes {sorted(GRAPH_CONFIG_KEYS)})")
    if gcfg.get("dynamic", True) is not True:
        raise ConvertError(gpath, "dynamic", "is false: a static ParameterGenerator; hgtok's meta_hgt generates weights (dynamic true)")
    tcfg = _json(tpath, ("width",))
    if ckpt is None:
        found = sorted(glob.glob(os.path.join(tower_dir, "*.ckpt")))
        if len(found) != 1:
            raise ConvertError(tower_dir, "*.ckpt", f"{len(found)} checkpoints found {[os.path.basename(p) for p in found]}: "
                                                    "HiGPT reads the first glob() returns; name one with --ckpt")
        ckpt = found[0]
    state = read_state(ckpt, trust_pickle)
    tower = {k: v for k, v in state.items() if k.startswith(PREFIX)}  # HiGPT's loader skips every other key
    if not tower:
        raise ConvertError(ckpt, PREFIX + "*", f"missing: no key starts with '{PREFIX}' (first keys: {list(state)[:5]})")
    layer = meta_hgt_layer(tower, PREFIX, ckpt)
    unused(tower, set(layer.keys()), ckpt, "a MetaHGTConv's")
    for key, have in (("in_channels", layer.in_channels), ("out_channels", layer.out), ("heads", layer.heads)):
        if gcfg[key] != have:
            raise ConvertError(gpath, key, f"is {gcfg[key]}, but the checkpoint's tensors have {key} {have} ({ckpt})")
    if tcfg["width"] != layer.embedding_dim:
        raise ConvertError(tpath, "width", f"is {tcfg['width']}, but the checkpoint's generators take embeddings of width "
                                           f"{layer.embedding_dim} ({ckpt})")
    if layer.heads > 1:
        print(f"note: heads = {layer.heads}: HiGPT's MetaHGTConv applies the generated relation transform to head 0 only "
              "(other heads read uninitialised memory); hgtok applies it to every head (docs/hgt.md)", file=sys.stderr)
    w, b, where = read_projector(projector, layer.out, trust_pickle, projector_key)
    config = {"kernel": "meta_hgt", "variant": variant, "in_channels": layer.in_channels, "hidden_channels": layer.out,
              "heads": layer.heads, "num_layers": 1, "embedding_dim": layer.embedding_dim}
    return config, layer.tensors(tower, 0), (w, b), f"{ckpt} + {where}"
