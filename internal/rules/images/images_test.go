package images

import (
	"testing"

	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want Reference
	}{
		{"nginx", Reference{Path: "nginx"}},
		{"nginx:1.27", Reference{Path: "nginx", Tag: "1.27"}},
		{"library/nginx:latest", Reference{Path: "library/nginx", Tag: "latest"}},
		{"localhost:5000/app", Reference{Registry: "localhost:5000", Path: "app"}},
		{"localhost/app:v1", Reference{Registry: "localhost", Path: "app", Tag: "v1"}},
		{"ghcr.io/acme/api:v2@sha256:ab", Reference{Registry: "ghcr.io", Path: "acme/api", Tag: "v2", Digest: "sha256:ab"}},
		{"registry.example.com:5000/tools/proxy", Reference{Registry: "registry.example.com:5000", Path: "tools/proxy"}},
		{"", Reference{}},
	}
	for _, tt := range tests {
		if got := ParseReference(tt.in); got != tt.want {
			t.Errorf("ParseReference(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
