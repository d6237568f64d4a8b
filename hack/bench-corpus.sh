#!/usr/bin/env bash
# The corpus benchmark of docs/performance.md: generates deterministic corpora
# (1k, 10k, 50k objects by default), then times whole-process scans (wall
# seconds and peak RSS, best of RUNS) and, in the same run, the decode-only
# floor (yaml.v3 into maps on one core). Prints a Markdown table.
#
#   hack/bench-corpus.sh                # all sizes
#   SIZES="10000" RUNS=5 hack/bench-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
sizes="${SIZES:-1000 10000 50000}"
runs="${RUNS:-3}"
work="${BENCH_DIR:-${TMPDIR:-/tmp}/kguard-bench}"
mkdir -p "$work"
go build -o "$work/kguard" ./cmd/kguard
go build -o "$work/decodefloor" ./hack/decodefloor

best() { sort -n | head -n 1; }
echo "| objects | corpus MB | kguard wall s (best of $runs) | peak RSS MB | µs/object | yaml.v3 decode floor s (1 core) | kguard / floor |"
echo "|---|---|---|---|---|---|---|"
for n in $sizes; do
  dir="$work/corpus-$n"
  [ -d "$dir" ] || go run ./hack/corpusgen -objects "$n" -seed 1 -out "$dir" >&2
  mb=$(du -sm --apparent-size "$dir" | cut -f1)
  walls=(); rss=()
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f "%e %M" "$work/kguard" scan -o json --fail-on none "$dir" >/dev/null; } 2>&1 | tail -n 1)
    walls+=("${out% *}"); rss+=("${out#* }")
  done
  wall=$(printf '%s\n' "${walls[@]}" | best)
  peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1)
  floor=$(GOMAXPROCS=1 "$work/decodefloor" "$dir" | cut -d' ' -f2)
  awk -v n="$n" -v mb="$mb" -v w="$wall" -v r="$peak" -v f="$floor" 'BEGIN {
    printf "| %d | %d | %.2f | %d | %.1f | %.2f | %.2f |\n", n, mb, w, r/1024, w*1e6/n, f, w/f }'
done
