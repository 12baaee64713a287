"""ShardReader: a tokenize_batch directory read back, memory-mapped (C++: tokenizer/shard_reader.hpp).

    reader = hgtok.ShardReader("out")
    reader[42].tokens          # target id 42: [rows, d_llm] float32, a read-only view of the mapped shard
    for t in reader: ...       # every target on disk, in the run's order (t.target, t.position, t.tokens, ...)
    reader.missing             # positions (first, end) of the run's targets not on disk yet
    reader.failed              # [(target, error), ...]
"""
from __future__ import annotations

from typing import Iterator

from ._core import ShardReader


def _iter(self) -> Iterator:
    for position in range(len(self)):
        yield self.at_position(position)


def _repr(self) -> str:
    return (f"ShardReader({self.dir!r}: {len(self)} of {self.num_targets} targets on disk, "
            f"{len(self.failed)} failed, {'complete' if self.complete else 'incomplete'})")


ShardReader.__iter__ = _iter
ShardReader.__repr__ = _repr
