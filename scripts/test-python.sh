#!/usr/bin/env bash
# Builds the Python package hgtok into a virtual environment and runs its tests (pytest tests/python); the last step
# of scripts/test.sh, which builds the CLI the tests compare with first.
# Usage: bash scripts/test-python.sh [build-dir]
# The venv is <build-dir>/venv, with the system's site packages (a torch already installed is reused); torch,
# torch_geometric and transformers are installed from PyPI when missing (HGTOK_NO_TORCH_INSTALL=1: don't; their tests
# then report themselves skipped, or fail under HGTOK_REQUIRE_TORCH=1). Each step prints its time (CI's budget is
# tight: docs/benchmarks.md, "Python in CI").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x "$build/examples/cli/hgtok" ]; then
  echo "test-python.sh: $build/examples/cli/hgtok is missing: run scripts/test.sh $build (or build the hgtok_cli target) first" >&2
  exit 1
fi
if [ -z "${HGTOK_MINILM_DIR:-}" ] && dir=$(bash scripts/fetch-model.sh 2>/dev/null); then export HGTOK_MINILM_DIR="$dir"; fi
timed() {
  local t0 rc=0
  t0=$(date +%s)
  "$@" || rc=$?
  echo "test-python.sh: '${*:1:6} ...' took $(( $(date +%s) - t0 )) s" >&2
  return $rc
}
venv="$build/venv"
# .ci/run installs torch into this venv in the background while the C++ builds: wait for that job first.
if [ -n "${HGTOK_VENV_SETUP_PID:-}" ]; then
  timed sh -c "while kill -0 $HGTOK_VENV_SETUP_PID 2>/dev/null; do sleep 2; done"
  [ ! -f "$build/torch-install.log" ] || cat "$build/torch-install.log" >&2
fi
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
CMAKE_BUILD_PARALLEL_LEVEL="$jobs" timed "${pip[@]}" --no-build-isolation --config-settings=build-dir="$build/python-ext" \
  --config-settings=cmake.define.CMAKE_CXX_FLAGS="${HGTOK_CXX_FLAGS:-}" .
HGTOK_CLI="$(cd "$build" && pwd)/examples/cli/hgtok" timed "$py" -m pytest -q -p no:cacheprovider tests/python
