#!/usr/bin/env bash
# Builds the libFuzzer binary (clang, -fsanitize=fuzzer,address,undefined) and runs fuzz targets, two at a time.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#
# Each target starts from its seeds (tests/fuzz/fuzz_targets.hpp). Corpora grow under ${HGTOK_FUZZ_WORK:-build-fuzz}/corpus/<target>; a finding is left there as crash-*/leak-*/
# timeout-*/oom-* and makes the script exit 1. Needs clang++ and libclang-rt-dev (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=$1
shift
work=${HGTOK_FUZZ_WORK:-build-fuzz}
mkdir -p "$work"
targets=("$@")
bin="$work/hgtok_libfuzzer"
if [ ! -x "$bin" ] || [ -n "$(find include tests/fuzz -newer "$bin" -name '*.[hc]pp' -print -quit)" ]; then
  echo "fuzz: building $bin"
  clang++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DHGTOK_LIBFUZZER -DHGTOK_TESTS_DIR="\"$PWD/tests\"" -Iinclude -I/usr/include/eigen3 \
    tests/fuzz/fuzz_main.cpp -lutf8proc -o "$bin"
fi
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(HGTOK_FUZZ_TARGET=list "$bin" 2> /dev/null)

run() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/findings/$t"
  HGTOK_FUZZ_TARGET=$t HGTOK_FUZZ_SEEDS="$work/corpus/$t" "$bin" > /dev/null 2>&1
  local rc=0
  HGTOK_FUZZ_TARGET=$t "$bin" "$work/corpus/$t" -dict=tests/fuzz/hgtok.dict -max_total_time="$seconds" \
    -timeout=20 -rss_limit_mb=2560 -artifact_prefix="$work/findings/$t/" -print_final_stats=1 \
    > "$work/$t.log" 2>&1 || rc=$?
  printf 'fuzz %-18s rc=%d %s\n' "$t" "$rc" "$(grep -E '^#[0-9]+.*(DONE|cov:)' "$work/$t.log" | tail -1)"
  return $rc
}

status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do  # two at a time: CI has two cores
  run "${targets[i]}" & a=$!
  b=""
  if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & b=$!; fi
  wait $a || status=1
  if [ -n "$b" ]; then wait $b || status=1; fi
done
[ $status -eq 0 ] || echo "fuzz: findings under $work/findings (logs: $work/<target>.log)"
exit $status
