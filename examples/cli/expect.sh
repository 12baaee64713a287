#!/usr/bin/env bash
# Runs a command for a cli test (CMakeLists.txt, hgtok_cli_expect):
#   expect.sh EXIT REGEX NOT_REGEX command [args...]
# Passes when the command exits with EXIT and its stdout + stderr match REGEX (bash ERE over the whole output,
# `.` crossing lines) and, when NOT_REGEX is not empty, do not match NOT_REGEX. Prints the output either way.
set -u
want=$1 regex=$2 not_regex=$3
shift 3
out=$("$@" 2>&1)
got=$?
printf '%s\n' "$out"
if [ "$got" != "$want" ]; then
  echo "expect.sh: exit status $got, expected $want" >&2
  exit 1
fi
if ! [[ $out =~ $regex ]]; then
  echo "expect.sh: output does not match: $regex" >&2
  exit 1
fi
if [ -n "$not_regex" ] && [[ $out =~ $not_regex ]]; then
  echo "expect.sh: output matches what it must not: $not_regex (${BASH_REMATCH[0]})" >&2
  exit 1
fi
