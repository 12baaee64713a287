#!/usr/bin/env python3
"""Builds the OpenHGNN HetGNN fixtures by running OpenHGNN's OWN modules (PyPI openhgnn 0.7.0 on dgl 2.1.0):
openhgnn.models.HetGNN (Het_Aggregate) and openhgnn.sampler.HetGNN_sampler.hetgnn_graph.build_hetgnn_graph.

    hetgnn_openhgnn_state_dict.pt         torch.save(HetGNN(hg, args).state_dict()), float32: what an OpenHGNN run
                                          saves (Het_Aggregate.* names, incl. the unused bn.*); attention biases
                                          drawn non-zero, like a trained model's
    hetgnn_openhgnn_tokenizer/            tools/convert_openhgnn.py's output for it (config.json, weights.safetensors)
    hetgnn_openhgnn_walk_graph.safetensors  graph A (tools/export_pyg.py layout): 5 authors (author 4 has no edge, so
                                          its other types are empty), 20 papers (ties among more than 16 candidates),
                                          3 venues
    hetgnn_openhgnn_walk.safetensors      on graph A, with DGL's own random walks (rwr_prob 0.5, rw_length 50,
                                          rw_walks 10): visits/<centre>/{indptr,types,ids} (every trace's nodes, as
                                          pack_traces gives them, recorded from dgl.sampling.random_walk during
                                          build_hetgnn_graph), neighbors/<centre>/<neighbour>/{indptr,ids,counts}
                                          (OpenHGNN's top-k neighbour graph, each list in the order DGL's reducer
                                          hands it to the LSTM), expected/<type> (Het_Aggregate on that graph, float64)
    hetgnn_openhgnn_chain_graph.safetensors  graph B: every node has at most one out-edge, so with rwr_prob 0 the
    hetgnn_openhgnn_chain.safetensors     walks leave no choice: expected/<type> is OpenHGNN's whole model (its
                                          sampler with DGL's random_walk, unpatched, then Het_Aggregate), float64
    hetgnn_openhgnn_walk_stats.safetensors  DGL's walk statistics on graph A: mean/var of the visit count of every
                                          node (columns, homogeneous ids) per walk from every start node (rows) over
                                          `walks` walks; mean_length: recorded nodes per walk

Metadata: out_channels, restart_prob, walk_length, walks_per_node, top_k (JSON), node_types (JSON), and provenance
(dgl, openhgnn versions). Expected values are float64 (the model cast with .double() after its float32 weights were
saved, so the same numbers); features are float32-representable.

Run by hand:  /work/venvs/openhgnn/bin/python tests/reference/make_openhgnn_fixtures.py   (tests/reference/README.md)
"""
import argparse
import json
import os
import shutil
import sys

import dgl
import numpy as np
import torch
from safetensors.torch import save_file

import openhgnn  # noqa: F401  (the package imports as a whole; see README.md for its import-time requirements)
from openhgnn.models.HetGNN import HetGNN
from openhgnn.sampler.HetGNN_sampler import hetgnn_graph

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
from export_pyg import export_hetero_data  # noqa: E402
import convert_openhgnn  # noqa: E402
import provenance  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
TYPES = ["author", "paper", "venue"]  # DGL's sorted ntypes: OpenHGNN's k = 3 for the third (venue), 10 for the others
TOP_K = {"author": 10, "paper": 10, "venue": 3}
DIM = 8
RW = {"restart_prob": 0.2, "walk_length": 50, "walks_per_node": 30}  # long walks: > 16 candidates tie


class Store:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Hetero:
    """The few HeteroData attributes tools/export_pyg.py reads (torch_geometric is not in this venv)."""

    def __init__(self, x, edges):
        self.node_types = list(x)
        self.edge_types = list(edges)
        self._s = {t: Store(num_nodes=v.shape[0], x=v) for t, v in x.items()}
        self._s.update({e: Store(edge_index=torch.tensor(v, dtype=torch.int64)) for e, v in edges.items()})

    def __getitem__(self, k):
        return self._s[k]


def make_graph(edges, counts, gen, chunks):
    """(dgl heterograph, features {type: float64 [N, chunks[t]*DIM]}, export object)."""
    hg = dgl.heterograph({k: (torch.tensor(v[0]), torch.tensor(v[1])) for k, v in edges.items()}, counts)
    assert hg.ntypes == TYPES, hg.ntypes
    x = {t: torch.randn(counts[t], chunks[t] * DIM, generator=gen).float().double() for t in TYPES}
    return hg, x, Hetero(x, edges)


