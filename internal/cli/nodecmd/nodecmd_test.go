package nodecmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/node/nodetest"
	"github.com/kguard/kguard/internal/rules/all"
)

func newCmd(s *cmdutil.Streams) *cobra.Command { return NewCmd(s, all.Registry) }

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, newCmd, args...)
}

func TestTable(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := run(t, "--root", root, "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (high findings)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"NodeFile /etc/kubernetes/pki/apiserver-etcd-client.key  /etc/kubernetes/pki/apiserver-etcd-client.key",
		"HIGH      node-file-permissions            private key /etc/kubernetes/pki/apiserver-etcd-client.key has mode 0644; want 0600 or stricter (group and others may read)  (status.mode)",
		"NodeProcess kubelet  /proc/200/cmdline",
		"the kubelet serves an unauthenticated read-only API (--read-only-port=10255)",
		"NOT EVALUATED (1)",
		"/etc/kubernetes/scheduler.conf",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestExitCodes(t *testing.T) {
	root := nodetest.Root(t, true)
	_, errOut, code := run(t, "--root", root)
	if code != 2 || !strings.Contains(errOut, "the scan was partial: 1 item(s) could not be evaluated") || !strings.Contains(errOut, root+"/etc/kubernetes/scheduler.conf: cannot check the kubeconfig (named by kube-scheduler --kubeconfig") {
		t.Errorf("partial check: exit %d\n%s", code, errOut)
	}
	// The fake node has a critical finding only when the kubelet's
	// authorization is AlwaysAllow, which it is not.
	if _, errOut, code := run(t, "--root", root, "--allow-partial", "--fail-on", "critical"); code != 0 {
		t.Errorf("--fail-on critical: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := run(t, "--root", root, "--allow-partial", "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d\n%s", code, errOut)
	}
	for _, args := range [][]string{
		{"--root", root, "-o", "xml"},
		{"--root", root, "--benchmark", "nsa"},
		{"--root", root, "--benchmark", "cis", "-o", "json"},
		{"--root", root, "--fail-on", "urgent"},
		{"--root", root + "/missing"},
		{"--root", root, "--config", root + "/missing.yaml"},
	} {
		if _, _, code := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

type jsonFinding struct {
	Rule     string   `json:"rule"`
	Category string   `json:"category"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Field    string   `json:"field"`
	CIS      []string `json:"cis"`
	Resource struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"resource"`
	Source struct {
		File string `json:"file"`
	} `json:"source"`
}

type jsonReport struct {
	Findings     []jsonFinding `json:"findings"`
	NotEvaluated []struct {
		Subject string `json:"subject"`
	} `json:"notEvaluated"`
}

func parse(t *testing.T, out string) jsonReport {
	t.Helper()
	var doc jsonReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc
}

func TestJSON(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := run(t, "--root", root, "-o", "json", "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	doc := parse(t, out)
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Rule+" "+f.Resource.Name+" "+strings.Join(f.CIS, ",")] = f.Severity + " " + f.Category
	}
	for key, want := range map[string]string{
		"node-file-permissions /etc/kubernetes/admin.conf 1.1.13": "high runtime",
		"node-file-permissions /etc/kubernetes/pki/sa.key 1.1.21": "high runtime",
		"node-file-permissions /etc/kubernetes/pki/ca.crt 1.1.20": "low runtime",
		"apiserver-anonymous-auth kube-apiserver 1.2.1":           "medium exposure",
		"node-file-owner /etc/kubernetes/admin.conf 1.1.14":       "medium runtime",
		"node-file-permissions /var/lib/etcd 1.1.11":              "medium runtime",
		"kubelet-config-insecure kubelet 4.2.4":                   "medium exposure",
		// Passing files and settings have no finding.
		"node-file-permissions /etc/kubernetes/pki/sa.pub 1.1.20":  "",
		"node-file-permissions /etc/kubernetes/kubelet.conf 4.1.5": "",
		"kubelet-config-insecure kubelet 4.2.2":                    "",
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
	if len(doc.NotEvaluated) != 1 || doc.NotEvaluated[0].Subject != root+"/etc/kubernetes/scheduler.conf" {
		t.Errorf("notEvaluated = %+v", doc.NotEvaluated)
	}
}

func TestOtherFormats(t *testing.T) {
	root := nodetest.Root(t, true)
	for format, want := range map[string]string{"sarif": `"ruleId": "node-file-permissions"`, "junit": "node-file-permissions", "policyreport": "node-file-owner"} {
		out, errOut, code := run(t, "--root", root, "-o", format, "--allow-partial")
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, output lacks %q\n%s\n%s", format, code, want, out, errOut)
		}
	}
}

func TestBenchmarkCIS(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := run(t, "--root", root, "--benchmark", "cis", "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	same, _, _ := run(t, "--root", root, "-o", "cis", "--allow-partial")
	if same != out {
		t.Error("--benchmark cis and -o cis differ")
	}
	for _, want := range []string{
		"[1.1] Control Plane Node Configuration Files",
		"[PASS] 1.1.1 API server static pod manifest has mode 600 or stricter  (node-file-permissions)\n",
		"[FAIL] 1.1.13 Administrator kubeconfigs (admin.conf, super-admin.conf) have mode 600 or stricter  (node-file-permissions)\n      HIGH NodeFile /etc/kubernetes/admin.conf: kubeconfig /etc/kubernetes/admin.conf has mode 0644; want 0600 or stricter (group and others may read)\n",
		"[NOT EVALUATED] 1.1.15 scheduler.conf has mode 600 or stricter  (node-file-permissions)\n      no NodeFile with role scheduler-kubeconfig among the inputs\n",
		"[MANUAL] 1.2.1 API server --anonymous-auth is false  (apiserver-anonymous-auth)\n      kguard's rules fail it\n",
		"[PASS] 1.2.6 API server --authorization-mode does not include AlwaysAllow  (apiserver-authorization-mode)\n",
		"[NOT EVALUATED] 1.3.2 Controller manager --profiling is false  (apiserver-profiling)\n      no kube-controller-manager among the inputs\n",
		"[PASS] 2.1 etcd --cert-file and --key-file are set  (etcd-tls)\n",
		"[FAIL] 2.6 etcd --peer-auto-tls is not true  (etcd-tls)\n",
		"[PASS] 4.2.2 Kubelet authorization mode is not AlwaysAllow  (kubelet-config-insecure)\n",
		"[FAIL] 4.2.1 Kubelet anonymous authentication is off  (kubelet-config-insecure)\n",
		"[MANUAL] 4.2.4 Kubelet read-only port, if set, is 0  (kubelet-config-insecure)\n      kguard's rules fail it\n      MEDIUM NodeProcess kubelet: the kubelet serves an unauthenticated read-only API (--read-only-port=10255)\n",
		"[NOT EVALUATED] 4.3.1 kube-proxy metrics are served on localhost only  (kube-proxy-metrics-exposed)\n",
		"NOT CHECKED (1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark lacks %q:\n%s", want, out)
		}
	}
	// Checks in numeric order: 1.1.2 before 1.1.11.
	if i, j := strings.Index(out, " 1.1.2 "), strings.Index(out, " 1.1.11 "); i < 0 || j < 0 || i > j {
		t.Errorf("checks out of order:\n%s", out)
	}
}

// TestConfig: .kguard.yaml turns node rules off, changes their severity
// and excepts files, as for kguard scan.
func TestConfig(t *testing.T) {
	root := nodetest.Root(t, true)
	cfg := filepath.Join(t.TempDir(), "kguard.yaml")
	if err := os.WriteFile(cfg, []byte(`rules:
  disable: [node-file-owner]
  severity: {kubelet-config-insecure: critical}
exceptions:
  - rules: [node-file-permissions]
    kinds: [NodeFile]
    names: [/etc/kubernetes/pki/*]
    reason: keys are rotated by an external tool that sets their modes
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, "--root", root, "-o", "json", "--allow-partial", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range parse(t, out).Findings {
		switch {
		case f.Rule == "node-file-owner":
			t.Errorf("disabled rule reported: %+v", f)
		case f.Rule == "kubelet-config-insecure" && f.Severity != "critical":
			t.Errorf("severity not overridden: %+v", f)
		case f.Rule == "node-file-permissions" && strings.HasPrefix(f.Resource.Name, "/etc/kubernetes/pki/"):
			t.Errorf("excepted file reported: %+v", f)
		}
	}
	if _, errOut, code := run(t, "--root", root, "--config", writeFile(t, "rules: {disable: [no-such-rule]}\n")); code != 2 || !strings.Contains(errOut, "no-such-rule") {
		t.Errorf("unknown rule in config: exit %d\n%s", code, errOut)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestManifests(t *testing.T) {
	out, errOut, code := run(t, "manifests", "--image", "registry.example/kguard:1.2", "-n", "sec")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents:\n%s", len(docs), out)
	}
	var sa corev1.ServiceAccount
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &sa); err != nil || sa.Namespace != "sec" || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("service account: %v %+v", err, sa)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatal(err)
	}
	spec := job.Spec.Template.Spec
	c := spec.Containers[0]
	if !spec.HostPID || spec.ServiceAccountName != "kguard-node" || c.Image != "registry.example/kguard:1.2" ||
		spec.SecurityContext.RunAsUser == nil || *spec.SecurityContext.RunAsUser != 0 ||
		!*c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.Capabilities.Drop[0] != "ALL" ||
		!strings.Contains(strings.Join(c.Args, " "), "node --root=/host --proc=/proc") {
		t.Errorf("job: %+v", spec)
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is writable", m.MountPath)
		}
		mounts[m.MountPath] = true
	}
	for _, p := range []string{"/host/etc/kubernetes", "/host/var/lib/kubelet", "/host/var/lib/etcd", "/host/etc/systemd/system", "/host/usr/lib/systemd/system", "/host/etc/passwd", "/host/etc/group"} {
		if !mounts[p] {
			t.Errorf("no mount at %s", p)
		}
	}
	if !strings.Contains(out, "runAsUser: 0 is needed") {
		t.Errorf("manifest does not explain runAsUser 0")
	}
	if _, _, code := run(t, "manifests", "--image", "x\ny"); code != 2 {
		t.Errorf("bad image: exit %d", code)
	}
}
