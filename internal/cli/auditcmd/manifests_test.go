package auditcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kguard/kguard/internal/auditpolicy"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	scancmd "github.com/kguard/kguard/internal/cli/scan"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// manifests runs `kguard audit manifests` and decodes its output.
func manifests(t *testing.T, args ...string) (string, []*inventory.Object) {
	t.Helper()
	out, errOut, code := run(t, append([]string{"manifests"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs, errs := inventory.DecodeFile("manifests.yaml", []byte(out))
	if len(errs) > 0 {
		t.Fatalf("output does not decode: %v\n%s", errs, out)
	}
	return out, objs
}

func kinds(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind)
	}
	return out
}

func find[T any](t *testing.T, objs []*inventory.Object, kind string) T {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind {
			if v, ok := o.Typed.(T); ok {
				return v
			}
			t.Fatalf("%s decoded as %T", kind, o.Typed)
		}
	}
	t.Fatalf("no %s", kind)
	var zero T
	return zero
}

func TestManifests(t *testing.T) {
	_, objs := manifests(t)
	want := []string{"Namespace", "ServiceAccount", "ResourceQuota", "Deployment", "Service", "NetworkPolicy",
		"Issuer", "Certificate", "Issuer", "Certificate", "Certificate"}
	if got := kinds(objs); !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Namespace != "kguard-system" {
			t.Errorf("%s %s in namespace %q", o.Kind, o.Name, o.Namespace)
		}
	}
	sa := find[*corev1.ServiceAccount](t, objs, "ServiceAccount")
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("the service account mounts a token")
	}
	d := find[*appsv1.Deployment](t, objs, "Deployment")
	ps := d.Spec.Template.Spec
	c := ps.Containers[0]
	switch {
	case *d.Spec.Replicas != 1:
		t.Errorf("replicas %d", *d.Spec.Replicas)
	case ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken:
		t.Error("the pod mounts a token")
	case ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot:
		t.Error("may run as root")
	case ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("no RuntimeDefault seccomp profile")
	case c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem:
		t.Error("writable root filesystem")
	case c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation:
		t.Error("privilege escalation allowed")
	case !slices.Equal(c.SecurityContext.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Errorf("capabilities dropped: %v", c.SecurityContext.Capabilities.Drop)
	case c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero():
		t.Errorf("resources %v", c.Resources)
	case c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		c.LivenessProbe.HTTPGet.Scheme != corev1.URISchemeHTTPS:
		t.Errorf("probes %v %v", c.LivenessProbe, c.ReadinessProbe)
	case c.Image == "" || strings.Contains(c.Image, "<"):
		t.Errorf("image %q", c.Image)
	}
	if !slices.Contains(c.Args, "--client-ca-file=/tls/ca.crt") {
		t.Errorf("client certificates not required: %v", c.Args)
	}

	// The container's command line is one `kguard audit watch` accepts:
	// here it stops at the serving certificate, which only the pod has.
	_, errOut, code := run(t, c.Args[1:]...)
	if code == 0 || !strings.Contains(errOut, "--tls-cert-file: open /tls/tls.crt") {
		t.Errorf("kguard %v: exit %d, %s", c.Args, code, errOut)
	}

	np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy")
	var ports []int32
	for _, r := range np.Spec.Ingress {
		if len(r.From) > 0 {
			t.Errorf("ingress rule with sources %v", r.From)
		}
		for _, p := range r.Ports {
			ports = append(ports, p.Port.IntVal)
		}
	}
	if !slices.Equal(ports, []int32{8443, 9090}) || len(np.Spec.Egress) != 0 || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("network policy: ingress ports %v, egress %v, types %v", ports, np.Spec.Egress, np.Spec.PolicyTypes)
	}

	// Options.
	_, objs = manifests(t, "--namespace", "sec", "--replicas", "2", "--image", "example.com/kguard@sha256:"+strings.Repeat("ab", 32),
		"--service-ip", "10.96.0.50", "--client-auth=false")
	if got := kinds(objs); !slices.Contains(got, "PodDisruptionBudget") || len(got) != len(want) {
		t.Errorf("kinds with 2 replicas and no client auth: %v", got)
	}
	d = find[*appsv1.Deployment](t, objs, "Deployment")
	if d.Namespace != "sec" || *d.Spec.Replicas != 2 || slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Args, func(a string) bool {
		return strings.HasPrefix(a, "--client-ca-file")
	}) {
		t.Errorf("deployment %s/%s, replicas %d, args %v", d.Namespace, d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Args)
	}
	if svc := find[*corev1.Service](t, objs, "Service"); svc.Spec.ClusterIP != "10.96.0.50" {
		t.Errorf("service IP %q", svc.Spec.ClusterIP)
	}
	for _, o := range objs {
		if o.Kind == "Certificate" && o.Name == "kguard-audit" {
			u, _ := o.Unstructured()
			ips := stringsAt(u.Object, "spec", "ipAddresses")
			if !slices.Equal(ips, []string{"10.96.0.50"}) {
				t.Errorf("serving certificate IPs %v", ips)
			}
		}
	}

	for _, c := range []struct{ args []string }{
		{[]string{"--namespace", "Not_A_Name"}},
		{[]string{"--replicas", "0"}},
		{[]string{"--service-ip", "nope"}},
		{[]string{"--image", ""}},
		{[]string{"--api-server-config", "--node-dir", "relative"}},
	} {
		if _, errOut, code := run(t, append([]string{"manifests"}, c.args...)...); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, %s", c.args, code, errOut)
		}
	}
}

