"""docs/tutorial.md's Python half (examples/python/tutorial_graph.py) runs as written, and its graph goes through
the CLI (the tutorial's C++ half runs in ctest: examples:tutorial) and the Python package alike."""
import os
import runpy

import hgtok
from conftest import ROOT, need, run_cli

SCRIPT = os.path.join(ROOT, "examples", "python", "tutorial_graph.py")


def test_tutorial_graph_script_writes_a_graph_hgtok_reads(tmp_path, monkeypatch):
    need("torch")
    need("torch_geometric")
    monkeypatch.chdir(tmp_path)  # the script writes my_graph.safetensors to the current directory
    runpy.run_path(SCRIPT, run_name="__main__")  # in this process: torch is imported once for the whole session
    path = tmp_path / "my_graph.safetensors"
    graph = hgtok.load_graph(str(path))
    assert graph.node_types == ["movie", "director", "actor"]
    code, stdout, stderr = run_cli("tokenize", "--graph", path, "--kernel", "hgt")
    assert code == 0, stdout + stderr
    assert "movie (type id 0): rows" in stdout and "actor (type id 2): rows" in stdout
