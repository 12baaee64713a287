"""Type embeddings from Python: EmbeddingTable (files, dicts, views), and Sentence-BERT type embeddings bit for bit
the CLI's (embed-types) on the real all-MiniLM-L6-v2."""
import json

import numpy as np
import pytest

import hgtok
from conftest import TYPES, minilm_dir, run_cli

DESCRIPTIONS = {
    "node": {"movie": ["This node represents a movie.", "该节点代表一部电影。"], "actor": ["This node represents an actor."]},
    "edge": {"actor__acts_in__movie": ["An actor plays a role in the movie."]},
}


def test_table_load_from_dict_save(tmp_path, rng):
    t = hgtok.EmbeddingTable.load(TYPES)
    assert len(t) > 0 and t.dim == 768 and "node/movie" in t
    movie = t["node/movie"]
    assert movie.shape == (768,) and movie.dtype == np.float32 and not movie.flags.writeable
    d = {"node/a": rng.standard_normal(5).astype(np.float32), "edge/a__r__a": rng.standard_normal(5).astype(np.float32)}
    made = hgtok.EmbeddingTable.from_dict(d)
    assert made.keys() == sorted(d)
    made.save(str(tmp_path / "t.safetensors"))
    back = hgtok.EmbeddingTable.load(str(tmp_path / "t.safetensors"))
    for k, v in d.items():
        assert back[k].tobytes() == v.tobytes()


def test_table_errors(rng):
    with pytest.raises(hgtok.FormatError):
        hgtok.EmbeddingTable.from_dict({"movie": np.zeros(3, np.float32)})  # no node/ or edge/ prefix
    with pytest.raises(hgtok.ShapeError, match="width"):
        hgtok.EmbeddingTable.from_dict({"node/a": np.zeros(3, np.float32), "node/b": np.zeros(4, np.float32)})
    with pytest.raises(hgtok.LookupError, match="node/nobody"):
        hgtok.EmbeddingTable.load(TYPES)["node/nobody"]
    with pytest.raises(hgtok.ShapeError, match="expected 1"):
        hgtok.EmbeddingTable().add("node/a", np.zeros((2, 2), np.float32))


def test_descriptions_from_dict():
    d = hgtok.TypeDescriptions.from_dict(DESCRIPTIONS)
    assert d.keys() == ["edge/actor__acts_in__movie", "node/actor", "node/movie"]
    assert d.descriptions("node/movie") == DESCRIPTIONS["node"]["movie"]
    with pytest.raises(hgtok.ValueError, match="at least one"):
        hgtok.TypeDescriptions.from_dict({"node": {"x": []}})
    with pytest.raises(hgtok.FormatError, match="unknown section"):
        hgtok.TypeDescriptions.from_dict({"nodes": {}})


def test_sentence_bert_type_embeddings_are_the_clis_bit_for_bit(tmp_path):
    model = minilm_dir()
    path = tmp_path / "descriptions.json"
    path.write_text(json.dumps(DESCRIPTIONS, ensure_ascii=False), encoding="utf-8")
    code, stdout, stderr = run_cli("embed-types", "--model", model, "--descriptions", path, "--out", tmp_path / "cli.safetensors")
    assert code == 0, stderr
    cli_table = hgtok.EmbeddingTable.load(str(tmp_path / "cli.safetensors"))
    encoder = hgtok.SentenceEncoder.load(model)
    table = hgtok.TypeDescriptions.load(str(path)).embed(encoder)
    also = hgtok.TypeDescriptions.from_dict(DESCRIPTIONS).embed(encoder, batch_size=1)
    assert table.keys() == cli_table.keys() == also.keys()
    for k in table.keys():
        assert table[k].tobytes() == cli_table[k].tobytes(), k
    # encode(): one row per text, unit length (the model normalises), the table the mean of a type's rows.
    e = encoder.encode(DESCRIPTIONS["node"]["movie"])
    assert e.shape == (2, encoder.dim) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(table["node/movie"], e.mean(0), rtol=1e-6, atol=1e-7)
    with pytest.raises(hgtok.IOError):
        hgtok.SentenceEncoder.load(str(tmp_path / "no_model"))
