"""tokenize_batch from Python writes the CLI's files byte for byte; Ctrl-C stops between shards and a second call
resumes to the same files; ShardReader returns every target's rows (memory-mapped, read-only, no copy) and
reports missing and failed targets."""
import signal
import sys

import numpy as np
import pytest

import hgtok
import hgtok._batch
from conftest import run_cli, same_files

TARGETS = list(range(20)) + [99, 3]  # 99 is out of range; 3 appears twice


def python_batch(out, tokenizer, graph, table, progress=False, **kw):
    return hgtok.tokenize_batch(tokenizer, graph, table, hgtok.NeighborSampler([10, 5], seed=0), TARGETS, str(out),
                                target_type="movie", type_order=graph.node_types, shard_size=8, progress=progress, **kw)


@pytest.fixture(scope="module")
def cli_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "batch"
    code, stdout, stderr = run_cli("tokenize", "--batch-out", out, "--shard-size", 8, "--targets", *TARGETS)
    assert code == 3, stdout + stderr  # 3: some target failed (99)
    return out


def test_python_batch_is_the_clis_byte_for_byte(tmp_path, cli_batch, graph, table, tokenizer):
    report = python_batch(tmp_path / "py", tokenizer, graph, table)
    assert report["complete"] and report["shards_written"] == 3 and report["shards_total"] == 3
    assert [t for t, _ in report["failed"]] == [99]
    same_files(cli_batch, tmp_path / "py")


def test_ctrl_c_stops_between_shards_and_resumes(tmp_path, monkeypatch, cli_batch, graph, table, tokenizer):
    real = hgtok._batch._core._tokenize_batch
    calls = []

    def interrupted_after_two(*args):
        r = real(*args)
        calls.append(r)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)  # as Ctrl-C while shard 1 is tokenized: Python raises after the call
        return r

    monkeypatch.setattr(hgtok._batch._core, "_tokenize_batch", interrupted_after_two)
    # Python's own Ctrl-C handler, also where the tests run with SIGINT ignored (a shell's background job).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            python_batch(tmp_path / "py", tokenizer, graph, table)
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    reader = hgtok.ShardReader(str(tmp_path / "py"))
    assert not reader.complete and reader.shards_on_disk == 2 and reader.missing == (16, 22)
    report = python_batch(tmp_path / "py", tokenizer, graph, table)
    assert report["shards_skipped"] == 2 and report["shards_written"] == 1 and report["complete"]
    same_files(cli_batch, tmp_path / "py")


def test_progress_bar_and_max_shards(tmp_path, capsys, graph, table, tokenizer):
    report = python_batch(tmp_path / "py", tokenizer, graph, table, max_shards=1)
    assert report["shards_written"] == 1 and not report["complete"]
    hgtok.tokenize_batch(tokenizer, graph, table, hgtok.NeighborSampler([10, 5], seed=0), TARGETS, str(tmp_path / "py"),
                         target_type="movie", type_order=graph.node_types, shard_size=8, progress=True)
    err = capsys.readouterr().err
    assert "22/22" in err  # tqdm's bar, or hgtok's line per shard without tqdm


def test_progress_without_tqdm_prints_a_line_per_shard(tmp_path, monkeypatch, capsys, graph, table, tokenizer):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto now raises ImportError
    python_batch(tmp_path / "py", tokenizer, graph, table, progress=None)
    assert capsys.readouterr().err == ""  # no bar, no lines unless asked
    report = hgtok.tokenize_batch(tokenizer, graph, table, hgtok.NeighborSampler([10, 5], seed=0), TARGETS,
                                  str(tmp_path / "other"), target_type="movie", shard_size=8, progress=True)
    assert report["complete"]
    assert capsys.readouterr().err.splitlines() == ["hgtok: 8/22 targets", "hgtok: 16/22 targets", "hgtok: 22/22 targets"]


def test_shard_reader_returns_every_targets_rows(tmp_path, cli_batch, graph, table, tokenizer):
    reader = hgtok.ShardReader(str(cli_batch))
    assert len(reader) == reader.num_targets == len(TARGETS) and reader.complete
    assert reader.type_order == graph.node_types and reader.llm_dim == 4096
    assert reader.missing == (22, 22)
    assert [t for t, _ in reader.failed] == [99] and "out of range" in reader.failed[0][1]
    sampler = hgtok.NeighborSampler([10, 5], seed=0)
    seen = []
    for t in reader:
        seen.append(t.target)
        if t.target == 99:
            assert t.failed and len(t) == 0 and "out of range" in t.error
            continue
        want = tokenizer.tokenize(sampler.sample(graph, "movie", t.target), table)
        assert t.tokens.tobytes() == want.tokens.tobytes()
        np.testing.assert_array_equal(t.node_ids, want.node_ids)
        assert [(s[0], s[2], s[3]) for s in t.spans] == [(s[0], s[2], s[3]) for s in want.spans]
        assert not t.tokens.flags.writeable
    assert seen == TARGETS
    assert reader[3].position == 3  # the first of its two positions
    assert 99 in reader and 1000 not in reader
    with pytest.raises(hgtok.LookupError, match="not one of its targets"):
        reader[1000]
    # The rows are views of the mapped file: the pointer lies inside it, and they outlive the reader object.
    t = reader[5]
    tokens = t.tokens
    del reader, t
    np.testing.assert_array_equal(tokens, tokenizer.tokenize(sampler.sample(graph, "movie", 5), table).tokens)


def test_shard_reader_zero_copy_to_torch(cli_batch):
    from conftest import need
    torch = need("torch")
    reader = hgtok.ShardReader(str(cli_batch))
    t = reader[7]
    x = torch.from_dlpack(t)  # the read-only view of the mapped shard, through DLPack 1.0's read-only flag
    assert x.data_ptr() == t.tokens.__array_interface__["data"][0]
    assert tuple(x.shape) == t.tokens.shape
    g = t.to_graph_tokens()
    assert torch.from_dlpack(g).data_ptr() == g._tokens_address


def test_shard_reader_errors(tmp_path, cli_batch):
    with pytest.raises(hgtok.IOError, match="index.json"):
        hgtok.ShardReader(str(tmp_path))
    (tmp_path / "index.json").write_text("{\"format\": \"something else\"}")
    with pytest.raises(hgtok.FormatError, match="not an hgtok batch index"):
        hgtok.ShardReader(str(tmp_path))


def test_cli_inspect_reads_the_batch_with_the_cpp_shard_reader(cli_batch):
    reader = hgtok.ShardReader(str(cli_batch))
    code, stdout, stderr = run_cli("inspect", cli_batch)
    assert code == 0, stderr
    rows = sum(len(t) for t in reader)
    assert f"{reader.num_targets} movie targets, 3 of 3 shards on disk, complete" in stdout
    assert f"{len(reader)} targets on disk, {rows} token rows of width 4096" in stdout
    assert "failed target 99: " in stdout
