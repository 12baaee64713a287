"""The tokenizer directory Tokenizer::load reads (include/hgtok/tokenizer/tokenizer.hpp): config.json and
weights.safetensors holding layers.<i>.<the layer's own names> and graph_projector.{weight,bias}."""
import json
import os

import numpy as np

from . import ConvertError
from .tensors import is_safetensors, read_safetensors, read_state, write_safetensors

DTYPES = {"float32": np.float32, "float64": np.float64}
# A Hugging Face model directory (HiGPT's stage-2 model): one file, or shards named by an index.
HF_FILES = ("model.safetensors", "pytorch_model.bin")


def _hf_state(directory, stem, trust_pickle):
    """The tensors under `stem` (e.g. 'graph_projector': any key whose name holds it) of an HF model directory: from
    the shards its index names for them, or from its one weights file; nothing else of the LLM is read."""
    want = lambda k: stem in k  # noqa: E731
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        path = os.path.join(directory, index)
        if os.path.isfile(path):
            try:
                with open(path) as f:
                    weight_map = json.load(f)["weight_map"]
                shards = sorted({v for k, v in weight_map.items() if want(k)})
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise ConvertError(path, "weight_map", f"is not an index of shards ({e.__class__.__name__}: {e})") from None
            if not shards:
                raise ConvertError(path, "weight_map", f"no key holds '{stem}'")
            state = {}
            for shard in shards:
                state.update(read_state(os.path.join(directory, shard), trust_pickle, want))
            return state, path
    for name in HF_FILES + ("graph_projector.bin",):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return read_state(path, trust_pickle, want), path
    raise ConvertError(directory, "", f"is a directory without {', '.join(HF_FILES)}, graph_projector.bin or an index of shards")


def find_linear(state, source, hidden, key=None, suffix="graph_projector"):
    """(weight [llm, hidden], bias [llm], name) of a Linear in `state`: `key` if given, else the one whose name ends
    in `suffix` (HiGPT's graph_projector under any prefix), else a bare nn.Linear state dict (weight, bias)."""
    if key is not None:
        names = [key]
    else:
        names = [k[:-len(".weight")] for k in state if k.endswith(suffix + ".weight")]
        if not names and set(state) == {"weight", "bias"}:
            names = [""]
    if not names:
        raise ConvertError(source, suffix + ".weight", f"no projector: no key ends in '{suffix}.weight' "
                                                        f"(keys: {sorted(state)[:8]}); name it with --projector-key")
    if len(names) > 1:
        raise ConvertError(source, "", f"several projectors {names}: name one with --projector-key")
    name = names[0]
    dot = name + "." if name else ""
    for part in ("weight", "bias"):
        if dot + part not in state:
            raise ConvertError(source, dot + part, "missing: the projector is a Linear with a weight and a bias")
    w, b = state[dot + "weight"], state[dot + "bias"]
    if w.ndim != 2 or b.shape != (w.shape[0],):
        raise ConvertError(source, dot + "weight", f"shapes {list(w.shape)} and {list(b.shape)} are not a Linear's [out, in] and [out]")
    if w.shape[1] != hidden:
        raise ConvertError(source, dot + "weight", f"has shape {list(w.shape)}: input width {w.shape[1]}, "
                                                   f"but the encoder's output width is {hidden}")
    return w, b, name


def read_projector(path, hidden, trust_pickle, key=None):
    """(weight, bias, where) of --projector PATH: 'identity' (tokens = encoder outputs), a file (.bin / .pt /
    safetensors: HiGPT's stage-1 graph_projector.bin) or an HF model directory (HiGPT's stage-2 model)."""
    if path == "identity":
        return np.eye(hidden), np.zeros(hidden), "identity"
    if os.path.isdir(path):
        state, source = _hf_state(path, key or "graph_projector", trust_pickle)
    else:
        state, source = read_state(path, trust_pickle), path
    w, b, name = find_linear(state, source, hidden, key)
    return w, b, f"{source}:{name}"


def write(out_dir, config, layer_tensors, projector, dtype, converted_from):
    """Writes config.json and weights.safetensors into out_dir; `projector` is (weight, bias)."""
    tensors = dict(layer_tensors)
    tensors["graph_projector.weight"], tensors["graph_projector.bias"] = projector
    config = dict(config)
    config.setdefault("llm_dim", int(projector[0].shape[0]))
    config.setdefault("projector", "linear")
    cast = DTYPES[dtype]
    for name, a in tensors.items():
        if not np.all(np.isfinite(a)):
            raise ConvertError(converted_from, name, "holds NaN or infinite values")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise ConvertError(out_dir, "", f"cannot create the output directory ({e.strerror})") from None
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), {k: np.asarray(v).astype(cast) for k, v in tensors.items()},
                      {"converted_by": "tools/convert_checkpoint.py"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    return len(tensors)


def graph_metadata(path):
    """(node_types, edge_types) of a graph file in hgtok's safetensors layout (tools/export_pyg.py)."""
    if not os.path.isfile(path) or not is_safetensors(path):
        raise ConvertError(path, "", "is not a graph file in hgtok's safetensors layout (tools/export_pyg.py writes one)")
    meta = read_safetensors(path)[1]
    try:
        return json.loads(meta["node_types"]), json.loads(meta["edge_types"])
    except (KeyError, ValueError) as e:
        raise ConvertError(path, "__metadata__", f"lacks node_types / edge_types ({e})") from None


def unused(state, used, source, hint):
    """A ConvertError naming the tensors of `state` not in `used` (a checkpoint must be converted whole)."""
    left = [k for k in state if k not in used]
    if left:
        more = f" and {len(left) - 5} more" if len(left) > 5 else ""
        raise ConvertError(source, left[0], f"tensor{'s' if len(left) > 1 else ''} {left[:5]}{more} belong to no layer hgtok "
                                            f"converts ({hint}); pass --ignore PREFIX to drop them")

