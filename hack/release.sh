#!/usr/bin/env bash
# Builds kguard's release artifacts into dist/ (or $DIST): a static,
# CGO-free binary per platform, stamped with version, commit and date
# (`kguard version` prints them); a CycloneDX SBOM of each binary's Go
# modules, read from the binary's own build information; and SHA256SUMS
# over all of them.
#
#   hack/release.sh                                  # every platform
#   VERSION=v0.1.0 hack/release.sh                   # a release
#   PLATFORMS="linux/amd64 linux/arm64" hack/release.sh
#
# Each platform is a full compile (a few minutes on 2 cores the first
# time; the build cache makes a second run quick). The last line of the
# output is the directory written.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
source hack/lib/stamp.sh

dist=${DIST:-$PWD/dist}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

# The SBOM writer lives in its own module (hack/tools/ship), so that its
# dependencies stay out of kguard's go.mod.
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
(cd hack/tools/ship && go build -o "$tools/sbom" ./sbom)

pkg=github.com/kguard/kguard/internal/version
ldflags="-s -w -X $pkg.Version=$KGUARD_VERSION -X $pkg.Commit=$KGUARD_COMMIT -X $pkg.Date=$KGUARD_DATE"
files=()
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  bin=kguard_${os}_${arch}
  [ "$os" = windows ] && bin=$bin.exe
  echo "building $bin ($KGUARD_VERSION)..." >&2
  # -trimpath drops this machine's paths, so the same commit builds the
  # same bytes anywhere; CGO_ENABLED=0 makes the binary static.
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$dist/$bin" ./cmd/kguard
  "$tools/sbom" --version "$KGUARD_VERSION" --time "$KGUARD_DATE" -o "$dist/${bin%.exe}.cdx.json" "$dist/$bin"
  files+=("$bin" "${bin%.exe}.cdx.json")
done
sha256=(sha256sum)
command -v sha256sum >/dev/null || sha256=(shasum -a 256) # macOS
(cd "$dist" && "${sha256[@]}" "${files[@]}" > SHA256SUMS)
echo "wrote ${#files[@]} files and SHA256SUMS" >&2
echo "$dist"
