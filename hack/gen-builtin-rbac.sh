#!/usr/bin/env bash
# Regenerates internal/rbac/builtin/data/v1.NN.yaml, the built-in RBAC policy
# (bootstrap ClusterRoles, ClusterRoleBindings, Roles and RoleBindings) of
# each Kubernetes release kguard ships, from the release's own bootstrap
# policy package (hack/tools/bootstrap-rbac). Its go.mod pins the release the
# test harness runs; go.v1.NN.mod files pin older ones. Run after bumping a
# pin or adding a release:
#
#   hack/gen-builtin-rbac.sh            # into internal/rbac/builtin/data
#   hack/gen-builtin-rbac.sh DIR        # elsewhere (the drift test does this)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "${1:-internal/rbac/builtin/data}" && cd "${1:-internal/rbac/builtin/data}" && pwd)"
cd hack/tools/bootstrap-rbac
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
for mod in go.mod go.v1.*.mod; do
  version=$(grep -Eo 'k8s.io/kubernetes v[0-9]+\.[0-9]+\.[0-9]+' "$mod" | head -n 1 | cut -d' ' -f2)
  minor=$(echo "$version" | cut -d. -f1,2)
  echo "bootstrap RBAC of k8s.io/kubernetes $version -> $minor.yaml" >&2
  go run -modfile="$mod" . -o "$out/$minor.yaml"
done
