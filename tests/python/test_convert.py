"""tools/convert_checkpoint.py end to end: each source model of tests/reference/make_convert_fixtures.py (HiGPT's
released layout written with HiGPT's own code, PyG models, HetGNN weights in hgtok's naming) is converted here into a
tokenizer directory, loaded with hgtok.Tokenizer.load, and its tokens compared with the source model's outputs; the
float64 conversion equals the directory committed under tests/fixtures/convert/*/tokenizer (which
tests/tokenizer/test_convert.cpp checks in double); bad checkpoints give an error naming the file and the key."""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys

import numpy as np
import pytest

import hgtok
from conftest import FIXTURES, ROOT, need

CONVERT = os.path.join(ROOT, "tools", "convert_checkpoint.py")
CASES = os.path.join(FIXTURES, "convert")
HIGPT = os.path.join(CASES, "higpt")
TOWER = os.path.join(HIGPT, "MetaHGT")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from convert.tensors import read_safetensors, write_safetensors  # noqa: E402

_spec = importlib.util.spec_from_file_location("convert_checkpoint", CONVERT)
convert_checkpoint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert_checkpoint)


def convert(*args):
    """Runs the converter's main() in this process (torch is imported once, not per run); returns (exit status,
    stdout + stderr)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = convert_checkpoint.main([str(a) for a in args])
    return rc, out.getvalue()


def converted(*args):
    rc, out = convert(*args)
    assert rc == 0, out
    return out


def close(got, want, tolerance=1e-5):
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= tolerance * max(1.0, float(np.max(np.abs(want))))


def tokens(directory, case, order, table=None):
    tok = hgtok.Tokenizer.load(str(directory))
    t = hgtok.EmbeddingTable.load(os.path.join(case, table)) if table else None
    return np.asarray(tok.tokenize(hgtok.load_graph(os.path.join(case, "graph.safetensors")), t, order).tokens)


def same_as_committed(out_dir, case):
    """The converter's float64 output today equals the committed directory the C++ test reads in double."""
    committed = os.path.join(case, "tokenizer")
    with open(os.path.join(out_dir, "config.json")) as a, open(os.path.join(committed, "config.json")) as b:
        assert json.load(a) == json.load(b)
    ours, theirs = read_safetensors(os.path.join(out_dir, "weights.safetensors"))[0], read_safetensors(os.path.join(committed, "weights.safetensors"))[0]
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        assert ours[k].dtype == theirs[k].dtype == np.float64 and np.array_equal(ours[k], theirs[k]), k


def expected(case):
    t, meta = hgtok.load_safetensors(os.path.join(case, "expected.safetensors"))
    return t, meta


# ---------------------------------------------------------------- HiGPT's layout
@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_higpt_layout_tokenizes_to_higpt_outputs(stage, tmp_path):
    need("torch")  # the Lightning .ckpt is a pickle
    projector = os.path.join(HIGPT, "graph_projector.bin" if stage == "stage1" else "stage2")
    out = converted("higpt", TOWER, "--projector", projector, "-o", tmp_path / "tok")
    assert "kernel meta_hgt" in out
    config = json.load(open(tmp_path / "tok" / "config.json"))
    assert config["variant"] == "inference" and config["embedding_dim"] == 6 and config["llm_dim"] == 5
    t, meta = expected(HIGPT)
    order = json.loads(meta["hetero_key_order"])
    close(tokens(tmp_path / "tok", HIGPT, order, "table.safetensors"), t[f"tokens_{stage}"])
    if stage == "stage1":
        converted("higpt", TOWER, "--projector", projector, "-o", tmp_path / "f64", "--dtype", "float64")
        same_as_committed(tmp_path / "f64", HIGPT)


def test_higpt_pretrain_variant_differs(tmp_path):
    """--variant pretrain is HG_grounding's copy (gelu, clamp): another function than HiGPT's inference tower."""
    need("torch")
    converted("higpt", TOWER, "--projector", os.path.join(HIGPT, "graph_projector.bin"), "--variant", "pretrain", "-o", tmp_path)
    t, meta = expected(HIGPT)
    got = tokens(tmp_path, HIGPT, json.loads(meta["hetero_key_order"]), "table.safetensors")
    assert json.load(open(tmp_path / "config.json"))["variant"] == "pretrain"
    assert np.max(np.abs(got - t["tokens_stage1"])) > 1e-3


def tower_copy(tmp_path):
    d = tmp_path / "MetaHGT"
    shutil.copytree(TOWER, d)
    return d


