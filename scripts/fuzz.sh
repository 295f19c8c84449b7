#!/usr/bin/env bash
# Runs every fuzz target in the repo for FUZZTIME each (default 60s) and
# prints the executions each reached.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-60s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  dir=./$(dirname "${f#./}")
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "== $dir $fn ($t)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$dir" 2>&1 | grep -E 'fuzz: elapsed|PASS|FAIL|panic|ok ' | tail -3
  done
done
