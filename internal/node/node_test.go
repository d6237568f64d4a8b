package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/node/nodetest"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
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
	h := Discover(Options{Root: root})
	var got []string
	for _, c := range h.Components {
		got = append(got, fmt.Sprintf("%s/%d", c.Name, c.PID))
	}
	if want := []string{"etcd/600", "kube-apiserver/100", "kube-scheduler/300", "kubelet/200"}; !slices.Equal(got, want) {
		t.Fatalf("components = %v, want %v", got, want)
	}
	if v, _ := h.Components[1].Value("authorization-mode"); v != "Node,RBAC" {
		t.Errorf("authorization-mode = %q", v)
	}
	if v, _ := h.Components[2].Value("kubeconfig"); v != "/etc/kubernetes/scheduler.conf" {
		t.Errorf("scheduler kubeconfig = %q (flags after the hyperkube sub-command)", v)
	}
	if v, ok := h.Components[0].Setting("client-cert-auth"); v != "true" || !ok {
		t.Errorf("etcd client-cert-auth from ETCD_CLIENT_CERT_AUTH = %q", v)
	}
	if _, ok := h.Components[0].Env["PATH"]; ok {
		t.Error("an environment variable etcd does not read was kept")
	}

	objs := map[string]*inventory.Object{}
	for _, o := range h.Objects {
		objs[o.Kind+" "+o.Name] = o
	}
	for _, name := range []string{"NodeProcess etcd", "NodeProcess kube-apiserver", "NodeProcess kube-scheduler", "NodeProcess kubelet", "KubeletConfiguration kubelet"} {
		if objs[name] == nil {
			t.Errorf("no object %s", name)
		}
	}
	if src := objs["NodeProcess kubelet"].Source.File; src != "/proc/200/cmdline" {
		t.Errorf("process source %q, want the host's path", src)
	}
	cfg := objs["KubeletConfiguration kubelet"]
	if cfg.Annotation(controlplane.AnnotationPath) != "/var/lib/kubelet/config.yaml" || cfg.Source.File != "/var/lib/kubelet/config.yaml" {
		t.Errorf("kubelet config: annotation %q, source %q", cfg.Annotation(controlplane.AnnotationPath), cfg.Source.File)
	}
	for path, want := range map[string]struct {
		typ     controlplane.FileType
		roles   []string
		namedBy []string
		user    string
	}{
		"/etc/kubernetes/kubelet.conf":                          {controlplane.FileKubeconfig, []string{"kubelet-kubeconfig"}, []string{"kubelet --kubeconfig", "well-known path"}, "root"},
		"/etc/kubernetes/pki/ca.crt":                            {controlplane.FileCertificate, []string{"pki"}, []string{"kube-apiserver --client-ca-file", "well-known path"}, "root"},
		"/etc/kubernetes/pki/sa.pub":                            {controlplane.FileCertificate, []string{"pki"}, []string{"kube-apiserver --service-account-key-file", "well-known path"}, "root"},
		"/etc/kubernetes/pki/etcd/server.key":                   {controlplane.FilePrivateKey, []string{"pki"}, []string{"etcd --key-file", "well-known path"}, "root"},
		"/etc/kubernetes/pki":                                   {controlplane.FileDirectory, []string{"pki"}, []string{"well-known path"}, "root"},
		"/var/lib/etcd":                                         {controlplane.FileEtcdDataDir, []string{"etcd-data-dir"}, []string{"etcd --data-dir", "well-known path"}, "root"},
		"/etc/kubernetes/manifests/etcd.yaml":                   {controlplane.FileStaticPodManifest, []string{"etcd-manifest"}, []string{"well-known path"}, "root"},
		"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": {controlplane.FileServiceUnit, []string{"kubelet-service"}, []string{"well-known path"}, "root"},
	} {
		o := objs["NodeFile "+path]
		if o == nil {
			t.Errorf("no NodeFile %s", path)
			continue
		}
		f, ok := controlplane.ParseNodeFile(o)
		if !ok || f.Spec.Type != want.typ || !slices.Equal(f.Spec.Roles, want.roles) || !slices.Equal(f.Spec.NamedBy, want.namedBy) {
			t.Errorf("%s: %+v", path, f)
		}
		if os.Getuid() == 0 && f.Status.User != want.user {
			t.Errorf("%s: owner named %q, want %q (from the node's /etc/passwd)", path, f.Status.User, want.user)
		}
	}
	// The scheduler's kubeconfig is missing: one error naming it.
	if len(h.Errors) != 1 || h.Errors[0].Path != filepath.Join(root, "etc/kubernetes/scheduler.conf") ||
		!strings.Contains(h.Errors[0].Error(), "kube-scheduler --kubeconfig") || !strings.Contains(h.Errors[0].Error(), "no such file") {
		t.Errorf("errors = %v", h.Errors)
	}
}

