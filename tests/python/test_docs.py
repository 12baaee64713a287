"""The Python snippets of README.md ("From Python") and docs/python.md run as written, from the repository root: the
blocks marked `python test=tests/python/test_docs.py` (tests/docs/check_code_blocks.py checks that every block is
marked)."""
import os
import re

import pytest

from conftest import ROOT, need


def python_blocks(path):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return re.findall(r"```python test=tests/python/test_docs.py\n(.*?)```", text, re.S)


@pytest.mark.parametrize("path,index", [("README.md", 0), ("docs/python.md", 0)])
def test_snippet_runs(path, index, monkeypatch):
    need("torch")
    blocks = python_blocks(path)
    assert len(blocks) > index, f"{path} has no Python snippet {index}"
    monkeypatch.chdir(ROOT)
    scope = {}
    exec(compile(blocks[index], f"{path} snippet {index}", "exec"), scope)
    t = scope["t"]
    assert scope["x"].data_ptr() == t._tokens_address and tuple(scope["x"].shape) == (7, 4096)
