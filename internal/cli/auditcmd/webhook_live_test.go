package auditcmd

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kguard/kguard/internal/testutil/cluster"
	"github.com/kguard/kguard/internal/testutil/testcerts"
)

// fakeKubelet answers the API server's exec upgrades the way a kubelet
// starts a stream (101 Switching Protocols) and then hangs up, so that an
// exec is allowed and audited without a container runtime. It serves
// over TLS with a certificate of ca for 127.0.0.1 and returns its port
// and the number of exec requests it got.
func fakeKubelet(t *testing.T, ca *testcerts.CA) (int32, *atomic.Int32) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{ca.Server(t, "127.0.0.1").TLS(t)}, NextProtos: []string{"http/1.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var execs atomic.Int32
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/exec/") {
			http.NotFound(w, r)
			return
		}
		execs.Add(1)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
			"X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
		buf.Flush()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return int32(ln.Addr().(*net.TCPAddr).Port), &execs
}

// execInto starts `kubectl exec` as cfg's user: a SPDY upgrade request to
// pods/exec over HTTP/1.1. It returns the status the API server answers.
func execInto(ctx context.Context, cfg *rest.Config, ns, pod string) (int, error) {
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return 0, err
	}
	// Upgrades need HTTP/1.1: an empty TLSNextProto turns HTTP/2 off.
	base := &http.Transport{TLSClientConfig: tlsCfg, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	defer base.CloseIdleConnections()
	rt, err := rest.HTTPWrappersForConfig(cfg, base)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		cfg.Host+"/api/v1/namespaces/"+ns+"/pods/"+pod+"/exec?command=id&container=c&stdout=true", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", "v4.channel.k8s.io")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestWatchWebhookLive runs `kguard audit watch --listen` with mutual TLS
// as a real API server's audit webhook backend, configured with the
// webhook configuration and audit policy of `kguard audit manifests
// --api-server-config`, and checks that a scripted attack raises the
// default rules' alerts with the right users.
func TestWatchWebhookLive(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "kguard audit webhook CA")
	// The serving certificate names the Service, as cert-manager's does;
	// the API server checks it through tls-server-name while connecting
	// to an address.
	const ns = "kguard-system"
	serverName := "kguard-audit." + ns + ".svc"
	cert, key := ca.Server(t, serverName).Write(t, dir, "serving")
	caFile := ca.WriteCA(t, dir, "ca")
	clientCert, clientKey := ca.Client(t, "kube-apiserver").Write(t, dir, "client")
	r := startWatch(t, "--listen", "127.0.0.1:0", "--tls-cert-file", cert, "--tls-private-key-file", key,
		"--client-ca-file", caFile, "--rate", "0")

	// The control-plane files, with the node paths replaced by this test's.
	kcData, policy := apiServerFiles(t, "--namespace", ns)
	kc, err := clientcmd.Load(kcData)
	if err != nil {
		t.Fatal(err)
	}
	cl := kc.Clusters[kc.Contexts[kc.CurrentContext].Cluster]
	if cl.TLSServerName != serverName {
		t.Fatalf("tls-server-name %q, want %q", cl.TLSServerName, serverName)
	}
	cl.Server = "https://" + r.addr + "/audit"
	cl.CertificateAuthority = caFile
	user := kc.AuthInfos[kc.Contexts[kc.CurrentContext].AuthInfo]
	user.ClientCertificate, user.ClientKey = clientCert, clientKey
	webhookConfig := filepath.Join(dir, "audit-webhook.yaml")
	if err := clientcmd.WriteToFile(*kc, webhookConfig); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policyFile, policy, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeletPort, execs := fakeKubelet(t, ca)

	// Only the webhook backend: Options.AuditPolicy would add the log.
	c := cluster.Start(t, cluster.Options{ExtraArgs: []string{
		"--audit-policy-file=" + policyFile,
		"--audit-webhook-config-file=" + webhookConfig,
		"--audit-webhook-mode=batch",
		"--audit-webhook-batch-max-wait=1s",
		"--kubelet-certificate-authority=" + caFile,
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := c.Admin()
	ssr, err := admin.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adminUser := ssr.Status.UserInfo.Username

	const attackNS, sa = "kguard-attack", "intruder"
	saUser := "system:serviceaccount:" + attackNS + ":" + sa
	if err := c.EnsureServiceAccount(ctx, attackNS, sa); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-broad"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	subj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: attackNS}}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-broad"}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "kguard-broad"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A node whose "kubelet" is fakeKubelet, and a pod on it.
	node, err := admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "kguard-node"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = kubeletPort
	if _, err := admin.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	no := false
	if _, err := admin.CoreV1().Pods(attackNS).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{NodeName: "kguard-node", ServiceAccountName: sa, AutomountServiceAccountToken: &no,
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, attackNS, sa)
	if err != nil {
		t.Fatal(err)
	}
	intruder := kubernetes.NewForConfigOrDie(cfg)

	// 1. The intruder lists the secrets of every namespace.
	if _, err := intruder.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("list secrets: %v", err)
	}
	// 2. It runs a command in the pod.
	if code, err := execInto(ctx, cfg, attackNS, "web"); err != nil || code != http.StatusSwitchingProtocols {
		t.Fatalf("exec: status %d, %v", code, err)
	}
	if execs.Load() == 0 {
		t.Fatal("the exec did not reach the kubelet")
	}
	// 3. An admin (or a stolen admin credential) makes it cluster-admin.
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-backdoor"}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Batches leave the API server every second; allow for retries.
	const limit = 30 * time.Second
	r.waitAlert(t, limit, "k8s-secrets-listed-cluster-wide", "user.name", saUser)
	r.waitAlert(t, limit, "k8s-pod-exec", "user.name", saUser, "kubernetes.namespace", attackNS,
		"orchestrator.resource.name", "web", "orchestrator.resource.type", "pods/exec")
	r.waitAlert(t, limit, "k8s-cluster-admin-binding", "user.name", adminUser, "orchestrator.resource.name", "kguard-backdoor")

	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.errOut.String())
	}
	// Every delivery was accepted: the backend logged no refusal or TLS
	// failure.
	for _, l := range strings.Split(r.errOut.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) {
			t.Errorf("backend log: %s", l)
		}
	}
	for id, as := range alertRules(t, r.out.String()) {
		for _, a := range as {
			t.Logf("%s: %v", id, a["message"])
		}
	}
	if i := strings.LastIndex(r.errOut.String(), "kguard audit watch:"); i >= 0 {
		t.Logf("%s", r.errOut.String()[i:])
	}
}