// TestInventoryRoundTrip: what WriteInventory writes decodes, through the
// loader `kguard scan` uses, into the objects the rules judged; and no
// credential of a command line or environment is in it.
func TestInventoryRoundTrip(t *testing.T) {
	h := Discover(Options{Root: nodetest.Root(t, true)})
	var b bytes.Buffer
	if err := h.WriteInventory(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cr3t") {
		t.Fatalf("the inventory carries a credential:\n%s", b.String())
	}
	back, errs := inventory.DecodeFile("node.yaml", b.Bytes())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(back) != len(h.Objects) || len(back) < 20 {
		t.Fatalf("%d objects written, %d read back", len(h.Objects), len(back))
	}
	for i, o := range h.Objects {
		a, _ := json.Marshal(o.Typed)
		c, _ := json.Marshal(back[i].Typed)
		if !bytes.Equal(a, c) || o.Ref != back[i].Ref {
			t.Errorf("object %d differs after the round trip:\n%s\n%s", i, a, c)
		}
	}
}

// fakeFindings are the fake node's findings as rule|severity|resource|field|cis,
// worked out by hand from nodetest's files and command lines.
func fakeFindings(h *Host) []string {
	want := []string{
		// kube-apiserver: --etcd-servers https, Node,RBAC, serving TLS and a
		// client CA, --etcd-keyfile without --etcd-certfile, sa.pub only.
		"apiserver-admission-plugins|high|NodeProcess kube-apiserver|spec.command|1.2.14",
		"apiserver-anonymous-auth|medium|NodeProcess kube-apiserver|spec.command|1.2.1",
		"apiserver-audit-log-missing|high|NodeProcess kube-apiserver|spec.command|1.2.16",
		"apiserver-audit-log-missing|high|NodeProcess kube-apiserver|spec.command|3.2.1",
		"apiserver-encryption-missing|high|NodeProcess kube-apiserver|spec.command|1.2.27",
		"apiserver-etcd-tls|high|NodeProcess kube-apiserver|spec.command|1.2.23",
		"apiserver-etcd-tls|high|NodeProcess kube-apiserver|spec.command|1.2.26",
		"apiserver-kubelet-tls|medium|NodeProcess kube-apiserver|spec.command|1.2.4",
		"apiserver-kubelet-tls|medium|NodeProcess kube-apiserver|spec.command|1.2.5",
		"apiserver-profiling|low|NodeProcess kube-apiserver|spec.command|1.2.15",
		"apiserver-service-account-flags|low|NodeProcess kube-apiserver|spec.command|1.2.30",
		"apiserver-service-account-flags|medium|NodeProcess kube-apiserver|spec.command|",
		// kube-scheduler: no flags but --kubeconfig.
		"apiserver-profiling|low|NodeProcess kube-scheduler|spec.command|1.4.1",
		"component-bind-all-interfaces|medium|NodeProcess kube-scheduler|spec.command|1.4.2",
		// etcd: client TLS from the environment, no peer certificates, peer auto TLS.
		"etcd-tls|high|NodeProcess etcd|spec.command|2.4",
		"etcd-tls|high|NodeProcess etcd|spec.command|2.6",
		// kubelet: --read-only-port=10255 over a file that enables anonymous
		// requests and leaves the client CA, kernel defaults and rotation unset.
		"kubelet-config-insecure|medium|NodeProcess kubelet|spec.command|4.2.4",
		"kubelet-config-insecure|high|KubeletConfiguration kubelet|authentication.anonymous.enabled|4.2.1",
		"kubelet-config-insecure|medium|KubeletConfiguration kubelet|authentication.x509.clientCAFile|4.2.3",
		"kubelet-config-insecure|low|KubeletConfiguration kubelet|protectKernelDefaults|",
		"kubelet-config-insecure|medium|KubeletConfiguration kubelet|rotateCertificates|4.2.10",
		// Files with modes wider than their type allows.
		"node-file-permissions|high|NodeFile /etc/kubernetes/admin.conf|status.mode|1.1.13",
		"node-file-permissions|medium|NodeFile /etc/kubernetes/manifests/etcd.yaml|status.mode|1.1.7",
		"node-file-permissions|high|NodeFile /etc/kubernetes/pki/apiserver-etcd-client.key|status.mode|1.1.21",
		"node-file-permissions|low|NodeFile /etc/kubernetes/pki/ca.crt|status.mode|1.1.20",
		"node-file-permissions|high|NodeFile /etc/kubernetes/pki/sa.key|status.mode|1.1.21",
		"node-file-permissions|low|NodeFile /etc/systemd/system/kubelet.service.d/10-kubeadm.conf|status.mode|4.1.1",
		"node-file-permissions|medium|NodeFile /var/lib/etcd|status.mode|1.1.11",
		"node-file-permissions|medium|NodeFile /var/lib/kubelet/config.yaml|status.mode|4.1.9",
	}
	if os.Getuid() == 0 {
		// Only the file the fixture chowns.
		want = append(want, "node-file-owner|medium|NodeFile /etc/kubernetes/admin.conf|status.uid|1.1.14")
	} else {
		// Every file the test created is owned by the test's uid.
		for _, f := range h.Files {
			want = append(want, "node-file-owner|medium|NodeFile "+f.Path+"|status.uid|*")
		}
	}
	slices.Sort(want)
	return want
}

