"""Provenance for the fixtures: what made them, with which library versions.

Every make_*_fixtures.py script calls `stamp_written(...)` at its end. It adds to the `__metadata__` of every
safetensors file the script wrote (files under tests/fixtures/ modified since the script started; run the scripts
one at a time):

    generator        the script's path in the repository, e.g. tests/reference/make_hgt_fixtures.py
    python, numpy, torch, safetensors, and where the script uses them torch_geometric, transformers,
    sentence_transformers        the versions installed when the file was written
    higpt_checked, higpt_commit  only for files a `higpt` rule names: "true" and the HiGPT commit when the
                                 expected values were checked against HiGPT's own code, else "false" and "none"

Existing metadata keys keep their values (the C++ tests read them); a clash with a provenance key is an error.
The file is read back and rewritten with its tensors unchanged (same names, dtypes, shapes and bytes).
"""
import fnmatch
import importlib.metadata
import os
import platform
import subprocess
import time

from safetensors import safe_open
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
DISTRIBUTIONS = {"numpy": "numpy", "torch": "torch", "safetensors": "safetensors", "torch_geometric": "torch_geometric",
                 "transformers": "transformers", "sentence_transformers": "sentence-transformers", "dgl": "dgl", "openhgnn": "openhgnn"}
START = time.time()


def versions(libs):
    out = {"python": platform.python_version()}
    for lib in ("numpy", "torch", "safetensors") + tuple(libs):
        out[lib] = importlib.metadata.version(DISTRIBUTIONS[lib])
    return out


def higpt_commit(checkout):
    """The HEAD commit of a HiGPT checkout (the commit whose files load_higpt_class reads)."""
    return subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def stamp(path, extra):
    with safe_open(path, "pt") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    for k, v in extra.items():
        if k in meta and meta[k] != v:
            raise ValueError(f"{path}: metadata key {k!r} already holds {meta[k]!r}")
        meta[k] = v
    save_file(tensors, path, metadata=meta)


def stamp_written(script, libs=(), higpt=None, since=START):
    """Stamps every safetensors file under tests/fixtures/ written since `since` (default: this module's import).
    script: the calling script's __file__; libs: the optional libraries it uses; higpt: list of
    (glob on the path relative to tests/fixtures, checked: bool, commit or None) rules, first match wins."""
    base = {"generator": os.path.relpath(os.path.abspath(script), ROOT).replace(os.sep, "/")}
    base.update(versions(libs))
    stamped = []
    for dirpath, _, files in os.walk(FIXTURES):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if not name.endswith(".safetensors") or os.path.getmtime(path) < since:
                continue
            rel = os.path.relpath(path, FIXTURES).replace(os.sep, "/")
            extra = dict(base)
            for pattern, checked, commit in higpt or ():
                if fnmatch.fnmatch(rel, pattern):
                    extra["higpt_checked"] = "true" if checked else "false"
                    extra["higpt_commit"] = commit if (checked and commit) else "none"
                    break
            stamp(path, extra)
            stamped.append(rel)
    print(f"provenance: stamped {len(stamped)} files:", base)
    return stamped
