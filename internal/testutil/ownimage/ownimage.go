package ownimage

import (
	"fmt"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Environment variables that steer it.
const (
	// EnvLayout names the OCI layout directory hack/image.sh wrote.
	EnvLayout = "KGUARD_TEST_IMAGE"
	// EnvRequire turns a skip for a missing image into a failure.
	EnvRequire = "KGUARD_REQUIRE_IMAGE"
)

// Index returns the image index in the layout, skipping the test when
// none was built (failing it when one is required).
func Index(t testing.TB) v1.ImageIndex {
	t.Helper()
	dir := os.Getenv(EnvLayout)
	if dir == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("kguard's image required (%s=1) but %s is not set: run hack/image.sh --oci-layout DIR", EnvRequire, EnvLayout)
		}
		t.Skipf("kguard's image not built: run hack/image.sh --oci-layout DIR and set %s=DIR", EnvLayout)
	}
	idx, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// DigestOr returns the built index's digest, or fallback when no image
// was built and none is required.
func DigestOr(t testing.TB, fallback string) string {
	t.Helper()
	if os.Getenv(EnvLayout) == "" && os.Getenv(EnvRequire) != "1" {
		return fallback
	}
	d, err := Index(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// Read returns the one image index of the layout at dir (hack/image.sh
// writes exactly one).
func Read(dir string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("OCI layout %s: want one image index, found %d entries", dir, len(m.Manifests))
	}
	return top.ImageIndex(m.Manifests[0].Digest)
}
