"""The encoder layers a state dict holds: where they are (their key prefix), which kind, their widths, and every
tensor each needs, with its shape (the shapes hgtok's loaders require: include/hgtok/conv/*.hpp).

A layer is recognised by a signature key under its prefix:
    meta_hgt   <p>kqv_lin.lin_gen.weight_generator.0.weight   HiGPT MetaHGTConv
    hgt        <p>kqv_lin.lins.<t>.weight                     PyG HGTConv
    han        <p>proj.<t>.weight with <p>lin_src.<key>, <p>q  PyG HANConv
    hetgnn     <p>neigh_att.<t>                              hgtok HetGNN
"""
import re

from . import ConvertError

SIGNATURES = (
    ("meta_hgt", re.compile(r"^(.*?)kqv_lin\.lin_gen\.weight_generator\.0\.weight$")),
    ("hgt", re.compile(r"^(.*?)kqv_lin\.lins\.[^.]+\.weight$")),
    ("han", re.compile(r"^(.*?)lin_src\.[^.]+$")),
    ("meta_han", re.compile(r"^(.*?)lin_src_trans\.weight$")),
    ("hetgnn", re.compile(r"^(.*?)neigh_att\.[^.]+$")),
    ("hgt_pyg_old", re.compile(r"^(.*?)a_lin\.[^.]+\.weight$")),  # PyG < 2.3: k_lin / q_lin / v_lin / a_lin per type
)
LAYER_NAMES = {"meta_hgt": "HiGPT MetaHGTConv", "hgt": "PyG HGTConv", "han": "PyG HANConv", "meta_han": "hgtok MetaHANConv",
               "hetgnn": "hgtok HetGNN", "hgt_pyg_old": "PyG < 2.3 HGTConv"}


def find_layers(state):
    """{prefix: kind} of every layer signature in `state`, prefixes in the order first seen."""
    found = {}
    for key in state:
        for kind, pattern in SIGNATURES:
            m = pattern.match(key)
            if m and m.group(1) not in found:
                if kind == "han" and m.group(1) + "q" not in state:
                    continue
                found[m.group(1)] = kind
    return found


def parse_edge_key(key, source, field):
    parts = key.split("__")
    if len(parts) != 3 or not all(parts):
        raise ConvertError(source, field, f"'{key}' is not an edge type 'src__relation__dst'")
    return parts


def _names_under(state, prefix, group):
    """Names <t> of keys <prefix><group>.<t>[.<rest>], in state order."""
    out = []
    head = prefix + group + "."
    for k in state:
        if k.startswith(head):
            name = k[len(head):].split(".")[0]
            if name not in out:
                out.append(name)
    return out


class Layer:
    """One layer: kind, widths, and the shape of every tensor it uses (keys relative to its prefix)."""

    def __init__(self, kind, prefix, source):
        self.kind, self.prefix, self.source = kind, prefix, source
        self.shapes = {}
        self.node_types, self.edge_types, self.in_by_type = [], [], {}
        self.in_channels = self.out = self.heads = self.embedding_dim = None

    def need(self, state, name):
        key = self.prefix + name
        if key not in state:
            raise ConvertError(self.source, key, f"missing: a {LAYER_NAMES[self.kind]} layer at '{self.prefix}' needs it")
        return state[key]

    def check(self, state):
        """Every tensor present with the shape the layer's widths imply."""
        for name, shape in self.shapes.items():
            a = self.need(state, name)
            if list(a.shape) != list(shape):
                raise ConvertError(self.source, self.prefix + name,
                                   f"has shape {list(a.shape)}, but the layer's widths ({self.describe()}) imply {list(shape)}")
        return self

    def describe(self):
        parts = [f"in_channels {self.in_by_type or self.in_channels}", f"out_channels {self.out}"]
        if self.heads is not None:
            parts.append(f"heads {self.heads}")
        if self.embedding_dim is not None:
            parts.append(f"embedding_dim {self.embedding_dim}")
        return ", ".join(parts)

    def keys(self):
        return [self.prefix + n for n in self.shapes]

    def tensors(self, state, layer_index):
        """{layers.<i>.<name>: tensor}."""
        return {f"layers.{layer_index}.{n}": state[self.prefix + n] for n in self.shapes}


def _divide(a, b, source, key, what):
    if b <= 0 or a % b:
        raise ConvertError(source, key, f"{what}: {a} is not a multiple of {b}")
    return a // b


def _generator(shapes, name, m, fan_in, fan_out):
    h = m // 2
    for g, n in (("weight_generator", fan_in * fan_out), ("bias_generator", fan_out)):
        shapes.update({f"{name}.lin_gen.{g}.0.weight": [h, m], f"{name}.lin_gen.{g}.0.bias": [h],
                       f"{name}.lin_gen.{g}.2.weight": [h, h], f"{name}.lin_gen.{g}.2.bias": [h],
                       f"{name}.lin_gen.{g}.4.weight": [n, h], f"{name}.lin_gen.{g}.4.bias": [n]})


