package images

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/images/imagesig"
	"github.com/kguard/kguard/internal/images/imagevuln"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

// testAllowlist is the allowlist the image-registry-not-allowed fixtures
// are written for (their first comment line repeats it).
var testAllowlist = []string{"registry.example.com", "ghcr.io/acme", "docker.io/library", "*.corp.example"}

func TestRules(t *testing.T) {
	var plain, withAllowlist, withScan []*rules.Rule
	for _, r := range Rules() {
		switch r.ID {
		case "image-registry-not-allowed":
			withAllowlist = append(withAllowlist, r)
		case "image-vulnerable", "image-signature-invalid":
			withScan = append(withScan, r)
		default:
			plain = append(plain, r)
		}
	}
	if len(withAllowlist) != 1 {
		t.Fatal("image-registry-not-allowed is missing from Rules()")
	}
	rulestest.Run(t, plain, "testdata", nil)
	rulestest.Run(t, withAllowlist, "testdata", &rules.Settings{AllowedRegistries: testAllowlist})
	rulestest.Run(t, withScan, "testdata", nil, analysis.Value(imagevuln.Analysis, vulnerableImages), analysis.Value(imagesig.Analysis, signatureResults))
}

// signatureResults are the verdicts the image-signature-invalid fixtures
// are written for.
var signatureResults = &imagesig.Results{
	Require: []config.SignatureRequirement{{Namespaces: []string{"prod*"}}, {Registries: []string{"registry.example/secure"}}},
	Images: map[string]*imagesig.Verdict{
		"registry.example/web:1.0":         {Reason: "no signature attached to sha256:0123"},
		"registry.example/api:2.0":         {Reason: "bundle 1 (https://sigstore.dev/cosign/sign/v1): signed with a key the policy does not list"},
		"registry.example/signed:1.0":      {Verified: true, Signer: "key cosign.pub"},
		"registry.example/secure/db:1":     {Reason: "no signature attached to sha256:4567"},
		"registry.example/unreachable:1.0": {Error: "image registry.example/unreachable:1.0: registry registry.example: connection refused"},
	},
}

func TestSignatureRequired(t *testing.T) {
	reqs := []config.SignatureRequirement{{Namespaces: []string{"prod-*", "payments"}}, {Registries: []string{"ghcr.io/acme"}}}
	for _, tc := range []struct {
		ns, image string
		want      bool
	}{
		{"prod-eu", "nginx:1", true},
		{"payments", "nginx:1", true},
		{"dev", "ghcr.io/acme/api:1", true},
		{"dev", "ghcr.io/acme-evil/api:1", false},
		{"dev", "nginx:1", false},
		{"", "nginx:1", false},
	} {
		if got := SignatureRequired(reqs, tc.ns, tc.image); got != tc.want {
			t.Errorf("SignatureRequired(%q, %q) = %v", tc.ns, tc.image, got)
		}
	}
}

// vulnerableImages are the image scan results the image-vulnerable
// fixtures are written for.
var vulnerableImages = &imagevuln.Results{Images: map[string]*imagevuln.Image{
	"registry.example/web:1.0": {Ref: "registry.example/web:1.0", Vulnerabilities: []imagevuln.Vulnerability{
		{ID: "GHSA-test-0001", Aliases: []string{"CVE-2099-1001"}, Severity: "HIGH", Score: 7.5, Package: "openssl", Installed: "3.0.11", Fixed: "3.0.13"},
		{ID: "GHSA-test-0002", Severity: "MEDIUM", Score: 5.3, Package: "zlib", Installed: "1.2.13"},
	}},
	"registry.example/clean:1.0":  {Ref: "registry.example/clean:1.0"},
	"registry.example/broken:1.0": {Ref: "registry.example/broken:1.0", Error: "image registry.example/broken:1.0: layer 1 of 1: unexpected EOF"},
}}

