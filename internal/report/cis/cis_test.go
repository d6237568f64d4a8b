package cis

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

var update = flag.Bool("update", false, "rewrite docs/cis.md")

// automated are the automated checks of CIS Kubernetes Benchmark 1.12,
// written out by hand from the benchmark (kube-bench's cfg/cis-1.12 marks
// them "(Automated)"): 47 for the control plane, 6 for etcd, 12 for nodes.
var automated = []string{
	"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.1.11", "1.1.12",
	"1.1.13", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18", "1.1.19",
	"1.2.2", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "1.2.10", "1.2.12", "1.2.13", "1.2.14",
	"1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19", "1.2.21", "1.2.22", "1.2.23", "1.2.24",
	"1.2.25", "1.2.26", "1.2.30",
	"1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6", "1.3.7",
	"1.4.1", "1.4.2",
	"2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
	"4.1.1", "4.1.2", "4.1.5", "4.1.6", "4.1.9", "4.1.10",
	"4.2.1", "4.2.2", "4.2.3", "4.2.6", "4.2.10",
	"4.3.1",
}

// sectionSizes are the number of checks per section of the benchmark.
var sectionSizes = map[string]int{
	"1.1": 21, "1.2": 30, "1.3": 7, "1.4": 2, "2": 7, "3.1": 3, "3.2": 2,
	"4.1": 10, "4.2": 14, "4.3": 1, "5.1": 13, "5.2": 12, "5.3": 2, "5.4": 2, "5.5": 1, "5.6": 4,
}

func TestCatalog(t *testing.T) {
	if len(automated) != 65 {
		t.Fatalf("the hand-written list has %d automated checks, want 65", len(automated))
	}
	checks := Catalog()
	if len(checks) != 131 {
		t.Errorf("%d checks, want 131", len(checks))
	}
	seen := map[string]bool{}
	perSection := map[string]int{}
	var auto []string
	for i, c := range checks {
		if seen[c.ID] {
			t.Errorf("%s listed twice", c.ID)
		}
		seen[c.ID] = true
		perSection[c.Section()]++
		if _, ok := Sections[c.Section()]; !ok {
			t.Errorf("%s: unknown section %s", c.ID, c.Section())
		}
		if c.Automated {
			auto = append(auto, c.ID)
		}
		if c.Title == "" || c.Target == "" {
			t.Errorf("%s: no title or target", c.ID)
		}
		if i > 0 && compareIDs(checks[i-1].ID, c.ID) >= 0 {
			t.Errorf("%s after %s: not in the benchmark's order", c.ID, checks[i-1].ID)
		}
	}
	if !slices.Equal(auto, automated) {
		t.Errorf("automated checks:\n got %v\nwant %v", auto, automated)
	}
	for s, n := range sectionSizes {
		if perSection[s] != n {
			t.Errorf("section %s: %d checks, want %d", s, perSection[s], n)
		}
	}
}

// compareIDs orders dotted check IDs numerically.
func compareIDs(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if len(as[i]) != len(bs[i]) {
			return len(as[i]) - len(bs[i])
		}
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}

// TestRegistryAgainstCatalog: every check the rules name exists in the
// benchmark, every automated check has a rule, and a check without one
// says why.
func TestRegistryAgainstCatalog(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]Check{}
	for _, c := range Catalog() {
		known[c.ID] = c
	}
	covered := map[string]bool{}
	for _, r := range reg.Rules() {
		for _, id := range r.References.CIS {
			if _, ok := known[id]; !ok {
				t.Errorf("rule %s names CIS %s, which Benchmark %s does not have", r.ID, id, Version)
			}
			covered[id] = true
		}
	}
	for _, c := range Catalog() {
		switch {
		case c.Automated && !covered[c.ID]:
			t.Errorf("automated check %s has no rule", c.ID)
		case !covered[c.ID] && !strings.HasPrefix(c.Note, noteNotCheck):
			t.Errorf("check %s has no rule and no note saying why", c.ID)
		case covered[c.ID] && strings.HasPrefix(c.Note, noteNotCheck):
			t.Errorf("check %s has a rule but its note says it is not checked", c.ID)
		}
	}
}

// TestDocsUpToDate compares docs/cis.md with what Markdown renders, and
// checks that every rule the table names is in the registry and every
// check of the catalog is a row.
func TestDocsUpToDate(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "..", "docs", "cis.md")
	got := Markdown(reg)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/report/cis -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/cis.md is stale: run go test ./internal/report/cis -update")
	}
	row := regexp.MustCompile("(?m)^\\| ([0-9.]+) \\| (Automated|Manual) \\| [^|]+ \\| ([^|]+) \\|")
	ruleRef := regexp.MustCompile("`([a-z0-9-]+)`")
	rows := map[string]bool{}
	var autoRows []string
	for _, m := range row.FindAllStringSubmatch(string(want), -1) {
		rows[m[1]] = true
		if m[2] == "Automated" {
			autoRows = append(autoRows, m[1])
		}
		for _, r := range ruleRef.FindAllStringSubmatch(m[3], -1) {
			if _, ok := reg.Get(r[1]); !ok {
				t.Errorf("docs/cis.md: check %s names rule %s, which is not in the registry", m[1], r[1])
			}
		}
	}
	for _, c := range Catalog() {
		if !rows[c.ID] {
			t.Errorf("docs/cis.md has no row for %s", c.ID)
		}
	}
	if !slices.Equal(autoRows, automated) {
		t.Errorf("docs/cis.md automated rows %v, want %v", autoRows, automated)
	}
}