def meta_hgt_layer(state, prefix, source):
    L = Layer("meta_hgt", prefix, source)
    m = L.need(state, "kqv_lin.lin_gen.weight_generator.0.weight").shape[1]
    L.embedding_dim = m
    L.out = L.need(state, "norm.weight").shape[0]
    L.heads = L.need(state, "p_relTrans.weight").shape[0]
    kqv = L.need(state, "kqv_lin.lin_gen.weight_generator.4.weight").shape[0]
    L.in_channels = _divide(kqv, 3 * L.out, source, prefix + "kqv_lin.lin_gen.weight_generator.4.weight",
                            f"rows (in_channels x 3 x out_channels, out_channels {L.out} from norm.weight)")
    d = _divide(L.out, L.heads, source, prefix + "p_relTrans.weight", "heads must divide out_channels")
    _generator(L.shapes, "kqv_lin", m, L.in_channels, 3 * L.out)
    _generator(L.shapes, "out_lin", m, L.out, L.out)
    _generator(L.shapes, "k_rel", m, d, d)
    _generator(L.shapes, "v_rel", m, d, d)
    L.shapes.update({"skipTrans.weight": [1, m], "skipTrans.bias": [1], "p_relTrans.weight": [L.heads, m],
                     "p_relTrans.bias": [L.heads], "norm.weight": [L.out], "norm.bias": [L.out]})
    return L.check(state)


def hgt_layer(state, prefix, source):
    L = Layer("hgt", prefix, source)
    L.node_types = _names_under(state, prefix, "kqv_lin.lins")
    L.edge_types = _names_under(state, prefix, "p_rel")
    if not L.edge_types:
        raise ConvertError(source, prefix + "p_rel.<src>__<rel>__<dst>", "missing: an HGTConv layer has one p_rel per edge type")
    for e in L.edge_types:
        parse_edge_key(e, source, prefix + "p_rel." + e)
    L.out = L.need(state, f"out_lin.lins.{L.node_types[0]}.weight").shape[0]
    L.heads = L.need(state, f"p_rel.{L.edge_types[0]}").shape[-1]
    d = _divide(L.out, L.heads, source, f"{prefix}p_rel.{L.edge_types[0]}", "heads must divide out_channels")
    for t in L.node_types:
        L.in_by_type[t] = L.need(state, f"kqv_lin.lins.{t}.weight").shape[1]
        L.shapes.update({f"kqv_lin.lins.{t}.weight": [3 * L.out, L.in_by_type[t]], f"kqv_lin.lins.{t}.bias": [3 * L.out],
                         f"out_lin.lins.{t}.weight": [L.out, L.out], f"out_lin.lins.{t}.bias": [L.out], f"skip.{t}": [1]})
    E = len(L.edge_types)
    L.shapes.update({"k_rel.weight": [L.heads * E, d, d], "v_rel.weight": [L.heads * E, d, d]})
    L.shapes.update({f"p_rel.{e}": [1, L.heads] for e in L.edge_types})
    return L.check(state)


def han_layer(state, prefix, source):
    L = Layer("han", prefix, source)
    L.node_types = _names_under(state, prefix, "proj")
    L.edge_types = _names_under(state, prefix, "lin_src")
    for e in L.edge_types:
        parse_edge_key(e, source, prefix + "lin_src." + e)
    L.out = L.need(state, "q").shape[-1]
    L.heads = L.need(state, f"lin_src.{L.edge_types[0]}").shape[1]
    d = _divide(L.out, L.heads, source, f"{prefix}lin_src.{L.edge_types[0]}", "heads must divide out_channels")
    for t in L.node_types:
        L.in_by_type[t] = L.need(state, f"proj.{t}.weight").shape[1]
        L.shapes.update({f"proj.{t}.weight": [L.out, L.in_by_type[t]], f"proj.{t}.bias": [L.out]})
    for e in L.edge_types:
        L.shapes.update({f"lin_src.{e}": [1, L.heads, d], f"lin_dst.{e}": [1, L.heads, d]})
    L.shapes.update({"k_lin.weight": [L.out, L.out], "k_lin.bias": [L.out], "q": [1, L.out]})
    return L.check(state)


def hetgnn_layer(state, prefix, source):
    L = Layer("hetgnn", prefix, source)
    L.node_types = _names_under(state, prefix, "neigh_att")
    L.out = _divide(L.need(state, f"neigh_att.{L.node_types[0]}").shape[0], 2, source,
                    f"{prefix}neigh_att.{L.node_types[0]}", "rows (2 x out_channels)")
    if L.out % 2:
        raise ConvertError(source, f"{prefix}neigh_att.{L.node_types[0]}",
                           f"out_channels {L.out} must be even (two LSTM directions of out_channels/2)")
    half = L.out // 2

    def lstm(name, width):
        for sfx in ("", "_reverse"):
            L.shapes.update({f"{name}.weight_ih_l0{sfx}": [4 * half, width], f"{name}.weight_hh_l0{sfx}": [4 * half, half],
                             f"{name}.bias_ih_l0{sfx}": [4 * half], f"{name}.bias_hh_l0{sfx}": [4 * half]})

    for t in L.node_types:
        L.in_by_type[t] = L.need(state, f"content_rnn.{t}.weight_ih_l0").shape[1]
        lstm(f"content_rnn.{t}", L.in_by_type[t])
        lstm(f"neigh_rnn.{t}", L.out)
        L.shapes[f"neigh_att.{t}"] = [2 * L.out, 1]
    return L.check(state)


BUILDERS = {"meta_hgt": meta_hgt_layer, "hgt": hgt_layer, "han": han_layer, "hetgnn": hetgnn_layer}