// findingKeys renders findings like fakeFindings; wildcard drops the CIS
// part (the owner checks of a non-root run).
func findingKeys(fs []finding.Finding, wildcardOwner bool) []string {
	var out []string
	for _, f := range fs {
		cis := strings.Join(f.CIS, ",")
		if wildcardOwner && f.Rule == "node-file-owner" {
			cis = "*"
		}
		out = append(out, strings.Join([]string{f.Rule, f.Severity.String(), f.Resource.String(), f.Field, cis}, "|"))
	}
	slices.Sort(out)
	return out
}

func scanHost(t *testing.T, h *Host) *scan.Result {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), h.Inventory(), scan.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("not evaluated: %s: %s", ne.Subject, ne.Reason)
	}
	return res
}

func TestFindingsFake(t *testing.T) {
	h := Discover(Options{Root: nodetest.Root(t, true)})
	res := scanHost(t, h)
	if got, want := findingKeys(res.Findings, os.Getuid() != 0), fakeFindings(h); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	messages := map[string]string{}
	for _, f := range res.Findings {
		messages[f.Resource.Name+" "+f.Field+" "+strings.Join(f.CIS, ",")] = f.Message
	}
	for key, want := range map[string]string{
		"/etc/kubernetes/pki/apiserver-etcd-client.key status.mode 1.1.21": "private key /etc/kubernetes/pki/apiserver-etcd-client.key has mode 0644; want 0600 or stricter (group and others may read)",
		"/var/lib/etcd status.mode 1.1.11":                                 "etcd data directory /var/lib/etcd has mode 0755; want 0700 or stricter (group and others may read and execute)",
		"kubelet authentication.anonymous.enabled 4.2.1":                   "the kubelet API serves anonymous requests (authentication.anonymous.enabled: true in /var/lib/kubelet/config.yaml)",
		"kubelet spec.command 4.2.4":                                       "the kubelet serves an unauthenticated read-only API (--read-only-port=10255)",
		"etcd spec.command 2.6":                                            "etcd uses self-signed peer certificates (--peer-auto-tls=true)",
	} {
		if messages[key] != want {
			t.Errorf("message for %s:\n got %q\nwant %q", key, messages[key], want)
		}
	}
	if os.Getuid() == 0 {
		want := fmt.Sprintf("kubeconfig /etc/kubernetes/admin.conf is owned by %d:root; want root:root", nodetest.ForeignUID)
		if got := messages["/etc/kubernetes/admin.conf status.uid 1.1.14"]; got != want {
			t.Errorf("owner message %q, want %q", got, want)
		}
	}
}

