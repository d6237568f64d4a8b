// Package ownimage hands tests kguard's own container image, as
// hack/image.sh built it into an OCI layout: .ci/run builds it and names
// the layout in KGUARD_TEST_IMAGE, with KGUARD_REQUIRE_IMAGE=1 so that a
// missing image fails instead of skipping.
package ownimage
