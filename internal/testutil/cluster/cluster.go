package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Environment variables that steer the harness.
const (
	// EnvBinDir names the directory holding kube-apiserver and etcd.
	EnvBinDir = "KGUARD_TEST_BINDIR"
	// EnvRequire turns a skip for missing binaries into a failure.
	EnvRequire = "KGUARD_REQUIRE_CLUSTER"
)

// Options configure one cluster.
type Options struct {
	// AuditPolicy, when set, is written to a file and enables the audit
	// log (see AuditLogPath).
	AuditPolicy []byte
	// ExtraArgs are appended to the kube-apiserver command line.
	ExtraArgs []string
	// ControllerManager also runs the real kube-controller-manager with
	// the controllers listed in ControllerManagerControllers, each acting
	// as its own service account as kubeadm sets it up. Start returns once
	// the ClusterRole aggregation controller has filled admin.
	ControllerManager bool
}

// ControllerManagerControllers are the controllers the harness's
// kube-controller-manager runs: ClusterRole aggregation (admin, edit, view
// and any aggregated role get their rules) and ValidatingAdmissionPolicy
// status (type checking). Pods never run, so the workload controllers
// would only add noise.
var ControllerManagerControllers = []string{
	"clusterrole-aggregation-controller",
	"validatingadmissionpolicy-status-controller",
}

// Cluster is a running etcd and kube-apiserver (and, optionally,
// kube-controller-manager).
type Cluster struct {
	dir       string
	url       string
	pki       *pki
	auditLog  string
	procs     []*process
	adminOnce sync.Once
	admin     *kubernetes.Clientset
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

// BinDir returns the directory with the binaries, or "" with the reason.
func BinDir() (string, string) {
	if d := os.Getenv(EnvBinDir); d != "" {
		if haveBins(d) {
			return d, ""
		}
		return "", fmt.Sprintf("%s=%s has no kube-apiserver and etcd", EnvBinDir, d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", "no home directory to look for cached binaries"
	}
	root := filepath.Join(home, ".cache", "kguard", "bin")
	entries, _ := os.ReadDir(root)
	var dirs []string
	for _, e := range entries {
		if d := filepath.Join(root, e.Name()); e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") && haveBins(d) {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return "", "kube-apiserver and etcd are not built; run hack/cluster-bins.sh and export " + EnvBinDir + "=<the directory it prints>"
	}
	// Prefer a directory that also has kube-controller-manager (built by
	// the current hack/cluster-bins.sh).
	sort.SliceStable(dirs, func(i, j int) bool {
		return !haveFiles(dirs[i], "kube-controller-manager") && haveFiles(dirs[j], "kube-controller-manager")
	})
	return dirs[len(dirs)-1], ""
}

func haveBins(d string) bool { return haveFiles(d, "kube-apiserver", "etcd") }

func haveFiles(d string, names ...string) bool {
	for _, b := range names {
		if info, err := os.Stat(filepath.Join(d, b)); err != nil || info.IsDir() {
			return false
		}
	}
	return true
}

// skipOrFail is called when the harness cannot run.
func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("real API server required (%s=1) but unavailable: %s", EnvRequire, why)
	}
	t.Skipf("real API server unavailable: %s", why)
}

// Start runs a cluster for one test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin, why := BinDir()
	if bin == "" {
		skipOrFail(t, why)
	}
	if opts.ControllerManager && !haveFiles(bin, "kube-controller-manager") {
		skipOrFail(t, fmt.Sprintf("%s has no kube-controller-manager; run hack/cluster-bins.sh", bin))
	}
	c, err := start(bin, opts)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func start(bin string, opts Options) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "kguard-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	if c.pki, err = newPKI(dir); err != nil {
		return nil, c.fail(err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, c.fail(err)
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := c.run("etcd", filepath.Join(bin, "etcd"),
		"--name=default", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL, "--log-level=error",
		// Test data is throwaway: skipping fsync makes startup and writes fast.
		"--unsafe-no-fsync=true",
	); err != nil {
		return nil, c.fail(err)
	}
	c.url = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ports[2]),
		"--tls-cert-file=" + c.pki.serverCert, "--tls-private-key-file=" + c.pki.serverKey,
		"--client-ca-file=" + c.pki.caFile,
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + c.pki.saPub, "--service-account-signing-key-file=" + c.pki.saKey,
		"--service-cluster-ip-range=10.96.0.0/16", // room for the benchmark corpus's Services
		"--allow-privileged=true",
		// Loopback cannot be advertised as the kubernetes Service endpoint,
		// and no test needs that Service.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--v=0",
	}
	if opts.AuditPolicy != nil {
		pol := filepath.Join(dir, "audit-policy.yaml")
		if err := os.WriteFile(pol, opts.AuditPolicy, 0o600); err != nil {
			return nil, c.fail(err)
		}
		c.auditLog = filepath.Join(dir, "audit.log")
		args = append(args, "--audit-policy-file="+pol, "--audit-log-path="+c.auditLog, "--audit-log-format=json", "--audit-log-mode=blocking")
	}
	args = append(args, opts.ExtraArgs...)
	if err := c.run("kube-apiserver", filepath.Join(bin, "kube-apiserver"), args...); err != nil {
		return nil, c.fail(err)
	}
	if err := c.waitReady(90 * time.Second); err != nil {
		return nil, c.fail(err)
	}
	if opts.ControllerManager {
		if err := c.startControllerManager(bin); err != nil {
			return nil, c.fail(err)
		}
	}
	return c, nil
}

