"""expand_prompt: every "<graph>" of a prompt becomes <g_start> + <g_patch> × T_i + <g_end> (C++: tokenizer/prompt.hpp)."""
from __future__ import annotations

from typing import List, NamedTuple, Sequence, Tuple

from . import _core


class ExpandedPrompt(NamedTuple):
    text: str
    #: per graph: (byte offset of its first patch in text encoded as UTF-8, index of its first patch, number of patches)
    splices: List[Tuple[int, int, int]]
    total_patches: int


def expand_prompt(prompt: str, token_counts: Sequence[int], graph: str = "<graph>", start: str = "<g_start>",
                  patch: str = "<g_patch>", end: str = "<g_end>", use_start_end: bool = True) -> ExpandedPrompt:
    """The C++ expand_prompt: hgtok.ValueError when the placeholders and token_counts differ in number."""
    text, splices, total = _core._expand_prompt(prompt, [int(c) for c in token_counts], graph, start, patch, end, use_start_end)
    return ExpandedPrompt(text, list(splices), total)
