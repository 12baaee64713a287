"""Tokenizer from Python: the CLI's tokens bit for bit, zero-copy tokens (NumPy, DLPack, torch), tokenize_many,
several Python threads at once, load/save/config, encode, and the tokenizer's errors."""
import concurrent.futures

import numpy as np
import pytest

import hgtok
from conftest import need, run_cli


def test_tokens_equal_the_clis_bit_for_bit(tmp_path, graph, table, tokenizer):
    out = tmp_path / "cli.safetensors"
    code, stdout, stderr = run_cli("tokenize", "--target", 3, "--out", out)
    assert code == 0, stderr
    want = hgtok.GraphTokens.load_safetensors(str(out))
    sub = hgtok.NeighborSampler([10, 5], seed=0).sample(graph, "movie", 3)
    got = tokenizer.tokenize(sub, table)
    assert got.tokens.tobytes() == want.tokens.tobytes()
    np.testing.assert_array_equal(got.node_ids, want.node_ids)
    assert got.spans == want.spans
    np.testing.assert_array_equal(sub.original_ids["movie"][:1], [3])


def test_tokens_leave_without_a_copy(graph, table, tokenizer):
    t = tokenizer.tokenize(hgtok.NeighborSampler([10, 5], seed=0).sample(graph, "movie", 0), table)
    address = t._tokens_address  # the C++ buffer the tokenizer wrote
    a = t.tokens
    assert a.__array_interface__["data"][0] == address
    assert np.from_dlpack(t).__array_interface__["data"][0] == address
    assert np.from_dlpack(a).__array_interface__["data"][0] == address
    assert a.shape == (len(t), 4096) and a.dtype == np.float32
    expected = a.copy()
    del t  # the array keeps the tokens alive
    np.testing.assert_array_equal(a, expected)


def test_torch_from_dlpack_shares_the_buffer(graph, table, tokenizer):
    torch = need("torch")
    t = tokenizer.tokenize(hgtok.NeighborSampler([10, 5], seed=0).sample(graph, "movie", 1), table)
    x = torch.from_dlpack(t)
    y = torch.from_dlpack(t.tokens)
    assert x.data_ptr() == y.data_ptr() == t._tokens_address
    assert x.dtype == torch.float32 and tuple(x.shape) == t.tokens.shape
    x[0, 0] = 12345.0  # one buffer: the write shows through NumPy
    assert t.tokens[0, 0] == 12345.0


def test_tokenize_many_equals_tokenize(graph, table, tokenizer):
    sampler = hgtok.NeighborSampler([10, 5], seed=3)
    subs = [sampler.sample(graph, "movie", i) for i in (0, 5, 9, 5)]
    many = tokenizer.tokenize_many(subs, table, ["movie", "actor", "director"])
    for s, m in zip(subs, many):
        one = tokenizer.tokenize(s, table, ["movie", "actor", "director"])
        assert m.tokens.tobytes() == one.tokens.tobytes()
        np.testing.assert_array_equal(m.node_ids, one.node_ids)
    # A subgraph of a graph without actors fails alone; the others are still tokenized.
    small = hgtok.HeteroGraph.from_dict({"movie": graph.x("movie"), "director": graph.x("director")},
                                        {k: graph.edge_index(k).reshape(2, -1) for k in graph.edge_types if "actor" not in k})
    mixed = [subs[0], sampler.sample(small, "movie", 0), subs[1]]
    tokens, errors = tokenizer.tokenize_many(mixed, table, ["movie", "actor"], errors="collect")
    assert errors[0] == errors[2] == "" and "actor" in errors[1]
    assert len(tokens[1]) == 0
    assert tokens[2].tokens.tobytes() == tokenizer.tokenize(subs[1], table, ["movie", "actor"]).tokens.tobytes()
    with pytest.raises(hgtok.LookupError, match="actor"):
        tokenizer.tokenize_many(mixed, table, ["movie", "actor"])
    with pytest.raises(hgtok.ValueError, match="pass an EmbeddingTable"):
        tokenizer.tokenize_many(subs, None)


def test_whole_graph_and_encode(graph, table, tokenizer):
    t = tokenizer.tokenize(graph, table, ["director"])
    assert t.spans == [("director", 1, 0, graph.num_nodes("director"))]
    np.testing.assert_array_equal(t.node_ids, np.arange(graph.num_nodes("director")))
    h = tokenizer.encode(graph, table)
    assert set(h) == set(graph.node_types) and h["movie"].shape == (graph.num_nodes("movie"), 64)


def test_several_python_threads_agree_with_one(graph, table, tokenizer):
    sampler = hgtok.NeighborSampler([10, 5], seed=1)
    subs = [sampler.sample(graph, "movie", i) for i in range(graph.num_nodes("movie"))]
    serial = [tokenizer.tokenize(s, table).tokens.tobytes() for s in subs]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            parallel = list(pool.map(lambda s: tokenizer.tokenize(s, table).tokens.tobytes(), subs))
            assert parallel == serial


def test_thread_count_does_not_change_a_bit(graph, table, tokenizer):
    sub = hgtok.NeighborSampler([10, 5], seed=2).sample(graph, "movie", 4)
    before = hgtok.num_threads()
    try:
        hgtok.set_num_threads(1)
        one = tokenizer.tokenize(sub, table).tokens.tobytes()
        hgtok.set_num_threads(2)
        two = tokenizer.tokenize(sub, table).tokens.tobytes()
    finally:
        hgtok.set_num_threads(before)
    assert one == two


def test_load_save_config(tmp_path, graph, table, tokenizer):
    tokenizer.save(str(tmp_path / "tok"))
    back = hgtok.Tokenizer.load(str(tmp_path / "tok"))
    assert back.config == tokenizer.config
    assert back.config["kernel"] == "meta_hgt" and back.needs_table
    sub = hgtok.NeighborSampler([4], seed=0).sample(graph, "movie", 2)
    assert back.tokenize(sub, table).tokens.tobytes() == tokenizer.tokenize(sub, table).tokens.tobytes()
    code, stdout, _ = run_cli("inspect", tmp_path / "tok")
    assert code == 0 and "meta_hgt" in stdout


def test_tokenizer_errors(tmp_path, graph, table, tokenizer):
    sub = hgtok.NeighborSampler([4], seed=0).sample(graph, "movie", 2)
    with pytest.raises(hgtok.ValueError, match="pass an EmbeddingTable"):
        tokenizer.tokenize(sub)
    with pytest.raises(hgtok.LookupError, match="nobody"):
        tokenizer.tokenize(sub, table, ["nobody"])
    with pytest.raises(hgtok.ValueError, match="listed twice"):
        tokenizer.tokenize(sub, table, ["movie", "movie"])
    with pytest.raises(hgtok.FormatError, match="bogus"):
        hgtok.Tokenizer.random({**tokenizer.config, "bogus": 1}, 0)
    with pytest.raises(hgtok.IOError, match="config.json"):
        hgtok.Tokenizer.load(str(tmp_path / "none"))
    with pytest.raises(hgtok.ValueError, match="out of range"):
        hgtok.NeighborSampler([4], seed=0).sample(graph, "movie", 999)
    with pytest.raises(hgtok.ValueError, match="must be positive"):
        hgtok.NeighborSampler([0])
    with pytest.raises(hgtok.ShapeError, match="in_channels"):
        tokenizer.tokenize(hgtok.HeteroGraph.from_dict({"movie": np.zeros((2, 3), np.float32)}, {}), table)
