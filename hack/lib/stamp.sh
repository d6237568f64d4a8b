# Sourced by hack/release.sh and hack/image.sh: what a build is stamped
# with, from git. Sets KGUARD_VERSION, KGUARD_COMMIT and KGUARD_DATE.
#
# VERSION overrides the version; otherwise an exact tag on HEAD, else
# dev-<commit> (with -dirty for uncommitted changes). The date is the
# commit's, not the build's, so the same commit builds the same bytes.
KGUARD_COMMIT=$(git rev-parse HEAD)
KGUARD_DATE=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd HEAD)
dirty=""
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  dirty="-dirty"
  echo "warning: uncommitted changes; the build is stamped with commit $KGUARD_COMMIT all the same" >&2
fi
KGUARD_VERSION=${VERSION:-$(git describe --tags --exact-match HEAD 2>/dev/null || echo "dev-${KGUARD_COMMIT:0:12}$dirty")}
export KGUARD_VERSION KGUARD_COMMIT KGUARD_DATE
