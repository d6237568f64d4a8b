#!/usr/bin/env bash
# Builds the real kube-apiserver, kube-controller-manager and etcd used by the
# integration tests from their Go modules (pinned in hack/tools/*/go.mod),
# into a cache directory outside the work tree, and prints that directory as
# the last line:
#
#   export KGUARD_TEST_BINDIR="$(hack/cluster-bins.sh | tail -n 1)"
#
# A directory is keyed by the binaries, the pinned go.mod files and the Go
# version, so a second run is instant; the first is slow (kube-apiserver
# and kube-controller-manager take several minutes each on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/tools"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
bins="kube-apiserver kube-controller-manager etcd"
key=$( { echo "$bins"; cat kube-apiserver/go.mod etcd/go.mod; go env GOVERSION GOARCH; } | sha256sum | cut -c1-16)
out="${KGUARD_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kguard/bin}/$key"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ]; then
  echo "cluster binaries: cached" >&2
  echo "$out"
  exit 0
fi
mkdir -p "$out.tmp"
echo "building kube-apiserver (slow the first time)..." >&2
(cd kube-apiserver && go build -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
echo "building kube-controller-manager (slow the first time)..." >&2
(cd kube-apiserver && go build -o "$out.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager)
echo "building etcd..." >&2
(cd etcd && go build -o "$out.tmp/etcd" .)
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
