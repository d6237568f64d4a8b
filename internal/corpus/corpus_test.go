package corpus

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

func generate(t testing.TB, o Options) []File {
	t.Helper()
	var files []File
	if err := Generate(o, func(f File) error {
		files = append(files, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeterministic(t *testing.T) {
	a := generate(t, Options{Objects: 300, Seed: 7})
	b := generate(t, Options{Objects: 300, Seed: 7})
	c := generate(t, Options{Objects: 300, Seed: 8})
	if len(a) != len(b) {
		t.Fatalf("same seed: %d and %d files", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("same seed, file %d differs (%s)", i, a[i].Name)
		}
	}
	same := len(a) == len(c)
	for i := 0; same && i < len(a); i++ {
		same = bytes.Equal(a[i].Data, c[i].Data)
	}
	if same {
		t.Error("different seeds gave the same corpus")
	}
}

// TestCorpusIsValidAndMixed: every generated document decodes, the object
// count is what the files claim, the size per object is in the range the
// benchmark targets assume, and the corpus holds both hardened and
// insecure workloads.
func TestCorpusIsValidAndMixed(t *testing.T) {
	files := generate(t, Options{Objects: 2000, Seed: 1})
	inv, size := decodeAll(t, files)
	claimed := 0
	kinds := map[string]int{}
	for _, f := range files {
		claimed += f.Objects
	}
	for _, o := range inv.Objects() {
		kinds[o.Kind]++
	}
	if inv.Len() != claimed || inv.Len() < 2000 || inv.Len() > 2020 {
		t.Errorf("decoded %d objects, files claim %d, asked for 2000", inv.Len(), claimed)
	}
	for _, k := range []string{"Namespace", "Deployment", "Service", "ServiceAccount", "Role", "RoleBinding",
		"ConfigMap", "NetworkPolicy", "Ingress", "StatefulSet", "CronJob"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the corpus", k)
		}
	}
	if per := size / inv.Len(); per < 1000 || per > 1800 {
		t.Errorf("%d bytes per object, want about 1.4 KB", per)
	}
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), inv, scan.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	bySev := map[finding.Severity]int{}
	for _, f := range res.Findings {
		bySev[f.Severity]++
		if f.Rule == "pss-restricted-run-as-non-root" {
			flagged[f.Resource.Namespace+"/"+f.Resource.Name+"/"+f.Resource.Kind] = true
		}
	}
	if bySev[finding.SeverityCritical] == 0 || bySev[finding.SeverityHigh] == 0 {
		t.Errorf("no critical or high findings: the corpus has no insecure workloads (%v)", bySev)
	}
	if len(flagged) == 0 || len(flagged) == kinds["Deployment"]+kinds["StatefulSet"]+kinds["CronJob"] {
		t.Errorf("%d of the workloads may run as root: want some hardened and some not", len(flagged))
	}
}

func decodeAll(t testing.TB, files []File) (*inventory.Inventory, int) {
	t.Helper()
	var objs []*inventory.Object
	size := 0
	for _, f := range files {
		got, errs := inventory.DecodeFile(f.Name, f.Data)
		for _, e := range errs {
			t.Fatalf("generated file does not decode: %v", e)
		}
		objs = append(objs, got...)
		size += len(f.Data)
	}
	return inventory.New(objs), size
}

func TestGenerateRejectsZero(t *testing.T) {
	err := Generate(Options{}, func(File) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("Generate with no objects: %v", err)
	}
}

// BenchmarkDecode measures decoding (YAML to typed objects) per object on
// one goroutine; BenchmarkScan the rules on decoded objects. Together they
// are the in-process part of the corpus benchmark.
func BenchmarkDecode(b *testing.B) {
	files := generate(b, Options{Objects: 1000, Seed: 1})
	var n, size int
	for _, f := range files {
		n += f.Objects
		size += len(f.Data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, errs := inventory.DecodeFile(f.Name, f.Data); len(errs) > 0 {
				b.Fatal(errs[0])
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/object")
}

func BenchmarkScan(b *testing.B) {
	files := generate(b, Options{Objects: 1000, Seed: 1})
	inv, _ := decodeAll(b, files)
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scan.Run(context.Background(), inv, scan.Options{Registry: reg, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*inv.Len())/1e3, "µs/object")
}

// BenchmarkResolveRollouts measures what custom workloads add to loading:
// finding and decoding the pod template of each Rollout of the corpus
// written with Rollouts (Templates.Resolve over every object).
func BenchmarkResolveRollouts(b *testing.B) {
	var objs []*inventory.Object
	for _, f := range generate(b, Options{Objects: 1000, Seed: 1, Rollouts: true}) {
		got, errs := inventory.DecodeFile(f.Name, f.Data)
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		objs = append(objs, got...)
	}
	rollouts := 0
	for _, o := range objs {
		if o.Kind == "Rollout" {
			rollouts++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			o.PodTemplate = nil
		}
		if errs := (*extract.Templates)(nil).Resolve(objs); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rollouts)/1e3, "µs/rollout")
	b.ReportMetric(float64(rollouts), "rollouts")
}

// TestRolloutsJudgedLikeDeployments is an agreement test: the corpus with
// its Deployments written as Argo Rollouts (same fields, same templates)
// must give the same findings, rule for rule, field for field, once the
// kind is read as Deployment. The negative control, in the same run,
// skips resolving the Rollouts' templates and must disagree.
func TestRolloutsJudgedLikeDeployments(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	findings := func(rollouts, resolve bool) map[string]int {
		var objs []*inventory.Object
		if err := Generate(Options{Objects: 1000, Seed: 3, Rollouts: rollouts}, func(f File) error {
			got, errs := inventory.DecodeFile(f.Name, f.Data)
			for _, e := range errs {
				t.Fatalf("generated file does not decode: %v", e)
			}
			objs = append(objs, got...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if resolve {
			if errs := (*extract.Templates)(nil).Resolve(objs); len(errs) > 0 {
				t.Fatal(errs)
			}
		}
		res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, f := range append(res.Findings, res.Suppressed...) {
			// Read every Rollout as the Deployment it was written from,
			// in the resource and where messages name workloads.
			r := f.Resource
			if r.Kind == "Rollout" {
				r.Kind, r.APIVersion = "Deployment", "apps/v1"
			}
			msg := strings.ReplaceAll(f.Message, `Rollout "`, `Deployment "`)
			out[fmt.Sprintf("%s %s %s:%d %s %s %s", f.Rule, r, f.Source.File, f.Source.Line, f.Severity, f.Field, msg)]++
		}
		return out
	}
	deployments := findings(false, true)
	rollouts := findings(true, true)
	if d := diff(deployments, rollouts); d != "" {
		t.Errorf("Rollouts are judged unlike the same Deployments:\n%s", d)
	}
	workloadFindings := 0
	for k, n := range deployments {
		if strings.Contains(k, " Deployment ") {
			workloadFindings += n
		}
	}
	if workloadFindings < 100 {
		t.Errorf("only %d findings on Deployments: the comparison says little", workloadFindings)
	}
	if diff(deployments, findings(true, false)) == "" {
		t.Error("negative control: unresolved Rollouts gave the same findings as Deployments")
	}
}

// diff lists the keys whose counts differ, at most 20.
func diff(a, b map[string]int) string {
	var out []string
	for k, n := range a {
		if b[k] != n {
			out = append(out, fmt.Sprintf("  %d vs %d: %s", n, b[k], k))
		}
	}
	for k, n := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("  0 vs %d: %s", n, k))
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("  ... and %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}