// stringsAt returns the string list at the path of fields in obj.
func stringsAt(obj map[string]any, fields ...string) []string {
	var cur any = obj
	for _, f := range fields {
		m, _ := cur.(map[string]any)
		cur = m[f]
	}
	list, _ := cur.([]any)
	var out []string
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// apiServerFiles returns the two documents of --api-server-config: the
// webhook kubeconfig and the audit policy.
func apiServerFiles(t *testing.T, args ...string) (kubeconfig, policy []byte) {
	t.Helper()
	out, errOut, code := run(t, append([]string{"manifests", "--api-server-config"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2:\n%s", len(docs), out)
	}
	return []byte(docs[0]), []byte(docs[1])
}

func TestManifestsAPIServerConfig(t *testing.T) {
	kc, pol := apiServerFiles(t, "--service-ip", "10.96.0.50", "--namespace", "sec")
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		t.Fatalf("webhook configuration: %v\n%s", err, kc)
	}
	cl := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
	user := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
	if cl.Server != "https://10.96.0.50:443/audit" || cl.TLSServerName != "kguard-audit.sec.svc" ||
		cl.CertificateAuthority != "/etc/kubernetes/kguard/ca.crt" ||
		user.ClientCertificate != "/etc/kubernetes/kguard/client.crt" || user.ClientKey != "/etc/kubernetes/kguard/client.key" {
		t.Errorf("cluster %+v, user %+v", cl, user)
	}
	for _, want := range []string{"--audit-webhook-config-file=/etc/kubernetes/kguard/audit-webhook.yaml", "--audit-webhook-mode=batch",
		"kubectl -n sec get secret kguard-audit-apiserver-client"} {
		if !strings.Contains(string(kc), want) {
			t.Errorf("instructions lack %q", want)
		}
	}

	// The recommended policy records every sensitive operation and no
	// Secret values.
	p, err := auditpolicy.Parse(pol)
	if err != nil {
		t.Fatalf("policy: %v\n%s", err, pol)
	}
	ex := explain(p)
	for _, r := range append(ex.Operations, ex.Unmatched...) {
		if (r.Sensitive && !r.Recorded) || r.LogsSecrets {
			t.Errorf("%s: level %s, recorded %v, logs secrets %v", r.Operation, r.Level, r.Recorded, r.LogsSecrets)
		}
		if r.Operation == "create clusterrolebindings.rbac.authorization.k8s.io" && r.Level != auditpolicy.LevelRequest {
			t.Errorf("bindings at %s: the rules need the roleRef", r.Level)
		}
	}

	// Without --service-ip the Service name is used, with a warning, and
	// without client authentication there is no client certificate.
	kc, _ = apiServerFiles(t, "--client-auth=false", "--node-dir", "/srv/kguard")
	cfg, err = clientcmd.Load(kc)
	if err != nil {
		t.Fatal(err)
	}
	cl, user = cfg.Clusters["kguard-audit"], cfg.AuthInfos["kube-apiserver"]
	if cl.Server != "https://kguard-audit.kguard-system.svc:443/audit" || user.ClientCertificate != "" ||
		cl.CertificateAuthority != "/srv/kguard/ca.crt" || !strings.Contains(string(kc), "replace the host") {
		t.Errorf("cluster %+v, user %+v", cl, user)
	}
}

type scanReport struct {
	Findings []struct {
		Rule, Severity, Message string
		Resource                inventory.Ref
	}
	Summary struct {
		Objects, Rules, NotEvaluated, InputErrors int
	}
}

// scanAll scans file with every rule, those off by default included.
func scanAll(t *testing.T, file string) scanReport {
	t.Helper()
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
	var out, errOut bytes.Buffer
	err = scancmd.Run(context.Background(), &scancmd.Options{
		Input:    cmdutil.Input{Args: []string{file}, Streams: &cmdutil.Streams{Out: &out, ErrOut: &errOut}},
		Registry: all.Registry, Report: cmdutil.Report{Output: "json", FailOn: "none"}, Enable: enable,
	})
	if err != nil {
		t.Fatalf("scan %s: %v\n%s", file, err, errOut.String())
	}
	var rep scanReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	return rep
}

// TestManifestsPassOwnScan: what kguard prints for the cluster and for
// the control-plane nodes has no high or critical finding of kguard's
// own rules, all of them enabled.
func TestManifestsPassOwnScan(t *testing.T) {
	dir := t.TempDir()
	objects, _ := manifests(t, "--replicas", "2", "--service-ip", "10.96.0.50")
	_, pol := apiServerFiles(t)
	for _, c := range []struct {
		name, data string
		objects    int
	}{{"manifests.yaml", objects, 12}, {"audit-policy.yaml", string(pol), 1}} {
		name := c.name
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		rep := scanAll(t, path)
		if s := rep.Summary; s.Objects != c.objects || s.NotEvaluated != 0 || s.InputErrors != 0 {
			t.Errorf("%s: summary %+v, want %d objects all evaluated", name, s, c.objects)
		}
		for _, f := range rep.Findings {
			if f.Severity == "high" || f.Severity == "critical" {
				t.Errorf("%s: %s %s on %s %s: %s", name, f.Severity, f.Rule, f.Resource.Kind, f.Resource.Name, f.Message)
			} else {
				t.Logf("%s: %s %s on %s %s", name, f.Severity, f.Rule, f.Resource.Kind, f.Resource.Name)
			}
		}
	}
}

// TestManifestsInCluster creates the objects in a real API server: they
// are valid, and the pod template meets the namespace's Pod Security
// level "restricted" (the server warns otherwise). cert-manager is not
// installed there, so its Issuers and Certificates are skipped.
func TestManifestsInCluster(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	_, objs := manifests(t, "--replicas", "2", "--service-ip", "10.96.0.50")
	cfg := c.AdminConfig()
	warn := &cluster.Warnings{}
	cfg.WarningHandler = warn
	ap, err := cluster.NewApplier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	applied, skipped, err := ap.Apply(context.Background(), objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range skipped {
		if o.Group() != "cert-manager.io" {
			t.Errorf("%s %s was not created: its kind is not served", o.Kind, o.Name)
		}
	}
	if len(applied)+len(skipped) != len(objs) || len(skipped) != 5 {
		t.Errorf("applied %v, skipped %v", kinds(applied), kinds(skipped))
	}
	for _, m := range warn.Take() {
		t.Errorf("API server warning: %s", m)
	}
	// The check can fail: a privileged template in the namespace warns.
	priv, _ := inventory.DecodeFile("priv.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: priv, namespace: kguard-system}
spec:
  selector: {matchLabels: {app: priv}}
  template:
    metadata: {labels: {app: priv}}
    spec:
      containers: [{name: c, image: busybox, securityContext: {privileged: true}}]
`))
	if _, _, err := ap.Apply(context.Background(), priv); err != nil {
		t.Fatal(err)
	}
	if len(warn.Take()) == 0 {
		t.Error("no Pod Security warning for a privileged Deployment: the check above proves nothing")
	}
	svc, err := c.Admin().CoreV1().Services("kguard-system").Get(context.Background(), "kguard-audit", metav1.GetOptions{})
	if err != nil || svc.Spec.ClusterIP != "10.96.0.50" {
		t.Errorf("service: %v %v", svc.Spec.ClusterIP, err)
	}
}
