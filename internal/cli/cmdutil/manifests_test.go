package cmdutil

import (
	"strings"
	"testing"
)

func TestValidateImage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, ok := range []string{
		DefaultImage(),
		ImageRepository + "@" + digest,
		ImageRepository + ":0.1.0@" + digest,
		"registry.example:5000/team/kguard:dev-0123",
		"kguard:1.2",
	} {
		if err := ValidateImage(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"",
		"kguard",                       // neither tag nor digest
		ImageRepository + "@sha256:00", // short digest
		ImageRepository + "@md5:0123",
		"kguard:1\n  hostNetwork: true",
		"{x}",
		"kguard:1 # comment",
		"Upper/Case:1",
	} {
		err := ValidateImage(bad)
		if err == nil || CodeOf(err) != ExitUsage || !strings.Contains(err.Error(), "--image") {
			t.Errorf("%q: %v, want a usage error naming --image", bad, err)
		}
	}
}

func TestDefaultImage(t *testing.T) {
	// A test binary is a development build: it names the first release.
	if got, want := DefaultImage(), ImageRepository+":"+FirstRelease; got != want {
		t.Errorf("DefaultImage() = %q, want %q", got, want)
	}
}
