"""tools/convert_openhgnn.py end to end: OpenHGNN's saved HetGNN state dict (tests/reference/make_openhgnn_fixtures.py)
becomes the committed tokenizer directory, and that tokenizer, sampler included, gives OpenHGNN's outputs; malformed
checkpoints are refused with a message naming the file and the tensor (exit status 2, no traceback)."""
import importlib.util
import json
import os

import numpy as np
import pytest

import hgtok
from conftest import FIXTURES, ROOT, need

TOOL = os.path.join(ROOT, "tools", "convert_openhgnn.py")
STATE = os.path.join(FIXTURES, "hetgnn_openhgnn_state_dict.pt")
COMMITTED = os.path.join(FIXTURES, "hetgnn_openhgnn_tokenizer")


def _tool():
    spec = importlib.util.spec_from_file_location("convert_openhgnn", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Result:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


def convert(*args):
    """The converter's main() in this process (a subprocess per case costs seconds in CI); exit status and stderr."""
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = _tool().main(list(args))
        except Exception:  # an escaped exception is a failure of the converter: show it as a traceback
            import traceback
            traceback.print_exc(file=err)
            code = 1
    return Result(code, err.getvalue())


def test_converter_writes_the_committed_tokenizer_and_openhgnns_outputs(tmp_path):
    need("torch")
    need("safetensors")
    out = tmp_path / "tok"
    r = convert(STATE, str(out), "--graph", os.path.join(FIXTURES, "hetgnn_openhgnn_walk_graph.safetensors"), "--seed", "7")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "config.json").read_text()) == json.loads(open(os.path.join(COMMITTED, "config.json")).read())
    got, _ = hgtok.load_safetensors(str(out / "weights.safetensors"))
    want, _ = hgtok.load_safetensors(os.path.join(COMMITTED, "weights.safetensors"))
    assert sorted(got) == sorted(want)
    for k in want:
        assert got[k].dtype == np.float32 and np.array_equal(got[k], want[k]), k
    # The whole tokenizer (OpenHGNNWalk, then the layer, identity projector) on the graph whose walks leave no choice.
    expected, meta = hgtok.load_safetensors(os.path.join(FIXTURES, "hetgnn_openhgnn_chain.safetensors"))
    config = json.loads((out / "config.json").read_text())
    config["restart_prob"] = float(meta["restart_prob"])
    config["walks_per_node"] = int(meta["walks_per_node"])
    (out / "config.json").write_text(json.dumps(config))
    tokenizer = hgtok.Tokenizer.load(str(out))
    graph = hgtok.load_graph(os.path.join(FIXTURES, "hetgnn_openhgnn_chain_graph.safetensors"))
    tokens = tokenizer.tokenize(graph, None, ["author", "paper", "venue"])
    want = np.concatenate([expected[f"expected/{t}"] for t in ("author", "paper", "venue")])
    assert np.abs(np.asarray(tokens.tokens, dtype=np.float64) - want).max() <= 1e-5


def _write(path, tensors):
    from safetensors.numpy import save_file
    save_file(tensors, str(path))
    return str(path)