func TestWithoutProc(t *testing.T) {
	root := nodetest.Root(t, false)
	h := Discover(Options{Root: root})
	if len(h.Components) != 0 {
		t.Errorf("components: %v", h.Components)
	}
	if len(h.Errors) != 1 || h.Errors[0].Path != filepath.Join(root, "proc") || !strings.Contains(h.Errors[0].Error(), "cannot list processes") {
		t.Errorf("errors = %v", h.Errors)
	}
	// The well-known files are still checked.
	got := findingKeys(scanHost(t, h).Findings, false)
	if !slices.Contains(got, "node-file-permissions|high|NodeFile /etc/kubernetes/admin.conf|status.mode|1.1.13") ||
		!slices.Contains(got, "node-file-permissions|medium|NodeFile /var/lib/kubelet/config.yaml|status.mode|4.1.9") {
		t.Errorf("findings without /proc: %v", got)
	}
	for _, k := range got {
		if strings.Contains(k, "NodeProcess") {
			t.Errorf("process finding without a process: %s", k)
		}
	}
}

func writeProc(t *testing.T, root, pid string, argv ...string) {
	t.Helper()
	dir := filepath.Join(root, "proc", pid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(argv, "\x00")+"\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKubeletDefaults(t *testing.T) {
	root := t.TempDir()
	// No --config: the flag defaults apply (anonymous on, AlwaysAllow, 10255).
	writeProc(t, root, "7", "kubelet", "--v=2")
	h := Discover(Options{Root: root})
	got := findingKeys(scanHost(t, h).Findings, false)
	want := []string{
		"kubelet-config-insecure|critical|NodeProcess kubelet|spec.command|4.2.2",
		"kubelet-config-insecure|high|NodeProcess kubelet|spec.command|4.2.1",
		"kubelet-config-insecure|low|NodeProcess kubelet|spec.command|",
		"kubelet-config-insecure|medium|NodeProcess kubelet|spec.command|4.2.10",
		"kubelet-config-insecure|medium|NodeProcess kubelet|spec.command|4.2.3",
		"kubelet-config-insecure|medium|NodeProcess kubelet|spec.command|4.2.4",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}

	// An unreadable --config: only what the flags set is judged, and the
	// file is named as not checked.
	writeProc(t, root, "7", "kubelet", "--config=/nope.yaml", "--anonymous-auth=false")
	h = Discover(Options{Root: root})
	if got := findingKeys(scanHost(t, h).Findings, false); len(got) != 0 {
		t.Errorf("findings = %v", got)
	}
	var errs []string
	for _, e := range h.Errors {
		errs = append(errs, e.Error())
	}
	if joined := strings.Join(errs, "\n"); !strings.Contains(joined, "/nope.yaml: cannot read the KubeletConfiguration (kubelet --config)") {
		t.Errorf("errors lack the unreadable config:\n%s", joined)
	}

	// A --config that is not a KubeletConfiguration.
	if err := os.WriteFile(filepath.Join(root, "wrong.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeProc(t, root, "7", "kubelet", "--config=/wrong.yaml")
	h = Discover(Options{Root: root})
	if len(h.Errors) != 1 || !strings.Contains(h.Errors[0].Error(), `it is ConfigMap "v1", want a KubeletConfiguration of kubelet.config.k8s.io`) {
		t.Errorf("errors = %v", h.Errors)
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
	h := Discover(Options{Root: "/", PIDs: pids})
	byPID := map[int]Component{}
	for _, comp := range h.Components {
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
	if v, _ := api.Value("etcd-servers"); !strings.HasPrefix(v, "http://127.0.0.1:") {
		t.Errorf("--etcd-servers = %q", v)
	}
	dataDir, _ := etcd.Value("data-dir")
	if !strings.HasPrefix(dataDir, c.Dir()) {
		t.Errorf("etcd --data-dir = %q, want under %s", dataDir, c.Dir())
	}
	// The files their flags name were described (they exist on this machine).
	key, _ := api.Value("tls-private-key-file")
	described := map[string]controlplane.FileType{}
	for _, f := range h.Files {
		described[f.Path] = f.Type
	}
	if described[key] != controlplane.FilePrivateKey {
		t.Errorf("--tls-private-key-file %s not described as a private key (%v)", key, described)
	}
	if described[dataDir] != controlplane.FileEtcdDataDir {
		t.Errorf("etcd --data-dir %s not described", dataDir)
	}
	// The harness does not set --anonymous-auth: apiserver-anonymous-auth
	// reports it on the process.
	found := false
	for _, f := range scanHost(t, h).Findings {
		found = found || (f.Rule == "apiserver-anonymous-auth" && f.Resource.Kind == "NodeProcess" && f.Resource.Name == APIServer)
	}
	if !found {
		t.Errorf("no apiserver-anonymous-auth finding for the harness's kube-apiserver")
	}
}
