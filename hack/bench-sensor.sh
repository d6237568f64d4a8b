#!/usr/bin/env bash
# Measures the node sensor's cost on an exec-heavy loop (a shell starting
# 2,000 short processes), alternating runs without the sensor, with it,
# and with its file hook on sys_enter, so that drift of a shared machine
# hits all alike. Needs root and benchstat
# (go install golang.org/x/perf/cmd/benchstat@latest). Pass the number of
# rounds (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
GOTOOLCHAIN=local go test -c -o "$dir/sensor.test" ./internal/runtime/sensor/
modes=(off on on-sys_enter)
for _ in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    "$dir/sensor.test" -test.run '^$' -test.bench "ExecLoop/sensor=$mode\$" -test.count 1 |
      grep '^Benchmark' | sed -e "s|/sensor=$mode||" -e 's|[[:space:]]*[0-9]* lost$||' >>"$dir/$mode.txt"
  done
done
benchstat off="$dir/off.txt" on="$dir/on.txt" on-sys_enter="$dir/on-sys_enter.txt"
