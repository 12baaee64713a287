#!/usr/bin/env python3
"""Convert an OpenHGNN HetGNN checkpoint (openhgnn.models.HetGNN, PyPI openhgnn 0.7.0) into an hgtok tokenizer
directory (config.json + weights.safetensors, the layout Tokenizer::save writes and Tokenizer::load reads).

    python tools/convert_openhgnn.py STATE_DICT OUT_DIR (--graph GRAPH | --edge-type SRC__REL__DST ...)
        [--restart-prob 0.5] [--walk-length 50] [--walks-per-node 10] [--top-k TYPE=K ...] [--seed 0]
        [--projector PROJECTOR.safetensors] [--prefix Het_Aggregate.]

STATE_DICT: what torch.save(model.state_dict()) wrote (.pt / .pth / .bin; needs torch), or a .safetensors file of
the same names; a dict that holds the state dict under "state_dict" or "model" is unwrapped. The names read, with
d = OpenHGNN's `dim` and h = d / 2:

    Het_Aggregate.content_rnn.content_rnn.{weight_ih_l0 [4h, c], weight_hh_l0 [4h, h], bias_ih_l0, bias_hh_l0 [4h]}
        and *_reverse                            -> layers.0.content_rnn.*            (one content encoder for all types)
    Het_Aggregate.neigh_rnn.neigh_rnn.<t>.lstm.* -> layers.0.neigh_rnn.<t>.*
    Het_Aggregate.atten_w.<t>.weight [1, 2d]     -> layers.0.neigh_att.<t> [2d, 1]
    Het_Aggregate.atten_w.<t>.bias [1]           -> layers.0.neigh_att_bias.<t> [1]
    Het_Aggregate.bn.*                           dropped: OpenHGNN's forward never uses its BatchNorm

Any other name, a missing one, a wrong shape, a non-float or non-finite value is an error naming the file and the
tensor (exit status 2). The config is kernel "hetgnn" with "compat": "openhgnn" (docs/hetgnn.md): content_dim = c
(OpenHGNN: d), the node types in the checkpoint's order (OpenHGNN's: DGL's sorted ntypes), the edge types the walks
follow (from the graph file's metadata or --edge-type), OpenHGNN's walk settings (config.ini: rw_length 50,
rw_walks 10, rwr_prob 0.5; top-k 10 for every type but the third, 3 for it, as hetgnn_graph.build_hetgnn_graph
hard-codes). OpenHGNN has no LLM projector: without --projector the graph projector is the identity (llm_dim = d),
so the tokens are OpenHGNN's embeddings; --projector reads graph_projector.{weight [llm_dim, d], bias [llm_dim]}.
The dtype of the checkpoint is kept.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert.tensors import write_safetensors  # noqa: E402

LSTM_PARAMS = [f"{w}_{s}_l0{r}" for r in ("", "_reverse") for w, s in
               (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]


class ConversionError(Exception):
    """A checkpoint or option the converter cannot use; the message names the file and the tensor or option."""


def _to_numpy(value, source, name):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            value = value.float()
        value = value.numpy()
    if not isinstance(value, np.ndarray):
        raise ConversionError(f"{source}: {name}: not a tensor (got {type(value).__name__})")
    return value


def _float_weight(source, name, value):
    """A weight the model uses: float, finite."""
    if value.dtype not in (np.float32, np.float64, np.float16):
        raise ConversionError(f"{source}: {name}: dtype {value.dtype} is not a float type")
    if not np.all(np.isfinite(value)):
        raise ConversionError(f"{source}: {name}: holds NaN or infinite values")
    return value


def load_state_dict(path):
    """The checkpoint's tensors as numpy arrays, by name."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file
        try:
            raw = load_file(path)
        except Exception as e:  # safetensors raises its own error types for malformed headers
            raise ConversionError(f"{path}: not a readable safetensors file ({e})") from e
    else:
        try:
            import torch
        except ImportError as e:
            raise ConversionError(f"{path}: reading a torch checkpoint needs torch ({e})") from e
        try:
            raw = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # pickle / zip errors of a file that is not a checkpoint
            raise ConversionError(f"{path}: not a readable torch checkpoint ({e})") from e
    if isinstance(raw, dict):
        for key in ("state_dict", "model"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]
                break
    if not isinstance(raw, dict) or not raw:
        raise ConversionError(f"{path}: expected a non-empty state dict (name -> tensor), got {type(raw).__name__}")
    return {str(k): _to_numpy(v, path, k) for k, v in raw.items()}


def _expect(source, name, array, shape):
    if tuple(array.shape) != tuple(shape):
        raise ConversionError(f"{source}: {name}: shape {list(array.shape)}, expected {list(shape)}")


