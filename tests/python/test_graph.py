"""hgtok.HeteroGraph from files, dicts (NumPy and torch) and PyG's HeteroData; types, counts, neighbours; errors."""
import ctypes

import numpy as np
import pytest

import hgtok
from conftest import need


def small_dicts(rng):
    x = {"movie": rng.standard_normal((4, 3)).astype(np.float32), "actor": rng.standard_normal((5, 2)).astype(np.float32)}
    e = {("actor", "in", "movie"): np.array([[0, 1, 2, 4, 4], [0, 0, 1, 3, 2]], dtype=np.int64),
         ("movie", "has", "actor"): np.array([[0, 0, 1, 3, 2], [0, 1, 2, 4, 4]], dtype=np.int64)}
    return x, e


def in_neighbors(edge_index, v):
    """In-neighbours of v in COO order (the graph's documented order), computed with NumPy."""
    return edge_index[0][edge_index[1] == v]


def check_graph(g, x, e):
    assert g.node_types == list(x)
    assert g.edge_types == [tuple(k) for k in e]
    assert g.num_nodes() == sum(len(v) for v in x.values())
    for t, v in x.items():
        assert g.num_nodes(t) == len(v)
        np.testing.assert_array_equal(g.x(t), v)
    for k, ei in e.items():
        assert g.num_edges(k) == ei.shape[1]
        assert g.num_edges("__".join(k)) == ei.shape[1]
        np.testing.assert_array_equal(g.edge_index(k).reshape(2, -1), ei)
        for v in range(g.num_nodes(k[2])):
            np.testing.assert_array_equal(g.in_neighbors(k, v), in_neighbors(ei, v))
        for u in range(g.num_nodes(k[0])):
            np.testing.assert_array_equal(np.sort(g.out_neighbors(k, u)), np.sort(ei[1][ei[0] == u]))


def test_from_dict_numpy(rng):
    x, e = small_dicts(rng)
    check_graph(hgtok.HeteroGraph.from_dict(x, e), x, e)


def test_from_dict_torch_and_string_keys(rng):
    torch = need("torch")
    x, e = small_dicts(rng)
    g = hgtok.HeteroGraph.from_dict({t: torch.from_numpy(v).requires_grad_() for t, v in x.items()},
                                    {"__".join(k): torch.from_numpy(v).to(torch.int32) for k, v in e.items()})
    check_graph(g, x, e)


def test_features_are_copied_not_shared(rng):
    x, e = small_dicts(rng)
    g = hgtok.HeteroGraph.from_dict(x, e)
    before = x["movie"].copy()
    x["movie"][:] = 0  # the graph owns its copy (docs/python.md)
    np.testing.assert_array_equal(g.x("movie"), before)
    assert not g.x("movie").flags.writeable


def test_from_pyg_heterodata_built_here(rng):
    torch = need("torch")
    pyg = need("torch_geometric.data")
    data = pyg.HeteroData()
    data["paper"].x = torch.randn(6, 5)
    data["author"].x = torch.randn(4, 5)
    data["venue"].num_nodes = 2  # no features
    data["author", "writes", "paper"].edge_index = torch.tensor([[0, 1, 1, 3, 2], [0, 0, 2, 5, 4]])
    data["paper", "published_in", "venue"].edge_index = torch.tensor([[0, 1, 2, 3, 4, 5], [0, 0, 1, 1, 0, 1]])
    g = hgtok.HeteroGraph.from_pyg(data)
    assert g.node_types == list(data.node_types)
    assert g.edge_types == [tuple(k) for k in data.edge_types]
    assert g.num_nodes("venue") == 2 and g.x("venue").shape == (2, 0)
    for t in ("paper", "author"):
        np.testing.assert_array_equal(g.x(t), data[t].x.numpy())
    for k in data.edge_types:
        ei = data[k].edge_index.numpy()
        for v in range(data[k[2]].num_nodes):
            np.testing.assert_array_equal(g.in_neighbors(k, v), in_neighbors(ei, v))


def test_load_save_round_trip(tmp_path, graph):
    path = str(tmp_path / "g.safetensors")
    hgtok.save_graph(graph, path)
    back = hgtok.load_graph(path)
    assert back.node_types == graph.node_types and back.edge_types == graph.edge_types
    for t in graph.node_types:
        np.testing.assert_array_equal(back.x(t), graph.x(t))
    for k in graph.edge_types:
        np.testing.assert_array_equal(back.edge_index(k), graph.edge_index(k))