// TestVulnerableRisk: the severity starts at the worst vulnerability's
// and rises one level per risk; a NetworkPolicy that closes the pods to
// outside clients removes the exposure (asked of the network model).
func TestVulnerableRisk(t *testing.T) {
	provided := analysis.Value(imagevuln.Analysis, vulnerableImages)
	for _, tc := range []struct {
		file string
		want finding.Severity
	}{
		{"fire-plain.yaml", finding.SeverityHigh},
		{"fire-ingress.yaml", finding.SeverityCritical},
		{"fire-exposed.yaml", finding.SeverityCritical},
	} {
		res := rulestest.Scan(t, filepath.Join("testdata", "image-vulnerable", tc.file), []*rules.Rule{vulnerable()}, nil, provided)
		if len(res.Findings) != 1 || res.Findings[0].Severity != tc.want {
			t.Errorf("%s: %v, want one finding at %s", tc.file, res.Findings, tc.want)
		}
	}
	// Without image scan results (no --images) the rule is silent.
	if res := rulestest.Scan(t, filepath.Join("testdata", "image-vulnerable", "fire-exposed.yaml"), []*rules.Rule{vulnerable()}, nil); len(res.Findings) != 0 {
		t.Errorf("without results: %v", res.Findings)
	}
	res := rulestest.Scan(t, filepath.Join("testdata", "image-vulnerable", "denied.yaml.txt"), []*rules.Rule{vulnerable()}, nil, provided)
	if len(res.Findings) != 1 || strings.Contains(res.Findings[0].Message, "reachable") || res.Findings[0].Severity != finding.SeverityHigh {
		t.Errorf("behind a deny-all NetworkPolicy: %+v", res.Findings)
	}
}

