// Package version reports which kguard build is running.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at release build time (hack/release.sh) with
//
//	-ldflags "-X github.com/kguard/kguard/internal/version.Version=v1.2.3
//	          -X github.com/kguard/kguard/internal/version.Commit=<git sha>
//	          -X github.com/kguard/kguard/internal/version.Date=<RFC 3339>"
//
// Builds without them fall back to what the Go toolchain recorded.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes one build.
type Info struct {
	// Version is the release version, the module version, "dev-<commit>"
	// or "dev".
	Version string
	// Commit is the source revision, "" when unknown.
	Commit string
	// Date is when the source was committed (release builds) or the
	// VCS time recorded by the toolchain, "" when unknown.
	Date string
	// Modified is set when the toolchain recorded uncommitted changes.
	Modified bool
	// Go is the toolchain that built the binary, Platform its GOOS/GOARCH.
	Go, Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	return get(Version, Commit, Date, readBuildInfo())
}

func readBuildInfo() *debug.BuildInfo {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info
	}
	return nil
}

func get(version, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
		if in.Version == "" {
			if v := bi.Main.Version; v != "" && v != "(devel)" {
				in.Version = v
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
		if len(in.Commit) >= 12 {
			in.Version = "dev-" + in.Commit[:12]
		}
	}
	return in
}

// String returns the release version, or the module version or VCS
// revision recorded by the Go toolchain, or "dev".
func String() string { return Get().Version }

// String renders the build for `kguard version`.
func (in Info) String() string {
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	commit := unknown(in.Commit)
	if in.Modified {
		commit += " (modified)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kguard %s\n", in.Version)
	fmt.Fprintf(&b, "commit: %s\n", commit)
	fmt.Fprintf(&b, "date:   %s\n", unknown(in.Date))
	fmt.Fprintf(&b, "go:     %s %s\n", in.Go, in.Platform)
	return b.String()
}
