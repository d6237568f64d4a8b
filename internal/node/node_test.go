package node

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/node/nodetest"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunShared(m)) }

func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		argv  []string
		name  string
		first int
	}{
		{[]string{"/usr/local/bin/kube-apiserver", "--a=b"}, APIServer, 1},
		{[]string{"kubelet"}, Kubelet, 1},
		{[]string{"/hyperkube", "kubelet", "--x"}, Kubelet, 2},
		{[]string{"/hyperkube", "apiserver"}, APIServer, 2},
		{[]string{"/hyperkube", "kube-proxy"}, Proxy, 2},
		{[]string{"/bin/etcdctl"}, "", 0},
		{[]string{"apiserver"}, "", 0}, // aliases only after hyperkube
		{nil, "", 0},
	} {
		name, first := Identify(tc.argv)
		if name != tc.name || first != tc.first {
			t.Errorf("Identify(%q) = %q, %d; want %q, %d", tc.argv, name, first, tc.name, tc.first)
		}
	}
	if got := SplitCmdline([]byte("etcd --name x")); !slices.Equal(got, []string{"etcd", "--name", "x"}) {
		t.Errorf("space-separated cmdline: %q", got)
	}
	if got := SplitCmdline([]byte("etcd\x00--a=b c\x00")); !slices.Equal(got, []string{"etcd", "--a=b c"}) {
		t.Errorf("NUL-separated cmdline: %q", got)
	}
}

func TestDiscoverFake(t *testing.T) {
	root := nodetest.Root(t, true)
	comps, errs := Discover(filepath.Join(root, "proc"))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got []string
	for _, c := range comps {
		got = append(got, fmt.Sprintf("%s/%d", c.Name, c.PID))
	}
	if want := []string{"kube-apiserver/100", "kube-scheduler/300", "kubelet/200"}; !slices.Equal(got, want) {
		t.Fatalf("components = %v, want %v", got, want)
	}
	api := comps[0]
	if v, _ := api.Value("authorization-mode"); v != "Node,RBAC" {
		t.Errorf("authorization-mode = %q", v)
	}
	if v, _ := comps[1].Value("kubeconfig"); v != "/etc/kubernetes/scheduler.conf" {
		t.Errorf("scheduler kubeconfig = %q (flags after the hyperkube sub-command)", v)
	}
}

// expectedFindings are the fixture's findings as "rule|severity|subject|field".
func expectedFindings() []string {
	want := []string{
		"node-component-flag|medium|Process kube-apiserver (pid 100)|--anonymous-auth",
		"node-component-flag|high|Process kubelet (pid 200)|--anonymous-auth",
		"node-component-flag|medium|Process kubelet (pid 200)|--read-only-port",
		"node-file-permissions|high|/etc/kubernetes/admin.conf|mode",
		"node-file-permissions|medium|/etc/kubernetes/manifests/etcd.yaml|mode",
		"node-file-permissions|high|/etc/kubernetes/pki/apiserver-etcd-client.key|mode",
		"node-file-permissions|low|/etc/kubernetes/pki/ca.crt|mode",
		"node-file-permissions|high|/etc/kubernetes/pki/sa.key|mode",
		"node-file-permissions|medium|/var/lib/etcd|mode",
		"node-file-permissions|medium|/var/lib/kubelet/config.yaml|mode",
	}
	if os.Getuid() == 0 {
		// Only the file the fixture chowns.
		want = append(want, "node-file-owner|medium|/etc/kubernetes/admin.conf|owner")
	} else {
		// Every file the test created is owned by the test's uid (the
		// etcd data directory's owner is not checked).
		for _, f := range nodetest.Files() {
			if !strings.HasSuffix(f.Path, "/") {
				want = append(want, "node-file-owner|medium|"+f.Path+"|owner")
			}
		}
	}
	slices.Sort(want)
	return want
}

func findingKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		subject := f.Source.File
		if f.Resource.Kind == "Process" {
			subject = f.Resource.String()
		}
		out = append(out, strings.Join([]string{f.Rule, f.Severity.String(), subject, f.Field}, "|"))
	}
	slices.Sort(out)
	return out
}

