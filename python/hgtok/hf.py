"""Graph tokens into a Hugging Face model: hgtok.hf.splice puts them where the prompt's <g_patch> tokens are.

    ids = hf_tokenizer(hgtok.expand_prompt(prompt, [len(t)]).text, return_tensors="pt").input_ids
    embeds = model.get_input_embeddings()(ids)
    embeds = hgtok.hf.splice(ids, embeds, torch.from_dlpack(t), patch_token_id)
    model.generate(inputs_embeds=embeds, attention_mask=torch.ones_like(ids))

HiGPT does the same in its forward pass (the rows of graph i replace graph i's patch embeddings, in order).
Needs torch (not imported by `import hgtok`).
"""
from __future__ import annotations

from typing import Sequence, Union

from ._core import ShapeError, ValueError


def splice(input_ids, inputs_embeds, graph_tokens: Union[object, Sequence[object]], patch_token_id: int):
    """inputs_embeds with its rows at the positions where input_ids == patch_token_id replaced, in row-major order
    (batch row by batch row), by the rows of graph_tokens (one [T, d] tensor or array, or a list of them, one per
    graph, concatenated in order). Returns a new tensor (autograd flows to both inputs); inputs_embeds is unchanged.

    input_ids: [L] or [B, L] integers; inputs_embeds: [L, d] or [B, L, d]. hgtok.ValueError when the number of
    patch positions differs from the number of graph token rows; hgtok.ShapeError on mismatched shapes.
    """
    import torch

    if isinstance(graph_tokens, (list, tuple)):
        parts = [torch.as_tensor(g) for g in graph_tokens]
        rows = torch.cat(parts, 0) if parts else inputs_embeds.new_zeros((0, inputs_embeds.shape[-1]))
    else:
        rows = torch.as_tensor(graph_tokens)
    if input_ids.dim() not in (1, 2) or inputs_embeds.dim() != input_ids.dim() + 1 or tuple(inputs_embeds.shape[:-1]) != tuple(input_ids.shape):
        raise ShapeError(f"hgtok::ShapeError: hf.splice: field 'inputs_embeds': shape {list(inputs_embeds.shape)} does not fit "
                         f"input_ids {list(input_ids.shape)} (expected input_ids' shape plus the embedding width)")
    if rows.dim() != 2 or rows.shape[1] != inputs_embeds.shape[-1]:
        raise ShapeError(f"hgtok::ShapeError: hf.splice: field 'graph_tokens': shape {list(rows.shape)}, expected "
                         f"[T, {inputs_embeds.shape[-1]}] (the model's embedding width)")
    mask = input_ids == patch_token_id
    patches = int(mask.sum())
    if patches != rows.shape[0]:
        raise ValueError(f"hgtok::ValueError: hf.splice: field 'graph_tokens': the prompt holds {patches} patch tokens "
                         f"(id {patch_token_id}), the graph tokens have {rows.shape[0]} rows; expand the prompt with "
                         "hgtok.expand_prompt(prompt, [len(t) for t in graph_tokens])")
    rows = rows.to(device=inputs_embeds.device, dtype=inputs_embeds.dtype)
    return inputs_embeds.masked_scatter(mask.unsqueeze(-1), rows)
