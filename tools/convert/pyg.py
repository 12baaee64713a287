"""A PyG model's state dict -> an hgt or han tokenizer.

The model holds HGTConv or HANConv layers (one, or a ModuleList <name>.0., <name>.1., ... applied one after the
other with nothing in between, as PyG's examples do) and a Linear projector from the layers' width to the LLM's.
Everything the config needs is read from the tensors: node types and per-type input widths (kqv_lin.lins.<t> /
proj.<t>), edge types (p_rel.<key> / lin_src.<key>), out_channels, heads. An HGTConv's k_rel / v_rel are indexed by
the position of each edge type in the layer's metadata, which is the order of its p_rel entries in a state dict
saved by PyTorch; a safetensors file may have reordered its keys, so for one the order comes from --graph (the
graph the model was built for, tools/export_pyg.py layout: its metadata lists PyG's order).
"""
import re

from . import ConvertError
from .layers import BUILDERS, LAYER_NAMES, find_layers
from .tensors import is_safetensors, read_state
from .tokenizer import find_linear, graph_metadata, read_projector, unused

KINDS = ("hgt", "han")
ELSEWHERE = {"meta_hgt": "the 'higpt' command converts HiGPT's MetaHGTConv", "hetgnn": "the 'hetgnn' command converts HetGNN weights",
             "meta_han": "MetaHANConv is hgtok's own: save it with Tokenizer.save",
             "hgt_pyg_old": "its per-type k_lin / q_lin / v_lin / a_lin layout predates PyG 2.3's HGTConv (kqv_lin, out_lin), "
                            "the layer hgtok implements; re-save the model with PyG >= 2.3"}


def _order(prefixes, source):
    """The layers in stack order: a single prefix, or <base><i>. for i = 0..n-1."""
    if len(prefixes) == 1:
        return prefixes
    parsed = []
    for p in prefixes:
        m = re.match(r"^(.*?)(\d+)\.$", p)
        if not m:
            raise ConvertError(source, p, f"layers at {prefixes} are not one ModuleList '<name>.<i>.': give their order with --layers")
        parsed.append((m.group(1), int(m.group(2)), p))
    bases = {b for b, _, _ in parsed}
    parsed.sort(key=lambda x: x[1])
    if len(bases) > 1 or [i for _, i, _ in parsed] != list(range(len(parsed))):
        raise ConvertError(source, parsed[0][2], f"layers at {prefixes} are not one ModuleList numbered 0..{len(parsed) - 1}: "
                                                 "give their order with --layers")
    return [p for _, _, p in parsed]


def convert(path, graph=None, layers=None, projector=None, projector_key=None, ignore=(), metapaths=None, trust_pickle=False):
    """(config, layer tensors, projector (w, b), what was read)."""
    state = {k: v for k, v in read_state(path, trust_pickle).items() if not any(k.startswith(p) for p in ignore)}
    found = find_layers(state)
    if layers:
        missing = [p for p in layers if p not in found]
        if missing:
            raise ConvertError(path, missing[0], f"no HGTConv or HANConv layer under this prefix (layers found: {found or 'none'})")
        prefixes = list(layers)
    else:
        prefixes = _order(list(found), path) if found else []
    if not prefixes:
        raise ConvertError(path, "", "no HGTConv or HANConv layer found (HGTConv: keys <p>kqv_lin.lins.<type>.weight; "
                                     f"HANConv: <p>proj.<type>.weight, <p>lin_src.<key>, <p>q); first keys: {list(state)[:6]}")
    kinds = {found[p] for p in prefixes}
    for kind in kinds:
        if kind not in KINDS:
            raise ConvertError(path, next(p for p in prefixes if found[p] == kind),
                               f"is a {LAYER_NAMES[kind]} layer: {ELSEWHERE[kind]}; this command converts PyG HGTConv or HANConv")
    if len(kinds) > 1:
        raise ConvertError(path, "", f"layers of different kinds {[(p, found[p]) for p in prefixes]}: a tokenizer stacks one kind")
    kind = kinds.pop()
    stack = [BUILDERS[kind](state, p, path) for p in prefixes]
    first = stack[0]
    for i, L in enumerate(stack[1:], 1):
        for what, a, b in (("out_channels", L.out, first.out), ("heads", L.heads, first.heads)):
            if a != b:
                raise ConvertError(path, L.prefix, f"layer {i} has {what} {a}, layer 0 {b}: a tokenizer's layers share them")
        if set(L.node_types) != set(first.node_types) or set(L.edge_types) != set(first.edge_types):
            raise ConvertError(path, L.prefix, f"layer {i}'s node / edge types differ from layer 0's")
        for t, w in L.in_by_type.items():
            if w != first.out:
                name = f"kqv_lin.lins.{t}.weight" if kind == "hgt" else f"proj.{t}.weight"
                raise ConvertError(path, L.prefix + name, f"input width {w}, but layer {i - 1} outputs width {first.out}")
    edge_types = first.edge_types
    if graph is not None:
        g_nodes, g_edges = graph_metadata(graph)
        for e in edge_types:
            if e not in g_edges:
                raise ConvertError(graph, "edge_types", f"lacks the layer's edge type '{e}' (graph: {g_edges})")
        if kind == "hgt" and is_safetensors(path):
            edge_types = [e for e in g_edges if e in edge_types]
    elif kind == "hgt" and is_safetensors(path) and len(edge_types) > 1:
        raise ConvertError(path, first.prefix + "p_rel.*", "a safetensors file does not keep the layer's edge-type order "
                                                           "(k_rel / v_rel are indexed by it): pass --graph, the graph the model was built for")
    used = {k for L in stack for k in L.keys()}
    if projector is not None:
        w, b, where = read_projector(projector, first.out, trust_pickle, projector_key)
    else:
        rest = {k: v for k, v in state.items() if k not in used}
        if projector_key is None:
            cands = [k[:-7] for k, v in rest.items() if k.endswith(".weight") and v.ndim == 2 and v.shape[1] == first.out
                     and k[:-7] + ".bias" in rest]
            if len(cands) != 1:
                raise ConvertError(path, "", (f"several Linear projectors of input width {first.out}: {cands}" if cands else
                                              f"no Linear of input width {first.out} besides the layers") +
                                   "; name it with --projector-key, or pass --projector FILE or --projector identity")
            projector_key = cands[0]
        w, b, name = find_linear(rest, path, first.out, projector_key)
        used |= {name + ".weight", name + ".bias"}
        where = f"{path}:{name}"
    unused(state, used, path, f"{LAYER_NAMES[kind]} layers at {prefixes}, projector {where}")
    tensors = {}
    for i, L in enumerate(stack):
        tensors.update(L.tensors(state, i))
    node_types = list(first.node_types)
    config = {"kernel": kind, "in_channels": {t: int(first.in_by_type[t]) for t in node_types}, "hidden_channels": first.out,
              "heads": first.heads, "num_layers": len(stack), "node_types": node_types, "edge_types": edge_types}
    if metapaths:
        config["metapaths"] = metapaths
    return config, tensors, (w, b), f"{path} ({len(stack)} {LAYER_NAMES[kind]} layer{'s' if len(stack) > 1 else ''}, projector {where})"
