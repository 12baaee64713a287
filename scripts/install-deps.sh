#!/usr/bin/env bash
# Installs everything hgtok's build, tests, examples and benchmarks need, from
# Debian's packages. Idempotent and non-interactive: packages already present
# are skipped, so running it twice is cheap.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libeigen3-dev xtl-dev libxtensor-dev nlohmann-json3-dev libutf8proc-dev
  catch2 libbenchmark-dev libcli11-dev libdlpack-dev libomp-dev
  graphviz  # `dot`, for the CLI's --svg (hgtok tokenize|inspect --svg FILE) and its test
  clang libclang-rt-dev  # the libFuzzer targets (tests/fuzz/run.sh): clang and its -fsanitize=fuzzer runtime
  libopenmpi-dev openmpi-bin  # HGTOK_WITH_MPI: the MPI batch (tokenizer/mpi_batch.hpp) and its mpirun tests
  python3 python3-pip python3-venv python3-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
