"""tokenize_batch: many targets → shards on disk, the CLI's files byte for byte (C++: tokenizer/batch.hpp).

The C++ call runs one shard at a time (BatchOptions::max_shards = 1, the GIL released), so between shards Python
updates the progress bar (tqdm when installed, else nothing unless progress=True prints a line per shard) and
reacts to Ctrl-C: the shard being written is finished and indexed, KeyboardInterrupt is raised, and calling
tokenize_batch again with the same arguments resumes after the last indexed shard. The files do not depend on
this chunking (the C++ resume guarantees it; a test compares them with the CLI's).
"""
from __future__ import annotations

import sys
from typing import Optional, Sequence

import numpy as np

from . import _core


def _progress_bar(total: int, enabled: Optional[bool]):
    if enabled is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="target", desc="hgtok", disable=None if enabled is None else False)


def tokenize_batch(tokenizer: "_core.Tokenizer", graph: "_core.HeteroGraph", table: "_core.EmbeddingTable",
                   sampler: "_core.NeighborSampler", targets: Sequence[int], out_dir: str, target_type: str,
                   type_order: Optional[Sequence[str]] = None, shard_size: int = 256, micro_batch: int = 16,
                   stop_on_error: bool = False, max_shards: int = -1, progress: Optional[bool] = None) -> dict:
    """Tokenizes the subgraph of every target into shards under out_dir (index.json + shard_<k>.safetensors).

    Returns the report of this call: shards_total, shards_skipped (already on disk: resumed), shards_written,
    targets_done, rows_written, complete, failed [(target, error)], seconds. progress: None shows tqdm's bar when
    tqdm is installed and stderr is a terminal, True always (tqdm, else a line per shard), False never.
    """
    ids = np.ascontiguousarray(np.asarray(targets, dtype=np.int64).reshape(-1))
    order = list(type_order or [])
    total = None
    bar = None
    report = {"shards_total": 0, "shards_skipped": 0, "shards_written": 0, "targets_done": 0, "rows_written": 0,
              "complete": False, "failed": [], "seconds": 0.0}
    try:
        while max_shards < 0 or report["shards_written"] < max_shards:
            r = _core._tokenize_batch(tokenizer, graph, table, sampler, ids, out_dir, target_type, order, shard_size,
                                      micro_batch, stop_on_error, 1)
            if total is None:
                total = r["shards_total"]
                report["shards_total"] = total
                report["shards_skipped"] = r["shards_skipped"]
                bar = _progress_bar(len(ids), progress)
                if bar is not None:
                    bar.update(min(len(ids), r["shards_skipped"] * shard_size))
            for key in ("shards_written", "targets_done", "rows_written", "seconds"):
                report[key] += r[key]
            report["failed"] += r["failed"]
            report["complete"] = r["complete"]
            if bar is not None:
                bar.update(r["targets_done"])
            elif progress and r["shards_written"]:
                done = min(len(ids), (r["shards_skipped"] + 1) * shard_size)
                print(f"hgtok: {done}/{len(ids)} targets", file=sys.stderr)
            if r["complete"] or r["shards_written"] == 0:
                break
    except KeyboardInterrupt:
        done = report["shards_skipped"] + report["shards_written"]
        print(f"\nhgtok: interrupted; {done} of {report['shards_total']} shards are on disk in {out_dir}: "
              "call tokenize_batch again with the same arguments to resume", file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
    return report