// startControllerManager runs kube-controller-manager against the API
// server: as system:kube-controller-manager (client certificate), each
// controller with its own service account's token
// (--use-service-account-credentials, which the bootstrap policy's
// system:controller:* bindings are for), no serving port and no leader
// election. It waits until the aggregation controller has written the
// rules of the built-in ClusterRole admin, the sign that it runs.
func (c *Cluster) startControllerManager(bin string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["harness"] = &clientcmdapi.Cluster{Server: c.url, CertificateAuthorityData: c.pki.caPEM}
	kc.AuthInfos["kcm"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.pki.kcmCertPEM, ClientKeyData: c.pki.kcmKey}
	kc.Contexts["harness"] = &clientcmdapi.Context{Cluster: "harness", AuthInfo: "kcm"}
	kc.CurrentContext = "harness"
	kubeconfig := filepath.Join(c.dir, "kube-controller-manager.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return err
	}
	if err := c.run("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(ControllerManagerControllers, ","),
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+c.pki.saKey,
		"--root-ca-file="+c.pki.caFile,
		"--secure-port=0",
		"--leader-elect=false",
		"--v=0",
	); err != nil {
		return err
	}
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if p := c.procs[len(c.procs)-1]; processDone(p) {
			return fmt.Errorf("kube-controller-manager exited during startup")
		}
		admin, err := c.Admin().RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
		if err == nil && len(admin.Rules) > 0 {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("kube-controller-manager: ClusterRole admin not aggregated within 90s")
}

func processDone(p *process) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// fail stops what was started and adds the processes' log tails to err.
func (c *Cluster) fail(err error) error {
	var logs []string
	for _, p := range c.procs {
		out := p.log.String()
		if len(out) > 4000 {
			out = out[len(out)-4000:]
		}
		logs = append(logs, fmt.Sprintf("--- %s log tail ---\n%s", p.name, out))
	}
	c.Stop()
	if len(logs) > 0 {
		return fmt.Errorf("%w\n%s", err, strings.Join(logs, "\n"))
	}
	return err
}

func (c *Cluster) run(name, path string, args ...string) error {
	cmd := exec.Command(path, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{buf: &log}, &syncWriter{buf: &log}
	// Own process group, so cleanup also reaches any children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: &log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

func (c *Cluster) waitReady(limit time.Duration) error {
	cfg := c.AdminConfig()
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited during startup", p.name)
			default:
			}
		}
		resp, err := client.Get(c.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready within %s", limit)
}

// Stop ends the processes (TERM, then KILL) and removes the directory.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	c.procs = nil
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// Pids returns the process IDs of etcd, kube-apiserver and, when started,
// kube-controller-manager.
func (c *Cluster) Pids() []int {
	var out []int
	for _, p := range c.procs {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

// URL is the API server's address.
func (c *Cluster) URL() string { return c.url }

// Dir is the cluster's scratch directory.
func (c *Cluster) Dir() string { return c.dir }

// CACert is the PEM of the CA that signed the serving certificate.
func (c *Cluster) CACert() []byte { return c.pki.caPEM }

// AuditLogPath is the audit log file, "" without an audit policy.
func (c *Cluster) AuditLogPath() string { return c.auditLog }

// AdminConfig is a client configuration in group system:masters.
func (c *Cluster) AdminConfig() *rest.Config {
	return &rest.Config{
		Host: c.url, QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.pki.caPEM, CertData: c.pki.adminCertPEM, KeyData: c.pki.adminKey},
	}
}

// Admin is a clientset for AdminConfig.
func (c *Cluster) Admin() *kubernetes.Clientset {
	c.adminOnce.Do(func() { c.admin = kubernetes.NewForConfigOrDie(c.AdminConfig()) })
	return c.admin
}

// ConfigFor acts as user with groups (by impersonation from the admin).
func (c *Cluster) ConfigFor(user string, groups ...string) *rest.Config {
	cfg := c.AdminConfig()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// EnsureServiceAccount creates a namespace and a service account in it
// if they do not exist.
func (c *Cluster) EnsureServiceAccount(ctx context.Context, namespace, name string) error {
	cs := c.Admin()
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	_, err = cs.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// ServiceAccountConfig returns a configuration that authenticates with a
// real token for the service account, minted by the TokenRequest API. The
// account must exist (see EnsureServiceAccount).
func (c *Cluster) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	exp := int64(3600)
	tr, err := c.Admin().CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{Host: c.url, BearerToken: tr.Status.Token, TLSClientConfig: rest.TLSClientConfig{CAData: c.pki.caPEM}}, nil
}

// WriteKubeconfig writes cfg as a kubeconfig file (for running the kguard
// binary out of process) and returns its path.
func (c *Cluster) WriteKubeconfig(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{
		Token: cfg.BearerToken, ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		Impersonate: cfg.Impersonate.UserName, ImpersonateGroups: cfg.Impersonate.Groups,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Keep memory bounded for chatty processes: the tail is what matters.
	if w.buf.Len() > 1<<20 {
		tail := append([]byte(nil), w.buf.Bytes()[w.buf.Len()-64<<10:]...)
		w.buf.Reset()
		w.buf.Write(tail)
	}
	return w.buf.Write(p)
}

var (
	sharedMu  sync.Mutex
	shared    *Cluster
	sharedErr error
	sharedWhy string
)

// Shared returns the package's shared cluster, starting it on first use.
// Use RunShared in TestMain so it is stopped at the end.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil && sharedWhy == "" {
		bin, why := BinDir()
		if bin == "" {
			sharedWhy = why
		} else {
			shared, sharedErr = start(bin, Options{})
		}
	}
	switch {
	case sharedWhy != "":
		skipOrFail(t, sharedWhy)
	case sharedErr != nil:
		t.Fatalf("start shared cluster: %v", sharedErr)
	}
	return shared
}

// RunShared runs the tests and stops the shared cluster afterwards.
func RunShared(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.Stop()
	}
	sharedMu.Unlock()
	return code
}
