"""Kernels from Python against their references, in process: PyG's HGTConv and HANConv on a HeteroData built here
(their state_dict loaded with Tokenizer.from_state_dict), and MetaHGT on the fixtures of
tests/reference/make_hgt_fixtures.py (checked against HiGPT's code), as tests/parity/*.cpp do in C++."""
import os

import numpy as np
import pytest

import hgtok
from conftest import FIXTURES, need

PROJECTOR = 4  # LLM width of the throwaway projector: encode() stops before it


def projector_weights(hidden, rng):
    return {"graph_projector.weight": rng.standard_normal((PROJECTOR, hidden)).astype(np.float32),
            "graph_projector.bias": rng.standard_normal(PROJECTOR).astype(np.float32)}


def hetero_data(torch, pyg):
    torch.manual_seed(0)
    data = pyg.HeteroData()
    data["paper"].x = torch.randn(7, 6)
    data["author"].x = torch.randn(5, 4)
    data["term"].x = torch.randn(3, 6)  # receives no edge type: no output
    data["author", "writes", "paper"].edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 4], [0, 0, 1, 2, 3, 5, 6]])
    data["paper", "written_by", "author"].edge_index = torch.tensor([[0, 0, 1, 2, 3, 5, 6], [0, 1, 1, 2, 3, 4, 4]])
    data["paper", "cites", "paper"].edge_index = torch.tensor([[1, 2, 3, 4, 6], [0, 0, 1, 2, 5]])
    data["term", "in", "paper"].edge_index = torch.tensor([[0, 1, 2, 2], [0, 3, 4, 6]])
    return data


def static_config(kernel, data, hidden, heads):
    return {"kernel": kernel, "in_channels": {t: int(data[t].x.shape[1]) for t in data.node_types}, "hidden_channels": hidden,
            "heads": heads, "num_layers": 1, "node_types": list(data.node_types),
            "edge_types": ["__".join(k) for k in data.edge_types], "llm_dim": PROJECTOR}


def compare(ours, theirs, tolerance):
    """theirs: PyG's output dict (None / absent for a type without output)."""
    present = {t for t, v in theirs.items() if v is not None}
    assert set(ours) == present
    for t in present:
        want = theirs[t].detach().numpy()
        assert ours[t].shape == want.shape
        assert np.max(np.abs(ours[t] - want)) <= tolerance * max(1.0, np.max(np.abs(want))), t


@pytest.mark.parametrize("heads", [1, 2])
def test_hgt_matches_pyg_hgtconv(heads, rng):
    torch = need("torch")
    pyg = need("torch_geometric.data")
    nn = need("torch_geometric.nn")
    data = hetero_data(torch, pyg)
    conv = nn.HGTConv({t: data[t].x.shape[1] for t in data.node_types}, 8, data.metadata(), heads=heads).eval()
    with torch.no_grad():
        for p in conv.parameters():  # PyG starts p_rel at 1 and skip at 1: move them off those values
            p.uniform_(-0.5, 0.5)
        theirs = conv(data.x_dict, data.edge_index_dict)
    weights = {"layers.0." + k: v for k, v in conv.state_dict().items()} | projector_weights(8, rng)
    tok = hgtok.Tokenizer.from_state_dict(static_config("hgt", data, 8, heads), weights)
    compare(tok.encode(hgtok.HeteroGraph.from_pyg(data)), theirs, 1e-5)


@pytest.mark.parametrize("heads", [1, 2])
def test_han_matches_pyg_hanconv(heads, rng):
    torch = need("torch")
    pyg = need("torch_geometric.data")
    nn = need("torch_geometric.nn")
    data = hetero_data(torch, pyg)
    conv = nn.HANConv({t: data[t].x.shape[1] for t in data.node_types}, 8, data.metadata(), heads=heads).eval()
    with torch.no_grad():
        theirs = conv(data.x_dict, data.edge_index_dict)
    weights = {"layers.0." + k: v for k, v in conv.state_dict().items()} | projector_weights(8, rng)
    tok = hgtok.Tokenizer.from_state_dict(static_config("han", data, 8, heads), weights)
    compare(tok.encode(hgtok.HeteroGraph.from_pyg(data)), theirs, 1e-5)


@pytest.mark.parametrize("case", ["meta_h1", "meta_h4", "meta_h1_inference", "meta_noskip", "meta_single"])
def test_meta_hgt_matches_the_higpt_reference_fixtures(case, rng):
    path = os.path.join(FIXTURES, f"hgt_{case}")
    tensors, meta = hgtok.load_safetensors(path + ".safetensors")
    config = {"kernel": "meta_hgt", "variant": meta["variant"], "in_channels": int(meta["in_channels"]),
              "hidden_channels": int(meta["out_channels"]), "heads": int(meta["heads"]),
              "embedding_dim": int(meta["embedding_dim"]), "num_layers": 1, "llm_dim": PROJECTOR}
    weights = {"layers.0." + k: v for k, v in tensors.items() if not k.startswith("expected/")}
    tok = hgtok.Tokenizer.from_state_dict(config, weights | projector_weights(config["hidden_channels"], rng))
    out = tok.encode(hgtok.load_graph(path + "_graph.safetensors"), hgtok.EmbeddingTable.load(path + "_table.safetensors"))
    expected = {k[len("expected/"):]: v for k, v in tensors.items() if k.startswith("expected/")}
    assert set(out) == set(expected)
    for t, want in expected.items():
        assert np.max(np.abs(out[t] - want)) <= 1e-5, t  # float32 against the float64 reference, as the C++ test


def test_from_state_dict_errors(rng):
    config = {"kernel": "meta_hgt", "in_channels": 4, "hidden_channels": 4, "heads": 1, "embedding_dim": 3,
              "num_layers": 1, "llm_dim": PROJECTOR}
    good = hgtok.Tokenizer.random(config, 0)
    with pytest.raises(hgtok.LookupError):
        hgtok.Tokenizer.from_state_dict(config, projector_weights(4, rng))
    with pytest.raises(hgtok.ShapeError, match="dtype is int64"):
        hgtok.Tokenizer.from_state_dict(config, {"graph_projector.bias": np.zeros(4, dtype=np.int64)})
    assert good.config["embedding_dim"] == 3
