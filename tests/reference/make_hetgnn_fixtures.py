#!/usr/bin/env python3
"""Builds the HetGNN / LSTM / random-walk fixtures for tests/parity/test_hetgnn.cpp, tests/nn/test_lstm.cpp and
tests/graph/test_random_walk.cpp.

    hetgnn_<case>_graph.safetensors   the input graph (tools/export_pyg.py layout)
    hetgnn_<case>.safetensors         the model's state_dict(), expected/<type> outputs, the sampled neighbours
                                      neighbors/<centre>/<neighbour>/{indptr,ids,counts} (int64); __metadata__:
                                      out_channels, restart_prob, walk_length, seed, top_k (JSON), negative_slope,
                                      content_dims (JSON; HetGNN) or content_dim, embedding_dim (MetaHetGNN)
    hetgnn_<case>_table.safetensors   MetaHetGNN only: node/<type> type embeddings
    hetgnn_lstm.safetensors           torch.nn.LSTM (bidirectional and one-way) state_dicts, inputs and outputs

Neighbours: `random_walk_with_restart` below reproduces hgtok's RandomWalkWithRestart (graph/random_walk.hpp) step
for step, with hgtok's SplitMix64 Rng (core/rng.hpp) written out in Python, so the C++ sampler is checked list for
list. The model is `HetGNNReference`, written from the paper (Zhang et al., KDD 2019) and the authors' code
(chuxuzhang/KDD2019_HetGNN, code/tools.py, HetAgg): a content Bi-LSTM per node type over the node's content vectors
(mean over outputs), a neighbour Bi-LSTM per neighbour type over the sampled neighbours' content embeddings (mean),
attention LeakyReLU(a_t . [f1(v) ; candidate]) with torch.nn.LeakyReLU's default slope 0.01, softmax over the node
itself and its neighbour-type aggregates. It differs from the authors' code in one documented way: a neighbour type
with no sampled neighbour is left out of the attention (the authors pad every list to a fixed length).
`MetaHetGNNReference` is hgtok's generated variant: shared Bi-LSTMs, per-type projections from HiGPT
ParameterGenerators fed the node type's embedding, attention vector = Linear(m -> 2d)(embedding).

Edge cases: an author with no edge (its walks never leave it), venue budget k = 3 with only 2 venues (fewer
neighbours than k), content split into 2 vectors for some types, a dead-end paper (no out-edge).

Run by hand (needs torch, safetensors):  python tests/reference/make_hetgnn_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torch_geometric.data import HeteroData

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
from export_pyg import export_hetero_data  # noqa: E402
from make_hgt_fixtures import GeneratedLinear, randomize_  # noqa: E402
import provenance  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


# ---------------------------------------------------------------- hgtok's Rng (core/rng.hpp), bit for bit
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class Rng:
    def __init__(self, seed, stream=0):
        self.state = mix(seed ^ mix((stream + GOLDEN) & M64))

    def next(self):
        self.state = (self.state + GOLDEN) & M64
        return mix(self.state)

    def uniform_int(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            m = self.next() * n
            if (m & M64) >= threshold:
                return m >> 64

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def random_walk_with_restart(data, restart, length, ks, seed):
    """lists[c][u][v] = [(id, count)] for centre type c, neighbour type u, centre node v (hgtok's semantics)."""
    types = list(data.node_types)
    # out-CSR order: per edge type, per source in COO order; concatenated over edge types in edge-type order.
    per_type = {t: {} for t in types}
    for et in data.edge_types:
        s, _, d = et
        for a, b in zip(*data[et].edge_index.tolist()):
            per_type[s].setdefault(a, {}).setdefault(et, []).append((d, b))
    nbrs = {t: {v: [x for et in data.edge_types for x in per_type[t].get(v, {}).get(et, [])] for v in per_type[t]}
            for t in types}
    lists = {}
    for ci, c in enumerate(types):
        lists[c] = {u: [] for u in types}
        for v in range(data[c].num_nodes):
            rng = Rng(seed, mix(ci) ^ v)
            counts = {}
            cur = (c, v)
            for _ in range(length):
                if rng.uniform() < restart:
                    cur = (c, v)
                    continue
                nb = nbrs[cur[0]].get(cur[1], [])
                if not nb:
                    cur = (c, v)
                    continue
                cur = nb[rng.uniform_int(len(nb))]
                if cur == (c, v) or ks.get(cur[0], 0) == 0:
                    continue
                counts[cur] = counts.get(cur, 0) + 1
            for u in types:
                got = sorted(((n, i) for (t, i), n in counts.items() if t == u), key=lambda p: (-p[0], p[1]))
                lists[c][u].append([(i, n) for n, i in got[:ks.get(u, 0)]])
    return lists


def neighbor_tensors(lists):
    t = {}
    for c, per in lists.items():
        for u, rows in per.items():
            indptr = [0]
            ids, counts = [], []
            for row in rows:
                ids += [i for i, _ in row]
                counts += [n for _, n in row]
                indptr.append(len(ids))
            t[f"neighbors/{c}/{u}/indptr"] = torch.tensor(indptr, dtype=torch.int64)
            t[f"neighbors/{c}/{u}/ids"] = torch.tensor(ids, dtype=torch.int64)
            t[f"neighbors/{c}/{u}/counts"] = torch.tensor(counts, dtype=torch.int64)
    return t


# ---------------------------------------------------------------- models
def bilstm_mean(rnn, seq):
    """seq [L, in] -> mean over t of the Bi-LSTM outputs [2h] (zero initial states)."""
    out, _ = rnn(seq.unsqueeze(1))
    return out.squeeze(1).mean(0)


def attend(att, self_emb, cands, slope):
    cands = torch.stack(cands)
    scores = torch.nn.functional.leaky_relu(torch.cat([self_emb.expand_as(cands), cands], 1) @ att.view(-1), slope)
    return (torch.softmax(scores, 0).unsqueeze(1) * cands).sum(0)


class HetGNNReference(nn.Module):
    def __init__(self, content_dims, d, slope=0.01):
        super().__init__()
        self.content_dims, self.d, self.slope = content_dims, d, slope
        self.content_rnn = nn.ModuleDict({t: nn.LSTM(c, d // 2, 1, bidirectional=True) for t, c in content_dims.items()})
        self.neigh_rnn = nn.ModuleDict({t: nn.LSTM(d, d // 2, 1, bidirectional=True) for t in content_dims})
        self.neigh_att = nn.ParameterDict({t: nn.Parameter(torch.ones(2 * d, 1)) for t in content_dims})

    def content(self, t, x):
        c = self.content_dims[t]
        return torch.stack([bilstm_mean(self.content_rnn[t], row.view(-1, c)) for row in x])

    def neighbor(self, u, f1_rows):
        return bilstm_mean(self.neigh_rnn[u], f1_rows)

    def forward(self, types, x_dict, lists):
        f1 = {t: self.content(t, x_dict[t]) for t in types}
        out = {}
        for c in types:
            rows = []
            for v in range(f1[c].size(0)):
                cands = [f1[c][v]]
                for u in types:
                    ids = [i for i, _ in lists[c][u][v]]
                    if ids:
                        cands.append(self.neighbor(u, f1[u][ids]))
                rows.append(attend(self.neigh_att[c], f1[c][v], cands, self.slope))
            out[c] = torch.stack(rows)
        return out


class MetaHetGNNReference(HetGNNReference):
    def __init__(self, c, d, m, slope=0.01):
        nn.Module.__init__(self)
        self.c, self.d, self.slope = c, d, slope
        self.content_proj = GeneratedLinear(m, c, c)
        self.neigh_proj = GeneratedLinear(m, d, d)
        self.content_rnn = nn.LSTM(c, d // 2, 1, bidirectional=True)
        self.neigh_rnn = nn.LSTM(d, d // 2, 1, bidirectional=True)
        self.att_trans = nn.Linear(m, 2 * d)

    def forward(self, types, x_dict, lists, emb):
        f1 = {t: torch.stack([bilstm_mean(self.content_rnn, self.content_proj(row.view(-1, self.c), emb[t]))
                              for row in x_dict[t]]) for t in types}
        g = {t: self.neigh_proj(f1[t], emb[t]) for t in types}
        out = {}
        for c in types:
            att = self.att_trans(emb[c])
            rows = []
            for v in range(f1[c].size(0)):
                cands = [f1[c][v]]
                for u in types:
                    ids = [i for i, _ in lists[c][u][v]]
                    if ids:
                        cands.append(bilstm_mean(self.neigh_rnn, g[u][ids]))
                rows.append(attend(att, f1[c][v], cands, self.slope))
            out[c] = torch.stack(rows)
        return out


# ---------------------------------------------------------------- graph and cases
def academic_graph(gen, widths):
    d = HeteroData()
    d["author"].x = torch.randn(5, widths["author"], generator=gen)  # author 4 has no edge at all
    d["paper"].x = torch.randn(6, widths["paper"], generator=gen)
    d["venue"].x = torch.randn(2, widths["venue"], generator=gen)  # fewer venues than k = 3
    ap = [[0, 0, 1, 2, 2, 3, 1], [0, 1, 1, 2, 3, 4, 5]]
    d["author", "writes", "paper"].edge_index = torch.tensor(ap)
    d["paper", "written_by", "author"].edge_index = torch.tensor([ap[1][:-1], ap[0][:-1]])  # paper 5 has no author back-edge
    pv = [[0, 1, 2, 3, 4], [0, 0, 1, 1, 0]]
    d["paper", "published_in", "venue"].edge_index = torch.tensor(pv)
    d["venue", "publishes", "paper"].edge_index = torch.tensor([pv[1], pv[0]])
    d["paper", "cites", "paper"].edge_index = torch.tensor([[1, 2, 3, 4], [0, 0, 1, 2]])
    return d


WALK = {"restart_prob": 0.3, "walk_length": 60, "seed": 20190804, "top_k": {"author": 3, "paper": 4, "venue": 3}}


def save_case(name, data, weights, expected, lists, meta, table=None):
    export_hetero_data(data, os.path.join(FIXTURES, f"hetgnn_{name}_graph.safetensors"))
    t = {k: v.detach().contiguous() for k, v in weights.items()}
    t.update({f"expected/{k}": v.detach().contiguous() for k, v in expected.items()})
    t.update(neighbor_tensors(lists))
    meta = {**{k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in WALK.items()},
            **{k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in meta.items()}}
    save_file(t, os.path.join(FIXTURES, f"hetgnn_{name}.safetensors"), metadata=meta)
    if table is not None:
        save_file({k: v.contiguous() for k, v in table.items()}, os.path.join(FIXTURES, f"hetgnn_{name}_table.safetensors"))
    sizes = {c: {u: sum(len(r) for r in rows) for u, rows in per.items()} for c, per in lists.items()}
    print("hetgnn", name, {k: tuple(v.shape) for k, v in expected.items()}, "neighbours:", sizes)


def static_case(gen):
    content_dims = {"author": 3, "paper": 4, "venue": 3}
    data = academic_graph(gen, {"author": 6, "paper": 8, "venue": 3})  # author, paper: 2 content vectors
    lists = random_walk_with_restart(data, WALK["restart_prob"], WALK["walk_length"], WALK["top_k"], WALK["seed"])
    assert all(not r for u in lists["author"] for r in [lists["author"][u][4]]), "author 4 must have no neighbour"
    model = HetGNNReference(content_dims, 8)
    randomize_(model, gen)
    with torch.no_grad():
        out = model(list(data.node_types), data.x_dict, lists)
    save_case("static", data, model.state_dict(), out, lists,
              {"out_channels": 8, "content_dims": content_dims, "negative_slope": 0.01})


def meta_case(gen):
    c, d, m = 3, 8, 12
    data = academic_graph(gen, {"author": 6, "paper": 9, "venue": 3})
    lists = random_walk_with_restart(data, WALK["restart_prob"], WALK["walk_length"], WALK["top_k"], WALK["seed"])
    model = MetaHetGNNReference(c, d, m)
    randomize_(model, gen, scale=0.3)
    emb = {t: torch.randn(m, generator=gen) for t in data.node_types}
    with torch.no_grad():
        out = model(list(data.node_types), data.x_dict, lists, emb)
    save_case("meta", data, model.state_dict(), out, lists,
              {"out_channels": d, "content_dim": c, "embedding_dim": m, "negative_slope": 0.01},
              {f"node/{t}": e for t, e in emb.items()})


def lstm_case(gen):
    t = {}
    for name, bi in (("bi", True), ("uni", False)):
        rnn = nn.LSTM(5, 3, 1, bidirectional=bi)
        randomize_(rnn, gen)
        x = torch.randn(7, 5, generator=gen)
        with torch.no_grad():
            y, _ = rnn(x.unsqueeze(1))
        for k, v in rnn.state_dict().items():
            t[f"{name}.{k}"] = v
        t[f"{name}/x"] = x
        t[f"{name}/y"] = y.squeeze(1)
        t[f"{name}/mean"] = y.squeeze(1).mean(0)
    save_file({k: v.detach().contiguous() for k, v in t.items()}, os.path.join(FIXTURES, "hetgnn_lstm.safetensors"))
    print("lstm", len(t), "tensors")


def main():
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(2019_0804)
    lstm_case(gen)
    static_case(gen)
    meta_case(gen)
    provenance.stamp_written(__file__, ("torch_geometric",))


if __name__ == "__main__":
    main()