def _good():
    """A valid OpenHGNN HetGNN state dict (d = 4, types a, b, c) as numpy arrays."""
    rng = np.random.default_rng(0)
    t = {}
    params = [f"{w}_{s}_l0{r}" for r in ("", "_reverse") for w, s in (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]
    shape = {"weight_ih": (8, 4), "weight_hh": (8, 2)}
    for p in params:
        t[f"Het_Aggregate.content_rnn.content_rnn.{p}"] = rng.standard_normal(shape.get(p[:9], (8,))).astype(np.float32)
    for n in "abc":
        for p in params:
            t[f"Het_Aggregate.neigh_rnn.neigh_rnn.{n}.lstm.{p}"] = rng.standard_normal(shape.get(p[:9], (8,))).astype(np.float32)
        t[f"Het_Aggregate.atten_w.{n}.weight"] = rng.standard_normal((1, 8)).astype(np.float32)
        t[f"Het_Aggregate.atten_w.{n}.bias"] = rng.standard_normal(1).astype(np.float32)
    t["Het_Aggregate.bn.num_batches_tracked"] = np.zeros((), dtype=np.int64)
    return t


EDGES = ["--edge-type", "a__to__b", "--edge-type", "b__to__c"]


@pytest.mark.parametrize("change,message", [
    (lambda t: t.update({"Het_Aggregate.extra.weight": np.zeros(2, np.float32)}),
     "Het_Aggregate.extra.weight: unknown tensor"),
    (lambda t: t.update({"Het_Aggregate.atten_w.b.weight": np.zeros((1, 7), np.float32)}),
     "Het_Aggregate.atten_w.b.weight: shape [1, 7], expected [1, 8]"),
    (lambda t: t.pop("Het_Aggregate.atten_w.c.bias"), "Het_Aggregate.atten_w.c.bias: missing"),
    (lambda t: t.pop("Het_Aggregate.neigh_rnn.neigh_rnn.a.lstm.bias_hh_l0_reverse"),
     "Het_Aggregate.neigh_rnn.neigh_rnn.a.lstm.bias_hh_l0_reverse: missing"),
    (lambda t: t["Het_Aggregate.content_rnn.content_rnn.bias_ih_l0"].__setitem__(3, np.nan),
     "Het_Aggregate.content_rnn.content_rnn.bias_ih_l0: holds NaN"),
    (lambda t: t.update({"Het_Aggregate.atten_w.a.bias": np.ones(1, np.int32)}),
     "Het_Aggregate.atten_w.a.bias: dtype int32 is not a float type"),
    (lambda t: t.update({"model.layer.weight": np.zeros(1, np.float32)}), "model.layer.weight: not an OpenHGNN HetGNN tensor"),
])
def test_malformed_checkpoints_are_named(tmp_path, change, message):
    need("safetensors")
    t = _good()
    assert convert(_write(tmp_path / "ok.safetensors", t), str(tmp_path / "ok"), *EDGES).returncode == 0
    change(t)
    path = _write(tmp_path / "bad.safetensors", t)
    r = convert(path, str(tmp_path / "out"), *EDGES)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert message in r.stderr and path in r.stderr
    assert not (tmp_path / "out").exists()


def test_bad_files_and_options_are_named(tmp_path):
    need("safetensors")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    for args, message in [
        ([str(tmp_path / "missing.pt"), str(tmp_path / "o"), *EDGES], "no such file"),
        ([str(garbage), str(tmp_path / "o"), *EDGES], "not a readable torch checkpoint"),
        ([_write(tmp_path / "w.safetensors", _good()), str(tmp_path / "o"), *EDGES, "--walks-per-node", "0"],
         "--walks-per-node"),
        ([_write(tmp_path / "x.safetensors", _good()), str(tmp_path / "o"), "--edge-type", "a__to__z"],
         "edge type 'a__to__z'"),
        ([_write(tmp_path / "y.safetensors", _good()), str(tmp_path / "o"), *EDGES, "--restart-prob", "1"], "--restart-prob"),
        ([_write(tmp_path / "z.safetensors", _good()), str(tmp_path / "o"), *EDGES, "--top-k", "q=2"], "--top-k"),
    ]:
        r = convert(*args)
        if "torch checkpoint" in message and r.returncode == 2 and "needs torch" in r.stderr:
            continue  # no torch here: the refusal names that instead
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_convert_checkpoint_openhgnn_is_the_same_converter(tmp_path):
    """`convert_checkpoint.py openhgnn ARGS` runs tools/convert_openhgnn.py with ARGS: the same directory comes out."""
    need("torch")
    spec = importlib.util.spec_from_file_location("convert_checkpoint", os.path.join(ROOT, "tools", "convert_checkpoint.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph = os.path.join(FIXTURES, "hetgnn_openhgnn_walk_graph.safetensors")
    assert module.main(["openhgnn", STATE, str(tmp_path / "a"), "--graph", graph, "--seed", "7"]) == 0
    assert convert(STATE, str(tmp_path / "b"), "--graph", graph, "--seed", "7").returncode == 0
    for name in ("config.json", "weights.safetensors"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
