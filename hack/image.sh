#!/usr/bin/env bash
# Builds kguard's container image without a Docker daemon or a base image:
# static linux/amd64 and linux/arm64 binaries (hack/release.sh) on an
# otherwise empty filesystem holding only /etc/passwd and /etc/group (user
# nonroot, 65532), the CA certificates and /tmp; no shell, no package
# manager. One OCI index for both platforms, with OCI labels (source,
# revision, version).
#
#   hack/image.sh                              # OCI layout in dist/image
#   hack/image.sh --oci-layout DIR             # ... in DIR (new or empty)
#   hack/image.sh --tarball dist/kguard.tar    # the layout as a tar archive
#   hack/image.sh --push ghcr.io/you/kguard    # push (Docker config credentials)
#
# The options combine. The last line of the output is the index digest,
# for `helm install ... --set image.digest=<it>` or `--image REPO@<it>`.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
source hack/lib/stamp.sh

dist=${DIST:-$PWD/dist}
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  rm -rf "$dist/image"
  args=(--oci-layout "$dist/image")
fi

DIST="$dist/linux" PLATFORMS="linux/amd64 linux/arm64" hack/release.sh >/dev/null
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
(cd hack/tools/ship && go build -o "$tools/imagebuild" ./imagebuild)
digest=$("$tools/imagebuild" \
  --binary "linux/amd64=$dist/linux/kguard_linux_amd64" \
  --binary "linux/arm64=$dist/linux/kguard_linux_arm64" \
  --version "$KGUARD_VERSION" --revision "$KGUARD_COMMIT" --created "$KGUARD_DATE" \
  "${args[@]}" | tail -n 1)
echo "image $KGUARD_VERSION: $digest" >&2
echo "  helm install kguard deploy/helm/kguard -n kguard-system --create-namespace --set image.digest=$digest" >&2
echo "$digest"
