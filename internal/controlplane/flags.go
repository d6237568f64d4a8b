package controlplane

import (
	"bufio"
	"embed"
	"strings"
	"sync"
)

// The flag names of kube-apiserver and etcd at the versions kguard's test
// harness builds, generated from their --help by hack/gen-flags.sh.
//
//go:embed flags/*.txt
var flagFiles embed.FS

var (
	flagsOnce  sync.Once
	knownFlags map[string]map[string]bool
)

// KnownFlags returns the flag names a component accepts, and false when
// kguard has no list for it (kubelet, controller manager, scheduler).
func KnownFlags(component string) (map[string]bool, bool) {
	flagsOnce.Do(func() {
		knownFlags = map[string]map[string]bool{}
		entries, _ := flagFiles.ReadDir("flags")
		for _, e := range entries {
			data, err := flagFiles.ReadFile("flags/" + e.Name())
			if err != nil {
				continue
			}
			set := map[string]bool{}
			sc := bufio.NewScanner(strings.NewReader(string(data)))
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
					set[l] = true
				}
			}
			knownFlags[strings.TrimSuffix(e.Name(), ".txt")] = set
		}
	})
	set, ok := knownFlags[component]
	return set, ok
}
