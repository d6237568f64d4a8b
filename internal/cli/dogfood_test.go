package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/ownimage"
)

// ownFinding is the part of a finding in `kguard scan -o json` read here.
type ownFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Resource struct {
		Kind, Namespace, Name string
	} `json:"resource"`
	Message     string `json:"message"`
	Suppression *struct {
		By, Reason string
	} `json:"suppression"`
}

// ownReport is the part of `kguard scan -o json --show-suppressed` read here.
type ownReport struct {
	Findings   []ownFinding `json:"findings"`
	Suppressed []ownFinding `json:"suppressed"`
	Summary    struct {
		Objects, NotEvaluated, InputErrors int
	} `json:"summary"`
}

// TestOwnManifestsPassOwnScan: every way kguard ships to a cluster (the
// Helm chart, and the manifests of the admission webhook, the node
// sensor and the audit backend), pinned to the digest of kguard's own
// image as a production install is, passes `kguard scan` with every rule
// enabled: no finding at medium or above, except where a privilege is
// inherent (the sensor's), and there only behind a kguard.io/ignore
// annotation that says why. A suppression without a reason fails, and so
// does an ignore that silences nothing (it would hide a future finding
// for no present one).
func TestOwnManifestsPassOwnScan(t *testing.T) {
	digest := ownimage.DigestOr(t, "sha256:"+strings.Repeat("cd", 32))
	image := cmdutil.ImageRepository + "@" + digest
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var enable []string
	for _, r := range reg.Rules() {
		if r.DisabledByDefault {
			enable = append(enable, r.ID)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		render  []string // a manifests command, or nil for the chart
		scan    []string
		objects int
	}{
		{name: "chart", scan: []string{"--helm", "../../deploy/helm/kguard", "--release", "kguard", "-n", "kguard-system", "--set", "image.digest=" + digest}},
		{name: "admit", render: []string{"admit", "manifests", "--image", image}},
		{name: "sensor", render: []string{"sensor", "manifests", "--image", image}},
		{name: "audit", render: []string{"audit", "manifests", "--image", image}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"scan", "-o", "json", "--show-suppressed", "--fail-on", "medium", "--enable", strings.Join(enable, ",")}, c.scan...)
			if c.render != nil {
				out, errOut, code := clitest.Run(t, NewRootCmd, c.render...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", strings.Join(c.render, " "), code, errOut)
				}
				file := filepath.Join(dir, c.name+".yaml")
				if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, file)
			}
			out, errOut, code := clitest.Run(t, NewRootCmd, args...)
			var rep ownReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, errOut)
			}
			if s := rep.Summary; s.Objects == 0 || s.NotEvaluated != 0 || s.InputErrors != 0 {
				t.Errorf("summary %+v: want objects, all evaluated", s)
			}
			ignored := map[string]bool{} // kind/name rule
			for _, f := range rep.Suppressed {
				where := f.Resource.Kind + "/" + f.Resource.Name
				ignored[where+" "+f.Rule] = true
				if f.Suppression == nil || f.Suppression.By != "annotation" || len(f.Suppression.Reason) < 40 {
					t.Errorf("%s %s suppressed (%+v): explain it in kguard.io/ignore-reason", where, f.Rule, f.Suppression)
				}
			}
			for _, f := range rep.Findings {
				where := f.Resource.Kind + "/" + f.Resource.Name
				switch {
				case f.Suppression != nil:
					t.Errorf("%s %s is listed as a finding and suppressed", where, f.Rule)
				case f.Severity == "medium" || f.Severity == "high" || f.Severity == "critical":
					t.Errorf("%s %s on %s: %s", f.Severity, f.Rule, where, f.Message)
				default:
					t.Logf("%s %s on %s", f.Severity, f.Rule, where)
				}
			}
			if t.Failed() {
				return
			}
			if code != 0 {
				t.Errorf("kguard scan --fail-on medium: exit %d: %s", code, errOut)
			}
			// Every ignored rule silences a finding of its object.
			var objs []map[string]any
			if c.render != nil {
				objs = decodeAll(t, filepath.Join(dir, c.name+".yaml"))
			}
			for _, o := range objs {
				md, _ := o["metadata"].(map[string]any)
				anns, _ := md["annotations"].(map[string]any)
				list, _ := anns["kguard.io/ignore"].(string)
				for _, id := range strings.Split(list, ",") {
					if id = strings.TrimSpace(id); id != "" && !ignored[o["kind"].(string)+"/"+md["name"].(string)+" "+id] {
						t.Errorf("%s/%s ignores %s, which finds nothing there: remove it", o["kind"], md["name"], id)
					}
				}
			}
			if c.name == "sensor" && len(ignored) == 0 {
				t.Error("the sensor's inherent privileges raised no finding: the scan proves nothing")
			}
			t.Logf("%d objects, %d findings, %d suppressed", rep.Summary.Objects, len(rep.Findings), len(ignored))
		})
	}
}

// decodeAll reads the objects of a multi-document YAML file.
func decodeAll(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var o map[string]any
		if err := yamlUnmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	slices.SortFunc(objs, func(a, b map[string]any) int { return strings.Compare(a["kind"].(string), b["kind"].(string)) })
	return objs
}

var yamlUnmarshal = sigsyaml.Unmarshal
