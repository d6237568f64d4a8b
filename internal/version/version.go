// Package version reports which kguard build is running.
package version

import "runtime/debug"

// Version is set at release build time with
// -ldflags "-X github.com/kguard/kguard/internal/version.Version=v1.2.3".
var Version = ""

// String returns the release version, or the module version or VCS
// revision recorded by the Go toolchain, or "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
