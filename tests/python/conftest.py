"""Shared setup of hgtok's Python tests (run by scripts/test.sh after ctest; docs/python.md).

Optional dependencies: a test that needs torch, torch_geometric or transformers calls `need(name)`, which skips it
with a loud reason when the package is missing, and FAILS it when HGTOK_REQUIRE_TORCH=1 (CI sets it, so CI cannot
skip them). The real Sentence-BERT model (HGTOK_MINILM_DIR, scripts/fetch-model.sh) likewise with
HGTOK_REQUIRE_MINILM=1, and the hgtok CLI (HGTOK_CLI, set by scripts/test.sh) always: the byte-identity tests compare
with it.
"""
import importlib
import os
import subprocess

import numpy as np
import pytest

import hgtok

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "examples", "data")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
GRAPH = os.path.join(DATA, "imdb_sample.safetensors")
TYPES = os.path.join(DATA, "imdb_types.safetensors")


def _missing(what, required_by):
    message = f"SKIPPED LOUDLY: {what}"
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{what}, and {required_by}=1 says it must be there")
    pytest.skip(message)


def need(module):
    """The module, or skip (fail under HGTOK_REQUIRE_TORCH=1) when it cannot be imported."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        _missing(f"{module} is not installed ({e}); scripts/test.sh installs it from PyPI", "HGTOK_REQUIRE_TORCH")


def minilm_dir():
    d = os.environ.get("HGTOK_MINILM_DIR", "")
    if not d or not os.path.isdir(d):
        _missing("HGTOK_MINILM_DIR does not name the all-MiniLM-L6-v2 model (scripts/fetch-model.sh)", "HGTOK_REQUIRE_MINILM")
    return d


def cli():
    """Path of the hgtok CLI (HGTOK_CLI)."""
    path = os.environ.get("HGTOK_CLI", "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("HGTOK_CLI does not name the built hgtok CLI (scripts/test.sh sets it to <build>/examples/cli/hgtok)")
    return path


def run_cli(*args):
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    p = subprocess.run([cli(), *map(str, args)], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def files_of(directory):
    return sorted(os.listdir(directory))


def same_files(a, b):
    assert files_of(a) == files_of(b)
    for name in files_of(a):
        with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
            assert fa.read() == fb.read(), name


# The CLI's untrained tokenizer (examples/cli/main.cpp, tokenize without --tokenizer): MetaHGT, 64 hidden, 4 heads,
# one layer, HiGPT's 768-wide type table, 4096-wide LLM, weights from seed 0.
def cli_config(graph, table, llm_dim=4096):
    return {"kernel": "meta_hgt", "in_channels": graph.x(graph.node_types[0]).shape[1], "hidden_channels": 64, "heads": 4,
            "num_layers": 1, "embedding_dim": table.dim, "llm_dim": llm_dim}


@pytest.fixture(scope="session")
def graph():
    return hgtok.load_graph(GRAPH)


@pytest.fixture(scope="session")
def table():
    return hgtok.EmbeddingTable.load(TYPES)


@pytest.fixture(scope="session")
def tokenizer(graph, table):
    return hgtok.Tokenizer.random(cli_config(graph, table), 0)


@pytest.fixture
def rng():
    return np.random.default_rng(7)
