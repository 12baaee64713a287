#!/usr/bin/env python3
"""hgtok from Python: (1) the overhead of the Python call over the same C++ call, per target; (2) hgtok from Python
against HiGPT's PyTorch path, in the same process, same targets, same weights.

Size (HiGPT's): node features 768 wide, one MetaHGT layer (variant "inference", HiGPT's run_offline_hgt_tokenizer.py)
768 -> 64 hidden, 4 heads, type embeddings m = 768 (HiGPT's IMDB table), graph_projector 64 -> 4096. The graph is the
IMDB-like graph of compare_tokenizer.py (4,278 movies, 2,081 directors, 5,257 actors); targets are movies, fan-outs
[10, 5], seed 42. Weights: the PyTorch reference model's random initialisation (tests/reference/make_tokenizer_fixtures.py),
loaded into hgtok with Tokenizer.from_state_dict, so both compute the same function (checked to 1e-4 relative).

(1) Per target, sample + tokenize: a Python loop of `tok.tokenize(sampler.sample(graph, "movie", t), table)` against
    the same loop in C++ (hgtok._core._bench_sample_tokenize, same process, same objects). Repeated --rounds times,
    alternating, best round of each: overhead = python / C++ - 1 (target: at most 5 %). On a shared machine the
    rounds vary by more than the overhead, so the fixed cost of the two Python calls is also measured alone: the
    same loops on a 2-node graph, where the work is tiny and the difference per call is the binding's.
(2) The PyTorch path (compare_tokenizer.TorchPath: the reference sampler and MetaHGTReference + graph_projector,
    torch.no_grad) on the first --torch-targets targets against hgtok from Python on the same targets.
Both at torch.set_num_threads / hgtok.set_num_threads = --threads.

    python benchmarks/compare_python.py [--targets 300] [--torch-targets 50] [--rounds 5] [--threads 1]
"""
import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "reference"))
import hgtok  # noqa: E402
from compare_tokenizer import COUNTS, EDGE_TYPES, ORDER, SEED, TorchPath, make_graph  # noqa: E402
from make_tokenizer_fixtures import TokenizerReference  # noqa: E402

WIDTH, HIDDEN, HEADS, M, LLM = 768, 64, 4, 768, 4096
CONFIG = {"kernel": "meta_hgt", "variant": "inference", "in_channels": WIDTH, "hidden_channels": HIDDEN, "heads": HEADS,
          "num_layers": 1, "embedding_dim": M, "projector": "linear", "llm_dim": LLM}
TYPES = os.path.join(os.path.dirname(HERE), "examples", "data", "imdb_types.safetensors")


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=300)
    ap.add_argument("--torch-targets", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    hgtok.set_num_threads(args.threads)

    rng = np.random.default_rng(SEED)
    x, ei = make_graph(rng)
    graph = hgtok.HeteroGraph.from_dict(x, ei)
    table = hgtok.EmbeddingTable.load(TYPES)
    torch.manual_seed(SEED)
    model = TokenizerReference(WIDTH, HIDDEN, HEADS, 1, M, LLM, "linear")
    for layer in model.layers:
        layer.variant = "inference"
    model.eval()
    tok = hgtok.Tokenizer.from_state_dict(CONFIG, model.state_dict())
    sampler = hgtok.NeighborSampler([10, 5], seed=SEED)
    targets = rng.integers(0, COUNTS["movie"], args.targets).tolist()
    table_np = {k: table[k].copy() for k in table.keys()}  # writable copies for torch.from_numpy

    # Same function: hgtok's tokens equal PyTorch's on a few targets.
    torch_path = TorchPath(model, x, ei, table_np)
    worst = 0.0
    for t in targets[:3]:
        want, ids = torch_path.tokenize(t)
        got = tok.tokenize(sampler.sample(graph, "movie", t), table, ORDER)
        assert np.array_equal(got.node_ids, ids), "node ids differ"
        worst = max(worst, float(np.max(np.abs(got.tokens - want.numpy())) / np.max(np.abs(want.numpy()))))
    assert worst <= 1e-4, worst

    def python_loop():
        start = time.perf_counter()
        for t in targets:
            tok.tokenize(sampler.sample(graph, "movie", t), table, ORDER)
        return time.perf_counter() - start

    def cpp_loop():
        return hgtok._core._bench_sample_tokenize(tok, graph, table, sampler, "movie", targets, ORDER)

    python_loop(), cpp_loop()  # warm up (caches of generated projectors, page faults)
    py, cpp = [], []
    for _ in range(args.rounds):
        py.append(python_loop())
        cpp.append(cpp_loop())
    n = len(targets)
    best_py, best_cpp = min(py) / n, min(cpp) / n
    overhead = best_py / best_cpp - 1

    # The fixed cost of one Python call, apart from the work: a 2-node graph (one movie, one director), many calls.
    tiny = hgtok.HeteroGraph.from_dict({"movie": x["movie"][:1], "director": x["director"][:1]},
                                       {EDGE_TYPES[0]: np.zeros((2, 1), np.int64), EDGE_TYPES[1]: np.zeros((2, 1), np.int64)})
    calls = [0] * 2000
    fixed = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for t in calls:
            tok.tokenize(sampler.sample(tiny, "movie", t), table, ORDER[:2])
        py_tiny = time.perf_counter() - start
        cpp_tiny = hgtok._core._bench_sample_tokenize(tok, tiny, table, sampler, "movie", calls, ORDER[:2])
        fixed.append((py_tiny - cpp_tiny) / len(calls))
    fixed_us = sorted(fixed)[len(fixed) // 2] * 1e6

    few = targets[:args.torch_targets]
    start = time.perf_counter()
    for t in few:
        torch_path.tokenize(t)
    torch_s = (time.perf_counter() - start) / len(few)
    start = time.perf_counter()
    for t in few:
        tok.tokenize(sampler.sample(graph, "movie", t), table, ORDER)
    hgtok_s = (time.perf_counter() - start) / len(few)

    print(f"CPU: {cpu_name()}; threads {args.threads}; torch {torch.__version__}; Python {platform.python_version()}")
    print(f"size: {WIDTH} in, {HIDDEN} hidden, {HEADS} heads, m {M}, {LLM} LLM; fan-outs [10, 5]; "
          f"max relative difference to PyTorch {worst:.2e}")
    print(f"(1) per target, sample + tokenize, best of {args.rounds} rounds of {n} targets:")
    print(f"    C++ loop     {best_cpp * 1e3:8.3f} ms")
    print(f"    Python loop  {best_py * 1e3:8.3f} ms   overhead {overhead * 100:+.2f} %  (target <= 5 %)")
    print(f"    all rounds (ms/target): C++ {[round(v / n * 1e3, 3) for v in cpp]}, Python {[round(v / n * 1e3, 3) for v in py]}")
    print(f"    fixed cost of the Python calls (sample + tokenize on a 2-node graph, median of {args.rounds} x "
          f"{len(calls)} calls): {fixed_us:.1f} us = {fixed_us / (best_cpp * 1e6) * 100:.2f} % of a target")
    print(f"(2) per target on {len(few)} targets: PyTorch (HiGPT's path) {torch_s * 1e3:.2f} ms, "
          f"hgtok from Python {hgtok_s * 1e3:.2f} ms: {torch_s / hgtok_s:.1f}x")


if __name__ == "__main__":
    main()
