#!/usr/bin/env python3
"""Graph tokens into an LLM, end to end and offline: hgtok tokenizes a movie's subgraph of the bundled sample graph,
the prompt's <graph> is expanded into <g_patch> tokens, a Hugging Face tokenizer built from the bundled MiniLM
vocabulary (plus the graph special tokens) turns it into ids, hgtok.hf.splice puts the graph tokens into the
embeddings at the patch positions, and a tiny randomly initialised LlamaForCausalLM generates from them.

Nothing is downloaded: the vocabulary is all-MiniLM-L6-v2's vocab.txt (scripts/fetch-model.sh; pass its model
directory or set HGTOK_MINILM_DIR), the LLM is built from a config. Both the tokenizer and the LLM are UNTRAINED, so
the generated text is noise: this shows the plumbing (shapes, positions, generate(inputs_embeds=...)), not meaning.

    python examples/python/llm_splice.py [MODEL_DIR]
"""
import os
import sys

import torch
from transformers import BertTokenizerFast, LlamaConfig, LlamaForCausalLM

import hgtok

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SPECIAL = ["<graph>", "<g_start>", "<g_patch>", "<g_end>"]  # HiGPT's graph tokens (hgtok.expand_prompt's defaults)
HIDDEN = 64  # the tiny LLM's width: the graph tokenizer's llm_dim


def main(model_dir: str) -> str:
    # 1. Graph tokens of movie 0's sampled subgraph, [T, HIDDEN], with an untrained MetaHGT tokenizer.
    graph = hgtok.load_graph(os.path.join(DATA, "imdb_sample.safetensors"))
    table = hgtok.EmbeddingTable.load(os.path.join(DATA, "imdb_types.safetensors"))
    tokenizer = hgtok.Tokenizer.random({"kernel": "meta_hgt", "in_channels": graph.x("movie").shape[1], "hidden_channels": 32,
                                        "heads": 4, "num_layers": 1, "embedding_dim": table.dim, "llm_dim": HIDDEN}, seed=0)
    subgraph = hgtok.NeighborSampler([10, 5], seed=0).sample(graph, "movie", 0)
    graph_tokens = tokenizer.tokenize(subgraph, table)
    rows = torch.from_dlpack(graph_tokens)  # no copy

    # 2. The prompt, with <graph> expanded to one <g_patch> per graph token, as ids of a tokenizer built offline.
    text_tokenizer = BertTokenizerFast(vocab_file=os.path.join(model_dir, "vocab.txt"), do_lower_case=True)
    text_tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL})
    prompt = hgtok.expand_prompt("Given a heterogeneous graph about a movie: <graph>, which genres does it belong to?",
                                 [len(graph_tokens)])
    input_ids = text_tokenizer(prompt.text, return_tensors="pt").input_ids
    patch_id = text_tokenizer.convert_tokens_to_ids("<g_patch>")

    # 3. A tiny untrained Llama; the graph tokens replace the patch embeddings; generate from the embeddings.
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(text_tokenizer), hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                         pad_token_id=text_tokenizer.pad_token_id, bos_token_id=text_tokenizer.cls_token_id,
                         eos_token_id=text_tokenizer.sep_token_id)
    llm = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        embeds = hgtok.hf.splice(input_ids, llm.get_input_embeddings()(input_ids), rows, patch_id)
        out = llm.generate(inputs_embeds=embeds, attention_mask=torch.ones_like(input_ids), max_new_tokens=8, min_new_tokens=8,
                           do_sample=False, pad_token_id=config.pad_token_id)
    answer = text_tokenizer.decode(out[0], skip_special_tokens=False)
    print(f"graph tokens: {tuple(rows.shape)}; prompt: {input_ids.shape[1]} ids, {prompt.total_patches} of them <g_patch>")
    print(f"generated ({out.shape[1]} new tokens, untrained so noise): {answer!r}")
    return answer


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ["HGTOK_MINILM_DIR"])
