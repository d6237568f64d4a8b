package images

import (
	"strings"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// RegistryAllowed reports whether image comes from one of the allowed
// registries. An entry is a host ("registry.example.com", with a port if
// the registry uses one), a host with a path prefix ("ghcr.io/acme"), or a
// host wildcard for subdomains ("*.example.com").
//
// Both sides are normalised before matching: an image with no registry is
// pulled from Docker Hub, so it is "docker.io", and Docker Hub's official
// images ("nginx") are "docker.io/library/nginx"; "index.docker.io" and
// "registry-1.docker.io" also mean "docker.io". Hosts compare without
// regard to case. A path prefix matches whole components only:
// "ghcr.io/acme" allows "ghcr.io/acme/api" but not "ghcr.io/acme-evil/api".
// An empty list allows everything.
func RegistryAllowed(image string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	ref := ParseReference(image)
	host := ref.Host()
	for _, entry := range allowed {
		if entryMatches(strings.TrimSpace(entry), host, ref) {
			return true
		}
	}
	return false
}

func entryMatches(entry, host string, ref Reference) bool {
	entry = strings.TrimSuffix(entry, "/")
	if entry == "" {
		return false
	}
	eHost, ePath, _ := strings.Cut(entry, "/")
	if wild, ok := strings.CutPrefix(eHost, "*."); ok {
		// "*.example.com" matches "a.example.com" and "a.b.example.com".
		if len(host) <= len(wild)+1 || host[len(host)-len(wild)-1] != '.' || !strings.EqualFold(host[len(host)-len(wild):], wild) {
			return false
		}
	} else if !strings.EqualFold(normaliseHost(eHost), host) {
		return false
	}
	if ePath == "" {
		return true
	}
	path := ref.Path
	if host == dockerHub && strings.IndexByte(path, '/') < 0 {
		// Official images live under library/ without saying so; compare
		// without building "library/"+path.
		if rest, ok := strings.CutPrefix(ePath, "library"); ok && (rest == "" || rest == "/"+path) {
			return true
		}
	}
	return path == ePath || (strings.HasPrefix(path, ePath) && path[len(ePath)] == '/')
}

func registryNotAllowed() *rules.Rule {
	return &rules.Rule{
		ID:       "image-registry-not-allowed",
		Category: finding.CategoryImages,
		Severity: finding.SeverityHigh,
		Title:    "Image comes from a registry outside the allowlist",
		Rationale: "Images from registries the organisation does not control or mirror skip its scanning, signing " +
			"and retention, and a typo-squatted or hijacked public repository runs with the workload's privileges. " +
			"The rule applies only when the config sets allowedRegistries.",
		Remediation: "Pull the image through an allowed registry (mirror or proxy it there), or add the registry " +
			"to allowedRegistries in .kguard.yaml if it is trusted. Enforce the same list in the cluster with an " +
			"admission policy.",
		References: finding.References{
			NSA:   []string{"Pod security: use trusted repositories and scan images"},
			MITRE: []string{"T1525", "T1195.002"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names"},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			allowed := p.Settings.AllowedRegistries
			if len(allowed) == 0 {
				return
			}
			eachContainer(w, func(c container) {
				if !RegistryAllowed(c.Image, allowed) {
					ref := ParseReference(c.Image)
					p.Reportf(w.Object, fieldPath(w, c, "image"),
						"container %q uses image %q from %s, which is not in allowedRegistries (%s)",
						c.Name, c.Image, ref.Host()+"/"+ref.RepoPath(), strings.Join(allowed, ", "))
				}
			})
		},
	}
}
