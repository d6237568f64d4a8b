package images

import "strings"

// Reference is an image reference split into its parts, following the
// Docker reference grammar: [registry/]path[:tag][@digest].
type Reference struct {
	// Registry is the host (with port) or "" when the reference has none
	// (Docker Hub is implied).
	Registry string
	Path     string
	Tag      string
	Digest   string
}

// ParseReference splits an image reference. It never fails: a malformed
// reference yields what could be read.
func ParseReference(image string) Reference {
	var r Reference
	rest := image
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
	}
	// The first path component is a registry only if it looks like a host:
	// it has a dot or a port, or is "localhost".
	if i := strings.Index(rest, "/"); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry = first
			rest = rest[i+1:]
		}
	}
	// A colon after the last slash starts the tag.
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		r.Tag = rest[i+1:]
		rest = rest[:i]
	}
	r.Path = rest
	return r
}
