"""Every hgtok::Error subclass arrives as its hgtok.* exception, also a subclass of the Python habit's builtin, with
the C++ message (the CLI prints the same), and its parts as attributes."""
import builtins

import numpy as np
import pytest

import hgtok
from conftest import GRAPH, run_cli

MAPPING = {
    "FormatError": builtins.ValueError,
    "ShapeError": builtins.ValueError,
    "LookupError": builtins.LookupError,
    "ValueError": builtins.ValueError,
    "IOError": builtins.OSError,
}


@pytest.mark.parametrize("name,builtin", MAPPING.items())
def test_hierarchy(name, builtin):
    cls = getattr(hgtok, name)
    assert issubclass(cls, hgtok.Error) and issubclass(cls, builtin)
    assert cls.__module__ == "hgtok" and cls.__name__ == name
    assert issubclass(hgtok.Error, Exception)


def test_message_is_the_cpp_message(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(hgtok.FormatError) as e:
        hgtok.load_graph(str(bad))
    code, _, stderr = run_cli("inspect", bad)
    assert code == 1
    assert stderr.strip() == "error: " + str(e.value)
    assert str(e.value).startswith("hgtok::FormatError: " + str(bad) + ": field 'header': ")
    assert e.value.source == str(bad) and e.value.field == "header" and "not valid JSON" in e.value.reason


def test_each_class_is_raised_where_cpp_raises_it(tmp_path):
    with pytest.raises(hgtok.IOError) as e:
        hgtok.load_graph(str(tmp_path / "missing.safetensors"))
    assert isinstance(e.value, OSError)
    g = hgtok.load_graph(GRAPH)
    with pytest.raises(LookupError):  # the builtin catches it
        g.num_nodes("nobody")
    with pytest.raises(ValueError):
        hgtok.NeighborSampler([10, 5]).sample(g, "movie", -1)
    with pytest.raises(hgtok.ShapeError):
        g.add_node_type("z", np.zeros((2, 2), np.float64))
    with pytest.raises(hgtok.ValueError, match="placeholders"):
        hgtok.expand_prompt("<graph> and <graph>", [3])
    with pytest.raises(hgtok.Error):
        hgtok.EmbeddingTable.load(str(tmp_path / "missing.safetensors"))


def test_other_cpp_exceptions_do_not_crash():
    with pytest.raises(TypeError):
        hgtok.HeteroGraph().add_node_type("m", [[1.0, 2.0]])  # a list is not an array
    with pytest.raises(TypeError):
        hgtok.NeighborSampler("ten")
