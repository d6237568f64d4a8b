package nodecmd

import (
	"encoding/json"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/node/nodetest"
)

func TestTable(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := clitest.Run(t, NewCmd, "--root", root, "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (high findings)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"File apiserver-etcd-client.key  /etc/kubernetes/pki/apiserver-etcd-client.key",
		"HIGH      node-file-permissions  private key /etc/kubernetes/pki/apiserver-etcd-client.key has mode 0644; want 0600 or stricter (group and others may read) [CIS 1.1.21]  (mode)",
		"Process kubelet (pid 200)  /proc/200/cmdline",
		"--read-only-port=10255; want --read-only-port=0 [CIS 4.2.4]",
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
	_, errOut, code := clitest.Run(t, NewCmd, "--root", root)
	if code != 2 || !strings.Contains(errOut, "1 path(s) could not be checked") || !strings.Contains(errOut, root+"/etc/kubernetes/scheduler.conf: cannot check the kubeconfig (named by kube-scheduler --kubeconfig") {
		t.Errorf("partial check: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := clitest.Run(t, NewCmd, "--root", root, "--allow-partial", "--fail-on", "critical"); code != 0 {
		t.Errorf("--fail-on critical: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := clitest.Run(t, NewCmd, "--root", root, "--allow-partial", "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d\n%s", code, errOut)
	}
	for _, args := range [][]string{
		{"--root", root, "-o", "xml"},
		{"--root", root, "--benchmark", "nsa"},
		{"--root", root, "--fail-on", "urgent"},
		{"--root", root + "/missing"},
	} {
		if _, _, code := clitest.Run(t, NewCmd, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestJSON(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := clitest.Run(t, NewCmd, "--root", root, "-o", "json", "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var doc struct {
		Findings []struct {
			Rule     string `json:"rule"`
			Category string `json:"category"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Source   struct {
				File string `json:"file"`
			} `json:"source"`
		} `json:"findings"`
		NotEvaluated []struct {
			Subject string `json:"subject"`
		} `json:"notEvaluated"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Rule+" "+f.Source.File] = f.Severity + " " + f.Category
	}
	for key, want := range map[string]string{
		"node-file-permissions /etc/kubernetes/admin.conf":   "high runtime",
		"node-file-permissions /etc/kubernetes/pki/sa.key":   "high runtime",
		"node-file-permissions /etc/kubernetes/pki/ca.crt":   "low runtime",
		"node-component-flag /proc/100/cmdline":              "medium exposure",
		"node-file-owner /etc/kubernetes/admin.conf":         "medium runtime",
		"node-file-permissions /var/lib/etcd":                "medium runtime",
		"node-file-permissions /etc/kubernetes/pki/sa.pub":   "",
		"node-file-permissions /etc/kubernetes/kubelet.conf": "",
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
	for format, want := range map[string]string{"sarif": `"ruleId": "node-file-permissions"`, "junit": "node-file-permissions"} {
		out, errOut, code := clitest.Run(t, NewCmd, "--root", root, "-o", format, "--allow-partial")
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, output lacks %q\n%s\n%s", format, code, want, out, errOut)
		}
	}
}

func TestBenchmarkCIS(t *testing.T) {
	root := nodetest.Root(t, true)
	out, errOut, code := clitest.Run(t, NewCmd, "--root", root, "--benchmark", "cis", "--allow-partial")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"[1.1] Control Plane Node Configuration Files",
		"[PASS  ] 1.1.1   static pod manifest permissions are 0600 or more restrictive: /etc/kubernetes/manifests/kube-apiserver.yaml (mode 0600)",
		"[FAIL  ] 1.1.13  kubeconfig permissions are 0600 or more restrictive: /etc/kubernetes/admin.conf (mode 0644)",
		"[FAIL  ] 1.2.1   kube-apiserver --anonymous-auth is false: kube-apiserver (pid 100) (--anonymous-auth not set (default true))",
		"[MANUAL] 4.1.1 ",
		"[PASS  ] 4.2.2   kubelet authorization mode is not AlwaysAllow: kubelet (pid 200) (authorization.mode not set in /var/lib/kubelet/config.yaml (default Webhook))",
		"1.2 API Server: 0 pass, 1 fail, 0 manual",
		"4.2 Kubelet: 1 pass, 2 fail, 0 manual",
		"NOT CHECKED (1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark lacks %q:\n%s", want, out)
		}
	}
	// Sections in numeric order: 1.1.2 before 1.1.11.
	if i, j := strings.Index(out, " 1.1.2 "), strings.Index(out, " 1.1.11 "); i < 0 || j < 0 || i > j {
		t.Errorf("sections out of order:\n%s", out)
	}
}

func TestManifests(t *testing.T) {
	out, errOut, code := clitest.Run(t, NewCmd, "manifests", "--image", "registry.example/kguard:1.2", "-n", "sec")
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
	for _, p := range []string{"/host/etc/kubernetes", "/host/var/lib/kubelet", "/host/var/lib/etcd"} {
		if !mounts[p] {
			t.Errorf("no mount at %s", p)
		}
	}
	if !strings.Contains(out, "runAsUser: 0 is needed") {
		t.Errorf("manifest does not explain runAsUser 0")
	}
	if _, _, code := clitest.Run(t, NewCmd, "manifests", "--image", "x\ny"); code != 2 {
		t.Errorf("bad image: exit %d", code)
	}
}