def h_dict(x):
    """OpenHGNN's input: per type a dict of content features, concatenated in order and viewed as [N, -1, dim]."""
    return {t: {f"c{i}": v[:, i * DIM:(i + 1) * DIM] for i in range(v.shape[1] // DIM)} for t, v in x.items()}


def build_model(hg, gen):
    args = Store(dim=DIM, device="cpu")
    model = HetGNN(hg, args).float()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.4)
        for t in TYPES:  # trained-like, clearly non-zero attention biases
            model.Het_Aggregate.atten_w[t].bias.fill_(0.0).add_(torch.randn(1, generator=gen) * 0.8)
    model.eval()
    return model


def neighbor_lists(ng, counts):
    """OpenHGNN's neighbour graph as lists[c][u] = [[(id, count), ...] per centre node] in edge-id (mailbox) order."""
    lists = {c: {u: [[] for _ in range(counts[c])] for u in TYPES} for c in TYPES}
    for u, rel, c in ng.canonical_etypes:
        src, dst = ng.edges(etype=(u, rel, c), order="eid")
        w = ng.edges[(u, rel, c)].data["w"]
        for s, d, n in zip(src.tolist(), dst.tolist(), w.tolist()):
            lists[c][u][d].append((s, n))
    return lists


def check_mailbox_order(model, hg_neighbors, x, lists, out):
    """Recomputes Het_Aggregate from the extracted lists with its own LSTMs: proves the lists are what it read."""
    agg = model.Het_Aggregate
    f1 = {t: agg.content_rnn(h) for t, h in h_dict(x).items()}
    for c in TYPES:
        for v in range(x[c].shape[0]):
            cands = []
            for u in TYPES:
                ids = [i for i, _ in lists[c][u][v]]
                if ids:
                    y, _ = agg.neigh_rnn.neigh_rnn[u].lstm(f1[u][ids].unsqueeze(0))
                    cands.append(y[0].mean(0))
                else:
                    cands.append(torch.zeros(DIM, dtype=torch.float64))
            cands.append(f1[c][v])
            a = agg.atten_w[c]
            s = torch.nn.functional.leaky_relu(torch.stack([a(torch.cat([f1[c][v], e])) for e in cands]).view(-1))
            ref = (torch.softmax(s, 0).unsqueeze(1) * torch.stack(cands)).sum(0)
            assert torch.allclose(ref, out[c][v], atol=1e-12, rtol=0), (c, v, (ref - out[c][v]).abs().max())


def list_tensors(lists):
    t = {}
    for c, per in lists.items():
        for u, rows in per.items():
            indptr, ids, counts = [0], [], []
            for row in rows:
                ids += [i for i, _ in row]
                counts += [n for _, n in row]
                indptr.append(len(ids))
            t[f"neighbors/{c}/{u}/indptr"] = torch.tensor(indptr, dtype=torch.int64)
            t[f"neighbors/{c}/{u}/ids"] = torch.tensor(ids, dtype=torch.int64)
            t[f"neighbors/{c}/{u}/counts"] = torch.tensor(counts, dtype=torch.int64)
    return t


def run_openhgnn(model, hg, x, rw, record=None):
    """OpenHGNN's sampler then its model; `record` (a dict) receives the packed traces of every start node."""
    hgg = hetgnn_graph(hg, "fixture")
    real = dgl.sampling.random_walk
    if record is not None:
        def recording(g, nodes, **kw):
            traces, types = real(g, nodes, **kw)
            vids = dgl.sampling.pack_traces(traces, types)[0]
            record[int(nodes[0])] = (hgg.NTYPE[vids].tolist(), hgg.NID[vids].tolist())
            return traces, types
        dgl.sampling.random_walk = recording
    try:
        ng = hgg.build_hetgnn_graph(rw["walk_length"], rw["walks_per_node"], rw["restart_prob"])
    finally:
        dgl.sampling.random_walk = real
    with torch.no_grad():
        out = model.double()(ng, h_dict(x))
    return ng, out, hgg


def meta(rw):
    return {"out_channels": str(DIM), "restart_prob": str(rw["restart_prob"]), "walk_length": str(rw["walk_length"]),
            "walks_per_node": str(rw["walks_per_node"]), "top_k": json.dumps(TOP_K), "node_types": json.dumps(TYPES)}


def graph_a():
    ap = [[0, 0, 1, 1, 2, 2, 3, 3] + [i % 4 for i in range(8, 20)], [0, 1, 1, 2, 3, 4, 5, 6] + list(range(8, 20))]
    pv = [list(range(20)), [i % 3 for i in range(20)]]
    cites = [[1, 2, 3, 4, 5, 9, 10, 11], [0, 0, 1, 2, 3, 8, 8, 9]]
    edges = {("author", "writes", "paper"): ap, ("paper", "written_by", "author"): [ap[1], ap[0]],
             ("paper", "published_in", "venue"): pv, ("venue", "publishes", "paper"): [pv[1], pv[0]],
             ("paper", "cites", "paper"): cites}
    return edges, {"author": 5, "paper": 20, "venue": 3}


def graph_b():
    # Out-degree <= 1 everywhere, graph A's relations: the cycle a0->p0->v0->p1->a1->p2->a0, the tails
    # v2->p0 and a3->p3->p4->v1->p5 (p5: dead end), and author 2 without an edge (its paper and venue lists are empty).
    edges = {("author", "writes", "paper"): [[0, 1, 3], [0, 2, 3]], ("paper", "written_by", "author"): [[1, 2], [1, 0]],
             ("paper", "published_in", "venue"): [[0, 4], [0, 1]], ("venue", "publishes", "paper"): [[0, 1, 2], [1, 5, 0]],
             ("paper", "cites", "paper"): [[3], [4]]}
    return edges, {"author": 4, "paper": 6, "venue": 3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stat-walks", type=int, default=4000)
    a = ap.parse_args()
    torch.manual_seed(0)
    dgl.seed(2019)
    gen = torch.Generator().manual_seed(20190804)
    chunks = {"author": 1, "paper": 2, "venue": 1}

    # Graph A: DGL's random walks, recorded; OpenHGNN's neighbour graph and outputs.
    edges, counts = graph_a()
    hg, x, data = make_graph(edges, counts, gen, chunks)
    model = build_model(hg, gen)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(FIXTURES, "hetgnn_openhgnn_state_dict.pt"))
    export_hetero_data(data, os.path.join(FIXTURES, "hetgnn_openhgnn_walk_graph.safetensors"))
    record = {}
    ng, out, hgg = run_openhgnn(model, hg, x, RW, record)
    lists = neighbor_lists(ng, counts)
    check_mailbox_order(model, ng, x, lists, out)
    assert all(not lists["author"][u][4] for u in ("paper", "venue")), "author 4 must have empty paper/venue lists"
    assert max(len(r) for r in lists["author"]["paper"]) == 10
    t = list_tensors(lists)
    widest = max(len(set(i for ty, i in zip(*r) if ty == 1)) for r in record.values())
    print("most distinct papers visited from one node:", widest)
    assert widest > 16, "the walks must reach more than 16 papers (DGL's std::sort is unstable beyond 16)"
    offset = 0
    for ti, c in enumerate(TYPES):
        indptr, types, ids = [0], [], []
        for v in range(counts[c]):
            ty, i = record[offset + v]
            assert ty[0] == ti and i[0] == v
            types += ty
            ids += i
            indptr.append(len(ids))
        offset += counts[c]
        t[f"visits/{c}/indptr"] = torch.tensor(indptr, dtype=torch.int64)
        t[f"visits/{c}/types"] = torch.tensor(types, dtype=torch.int64)
        t[f"visits/{c}/ids"] = torch.tensor(ids, dtype=torch.int64)
    t.update({f"expected/{k}": v.contiguous() for k, v in out.items()})
    save_file(t, os.path.join(FIXTURES, "hetgnn_openhgnn_walk.safetensors"), metadata=meta(RW))
    print("walk:", {k: tuple(v.shape) for k, v in out.items()}, "max |out|", max(float(v.abs().max()) for v in out.values()))

    # DGL's walk statistics on graph A (homogeneous ids: authors, papers, venues).
    n = hgg.g.num_nodes()
    mean, sq, length = torch.zeros(n, n, dtype=torch.float64), torch.zeros(n, n, dtype=torch.float64), 0
    for i in range(n):
        traces, _ = dgl.sampling.random_walk(hgg.g, torch.full((a.stat_walks,), i), length=RW["walk_length"],
                                             restart_prob=RW["restart_prob"])
        onehot = torch.zeros(a.stat_walks, n, dtype=torch.float64)
        for col in range(traces.shape[1]):
            ok = traces[:, col] >= 0
            onehot[ok, traces[ok, col]] += 1
        mean[i] = onehot.mean(0)
        sq[i] = onehot.var(0)
        length += float((traces >= 0).sum())
    save_file({"mean": mean, "var": sq, "mean_length": torch.tensor([length / (n * a.stat_walks)], dtype=torch.float64)},
              os.path.join(FIXTURES, "hetgnn_openhgnn_walk_stats.safetensors"),
              metadata={**meta(RW), "walks": str(a.stat_walks)})

    # Graph B: OpenHGNN's whole pipeline, unpatched (the walks are forced).
    rw0 = {**RW, "restart_prob": 0.0}
    edges, counts = graph_b()
    hg, x, data = make_graph(edges, counts, gen, chunks)
    export_hetero_data(data, os.path.join(FIXTURES, "hetgnn_openhgnn_chain_graph.safetensors"))
    model.float().load_state_dict(state)
    ng, out, _ = run_openhgnn(model, hg, x, rw0)
    lists = neighbor_lists(ng, counts)
    check_mailbox_order(model, ng, x, lists, out)
    assert not lists["author"]["paper"][2] and not lists["author"]["venue"][2]
    save_file({**{f"expected/{k}": v.contiguous() for k, v in out.items()}, **list_tensors(lists)},
              os.path.join(FIXTURES, "hetgnn_openhgnn_chain.safetensors"), metadata=meta(rw0))
    print("chain:", {k: tuple(v.shape) for k, v in out.items()})

    # The converter's output, committed so the C++ tests read what the converter makes.
    out_dir = os.path.join(FIXTURES, "hetgnn_openhgnn_tokenizer")
    shutil.rmtree(out_dir, ignore_errors=True)
    convert_openhgnn.convert(os.path.join(FIXTURES, "hetgnn_openhgnn_state_dict.pt"), out_dir,
                             graph=os.path.join(FIXTURES, "hetgnn_openhgnn_walk_graph.safetensors"), seed=7)
    provenance.stamp_written(__file__, ("dgl", "openhgnn"))


if __name__ == "__main__":
    main()