func TestRunFake(t *testing.T) {
	root := nodetest.Root(t, true)
	r := Run(Options{Root: root})

	if got, want := findingKeys(r.Findings), expectedFindings(); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	messages := map[string]string{}
	for _, f := range r.Findings {
		messages[f.Source.File+" "+f.Field] = f.Message
		if !f.Category.Valid() {
			t.Errorf("%s: invalid category %q", f.Rule, f.Category)
		}
	}
	for key, want := range map[string]string{
		"/etc/kubernetes/pki/apiserver-etcd-client.key mode": "private key /etc/kubernetes/pki/apiserver-etcd-client.key has mode 0644; want 0600 or stricter (group and others may read) [CIS 1.1.21]",
		"/etc/kubernetes/admin.conf mode":                    "kubeconfig /etc/kubernetes/admin.conf has mode 0644; want 0600 or stricter (group and others may read) [CIS 1.1.13]",
		"/etc/kubernetes/pki/ca.crt mode":                    "certificate or public key /etc/kubernetes/pki/ca.crt has mode 0666; want 0644 or stricter (group and others may write)",
		"/var/lib/etcd mode":                                 "etcd data directory /var/lib/etcd has mode 0755; want 0700 or stricter (group and others may read and execute) [CIS 1.1.11]",
		"/var/lib/kubelet/config.yaml mode":                  "configuration file /var/lib/kubelet/config.yaml has mode 0644; want 0600 or stricter (group and others may read) [CIS 4.1.9]",
		"/proc/200/cmdline --anonymous-auth":                 "kubelet accepts anonymous requests to its API: authentication.anonymous.enabled: true in /var/lib/kubelet/config.yaml; want --anonymous-auth=false [CIS 4.2.1]",
		"/proc/200/cmdline --read-only-port":                 "kubelet serves its unauthenticated read-only API: --read-only-port=10255; want --read-only-port=0 [CIS 4.2.4]",
	} {
		if messages[key] != want {
			t.Errorf("message for %s:\n got %q\nwant %q", key, messages[key], want)
		}
	}
	if os.Getuid() == 0 {
		want := fmt.Sprintf("kubeconfig /etc/kubernetes/admin.conf is owned by uid %d; want root (uid 0) [CIS 1.1.14]", nodetest.ForeignUID)
		if got := messages["/etc/kubernetes/admin.conf owner"]; got != want {
			t.Errorf("owner message %q, want %q", got, want)
		}
	}

	// The scheduler's kubeconfig is missing: one error naming it.
	if len(r.Errors) != 1 || r.Errors[0].Path != filepath.Join(root, "etc/kubernetes/scheduler.conf") ||
		!strings.Contains(r.Errors[0].Error(), "kube-scheduler --kubeconfig") || !strings.Contains(r.Errors[0].Error(), "no such file") {
		t.Errorf("errors = %v", r.Errors)
	}

	// The CIS view.
	status := map[string]Status{}
	for _, c := range r.Checks {
		status[c.Section+" "+c.Subject] = c.Status
	}
	for key, want := range map[string]Status{
		"1.1.1 /etc/kubernetes/manifests/kube-apiserver.yaml": Pass,
		"1.1.7 /etc/kubernetes/manifests/etcd.yaml":           Fail,
		"1.1.11 /var/lib/etcd":                                Fail,
		"1.1.13 /etc/kubernetes/admin.conf":                   Fail,
		"1.1.21 /etc/kubernetes/pki/apiserver.key":            Pass,
		"1.1.21 /etc/kubernetes/pki/sa.key":                   Fail,
		"4.1.5 /etc/kubernetes/kubelet.conf":                  Pass,
		"1.2.1 kube-apiserver (pid 100)":                      Fail,
		"4.2.1 kubelet (pid 200)":                             Fail,
		"4.2.2 kubelet (pid 200)":                             Pass,
		"4.2.4 kubelet (pid 200)":                             Fail,
		"4.1.1 kubelet (pid 200)":                             Manual,
	} {
		if status[key] != want {
			t.Errorf("check %s = %q, want %q", key, status[key], want)
		}
	}

	res := r.Result()
	if len(res.NotEvaluated) != 1 || len(res.Findings) != len(r.Findings) || len(res.Rules) != 3 {
		t.Errorf("result: %d not evaluated, %d findings, %d rules", len(res.NotEvaluated), len(res.Findings), len(res.Rules))
	}
}