def edit_ckpt(d, edit):
    torch = need("torch")
    path = os.path.join(d, "metahgt.ckpt")
    ckpt = torch.load(path)
    edit(ckpt["state_dict"])
    torch.save(ckpt, path)


def test_higpt_misuse_names_file_and_key(tmp_path):
    need("torch")
    proj = os.path.join(HIGPT, "graph_projector.bin")
    # Not a tower directory.
    rc, out = convert("higpt", HIGPT, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "graph_config.json: missing" in out
    # A tensor HiGPT's strict=False loader would silently leave random.
    d = tower_copy(tmp_path)
    edit_ckpt(d, lambda s: s.pop("model.graph_encoder.k_rel.lin_gen.bias_generator.2.weight"))
    rc, out = convert("higpt", d, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "metahgt.ckpt: model.graph_encoder.k_rel.lin_gen.bias_generator.2.weight: missing" in out
    # A width the config does not match.
    d = tower_copy(tmp_path / "b")
    cfg = json.load(open(d / "graph_config.json"))
    json.dump(dict(cfg, in_channels=16), open(d / "graph_config.json", "w"))
    rc, out = convert("higpt", d, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "graph_config.json: in_channels: is 16, but the checkpoint's tensors have in_channels 8" in out
    json.dump(dict(cfg, dynamic=False), open(d / "graph_config.json", "w"))
    rc, out = convert("higpt", d, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "graph_config.json: dynamic: is false" in out
    # A generator tensor of the wrong shape.
    d = tower_copy(tmp_path / "c")
    edit_ckpt(d, lambda s: s.update({"model.graph_encoder.out_lin.lin_gen.bias_generator.4.bias": s["model.graph_encoder.norm.bias"][:5]}))
    rc, out = convert("higpt", d, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "out_lin.lin_gen.bias_generator.4.bias: has shape [5]" in out and "imply [8]" in out
    # A projector of another width.
    bad = tmp_path / "bad_proj.safetensors"
    write_safetensors(str(bad), {"model.graph_projector.weight": np.zeros((5, 7)), "model.graph_projector.bias": np.zeros(5)})
    rc, out = convert("higpt", TOWER, "--projector", bad, "-o", tmp_path / "o")
    assert rc == 2 and "model.graph_projector.weight: has shape [5, 7]: input width 7, but the encoder's output width is 8" in out
    # No projector in the file, and two checkpoints to choose from.
    write_safetensors(str(bad), {"lm_head.weight": np.zeros((5, 8))})
    rc, out = convert("higpt", TOWER, "--projector", bad, "-o", tmp_path / "o")
    assert rc == 2 and "graph_projector.weight: no projector" in out
    shutil.copy(d / "metahgt.ckpt", d / "other.ckpt")
    rc, out = convert("higpt", d, "--projector", proj, "-o", tmp_path / "o")
    assert rc == 2 and "2 checkpoints found" in out and "--ckpt" in out


# ---------------------------------------------------------------- PyG models
@pytest.mark.parametrize("case,kernel,layers", [("pyg_hgt", "hgt", 2), ("pyg_han", "han", 1), ("pyg_han_metapath", "han", 1)])
def test_pyg_model_tokenizes_to_its_outputs(case, kernel, layers, tmp_path):
    """pyg_han_metapath: PyG ran the model on the graph after AddMetaPaths; the tokenizer gets the original graph and
    adds the metapaths given to the converter."""
    need("torch")
    d = os.path.join(CASES, case)
    t, meta = expected(d)
    extra = ("--metapaths", meta["metapaths"]) if "metapaths" in meta else ()
    converted("pyg", os.path.join(d, "model.pt"), "-o", tmp_path / "tok", *extra)
    config = json.load(open(tmp_path / "tok" / "config.json"))
    assert config["kernel"] == kernel and config["num_layers"] == layers
    assert config["in_channels"] == {"paper": 6, "author": 3, "venue": 5}  # widths differ per type
    close(tokens(tmp_path / "tok", d, json.loads(meta["order"])), t["tokens"])
    converted("pyg", os.path.join(d, "model.pt"), "-o", tmp_path / "f64", "--dtype", "float64", *extra)
    same_as_committed(tmp_path / "f64", d)


def pyg_state():
    torch = need("torch")
    return {k: v.numpy() for k, v in torch.load(os.path.join(CASES, "pyg_hgt", "model.pt")).items()}


def test_pyg_safetensors_takes_edge_order_from_the_graph(tmp_path):
    d = os.path.join(CASES, "pyg_hgt")
    st = tmp_path / "model.safetensors"
    write_safetensors(str(st), pyg_state())  # names sorted: the p_rel order is gone
    rc, out = convert("pyg", st, "-o", tmp_path / "a")
    assert rc == 2 and "pass --graph" in out
    converted("pyg", st, "--graph", os.path.join(d, "graph.safetensors"), "-o", tmp_path / "b")
    t, meta = expected(d)
    close(tokens(tmp_path / "b", d, json.loads(meta["order"])), t["tokens"])


def test_pyg_misuse_names_file_and_key(tmp_path):
    s = pyg_state()
    path = tmp_path / "m.safetensors"
    graph = os.path.join(CASES, "pyg_hgt", "graph.safetensors")

    def run(state, *extra):
        write_safetensors(str(path), state)
        return convert("pyg", path, "--graph", graph, "-o", tmp_path / "o", *extra)

    # Missing tensor of a layer.
    rc, out = run({k: v for k, v in s.items() if k != "convs.1.k_rel.weight"})
    assert rc == 2 and "convs.1.k_rel.weight: missing: a PyG HGTConv layer at 'convs.1.' needs it" in out
    # Mismatched widths: layer 1 reads another width than layer 0 writes.
    bad = dict(s, **{"convs.1.kqv_lin.lins.author.weight": np.zeros((24, 4))})
    rc, out = run(bad)
    assert rc == 2 and "convs.1.kqv_lin.lins.author.weight: input width 4, but layer 0 outputs width 8" in out
    # A tensor no layer uses (PyG's HGT example has an input Linear per type, which hgtok has not).
    rc, out = run(dict(s, **{"lin_dict.author.weight": np.zeros((8, 3)), "lin_dict.author.bias": np.zeros(8)}))
    assert rc == 2 and "lin_dict.author" in out and "--ignore" in out
    rc, out = run(dict(s, **{"lin_dict.author.weight": np.zeros((8, 3))}), "--ignore", "lin_dict.")
    assert rc == 0, out
    # Unknown layer type: a GATConv-like state dict.
    rc, out = run({"conv.lin.weight": np.zeros((8, 4)), "conv.att_src": np.zeros((1, 1, 8)), "lin.weight": np.zeros((5, 8)),
                   "lin.bias": np.zeros(5)})
    assert rc == 2 and "no HGTConv or HANConv layer found" in out
    # PyG's HGTConv before 2.3 (another layer layout).
    rc, out = run({"conv.k_lin.author.weight": np.zeros((8, 3)), "conv.a_lin.author.weight": np.zeros((8, 8)),
                   "lin.weight": np.zeros((5, 8)), "lin.bias": np.zeros(5)})
    assert rc == 2 and "conv.: is a PyG < 2.3 HGTConv layer" in out and "PyG >= 2.3" in out
    # A layer of a kind another command converts.
    hetgnn = read_safetensors(os.path.join(FIXTURES, "hetgnn_static.safetensors"))[0]
    rc, out = run({k: v for k, v in hetgnn.items() if k.startswith(("content_rnn", "neigh_"))})
    assert rc == 2 and "is a hgtok HetGNN layer: the 'hetgnn' command" in out
    # Two candidate projectors.
    rc, out = run(dict(s, **{"head.weight": np.zeros((3, 8)), "head.bias": np.zeros(3)}))
    assert rc == 2 and "several Linear projectors of input width 8" in out and "'head'" in out and "'lin'" in out
    rc, out = run(dict(s, **{"head.weight": np.zeros((3, 8)), "head.bias": np.zeros(3)}), "--projector-key", "head", "--ignore", "lin.")
    assert rc == 0, out
    # Not a checkpoint at all.
    (tmp_path / "x.pt").write_text('{"not": "a checkpoint"}')
    rc, out = convert("pyg", tmp_path / "x.pt", "-o", tmp_path / "o")
    assert rc == 2 and "x.pt: cannot be read by torch.load" in out


# ---------------------------------------------------------------- HetGNN in hgtok's naming (numpy only, no torch)
def hetgnn_args(*extra):
    fixture = os.path.join(FIXTURES, "hetgnn_static")
    meta = read_safetensors(fixture + ".safetensors")[1]
    return ("hetgnn", fixture + ".safetensors", "--graph", fixture + "_graph.safetensors", "--restart-prob", meta["restart_prob"],
            "--walk-length", meta["walk_length"], "--top-k", meta["top_k"], "--seed", meta["seed"], *extra)


def test_hetgnn_weights_tokenize_to_the_reference(tmp_path):
    converted(*hetgnn_args("--ignore", "expected/", "--ignore", "neighbors/", "-o", tmp_path / "tok"))
    fixture = os.path.join(FIXTURES, "hetgnn_static")
    want = read_safetensors(fixture + ".safetensors")[0]
    order = ["venue", "author", "paper"]
    tok = hgtok.Tokenizer.load(str(tmp_path / "tok"))
    got = np.asarray(tok.tokenize(hgtok.load_graph(fixture + "_graph.safetensors"), None, order).tokens)
    close(got, np.concatenate([want[f"expected/{t}"] for t in order]))
    converted(*hetgnn_args("--ignore", "expected/", "--ignore", "neighbors/", "-o", tmp_path / "f64", "--dtype", "float64"))
    same_as_committed(tmp_path / "f64", os.path.join(CASES, "hetgnn"))


def test_hetgnn_misuse_names_file_and_key(tmp_path):
    rc, out = convert(*hetgnn_args("-o", tmp_path / "o"))
    assert rc == 2 and "hetgnn_static.safetensors: neighbors/author/author/counts: tensors" in out and "--ignore" in out
    fixture = os.path.join(FIXTURES, "hetgnn_static.safetensors")
    state = {k: v for k, v in read_safetensors(fixture)[0].items() if k.startswith(("content_rnn", "neigh_"))}
    path = tmp_path / "w.safetensors"
    write_safetensors(str(path), {k: v for k, v in state.items() if k != "neigh_rnn.venue.bias_hh_l0_reverse"})
    args = list(hetgnn_args("-o", tmp_path / "o"))
    args[1] = path
    rc, out = convert(*args)
    assert rc == 2 and "neigh_rnn.venue.bias_hh_l0_reverse: missing" in out
    write_safetensors(str(path), dict(state, **{"neigh_rnn.paper.weight_ih_l0": np.zeros((16, 6))}))
    rc, out = convert(*args)
    assert rc == 2 and "neigh_rnn.paper.weight_ih_l0: has shape [16, 6]" in out
    rc, out = convert(*hetgnn_args("--ignore", "expected/", "--ignore", "neighbors/", "-o", fixture))  # a file, not a directory
    assert rc == 2 and "cannot create the output directory" in out
    args[args.index("--top-k") + 1] = "{author: 3}"
    rc, out = convert(*args)
    assert rc == 2 and "--top-k: is not JSON" in out


# ---------------------------------------------------------------- one layer's weights file
def test_layer_file_carries_its_dimensions(tmp_path):
    need("torch")
    out = tmp_path / "meta.safetensors"
    converted("layer", os.path.join(TOWER, "metahgt.ckpt"), out)  # prefix model.graph_encoder. found by itself
    tensors, meta = read_safetensors(str(out))
    assert meta["layer"] == "MetaHGTConv" and (meta["in_channels"], meta["out_channels"], meta["heads"], meta["embedding_dim"]) == ("8", "8", "1", "6")
    assert "norm.weight" in tensors and not any(k.startswith("model.") for k in tensors)
    converted("layer", os.path.join(CASES, "pyg_hgt", "model.pt"), out, "--prefix", "convs.1.")
    meta = read_safetensors(str(out))[1]
    assert meta["layer"] == "HGTConv" and json.loads(meta["in_channels"]) == {"paper": 8, "author": 8, "venue": 8}
    assert json.loads(meta["edge_types"]) == json.loads(read_safetensors(os.path.join(CASES, "pyg_hgt", "graph.safetensors"))[1]["edge_types"])
    rc, text = convert("layer", os.path.join(CASES, "pyg_hgt", "model.pt"), out)  # two layers and a Linear under ''
    assert rc == 2 and "convs." in text


def test_higpt_stage2_sharded_model_directory(tmp_path):
    """A stage-2 model saved in shards: the index names the shard holding model.graph_projector.*."""
    need("torch")
    state = read_safetensors(os.path.join(HIGPT, "stage2", "model.safetensors"))[0]
    d = tmp_path / "stage2"
    d.mkdir()
    shards = {"model-00001-of-00002.safetensors": ["model.embed_tokens.weight"],
              "model-00002-of-00002.safetensors": ["model.graph_projector.weight", "model.graph_projector.bias", "lm_head.weight"]}
    for name, keys in shards.items():
        write_safetensors(str(d / name), {k: state[k] for k in keys})
    (d / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {k: n for n, ks in shards.items() for k in ks}}))
    converted("higpt", TOWER, "--projector", d, "-o", tmp_path / "tok")
    t, meta = expected(HIGPT)
    close(tokens(tmp_path / "tok", HIGPT, json.loads(meta["hetero_key_order"]), "table.safetensors"), t["tokens_stage2"])
