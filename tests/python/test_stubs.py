"""The type stubs (python/hgtok/__init__.pyi) list every public name of the package and of its classes."""
import ast
import os

import hgtok
from conftest import ROOT


def stub_names():
    tree = ast.parse(open(os.path.join(ROOT, "python", "hgtok", "__init__.pyi")).read())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
    return top, members


def test_every_public_name_has_a_stub():
    top, members = stub_names()
    assert set(hgtok.__all__) <= top
    for name, names in members.items():
        cls = getattr(hgtok, name)
        if issubclass(cls, BaseException) or name == "ExpandedPrompt":
            continue
        public = {a for a in dir(cls) if not a.startswith("_")}
        assert public <= names, (name, public - names)