const node = `apiVersion: node.kguard.io/v1alpha1
kind: NodeProcess
metadata: {name: kube-apiserver}
spec:
  component: kube-apiserver
  command: [kube-apiserver, --etcd-servers=https://127.0.0.1:2379, --token-auth-file=/etc/tokens.csv]
---
apiVersion: node.kguard.io/v1alpha1
kind: NodeFile
metadata: {name: /etc/kubernetes/manifests/kube-apiserver.yaml}
spec: {path: /etc/kubernetes/manifests/kube-apiserver.yaml, type: StaticPodManifest, roles: [kube-apiserver-manifest]}
status: {mode: "0600", uid: 0, gid: 0}
---
apiVersion: node.kguard.io/v1alpha1
kind: NodeFile
metadata:
  name: /etc/kubernetes/manifests/etcd.yaml
  annotations: {kguard.io/ignore: node-file-owner, kguard.io/ignore-reason: test}
spec: {path: /etc/kubernetes/manifests/etcd.yaml, type: StaticPodManifest, roles: [etcd-manifest]}
status: {mode: "0644", uid: 1000, gid: 0}
`

func scanNode(t *testing.T, cfg *config.Config) (*scan.Result, *rules.Registry) {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile("node.yaml", []byte(node))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return res, reg
}

func TestBuild(t *testing.T) {
	res, reg := scanNode(t, &config.Config{Rules: config.RuleConfig{Disable: []string{"apiserver-serving-tls"}}})
	rep := Build(res, reg)
	byID := map[string]Result{}
	for _, r := range rep.Results {
		byID[r.ID] = r
	}
	for id, want := range map[string]struct {
		status Status
		reason string
		n      int
	}{
		"1.1.1":  {Pass, "", 0},
		"1.1.2":  {Pass, "", 0},
		"1.1.7":  {Fail, "", 1},
		"1.1.8":  {Fail, "", 1}, // suppressed by annotation: still a failure
		"1.1.3":  {NotEvaluated, "no NodeFile with role kube-controller-manager-manifest among the inputs", 0},
		"1.2.1":  {Manual, "kguard's rules fail it", 1},
		"1.2.2":  {Fail, "", 1},
		"1.2.6":  {Fail, "", 1},
		"1.2.24": {NotEvaluated, "rule apiserver-serving-tls did not run (disabled)", 0},
		"1.3.2":  {NotEvaluated, "no kube-controller-manager among the inputs", 0},
		"4.2.1":  {NotEvaluated, "no kubelet (process or KubeletConfiguration) among the inputs", 0},
		"5.2.2":  {Manual, "", 0},
		"3.1.1":  {Manual, "", 0},
	} {
		got := byID[id]
		if got.Status != want.status || got.Reason != want.reason || len(got.Findings) != want.n {
			t.Errorf("%s: %s %q with %d findings; want %s %q with %d", id, got.Status, got.Reason, len(got.Findings), want.status, want.reason, want.n)
		}
	}
	if byID["1.1.8"].Findings[0].Suppressed == nil {
		t.Errorf("1.1.8's finding is not marked suppressed")
	}

	var b bytes.Buffer
	if err := Write(&b, res, report.Options{Registry: reg}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CIS Kubernetes Benchmark 1.12\n",
		"\n[1.1] Control Plane Node Configuration Files\n[PASS] 1.1.1 API server static pod manifest has mode 600 or stricter  (node-file-permissions)\n",
		"[FAIL] 1.1.7 etcd static pod manifest has mode 600 or stricter  (node-file-permissions)\n      MEDIUM NodeFile /etc/kubernetes/manifests/etcd.yaml: static pod manifest /etc/kubernetes/manifests/etcd.yaml has mode 0644; want 0600 or stricter (group and others may read)\n",
		"[FAIL] 1.1.8 etcd static pod manifest is owned by root:root  (node-file-owner)\n      MEDIUM NodeFile /etc/kubernetes/manifests/etcd.yaml: static pod manifest /etc/kubernetes/manifests/etcd.yaml is owned by 1000:0; want root:root [suppressed by annotation kguard.io/ignore: test]\n",
		"[NOT EVALUATED] 1.3.2 Controller manager --profiling is false  (apiserver-profiling)\n      no kube-controller-manager among the inputs\n",
		"[MANUAL] 1.1.9 CNI configuration files have mode 600 or stricter\n",
		"1.1  Control Plane Node Configuration Files   2 pass, 2 fail, 4 manual, 13 not evaluated\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestNothingEvaluatedIsNotAPass: a rule that covers a check but judged
// nothing (it reported no finding and recorded no evaluation) leaves the
// check NOT EVALUATED; recording an evaluation turns it into PASS. This
// is the negative control of the PASS verdict.
func TestNothingEvaluatedIsNotAPass(t *testing.T) {
	mk := func(evaluate bool) *rules.Rule {
		return &rules.Rule{
			ID: "apiserver-token-auth-file", Category: finding.CategorySecrets, Severity: finding.SeverityHigh,
			Title: "t", Rationale: "r", Remediation: "f",
			References: finding.References{CIS: []string{"1.2.2"}},
			CheckInventory: func(p *rules.Pass) {
				if evaluate {
					p.Evaluated(p.Inventory().Objects()[0])
				}
			},
		}
	}
	objs, _ := inventory.DecodeFile("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"))
	for _, evaluate := range []bool{false, true} {
		reg, err := rules.NewRegistry([]*rules.Rule{mk(evaluate)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		got := Build(res, reg).Results
		want := NotEvaluated
		if evaluate {
			want = Pass
		}
		for _, r := range got {
			if r.ID == "1.2.2" && r.Status != want {
				t.Errorf("evaluate=%v: 1.2.2 is %s, want %s", evaluate, r.Status, want)
			}
		}
	}
}
