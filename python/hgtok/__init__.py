"""hgtok: heterogeneous graph tokenizers (HiGPT's in-context heterogeneous graph tokenizer) from Python.

A binding of hgtok's C++ headers (the single implementation): graphs, type embeddings, Sentence-BERT, tokenizers,
batch tokenization to shards and reading them back. Arrays come back as NumPy arrays over the C++ buffers (no copy;
``torch.from_dlpack`` shares them too). See docs/python.md.
"""
from __future__ import annotations

import json as _json
from typing import Dict, Optional, Sequence

from ._core import (  # noqa: F401  (re-exported)
    EmbeddingTable,
    Error,
    FormatError,
    GraphTokens,
    HeteroGraph,
    IOError,
    LookupError,
    NeighborSampler,
    SentenceEncoder,
    ShapeError,
    ShardTarget,
    Subgraph,
    Tokenizer,
    TypeDescriptions,
    ValueError,
    compile_graph,
    load_graph,
    load_safetensors,
    num_threads,
    open_graph,
    save_graph,
    set_num_threads,
)
from ._graph import from_dict as _graph_from_dict, from_pyg as _graph_from_pyg
from ._batch import tokenize_batch  # noqa: F401
from ._prompt import ExpandedPrompt, expand_prompt  # noqa: F401
from ._shards import ShardReader  # noqa: F401
from . import hf  # noqa: F401  (needs torch only when called)

__all__ = [
    "EmbeddingTable", "Error", "ExpandedPrompt", "FormatError", "GraphTokens", "HeteroGraph", "IOError", "LookupError",
    "NeighborSampler", "SentenceEncoder", "ShapeError", "ShardReader", "ShardTarget", "Subgraph", "Tokenizer",
    "TypeDescriptions", "ValueError", "compile_graph", "expand_prompt", "load_graph", "load_safetensors", "num_threads",
    "open_graph", "save_graph", "set_num_threads", "tokenize_batch",
]

# ---- additions to the bound classes that are plain Python (conversions of Python containers) ----

HeteroGraph.from_dict = staticmethod(_graph_from_dict)
HeteroGraph.from_pyg = staticmethod(_graph_from_pyg)


def _table_from_dict(entries: Dict[str, object]) -> EmbeddingTable:
    """A table from {"node/<type>": vector, "edge/<src>__<rel>__<dst>": vector, ...} (float32, 1-d, copied)."""
    table = EmbeddingTable()
    for key, vector in entries.items():
        table.add(key, vector)
    return table


EmbeddingTable.from_dict = staticmethod(_table_from_dict)


def _descriptions_from_dict(d: Dict[str, Dict[str, Sequence[str]]]) -> TypeDescriptions:
    """Descriptions from {"node": {type: [texts]}, "edge": {"src__rel__dst": [texts]}} (TypeDescriptions.load's JSON)."""
    out = TypeDescriptions()
    for section, types in d.items():
        if section not in ("node", "edge"):
            raise FormatError(f"hgtok::FormatError: TypeDescriptions: field '{section}': unknown section (expected \"node\" or \"edge\")")
        for name, texts in types.items():
            (out.add_node if section == "node" else out.add_edge)(name, list(texts))
    return out


TypeDescriptions.from_dict = staticmethod(_descriptions_from_dict)


def _tokenizer_random(config: dict, seed: int = 0) -> Tokenizer:
    """An UNTRAINED tokenizer (weights drawn from seed) for a config dict (config.json's fields)."""
    return Tokenizer._random(_json.dumps(config), seed)


def _tokenizer_from_state_dict(config: dict, state_dict: Dict[str, object]) -> Tokenizer:
    """A tokenizer from a config dict and its weights by name (docs/tokenizer.md's names: layers.<i>.<the
    kernel's state_dict name>, graph_projector.*), e.g. a PyG HGTConv's state_dict under "layers.0.". Arrays are
    NumPy or CPU torch tensors, float32 or float64 (copied)."""
    tensors = {}
    for name, value in state_dict.items():
        if hasattr(value, "detach"):  # torch: a CPU tensor without autograd history
            value = value.detach()
        tensors[name] = value
    return Tokenizer._from_state_dict(_json.dumps(config), tensors)


def _tokenizer_config(self: Tokenizer) -> dict:
    return _json.loads(self._config_json)


def _tokenize_many(self: Tokenizer, subgraphs: Sequence[Subgraph], table: Optional[EmbeddingTable] = None,
                   order: Optional[Sequence[str]] = None, errors: str = "raise"):
    """Tokens of many subgraphs (element i bitwise equal to tokenize(subgraphs[i])). errors="raise": the first
    failing subgraph's error is raised; errors="collect": returns (tokens, messages), a failed subgraph's tokens empty
    and its message non-empty."""
    if errors not in ("raise", "collect"):
        raise ValueError(f"hgtok::ValueError: tokenize_many: field 'errors': must be 'raise' or 'collect', got {errors!r}")
    tokens, messages = self._tokenize_many(list(subgraphs), table, list(order or []), errors == "collect")
    return (tokens, messages) if errors == "collect" else tokens


Tokenizer.random = staticmethod(_tokenizer_random)
Tokenizer.from_state_dict = staticmethod(_tokenizer_from_state_dict)
Tokenizer.config = property(_tokenizer_config)
Tokenizer.tokenize_many = _tokenize_many


def _dlpack(self, *args, **kwargs):
    return self.tokens.__dlpack__(*args, **kwargs)


def _dlpack_device(self):
    return self.tokens.__dlpack_device__()


GraphTokens.__dlpack__ = _dlpack
GraphTokens.__dlpack_device__ = _dlpack_device
ShardTarget.__dlpack__ = _dlpack
ShardTarget.__dlpack_device__ = _dlpack_device
