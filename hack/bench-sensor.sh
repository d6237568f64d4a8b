#!/usr/bin/env bash
# Measures the node sensor's cost on an exec-heavy loop (a shell starting
# 2,000 short processes), alternating runs without and with the sensor so
# that drift of a shared machine hits both alike. Needs root. Prints
# benchstat's comparison; pass the number of rounds (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOTOOLCHAIN=local go test -c -o "$bin/sensor.test" ./internal/runtime/sensor/
for _ in $(seq "$rounds"); do
  for mode in off on; do
    "$bin/sensor.test" -test.run '^$' -test.bench "ExecLoop/sensor=$mode\$" -test.count 1 | grep '^Benchmark' >>"$bin/all.txt"
  done
done
grep 'sensor=off' "$bin/all.txt" | sed -e 's|/sensor=off||' >"$bin/off.txt"
grep 'sensor=on' "$bin/all.txt" | sed -e 's|/sensor=on||' -e 's|[[:space:]]*[0-9]* lost$||' >"$bin/on.txt"
# benchstat: go install golang.org/x/perf/cmd/benchstat@latest
benchstat off="$bin/off.txt" on="$bin/on.txt"