def convert_weights(state, source, prefix="Het_Aggregate."):
    """(node types, d, content width c, hgtok weights) from an OpenHGNN HetGNN state dict."""
    content, neigh, att = {}, {}, {}
    for name, value in state.items():
        if not name.startswith(prefix):
            raise ConversionError(f"{source}: {name}: not an OpenHGNN HetGNN tensor (expected names under '{prefix}')")
        rest = name[len(prefix):]
        parts = rest.split(".")
        if parts[0] == "bn":
            continue  # BatchNorm1d: built but never called in Het_Aggregate.forward
        value = _float_weight(source, name, value)
        if parts[:2] == ["content_rnn", "content_rnn"] and len(parts) == 3 and parts[2] in LSTM_PARAMS:
            content[parts[2]] = value
        elif parts[:2] == ["neigh_rnn", "neigh_rnn"] and len(parts) == 5 and parts[3] == "lstm" and parts[4] in LSTM_PARAMS:
            neigh.setdefault(parts[2], {})[parts[4]] = value
        elif parts[0] == "atten_w" and len(parts) == 3 and parts[2] in ("weight", "bias"):
            att.setdefault(parts[1], {})[parts[2]] = value
        else:
            raise ConversionError(f"{source}: {name}: unknown tensor for OpenHGNN's HetGNN")
    if "weight_hh_l0" not in content:
        raise ConversionError(f"{source}: {prefix}content_rnn.content_rnn.weight_hh_l0: missing")
    h = content["weight_hh_l0"].shape[-1]
    d = 2 * h
    if content["weight_hh_l0"].ndim != 2 or h < 1:
        raise ConversionError(f"{source}: {prefix}content_rnn.content_rnn.weight_hh_l0: shape "
                              f"{list(content['weight_hh_l0'].shape)} is not [4h, h]")
    if "weight_ih_l0" not in content or content["weight_ih_l0"].ndim != 2:
        raise ConversionError(f"{source}: {prefix}content_rnn.content_rnn.weight_ih_l0: missing or not 2-d")
    c = content["weight_ih_l0"].shape[1]
    types = list(att)
    if not types:
        raise ConversionError(f"{source}: {prefix}atten_w.<type>.weight: no node type has one")
    if sorted(neigh) != sorted(types):
        raise ConversionError(f"{source}: {prefix}neigh_rnn.neigh_rnn: node types {sorted(neigh)} differ from "
                              f"atten_w's {sorted(types)}")
    out = {}

    def lstm(params, where, width, to):
        for p in LSTM_PARAMS:
            name = f"{prefix}{where}.{p}"
            if p not in params:
                raise ConversionError(f"{source}: {name}: missing")
            shape = {"weight_ih": (4 * h, width), "weight_hh": (4 * h, h)}.get(p[:9], (4 * h,))
            _expect(source, name, params[p], shape)
            out[f"{to}.{p}"] = params[p]

    lstm(content, "content_rnn.content_rnn", c, "layers.0.content_rnn")
    for t in types:
        if not t or "/" in t or "__" in t:
            raise ConversionError(f"{source}: {prefix}atten_w.{t}: node type {t!r} is not a valid hgtok node type name")
        lstm(neigh[t], f"neigh_rnn.neigh_rnn.{t}.lstm", d, f"layers.0.neigh_rnn.{t}")
        for p in ("weight", "bias"):
            if p not in att[t]:
                raise ConversionError(f"{source}: {prefix}atten_w.{t}.{p}: missing")
        _expect(source, f"{prefix}atten_w.{t}.weight", att[t]["weight"], (1, 2 * d))
        _expect(source, f"{prefix}atten_w.{t}.bias", att[t]["bias"], (1,))
        out[f"layers.0.neigh_att.{t}"] = np.ascontiguousarray(att[t]["weight"].T)
        out[f"layers.0.neigh_att_bias.{t}"] = att[t]["bias"]
    return types, d, c, out


def graph_edge_types(path):
    from safetensors import safe_open
    try:
        with safe_open(path, "numpy") as f:
            meta = f.metadata() or {}
    except Exception as e:
        raise ConversionError(f"{path}: not a readable hgtok graph file ({e})") from e
    try:
        edges = json.loads(meta["edge_types"])
    except (KeyError, ValueError) as e:
        raise ConversionError(f"{path}: __metadata__.edge_types: missing or not JSON") from e
    if not isinstance(edges, list) or not all(isinstance(e, str) for e in edges):
        raise ConversionError(f"{path}: __metadata__.edge_types: not a list of 'src__relation__dst' keys")
    return edges


