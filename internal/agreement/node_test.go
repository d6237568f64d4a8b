package agreement

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/nodecmd"
	scancmd "github.com/kguard/kguard/internal/cli/scan"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/node/nodetest"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// The agreement tests check the promise of `kguard node`: the objects it
// describes a host with, written out with --dump-inventory and read back
// by `kguard scan`, give the same findings (rule, severity, object, field,
// CIS checks); and a component's flags judged as a process or as a static
// pod manifest give the same rule, severity and message. Each keeps
// negative controls in the same run: a deliberately mis-mapped flag or
// severity must make the comparison fail.

// jsonFinding is the part of a JSON report's finding compared here.
type jsonFinding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Field    string   `json:"field"`
	CIS      []string `json:"cis"`
	Resource struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"resource"`
}

func parseFindings(t *testing.T, out string) []jsonFinding {
	t.Helper()
	var doc struct {
		Findings []jsonFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc.Findings
}

func nodeCmd(s *cmdutil.Streams) *cobra.Command { return nodecmd.NewCmd(s, all.Registry) }

func scanCmd(s *cmdutil.Streams) *cobra.Command { return scancmd.NewCmd(s, all.Registry) }

// key renders a finding for comparison.
func key(f jsonFinding) string {
	return strings.Join([]string{f.Rule, f.Severity, f.Resource.Kind + " " + f.Resource.Name, f.Field, strings.Join(f.CIS, ",")}, "|")
}

func keys(fs []jsonFinding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, key(f))
	}
	slices.Sort(out)
	return out
}

// diff lists what one side has that the other has not ("-" node only,
// "+" scan only); empty when the sides agree.
func diff(nodeSide, scanSide []string) []string {
	count := map[string]int{}
	for _, k := range nodeSide {
		count[k]++
	}
	for _, k := range scanSide {
		count[k]--
	}
	var out []string
	for k, n := range count {
		for ; n > 0; n-- {
			out = append(out, "- "+k)
		}
		for ; n < 0; n++ {
			out = append(out, "+ "+k)
		}
	}
	slices.Sort(out)
	return out
}

// scanFile runs `kguard scan` on a file and returns its findings.
func scanFile(t *testing.T, file string, args ...string) []jsonFinding {
	t.Helper()
	out, errOut, code := clitest.Run(t, scanCmd, append([]string{file, "-o", "json", "--fail-on", "none", "--allow-partial"}, args...)...)
	if code != 0 {
		t.Fatalf("kguard scan %s: exit %d\n%s", file, code, errOut)
	}
	return parseFindings(t, out)
}

// runNode runs `kguard node` with opts and returns its findings and the
// inventory it wrote.
func runNode(t *testing.T, opts nodecmd.Options) ([]jsonFinding, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	opts.Registry = all.Registry
	opts.Report.Output, opts.Report.FailOn, opts.AllowPartial = "json", "none", true
	opts.DumpInventory = filepath.Join(t.TempDir(), "node.yaml")
	if code := cmdutil.CodeOf(nodecmd.Run(context.Background(), &opts)); code != 0 {
		t.Fatalf("kguard node: exit %d\n%s", code, errOut.String())
	}
	return parseFindings(t, out.String()), opts.DumpInventory
}

// rewrite copies file with old replaced by new, which must occur.
func rewrite(t *testing.T, file, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	out := filepath.Join(t.TempDir(), "mismapped.yaml")
	if err := os.WriteFile(out, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAgreement compares node with scan of its inventory, then runs the
// two negative controls: a flag changed in the inventory (flagOld to
// flagNew), which must lose exactly the findings lost, and a severity
// mapped differently by config, which must change that rule's findings.
func checkAgreement(t *testing.T, nodeFindings []jsonFinding, dump, flagOld, flagNew string, lost []string) {
	t.Helper()
	nodeKeys := keys(nodeFindings)
	if d := diff(nodeKeys, keys(scanFile(t, dump))); len(d) > 0 {
		t.Errorf("kguard node and kguard scan of its inventory disagree:\n%s", strings.Join(d, "\n"))
	}

	// Negative control 1: a mis-mapped flag.
	d := diff(nodeKeys, keys(scanFile(t, rewrite(t, dump, flagOld, flagNew))))
	var want []string
	for _, k := range lost {
		want = append(want, "- "+k)
	}
	if !slices.Equal(d, want) {
		t.Errorf("negative control (%s -> %s): the comparison found\n%s\nwant exactly\n%s", flagOld, flagNew, strings.Join(d, "\n"), strings.Join(want, "\n"))
	}

	// Negative control 2: a mis-mapped severity.
	rule := strings.SplitN(lost[0], "|", 2)[0]
	cfg := filepath.Join(t.TempDir(), "severity.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  severity: {"+rule+": info}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d := diff(nodeKeys, keys(scanFile(t, dump, "--config", cfg))); len(d) == 0 {
		t.Errorf("negative control (severity of %s mapped to info): the comparison found no difference", rule)
	}
}

func TestAgreementFakeNode(t *testing.T) {
	root := nodetest.Root(t, true)
	findings, dump := runNode(t, nodecmd.Options{Root: root})
	if len(findings) < 25 {
		t.Fatalf("only %d findings on the fake node", len(findings))
	}
	checkAgreement(t, findings, dump, "--read-only-port=10255", "--read-only-port=0",
		[]string{"kubelet-config-insecure|medium|NodeProcess kubelet|spec.command|4.2.4"})
	checkStaticPodShape(t, dump, "--kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1")

	// The CIS view is the same report for both commands: every check line
	// (status, ID, title, rules, findings) agrees; only node's list of
	// paths it could not read is its own.
	checkLines := func(out string) []string {
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "[") || strings.HasPrefix(l, "      ") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	nodeCIS, _, _ := clitest.Run(t, nodeCmd, "--root", root, "-o", "cis", "--allow-partial")
	scanCIS, _, _ := clitest.Run(t, scanCmd, dump, "-o", "cis")
	if n, s := checkLines(nodeCIS), checkLines(scanCIS); !slices.Equal(n, s) || len(n) < 131 {
		t.Errorf("kguard node -o cis and kguard scan -o cis of its inventory differ:\n%s", strings.Join(diff(n, s), "\n"))
	}
}

// asStaticPods rewrites the inventory's control-plane NodeProcess objects
// as the kube-system static pods kubeadm would write for the same command
// lines, and drops everything else.
func asStaticPods(t *testing.T, dump string) string {
	t.Helper()
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile(dump, b)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var docs []string
	for _, o := range objs {
		p, ok := controlplane.ParseNodeProcess(o)
		if !ok || p.Spec.Component == controlplane.ComponentKubelet || p.Spec.Component == controlplane.ComponentProxy {
			continue
		}
		var env []map[string]string
		for _, e := range p.Spec.Env {
			env = append(env, map[string]string{"name": e.Name, "value": e.Value})
		}
		pod := map[string]any{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": o.Name + "-cp-1", "namespace": "kube-system", "labels": map[string]string{"component": p.Spec.Component}},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": p.Spec.Component, "image": "", "command": p.Spec.Command, "env": env,
			}}},
		}
		y, err := yaml.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(y))
	}
	out := filepath.Join(t.TempDir(), "static-pods.yaml")
	if err := os.WriteFile(out, []byte(strings.Join(docs, "---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// componentRules are the rules that judge a component's flags: those that
// read the component analyses. backup-no-etcd-snapshot is left out on
// purpose: it speaks of the workloads among the inputs, and a node's
// inventory has none.
func componentRules(t *testing.T) map[string]bool {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range reg.Rules() {
		for _, k := range r.Requires {
			if k == analysis.Key(controlplane.FactsAnalysis) || k == analysis.Key(controlplane.ComponentsAnalysis) {
				out[r.ID] = r.ID != "backup-no-etcd-snapshot"
			}
		}
	}
	return out
}

// checkStaticPodShape: the same command lines judged as processes and as
// static pod manifests give the same rule, severity, CIS checks and
// message per component. A flag changed in the manifests (old to new)
// must break it.
func checkStaticPodShape(t *testing.T, dump, old, new string) {
	t.Helper()
	ruleSet := componentRules(t)
	shape := func(fs []jsonFinding, kind string) []string {
		var out []string
		for _, f := range fs {
			if f.Resource.Kind == kind && ruleSet[f.Rule] {
				out = append(out, strings.Join([]string{f.Rule, f.Severity, strings.Join(f.CIS, ","), f.Message}, "|"))
			}
		}
		slices.Sort(out)
		return out
	}
	asProcess := shape(scanFile(t, dump), "NodeProcess")
	pods := asStaticPods(t, dump)
	if d := diff(asProcess, shape(scanFile(t, pods), "Pod")); len(d) > 0 {
		t.Errorf("the same flags as processes and as static pods disagree:\n%s", strings.Join(d, "\n"))
	}
	if len(asProcess) < 5 {
		t.Errorf("only %d component findings to compare", len(asProcess))
	}
	// Negative control: a flag that decides a finding, changed in the
	// manifests only.
	if d := diff(asProcess, shape(scanFile(t, rewrite(t, pods, old, new)), "Pod")); len(d) == 0 {
		t.Errorf("negative control (%s -> %s in the static pods): the comparison found no difference", old, new)
	}
}

// TestAgreementRealHarness runs kguard node against a real kube-apiserver
// and etcd started with the insecure settings an unhardened control plane
// has: etcd over plain HTTP, no audit log, profiling on, a static token
// file and no NodeRestriction. Node must report each of them, and agree
// with scan of its inventory.
func TestAgreementRealHarness(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("t0ken-for-the-harness-only,harness-admin,1000,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cluster.Start(t, cluster.Options{ExtraArgs: []string{"--profiling=true", "--token-auth-file=" + tokens}})
	findings, dump := runNode(t, nodecmd.Options{Root: "/", Proc: "/proc", PIDs: c.Pids()})

	api := "NodeProcess kube-apiserver"
	got := map[string]string{}
	for _, f := range findings {
		got[f.Rule+" "+f.Resource.Kind+" "+f.Resource.Name+" "+strings.Join(f.CIS, ",")] = f.Severity + " " + f.Message
	}
	for k, want := range map[string]string{
		"apiserver-etcd-tls " + api + " 1.2.23,1.2.26":   "high kube-apiserver talks to etcd over plain HTTP (--etcd-servers http://127.0.0.1:",
		"apiserver-audit-log-missing " + api + " 1.2.16": "high kube-apiserver has no audit backend",
		"apiserver-audit-log-missing " + api + " 3.2.1":  "high kube-apiserver has no audit policy",
		"apiserver-profiling " + api + " 1.2.15":         "low kube-apiserver has profiling enabled (--profiling=true)",
		"apiserver-token-auth-file " + api + " 1.2.2":    "high kube-apiserver authenticates static tokens from a file (--token-auth-file)",
		"apiserver-admission-plugins " + api + " 1.2.14": "high kube-apiserver does not enable the NodeRestriction admission plugin",
		"apiserver-anonymous-auth " + api + " 1.2.1":     "medium kube-apiserver allows anonymous requests (--anonymous-auth is unset; the default is true)",
		"etcd-tls NodeProcess etcd 2.1":                  "high etcd has no --cert-file, --key-file: clients connect without TLS",
		"etcd-tls NodeProcess etcd 2.2":                  "high etcd does not require client certificates (--client-cert-auth is unset)",
	} {
		if !strings.HasPrefix(got[k], want) {
			t.Errorf("%s: got %q, want %q...", k, got[k], want)
		}
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "t0ken-for-the-harness") {
		t.Error("the inventory carries the token file's content")
	}
	if !strings.Contains(string(b), "- --token-auth-file="+tokens) {
		t.Errorf("the inventory lacks the API server's --token-auth-file:\n%s", b)
	}
	checkAgreement(t, findings, dump, "--token-auth-file="+tokens, "--v=0",
		[]string{"apiserver-token-auth-file|high|" + api + "|spec.command|1.2.2"})
	checkStaticPodShape(t, dump, "--profiling=true", "--profiling=false")
	t.Logf("real harness: %d findings compared", len(findings))
}
