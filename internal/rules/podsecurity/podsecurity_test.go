package podsecurity

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}

// TestEveryUpstreamCheckDescribed fails when a new pod-security-admission
// release adds a check kguard has no words for, so it is never silently
// skipped.
func TestEveryUpstreamCheckDescribed(t *testing.T) {
	for _, c := range policy.DefaultChecks() {
		if _, ok := pssChecks[c.ID]; !ok {
			t.Errorf("PSS check %q (%s) has no entry in pssChecks", c.ID, c.Level)
		}
	}
	if got, want := len(pssRules()), len(policy.DefaultChecks()); got != want {
		t.Errorf("%d PSS rules for %d upstream checks", got, want)
	}
}

func TestPSSRuleID(t *testing.T) {
	for _, tc := range []struct {
		id    policy.CheckID
		level psaapi.Level
		want  string
	}{
		{"privileged", psaapi.LevelBaseline, "pss-baseline-privileged"},
		{"capabilities_restricted", psaapi.LevelRestricted, "pss-restricted-capabilities"},
		{"hostProbesAndHostLifecycle", psaapi.LevelBaseline, "pss-baseline-host-probes-and-host-lifecycle"},
		{"seccompProfile_baseline", psaapi.LevelBaseline, "pss-baseline-seccomp-profile"},
		{"restrictedVolumes", psaapi.LevelRestricted, "pss-restricted-volumes"},
	} {
		if got := PSSRuleID(policy.Check{ID: tc.id, Level: tc.level}); got != tc.want {
			t.Errorf("PSSRuleID(%s, %s) = %q, want %q", tc.id, tc.level, got, tc.want)
		}
	}
}

// TestOfficialFixtures runs the pod-security-admission module's own
// fixtures for the latest policy version (the pods the Kubernetes project
// uses to test the standard: allowed and forbidden examples of every check,
// including edge cases) through kguard's rules, and requires kguard to
// decide each pod at each level exactly as the upstream evaluator does, and
// as the fixture's directory (pass/fail) says.
func TestOfficialFixtures(t *testing.T) {
	dir := moduleDir(t, "k8s.io/pod-security-admission")
	version := newestFixtureVersion(t, filepath.Join(dir, "test", "testdata", "restricted"))
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	list := pssRules()
	var n int
	for _, level := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
		for _, want := range []string{"pass", "fail"} {
			pattern := filepath.Join(dir, "test", "testdata", string(level), version.String(), want, "*.yaml")
			files, _ := filepath.Glob(pattern)
			if len(files) < 5 {
				t.Fatalf("only %d fixtures match %s", len(files), pattern)
			}
			for _, f := range files {
				n++
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				objs, errs := inventory.DecodeFile(f, data)
				if len(errs) > 0 || len(objs) != 1 {
					t.Fatalf("%s: %d objects, errors %v", f, len(objs), errs)
				}
				w, ok := extract.PodSpec(objs[0])
				if !ok {
					t.Fatalf("%s: no pod spec", f)
				}
				for _, at := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
					// The API server evaluates the pod after defaulting.
					upstream := policy.AggregateCheckResults(eval.EvaluatePod(
						psaapi.LevelVersion{Level: at, Version: version}, w.PodMeta, defaulted(w.Spec))).Allowed
					ours := allowedAt(list, objs, at)
					if ours != upstream {
						t.Errorf("%s at %s: kguard allowed=%v, pod-security-admission allowed=%v", filepath.Base(f), at, ours, upstream)
					}
					if at == level && ours != (want == "pass") {
						t.Errorf("%s (%s/%s) at %s: kguard allowed=%v", filepath.Base(f), level, want, at, ours)
					}
				}
			}
		}
	}
	t.Logf("%d official fixtures of PSS %s agree at both levels", n, version)
}

// allowedAt reports whether no PSS rule of level (or, for restricted, of
// either level) reports on objs.
func allowedAt(list []*rules.Rule, objs []*inventory.Object, level psaapi.Level) bool {
	inv := inventory.New(objs)
	for _, r := range list {
		if level == psaapi.LevelBaseline && !strings.HasPrefix(r.ID, "pss-baseline-") {
			continue
		}
		p := rules.NewPass(r, inv, nil, nil)
		for _, o := range objs {
			if w, ok := extract.PodSpec(o); ok {
				r.CheckWorkload(p, w)
			}
		}
		if len(p.Findings()) > 0 {
			return false
		}
	}
	return true
}

// newestFixtureVersion is the newest policy version with fixtures (the
// "latest" the API server evaluates).
func newestFixtureVersion(t *testing.T, dir string) psaapi.Version {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var newest psaapi.Version
	for _, e := range entries {
		v, err := psaapi.ParseVersion(e.Name())
		if err == nil && (newest.Major() == 0 || newest.Older(v)) {
			newest = v
		}
	}
	if newest.Major() == 0 {
		t.Fatalf("no versioned fixtures in %s", dir)
	}
	return newest
}

func moduleDir(t *testing.T, mod string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", mod, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("module %s is not in the module cache (run go mod download)", mod)
	}
	return dir
}