def parse_top_k(items, types):
    if not items:
        if len(types) != 3:
            raise ConversionError(f"--top-k: OpenHGNN's default (10, 10, 3) is for 3 node types; the checkpoint has "
                                  f"{len(types)}: give --top-k TYPE=K for each")
        return {t: (3 if i == 2 else 10) for i, t in enumerate(types)}
    out = {}
    for item in items:
        t, _, k = item.partition("=")
        if t not in types or not k.isdigit() or int(k) < 1:
            raise ConversionError(f"--top-k: {item!r} is not TYPE=K with TYPE one of {types} and K a positive integer")
        out[t] = int(k)
    return out


def convert(state_path, out_dir, edge_types=None, graph=None, restart_prob=0.5, walk_length=50, walks_per_node=10,
            top_k=None, seed=0, projector=None, prefix="Het_Aggregate."):
    """Writes out_dir/config.json and out_dir/weights.safetensors; returns the config."""
    types, d, c, weights = convert_weights(load_state_dict(state_path), state_path, prefix)
    if graph:
        edge_types = graph_edge_types(graph)
    if not edge_types:
        raise ConversionError("--edge-type / --graph: the config needs the edge types the walks follow")
    for e in edge_types:
        parts = e.split("__")
        if len(parts) != 3 or parts[0] not in types or parts[2] not in types:
            raise ConversionError(f"edge type {e!r}: not 'src__relation__dst' between the checkpoint's node types {types}")
    if walk_length < 1 or walks_per_node < 1:
        raise ConversionError(f"--walk-length / --walks-per-node: {walk_length} / {walks_per_node}, each must be at least 1")
    if not 0.0 <= restart_prob < 1.0:
        raise ConversionError(f"--restart-prob: {restart_prob} is outside [0, 1) (DGL's random_walk range)")
    dtype = weights["layers.0.content_rnn.weight_hh_l0"].dtype
    if projector:
        p = {k: _float_weight(projector, k, v) for k, v in load_state_dict(projector).items()}
        if sorted(p) != ["graph_projector.bias", "graph_projector.weight"]:
            raise ConversionError(f"{projector}: expected exactly graph_projector.weight and graph_projector.bias")
        llm_dim = p["graph_projector.weight"].shape[0]
        _expect(projector, "graph_projector.weight", p["graph_projector.weight"], (llm_dim, d))
        _expect(projector, "graph_projector.bias", p["graph_projector.bias"], (llm_dim,))
        weights.update({k: v.astype(dtype) for k, v in p.items()})
    else:
        llm_dim = d
        weights["graph_projector.weight"] = np.eye(d, dtype=dtype)
        weights["graph_projector.bias"] = np.zeros(d, dtype=dtype)
    config = {
        "kernel": "hetgnn", "compat": "openhgnn", "hidden_channels": d, "num_layers": 1, "projector": "linear",
        "llm_dim": int(llm_dim), "node_types": types, "edge_types": list(edge_types), "content_dim": int(c),
        "restart_prob": float(restart_prob), "walk_length": int(walk_length), "walks_per_node": int(walks_per_node),
        "top_k": parse_top_k(top_k, types), "seed": int(seed),
    }
    os.makedirs(out_dir, exist_ok=True)
    # The converters' writer: the same bytes for the same input (safetensors' own writer orders the metadata keys
    # differently from one process to the next).
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), weights,
                      metadata={"converted_from": "openhgnn.models.HetGNN", "tool": "tools/convert_openhgnn.py"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return config


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("state_dict")
    ap.add_argument("out_dir")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--graph", help="an hgtok graph file: its edge types go into the config")
    src.add_argument("--edge-type", action="append", help="an edge type 'src__relation__dst' (repeat)")
    ap.add_argument("--restart-prob", type=float, default=0.5)
    ap.add_argument("--walk-length", type=int, default=50)
    ap.add_argument("--walks-per-node", type=int, default=10)
    ap.add_argument("--top-k", action="append", help="TYPE=K (repeat); default OpenHGNN's 10, 10, 3")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--projector", help="safetensors with graph_projector.weight and .bias (default: identity)")
    ap.add_argument("--prefix", default="Het_Aggregate.")
    a = ap.parse_args(argv)
    try:
        config = convert(a.state_dict, a.out_dir, a.edge_type, a.graph, a.restart_prob, a.walk_length,
                         a.walks_per_node, a.top_k, a.seed, a.projector, a.prefix)
    except ConversionError as e:
        print(f"convert_openhgnn: {e}", file=sys.stderr)
        return 2
    print(f"convert_openhgnn: wrote {a.out_dir} (hetgnn, compat openhgnn, d = {config['hidden_channels']}, "
          f"node types {config['node_types']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
