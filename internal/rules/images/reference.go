package images

import "strings"

// Reference is an image reference split into its parts, following the
// Docker reference grammar: [registry/]path[:tag][@digest]. The parts are
// substrings of the input, so parsing does not allocate.
type Reference struct {
	// Registry is the host (with port) or "" when the reference has none
	// (Docker Hub is implied).
	Registry string
	Path     string
	Tag      string
	Digest   string
}

// ParseReference splits an image reference. It never fails and never
// panics: a malformed reference yields what could be read.
//
// The first path component is taken as the registry host only when it
// looks like one, as the container runtimes decide: it contains a dot or a
// colon (a port, or an IPv6 literal), is "localhost", or has upper-case
// letters (repository paths are lower case). So "nginx", "library/nginx"
// and "bitnami/redis" have no registry, while "ghcr.io/acme/api" and
// "localhost:5000/app" do.
func ParseReference(image string) Reference {
	var r Reference
	rest := image
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || hasUpper(first) {
			r.Registry = first
			rest = rest[i+1:]
		}
	}
	// A colon after the last slash starts the tag.
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && strings.IndexByte(rest[i:], '/') < 0 {
		r.Tag = rest[i+1:]
		rest = rest[:i]
	}
	r.Path = rest
	return r
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// dockerHub is the registry an image without one is pulled from.
const dockerHub = "docker.io"

// Host returns the registry host the image is pulled from, normalised:
// "" and Docker Hub's other names (index.docker.io, registry-1.docker.io)
// become "docker.io".
func (r Reference) Host() string {
	return normaliseHost(r.Registry)
}

// RepoPath returns the repository path as the registry knows it: Docker
// Hub's official images ("nginx") live under "library/" ("library/nginx").
func (r Reference) RepoPath() string {
	if r.Host() == dockerHub && r.Path != "" && strings.IndexByte(r.Path, '/') < 0 {
		return "library/" + r.Path
	}
	return r.Path
}

func normaliseHost(h string) string {
	switch {
	case h == "":
		return dockerHub
	case strings.EqualFold(h, dockerHub), strings.EqualFold(h, "index.docker.io"), strings.EqualFold(h, "registry-1.docker.io"):
		return dockerHub
	}
	return h
}

// Mutable reports whether the reference can name different content over
// time: anything not pinned by a digest.
func (r Reference) Mutable() bool { return r.Digest == "" }

// LatestOrUntagged reports whether the tag is "latest" or missing, the
// cases for which Kubernetes defaults imagePullPolicy to Always.
func (r Reference) LatestOrUntagged() bool { return r.Tag == "" || r.Tag == "latest" }
