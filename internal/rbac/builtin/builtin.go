package builtin

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
)

// data holds one file per release, v1.NN.yaml, written by
// hack/gen-builtin-rbac.sh.
//
//go:embed data/*.yaml
var data embed.FS

// Policy is the built-in RBAC policy of one Kubernetes release.
type Policy struct {
	// Release is the minor release the data was generated for.
	Release k8sversions.Release
	// Source names the module version it was generated from, as in
	// "k8s.io/kubernetes v1.37.2".
	Source string
	// Objects are the ClusterRoles, ClusterRoleBindings, Roles and
	// RoleBindings, in the data file's order. They are shared: read only.
	Objects []*inventory.Object
}

// String names the policy for people: "Kubernetes 1.37 (k8s.io/kubernetes v1.37.2)".
func (p *Policy) String() string {
	return fmt.Sprintf("Kubernetes %s (%s)", p.Release, p.Source)
}

// entry decodes one release's file once per process, on first use.
type entry struct {
	file   string
	once   sync.Once
	policy *Policy
	err    error
}

var releases = func() map[k8sversions.Release]*entry {
	m := map[k8sversions.Release]*entry{}
	files, _ := data.ReadDir("data")
	for _, f := range files {
		r, err := k8sversions.ParseRelease(strings.TrimSuffix(f.Name(), ".yaml"))
		if err != nil {
			continue // TestDataFiles fails on a stray file
		}
		m[r] = &entry{file: path.Join("data", f.Name())}
	}
	return m
}()

// Releases lists the releases kguard has built-in policy data for, oldest
// first.
func Releases() []k8sversions.Release {
	out := make([]k8sversions.Release, 0, len(releases))
	for r := range releases {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

// Nearest is the release with data closest to target: target itself when
// kguard has it, else the nearest minor (the older one on a tie, whose
// roles a cluster of target is likelier to have kept).
func Nearest(target k8sversions.Release) k8sversions.Release {
	var best k8sversions.Release
	bestDist := -1
	for _, r := range Releases() {
		d := distance(r, target)
		if bestDist < 0 || d < bestDist {
			best, bestDist = r, d
		}
	}
	return best
}

func distance(a, b k8sversions.Release) int {
	d := (a.Major-b.Major)*1000 + a.Minor - b.Minor
	if d < 0 {
		return -d
	}
	return d
}

// For returns the built-in policy of the release nearest to target (see
// Nearest). The data is decoded once per process and shared.
func For(target k8sversions.Release) (*Policy, error) {
	e, ok := releases[Nearest(target)]
	if !ok {
		return nil, fmt.Errorf("no built-in RBAC data")
	}
	e.once.Do(func() { e.policy, e.err = load(e.file) })
	return e.policy, e.err
}

// load decodes one data file with the loader every input goes through.
func load(file string) (*Policy, error) {
	raw, err := data.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r, err := k8sversions.ParseRelease(strings.TrimSuffix(path.Base(file), ".yaml"))
	if err != nil {
		return nil, err
	}
	p := &Policy{Release: r, Source: sourceOf(raw)}
	if p.Source == "" {
		return nil, fmt.Errorf("%s: no \"# Source:\" header", file)
	}
	objs, errs := inventory.DecodeFile(file, raw)
	if len(errs) > 0 {
		return nil, fmt.Errorf("built-in RBAC data: %w", errs[0])
	}
	origin := "built-in RBAC of " + p.String()
	for _, o := range objs {
		// Built-in objects are in no file of the user's: findings and
		// outputs must not point at one.
		o.Source = inventory.Source{Origin: origin}
	}
	p.Objects = objs
	return p, nil
}

// sourceOf reads "k8s.io/kubernetes v1.37.2" from the header line
// "# Source: k8s.io/kubernetes v1.37.2, package ...".
func sourceOf(raw []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if rest, ok := strings.CutPrefix(line, "# Source: "); ok {
			src, _, _ := strings.Cut(rest, ",")
			return strings.TrimSpace(src)
		}
	}
	return ""
}

// Attach returns inv with the built-in policy of the release nearest to
// target as its baseline (see inventory.Inventory.Baseline): what every
// cluster the inputs are applied to holds besides them.
func Attach(inv *inventory.Inventory, target k8sversions.Release) (*inventory.Inventory, *Policy, error) {
	p, err := For(target)
	if err != nil {
		return nil, nil, err
	}
	return inv.WithBaseline(p.Objects), p, nil
}
