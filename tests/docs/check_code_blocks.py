#!/usr/bin/env python3
"""Checks that every code block in README.md and docs/*.md is run by a test or says it is illustrative.

A fenced block's info string is its language, then one of:

    ```cpp from=examples/tutorial.cpp    every non-blank line of the block (leading/trailing spaces ignored) is a line
                                         of that file, which a test builds and runs (an example, a test, a script)
    ```sh run                            this script runs the block with bash (-e -o pipefail) in a scratch directory
                                         holding links to the repository's top-level folders, with the hgtok CLI
                                         (--cli DIR) first on PATH
    ```python test=tests/python/test_docs.py   a test outside this script runs the block (the file must name the
                                         page the block is on)
    ```sh illustrative                   not run: a fragment, a sketch, a command that needs a network or a GPU,
                                         sample output

GitHub highlights by the first word, so the rest does not show. A block with no language, or `text`, is prose laid out
(an equation, a file layout) and needs no mark. A code block with no mark is an error, as is a `from=` line that is not
in its file and a `run` block that fails.

    python3 tests/docs/check_code_blocks.py --cli build/examples/cli     (ctest: cli:docs_code_blocks)
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FENCE = re.compile(r"^```(.*)$")


def blocks(path):
    """(line number, info words, body lines) of every fenced block in the file."""
    out, inside, info, body, start = [], False, None, [], 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line.rstrip("\n"))
            if m and not inside:
                inside, info, body, start = True, m.group(1).split(), [], n
            elif m and inside:
                inside = False
                out.append((start, info, body))
            elif inside:
                body.append(line.rstrip("\n"))
    if inside:
        out.append((start, info, None))
    return out


def check_from(source, body):
    path = os.path.join(ROOT, source)
    if not os.path.isfile(path):
        return [f"from={source}: no such file"]
    with open(path, encoding="utf-8") as f:
        lines = {line.strip() for line in f}
    return [f"line not in {source}: {line.strip()}" for line in body if line.strip() and line.strip() not in lines]


def check_test(source, page):
    path = os.path.join(ROOT, source)
    if not os.path.isfile(path):
        return [f"test={source}: no such file"]
    with open(path, encoding="utf-8") as f:
        return [] if page in f.read() else [f"test={source} does not name {page}"]


def run_block(body, cli_dir):
    with tempfile.TemporaryDirectory(prefix="hgtok_docs_") as scratch:
        for name in os.listdir(ROOT):
            if not name.startswith(".") and name != "build":
                os.symlink(os.path.join(ROOT, name), os.path.join(scratch, name))
        env = dict(os.environ)
        if cli_dir:
            env["PATH"] = os.path.abspath(cli_dir) + os.pathsep + env.get("PATH", "")
        p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", "\n".join(body)], cwd=scratch, env=env,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return [f"exit status {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}"]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", help="directory holding the built hgtok command (for `run` blocks)")
    ap.add_argument("--no-run", action="store_true", help="check the markings and from= lines only")
    args = ap.parse_args()
    files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    problems, counts = [], {"from": 0, "test": 0, "run": 0, "illustrative": 0, "text": 0}
    for path in files:
        rel = os.path.relpath(path, ROOT)
        for start, info, body in blocks(path):
            where = f"{rel}:{start}"
            if body is None:
                problems.append(f"{where}: the block is not closed")
                continue
            if not info or info[0] == "text":
                counts["text"] += 1
                continue
            marks = [w for w in info[1:] if w in ("run", "illustrative") or w.startswith(("from=", "test="))]
            if len(marks) != 1:
                problems.append(f"{where}: mark the block `from=FILE`, `test=FILE`, `run` or `illustrative` after its language "
                                f"(info string: {' '.join(info) or 'empty'})")
                continue
            mark = marks[0]
            if mark.startswith("from="):
                counts["from"] += 1
                problems += [f"{where}: {p}" for p in check_from(mark[len("from="):], body)]
            elif mark.startswith("test="):
                counts["test"] += 1
                problems += [f"{where}: {p}" for p in check_test(mark[len("test="):], rel)]
            elif mark == "run":
                counts["run"] += 1
                if not args.no_run:
                    problems += [f"{where}: {p}" for p in run_block(body, args.cli)]
            else:
                counts["illustrative"] += 1
    for p in problems:
        print(p)
    print(f"check_code_blocks: {len(files)} files, {counts['from']} blocks taken from tested files, {counts['test']} run by "
          f"other tests, {counts['run']} run, "
          f"{counts['illustrative']} illustrative, {counts['text']} text; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
