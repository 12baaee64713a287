#!/usr/bin/env python3
"""How much CPU does writing to this machine's disk take away from computing?

Runs one busy loop per core for a fixed time, three times: alone, while `dd` writes a file with direct I/O, and
while `dd` writes it through the page cache. Prints each loop's iterations and the fraction of the quiet rate that
is left. On a VM whose virtual disk is served by the same physical cores, the writes cost the guest CPU time that no
tool inside it reports as its own; this is the bound it puts on tokenize_batch's 1 -> 2 thread scaling with shards
on disk (docs/benchmarks.md). Python's standard library and coreutils' dd only.

    python3 benchmarks/disk_interference.py --dir /tmp --gib 2.3 --seconds 4
"""
import argparse
import multiprocessing as mp
import os
import subprocess
import time


def spin(seconds, out):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    out.put(n)


def loops(cores, seconds, writer=None):
    q = mp.Queue()
    procs = [mp.Process(target=spin, args=(seconds, q)) for _ in range(cores)]
    dd = subprocess.Popen(writer) if writer else None
    for p in procs:
        p.start()
    counts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    if dd:
        dd.wait()
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="/tmp", help="directory on the disk to test (a scratch file is written, then removed)")
    ap.add_argument("--gib", type=float, default=2.3, help="GiB to write (tokenize_batch's 10,000 targets write 2.3 GB)")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each busy loop")
    ap.add_argument("--cores", type=int, default=os.cpu_count())
    a = ap.parse_args()
    path = os.path.join(a.dir, "hgtok_disk_interference_%d.tmp" % os.getpid())
    blocks = max(1, int(a.gib * 1024 / 58))  # 58 MiB blocks: one shard of the tokenizer benchmark
    base = ["dd", "if=/dev/zero", "of=" + path, "bs=58M", "count=%d" % blocks, "status=none"]
    try:
        quiet = loops(a.cores, a.seconds)
        rate = sum(quiet)
        print("cores %d, %.1f s per loop, %d x 58 MiB written" % (a.cores, a.seconds, blocks))
        print("%-22s %s" % ("quiet", quiet))
        for name, cmd in (("dd oflag=direct", base + ["oflag=direct"]), ("dd buffered", base)):
            got = loops(a.cores, a.seconds, cmd)
            os.remove(path)
            subprocess.run(["sync"])
            print("%-22s %s  %.0f %% of the quiet rate" % (name, got, 100.0 * sum(got) / rate))
    finally:
        if os.path.exists(path):
            os.remove(path)


if __name__ == "__main__":
    main()