// TestRegistryRuleIdleWithoutAllowlist: with no allowlist configured the
// rule reports nothing, even on the fixture that fires with one.
func TestRegistryRuleIdleWithoutAllowlist(t *testing.T) {
	file := filepath.Join("testdata", "image-registry-not-allowed", "fire-outside.yaml")
	for _, s := range []*rules.Settings{nil, {AllowedRegistries: []string{}}} {
		res := rulestest.Scan(t, file, []*rules.Rule{registryNotAllowed()}, s)
		if len(res.Findings) != 0 {
			t.Errorf("settings %+v: %d findings, want none: %s", s, len(res.Findings), res.Findings[0].Message)
		}
	}
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
		{"nginx@sha256:ab", Reference{Path: "nginx", Digest: "sha256:ab"}},
		{"[::1]:5000/app:v1", Reference{Registry: "[::1]:5000", Path: "app", Tag: "v1"}},
		// Upper case cannot start a repository path, so it is a host.
		{"Registry/app", Reference{Registry: "Registry", Path: "app"}},
		{"bitnami/redis:7.2", Reference{Path: "bitnami/redis", Tag: "7.2"}},
		{"nginx:", Reference{Path: "nginx"}},
		{"", Reference{}},
		{"@", Reference{}},
		{":/", Reference{Registry: ":"}},
	}
	for _, tt := range tests {
		if got := ParseReference(tt.in); got != tt.want {
			t.Errorf("ParseReference(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestHostAndRepoPath(t *testing.T) {
	tests := []struct{ in, host, path string }{
		{"nginx", "docker.io", "library/nginx"},
		{"bitnami/redis", "docker.io", "bitnami/redis"},
		{"docker.io/nginx", "docker.io", "library/nginx"},
		{"index.docker.io/library/nginx", "docker.io", "library/nginx"},
		{"registry-1.docker.io/acme/app", "docker.io", "acme/app"},
		{"ghcr.io/acme/api", "ghcr.io", "acme/api"},
		{"localhost:5000/app", "localhost:5000", "app"},
	}
	for _, tt := range tests {
		ref := ParseReference(tt.in)
		if ref.Host() != tt.host || ref.RepoPath() != tt.path {
			t.Errorf("%q: host %q path %q, want %q %q", tt.in, ref.Host(), ref.RepoPath(), tt.host, tt.path)
		}
	}
}

func TestRegistryAllowed(t *testing.T) {
	tests := []struct {
		image   string
		allowed []string
		want    bool
	}{
		{"nginx", nil, true},
		{"nginx", []string{"docker.io"}, true},
		{"nginx", []string{"docker.io/library"}, true},
		{"nginx", []string{"docker.io/library/nginx"}, true},
		{"nginx", []string{"docker.io/library/redis"}, false},
		{"nginx", []string{"index.docker.io"}, true},
		{"bitnami/redis", []string{"docker.io/library"}, false},
		{"bitnami/redis", []string{"docker.io/bitnami"}, true},
		{"docker.io/library/nginx", []string{"docker.io/library"}, true},
		{"ghcr.io/acme/api", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme/api", []string{"ghcr.io/acme/"}, true},
		{"ghcr.io/acme", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme-evil/api", []string{"ghcr.io/acme"}, false},
		{"ghcr.io/acme/api", []string{"GHCR.IO"}, true},
		{"registry.example.com:5000/app", []string{"registry.example.com"}, false},
		{"registry.example.com:5000/app", []string{"registry.example.com:5000"}, true},
		{"a.corp.example/app", []string{"*.corp.example"}, true},
		{"a.b.corp.example/app", []string{"*.corp.example"}, true},
		{"corp.example/app", []string{"*.corp.example"}, false},
		{"evilcorp.example/app", []string{"*.corp.example"}, false},
		{"quay.io/x", []string{"", "  ", "/"}, false},
		{"quay.io/x", []string{" quay.io "}, true},
		// docker.io/x looks like a host-less path "docker.io"... no: it has a dot.
		{"dockerhub.evil/nginx", []string{"docker.io"}, false},
	}
	for _, tt := range tests {
		if got := RegistryAllowed(tt.image, tt.allowed); got != tt.want {
			t.Errorf("RegistryAllowed(%q, %q) = %v, want %v", tt.image, tt.allowed, got, tt.want)
		}
	}
}

func TestEffectivePullPolicy(t *testing.T) {
	tests := []struct {
		image string
		set   corev1.PullPolicy
		want  corev1.PullPolicy
	}{
		{"nginx", "", corev1.PullAlways},
		{"nginx:latest", "", corev1.PullAlways},
		{"nginx:1.27", "", corev1.PullIfNotPresent},
		{"nginx@sha256:ab", "", corev1.PullIfNotPresent},
		{"nginx:latest@sha256:ab", "", corev1.PullAlways},
		{"localhost:5000/app", "", corev1.PullAlways},
		{"nginx:1.27", corev1.PullNever, corev1.PullNever},
		{"nginx", corev1.PullIfNotPresent, corev1.PullIfNotPresent},
	}
	for _, tt := range tests {
		if got := EffectivePullPolicy(tt.image, tt.set); got != tt.want {
			t.Errorf("EffectivePullPolicy(%q, %q) = %s, want %s", tt.image, tt.set, got, tt.want)
		}
	}
}

// FuzzParseReference: parsing never panics, and the parts are pieces of the
// input in order, without the separators they were split on.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:1.27", "ghcr.io/acme/api:v2@sha256:ab", "localhost:5000/app",
		"[::1]:5000/a:b", "a@b@c", ":", "/", "@", "a/b/c:d/e", "A/b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseReference(s)
		if strings.Contains(r.Registry, "/") || strings.Contains(r.Tag, "/") || strings.Contains(r.Path, "@") || strings.Contains(r.Registry, "@") {
			t.Fatalf("%q: separator inside a part: %+v", s, r)
		}
		rebuilt := r.Path
		if r.Registry != "" {
			rebuilt = r.Registry + "/" + rebuilt
		}
		if r.Tag != "" {
			rebuilt += ":" + r.Tag
		}
		if r.Digest != "" {
			rebuilt += "@" + r.Digest
		}
		// Empty tags and digests ("nginx:", "nginx@") are dropped; otherwise
		// the parts rebuild the input exactly.
		if rebuilt != s && !strings.HasSuffix(s, ":") && !strings.Contains(s, ":@") && !strings.HasSuffix(s, "@") {
			t.Fatalf("%q rebuilt as %q from %+v", s, rebuilt, r)
		}
		_ = r.Host()
		_ = r.RepoPath()
		_ = RegistryAllowed(s, []string{"*.x", "docker.io/library", s})
		_ = EffectivePullPolicy(s, "")
	})
}