func TestRunWithoutProc(t *testing.T) {
	root := nodetest.Root(t, false)
	r := Run(Options{Root: root})
	if len(r.Components) != 0 {
		t.Errorf("components: %v", r.Components)
	}
	if len(r.Errors) != 1 || r.Errors[0].Path != filepath.Join(root, "proc") || !strings.Contains(r.Errors[0].Error(), "cannot list processes") {
		t.Errorf("errors = %v", r.Errors)
	}
	// The well-known files are still checked.
	got := findingKeys(r.Findings)
	if !slices.Contains(got, "node-file-permissions|high|/etc/kubernetes/admin.conf|mode") ||
		!slices.Contains(got, "node-file-permissions|medium|/var/lib/kubelet/config.yaml|mode") {
		t.Errorf("findings without /proc: %v", got)
	}
	for _, k := range got {
		if strings.HasPrefix(k, RuleComponentFlag) {
			t.Errorf("flag finding without a process: %s", k)
		}
	}
}

func TestKubeletDefaults(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "proc", "7")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// No --config: flag defaults apply (anonymous on, AlwaysAllow, 10255).
	if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte("kubelet\x00--v=2\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run(Options{Root: root})
	want := []string{
		"node-component-flag|critical|Process kubelet (pid 7)|--authorization-mode",
		"node-component-flag|high|Process kubelet (pid 7)|--anonymous-auth",
		"node-component-flag|medium|Process kubelet (pid 7)|--read-only-port",
	}
	if got := findingKeys(r.Findings); !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	// An unreadable --config: the settings it decides are not evaluated.
	if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte("kubelet\x00--config=/nope.yaml\x00--anonymous-auth=false\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = Run(Options{Root: root})
	if got := findingKeys(r.Findings); len(got) != 0 {
		t.Errorf("findings = %v", got)
	}
	var errs []string
	for _, e := range r.Errors {
		errs = append(errs, e.Error())
	}
	joined := strings.Join(errs, "\n")
	for _, want := range []string{"/nope.yaml: cannot read the kubelet configuration", "kubelet --authorization-mode not evaluated", "kubelet --read-only-port not evaluated"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "--anonymous-auth not evaluated") {
		t.Errorf("--anonymous-auth is set by flag, yet reported not evaluated:\n%s", joined)
	}
}

// TestDiscoverReal finds the harness's real etcd and kube-apiserver
// processes in this machine's /proc.
func TestDiscoverReal(t *testing.T) {
	c := cluster.Shared(t)
	pids := c.Pids()
	if len(pids) != 2 {
		t.Fatalf("harness pids = %v", pids)
	}
	r := Run(Options{Root: "/"})
	byPID := map[int]Component{}
	for _, comp := range r.Components {
		byPID[comp.PID] = comp
	}
	etcd, ok := byPID[pids[0]]
	if !ok || etcd.Name != Etcd {
		t.Fatalf("etcd pid %d not discovered as etcd: %+v", pids[0], etcd)
	}
	api, ok := byPID[pids[1]]
	if !ok || api.Name != APIServer {
		t.Fatalf("kube-apiserver pid %d not discovered: %+v", pids[1], api)
	}
	if v, _ := api.Value("authorization-mode"); v != "Node,RBAC" {
		t.Errorf("--authorization-mode = %q", v)
	}
	if v, _ := api.Value("etcd-servers"); !strings.HasPrefix(v, "http://127.0.0.1:") {
		t.Errorf("--etcd-servers = %q", v)
	}
	dataDir, _ := etcd.Value("data-dir")
	if !strings.HasPrefix(dataDir, c.Dir()) {
		t.Errorf("etcd --data-dir = %q, want under %s", dataDir, c.Dir())
	}
	// The files their flags name were checked (they exist on this machine).
	key, _ := api.Value("tls-private-key-file")
	checked := map[string]FileKind{}
	for _, f := range r.Files {
		checked[f.Path] = f.Kind
	}
	if k, ok := checked[key]; !ok || k != KindPrivateKey {
		t.Errorf("--tls-private-key-file %s not checked as a private key (%v)", key, checked)
	}
	if k, ok := checked[dataDir]; !ok || k != KindDataDir {
		t.Errorf("etcd --data-dir %s not checked", dataDir)
	}
	// The harness does not set --anonymous-auth: CIS 1.2.1 fails for it.
	found := false
	for _, f := range r.Findings {
		if f.Rule == RuleComponentFlag && f.Field == "--anonymous-auth" && f.Resource.Name == fmt.Sprintf("kube-apiserver (pid %d)", api.PID) {
			found = true
		}
	}
	if !found {
		t.Errorf("no --anonymous-auth finding for the harness's kube-apiserver")
	}
}