def test_compiled_graph_is_mapped_and_tokenizes_the_same(tmp_path, graph, table, tokenizer):
    src, out = str(tmp_path / "g.safetensors"), str(tmp_path / "g.c.safetensors")
    hgtok.save_graph(graph, src)
    hgtok.compile_graph(src, out, by_source=True)
    mapped = hgtok.open_graph(out, full_check=True, source=src)
    assert mapped.node_types == graph.node_types and mapped.edge_types == graph.edge_types
    for t in graph.node_types:
        np.testing.assert_array_equal(mapped.x(t), graph.x(t))
    x = mapped.x("movie")  # a view into the read-only mapping: NumPy refuses writes instead of crashing
    with pytest.raises(ValueError):
        x[0, 0] = 1.0
    sampler = hgtok.NeighborSampler([10, 5], seed=0)
    for target in (0, 3):
        got = tokenizer.tokenize(sampler.sample(mapped, "movie", target), table).tokens.tobytes()
        assert got == tokenizer.tokenize(sampler.sample(graph, "movie", target), table).tokens.tobytes()
    assert hgtok.open_graph(src).num_edges() == graph.num_edges()  # a plain graph file is loaded
    with pytest.raises(hgtok.IOError, match="missing"):
        hgtok.open_graph(str(tmp_path / "missing.safetensors"))
    with pytest.raises(hgtok.IOError, match="missing"):
        hgtok.compile_graph(str(tmp_path / "missing.safetensors"), str(tmp_path / "x.safetensors"))


def test_bad_arrays_are_clear_errors(rng):
    x, e = small_dicts(rng)
    g = hgtok.HeteroGraph.from_dict(x, e)
    with pytest.raises(hgtok.ShapeError, match="dtype is float64, expected float32"):
        g.add_node_type("a", np.zeros((2, 2)))
    with pytest.raises(hgtok.ValueError, match="not C-contiguous"):
        g.add_node_type("b", np.zeros((3, 2), dtype=np.float32).T)
    with pytest.raises(hgtok.ShapeError, match="has 1 dimensions, expected 2"):
        g.add_node_type("c", np.zeros(3, dtype=np.float32))
    with pytest.raises(hgtok.ValueError, match="not finite"):
        g.add_node_type("d", np.full((1, 1), np.nan, dtype=np.float32))
    with pytest.raises(hgtok.ShapeError, match=r"expected \[2, E\]"):
        g.add_edge_type(("movie", "r", "actor"), np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(hgtok.ShapeError, match="dtype is float32, expected int64"):
        g.add_edge_type(("movie", "r", "actor"), np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(hgtok.ValueError, match="out of range|is not in"):
        g.add_edge_type(("movie", "r2", "actor"), np.array([[0], [99]], dtype=np.int64))
    with pytest.raises(hgtok.LookupError):
        g.add_edge_type(("movie", "r3", "nobody"), np.zeros((2, 1), dtype=np.int64))
    with pytest.raises(hgtok.ValueError, match="expected \\(src, relation, dst\\)"):
        g.num_edges(("movie", "has"))
    with pytest.raises(hgtok.LookupError):
        g.x("nobody")
    with pytest.raises(hgtok.IOError):
        hgtok.load_graph("/nonexistent/graph.safetensors")


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32), ("dtype", _DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class FakeCudaTensor:
    """A float32 [2, 2] tensor that says, through DLPack, that it lives on CUDA device 0 (kDLCUDA = 2): what a
    torch CUDA tensor hands over, without needing a GPU. Its data pointer is host memory nobody may read."""

    def __init__(self):
        self.host = np.zeros((2, 2), np.float32)
        self.shape = (ctypes.c_int64 * 2)(2, 2)
        self.managed = _DLManagedTensor(self.host.ctypes.data, _DLDevice(2, 0), 2, _DLDataType(2, 32, 1), self.shape,
                                        None, 0, None, None)

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, *args, **kwargs):
        new = ctypes.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return new(ctypes.addressof(self.managed), b"dltensor", None)


def test_gpu_tensor_is_a_clear_error():
    g = hgtok.HeteroGraph()
    with pytest.raises(hgtok.ValueError, match="is on device type 2 .*hgtok reads CPU memory only"):
        g.add_node_type("m", FakeCudaTensor())
    assert g.node_types == []


def test_real_gpu_tensor_is_a_clear_error():
    torch = need("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here (the DLPack-level test above covers the same path)")
    with pytest.raises(hgtok.ValueError, match="hgtok reads CPU memory only"):
        hgtok.HeteroGraph().add_node_type("m", torch.zeros(2, 2, device="cuda"))
