package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/images"
)

// privileged is a high-severity stand-in rule so these tests do not depend
// on any family's rule set.
var privileged = &rules.Rule{
	ID: "test-privileged", Category: finding.CategoryPodSecurity, Severity: finding.SeverityHigh,
	Title: "privileged", Rationale: "r", Remediation: "Set privileged: false.",
	References: finding.References{PSS: "baseline: Privileged Containers"},
	CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
		for _, c := range w.Containers() {
			if sc := c.Container.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				p.Reportf(w.Object, c.Path+".securityContext.privileged", "container %q is privileged", c.Container.Name)
			}
		}
	},
}

// testRegistry holds a privileged-container rule and image-latest-tag: a
// medium rule and a high one, so the tests below state exact warnings.
func testRegistry(t testing.TB) *rules.Registry {
	var latest []*rules.Rule
	for _, r := range images.Rules() {
		if r.ID == "image-latest-tag" {
			latest = append(latest, r)
		}
	}
	reg, err := rules.NewRegistry([]*rules.Rule{privileged}, latest)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestDecide(t *testing.T) {
	f := func(rule string, sev finding.Severity) finding.Finding {
		return finding.Finding{Rule: rule, Severity: sev}
	}
	all := []finding.Finding{
		f("crit", finding.SeverityCritical), f("high", finding.SeverityHigh), f("pss-restricted-x", finding.SeverityHigh),
		f("med", finding.SeverityMedium), f("low", finding.SeverityLow),
	}
	policy := &Policy{Rules: map[string]Action{"low": ActionDeny, "crit": ActionAudit}}
	tests := []struct {
		mode              Mode
		policy            *Policy
		deny, warn, audit string
	}{
		{ModeRestricted, nil, "crit high pss-restricted-x med", "low", ""},
		{ModeBaseline, nil, "crit high", "pss-restricted-x med low", ""},
		{ModeAudit, nil, "", "crit high pss-restricted-x med low", ""},
		{ModeOff, nil, "", "", "crit high pss-restricted-x med low"},
		{ModeBaseline, policy, "high low", "pss-restricted-x med", "crit"},
		// In audit mode a policy cannot make anything deny.
		{ModeAudit, policy, "", "high pss-restricted-x med low", "crit"},
	}
	for _, tt := range tests {
		v := Decide(all, tt.mode, tt.policy)
		join := func(fs []finding.Finding) string { return strings.Join(ruleIDs(fs), " ") }
		if join(v.Denied) != tt.deny || join(v.Warnings) != tt.warn || join(v.Audited) != tt.audit {
			t.Errorf("%s policy=%v: deny=%q warn=%q audit=%q", tt.mode, tt.policy != nil, join(v.Denied), join(v.Warnings), join(v.Audited))
		}
	}
}

const deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
 "spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[
 {"name":"app","image":"%s","securityContext":{"privileged":%t}}]}}}}`

func review(uid, ns, obj string) []byte {
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: k8stypes.UID("uid-" + uid), Kind: metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			Namespace: ns, Name: "web", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: []byte(obj)},
		},
	}
	b, _ := json.Marshal(r)
	return b
}

// startServer runs the webhook on a loopback port with a self-signed
// certificate and returns its URL and a client trusting the CA.
func startServer(t *testing.T, h *Handler) (string, *http.Client, context.CancelFunc, chan error) {
	t.Helper()
	ss, err := NewSelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, ss.CertPEM, 0o600)
	os.WriteFile(keyFile, ss.KeyPEM, 0o600)
	rl, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{Handler: h, GetCertificate: rl.GetCertificate, ShutdownGrace: 2 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ss.CAPEM)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(func() { cancel(); <-done })
	return "https://" + ln.Addr().String(), client, cancel, done
}

func post(t *testing.T, c *http.Client, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestWebhookOverTLS(t *testing.T) {
	h := &Handler{
		Registry: testRegistry(t), Metrics: NewMetrics(), DefaultMode: ModeBaseline,
		Modes: StaticModes{"lab": ModeAudit, "strict": ModeRestricted, "ignored": ModeOff},
	}
	url, c, _, _ := startServer(t, h)
	tests := []struct {
		name, ns, image string
		privileged      bool
		allowed         bool
		message         []string
		warnings        int
	}{
		{"privileged is denied", "shop", "nginx:1.27", true, false, []string{"kguard denied Deployment shop/web", "[test-privileged, high]", `container "app" is privileged`, "fix: Set privileged: false."}, 0},
		{"hardened is allowed", "shop", "nginx:1.27", false, true, nil, 0},
		{"latest tag warns in baseline", "shop", "nginx:latest", false, true, nil, 1},
		{"latest tag denied in restricted", "strict", "nginx:latest", false, false, []string{"image-latest-tag"}, 0},
		{"audit namespace allows with warnings", "lab", "nginx", true, true, nil, 2},
		{"off namespace is not evaluated", "ignored", "nginx", true, true, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, c, url+"/validate", review(tt.name, tt.ns, fmt.Sprintf(deployment, tt.image, tt.privileged)))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			r := out.Response
			if r == nil || string(r.UID) != "uid-"+tt.name {
				t.Fatalf("response UID mismatch: %+v", r)
			}
			if r.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", r.Allowed, tt.allowed, r.Result)
			}
			for _, m := range tt.message {
				if r.Result == nil || !strings.Contains(r.Result.Message, m) {
					t.Errorf("message lacks %q: %+v", m, r.Result)
				}
			}
			if len(r.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", r.Warnings, tt.warnings)
			}
		})
	}
	resp, body := func() (*http.Response, []byte) {
		r, err := c.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r, b
	}()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`kguard_admission_decisions_total{decision="denied"} 2`)) ||
		!bytes.Contains(body, []byte(`kguard_admission_findings_total{action="deny",rule="test-privileged"} 1`)) {
		t.Errorf("metrics missing expected counters:\n%s", grep(body, "kguard_"))
	}
}

func grep(b []byte, s string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestBadRequests(t *testing.T) {
	h := &Handler{Registry: testRegistry(t), MaxBodyBytes: 64 << 10}
	url, c, _, _ := startServer(t, h)
	huge := bytes.Repeat([]byte("x"), 100<<10)
	tests := []struct {
		name string
		do   func() (*http.Response, error)
		code int
		msg  string
	}{
		{"get", func() (*http.Response, error) { return c.Get(url + "/validate") }, 405, "use POST"},
		{"malformed", func() (*http.Response, error) {
			return c.Post(url+"/validate", "application/json", strings.NewReader("{not json"))
		}, 400, "malformed AdmissionReview"},
		{"wrong kind", func() (*http.Response, error) {
			return c.Post(url+"/validate", "application/json", strings.NewReader(`{"apiVersion":"v1","kind":"Pod","request":{}}`))
		}, 400, "want an admission.k8s.io/v1 AdmissionReview"},
		{"no request", func() (*http.Response, error) {
			return c.Post(url+"/validate", "application/json", strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
		}, 400, "with a request"},
		{"huge", func() (*http.Response, error) {
			return c.Post(url+"/validate", "application/json", bytes.NewReader(huge))
		}, 413, "request body over"},
		{"wrong content type", func() (*http.Response, error) { return c.Post(url+"/validate", "text/plain", strings.NewReader("x")) }, 415, "application/json"},
	}
	for _, tt := range tests {
		resp, err := tt.do()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.msg) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.name, resp.StatusCode, b, tt.code, tt.msg)
		}
	}
	// A garbage object inside a valid review is denied (fail closed).
	resp, body := post(t, c, url+"/validate", review("garbage", "shop", `{"kind":"Deployment"}`))
	var out admissionv1.AdmissionReview
	json.Unmarshal(body, &out)
	if resp.StatusCode != 200 || out.Response == nil || out.Response.Allowed || !strings.Contains(out.Response.Result.Message, "could not evaluate") {
		t.Errorf("garbage object: %d %s", resp.StatusCode, body)
	}
	// The server still answers after all that.
	if r, err := c.Get(url + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz after bad requests: %v %v", r, err)
	}
}

// TestSlowClientIsCut: a client that sends headers and then stalls is
// disconnected by the server's timeouts instead of holding a connection.
func TestSlowClientIsCut(t *testing.T) {
	url, _, _, _ := startServer(t, &Handler{Registry: testRegistry(t)})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server kept a stalled client connection open for 30s")
	}
}

// Certificate rotation is tested with CertReloader in internal/tlsserve.

func TestGracefulShutdown(t *testing.T) {
	url, c, cancel, done := startServer(t, &Handler{Registry: testRegistry(t)})
	if r, err := c.Get(url + "/readyz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", r, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
		done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

// rollout is an Argo Rollout with the deployment constant's pod template.
const rollout = `{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"web"},
 "spec":{"selector":{"matchLabels":{"a":"b"}},"strategy":{"canary":{}},"template":%s}}`

const podTemplate = `{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[
 {"name":"app","image":"nginx:1.27","securityContext":{"privileged":%t}}]}}`

func reviewOf(uid, ns string, gvk metav1.GroupVersionKind, obj string) []byte {
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: k8stypes.UID("uid-" + uid), Kind: gvk,
			Namespace: ns, Name: "web", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: []byte(obj)},
		},
	}
	b, _ := json.Marshal(r)
	return b
}

// TestWebhookCustomResources: custom resources with pod templates are
// judged on them like Deployments, kinds added in the config too, and a
// template that does not decode is not approved.
func TestWebhookCustomResources(t *testing.T) {
	cfg, err := config.Parse([]byte("podTemplates:\n  - {group: example.com, kind: Widget, path: spec.pods}\n"))
	if err != nil {
		t.Fatal(err)
	}
	withConfig := &Handler{Registry: testRegistry(t), Config: cfg, DefaultMode: ModeBaseline, Modes: StaticModes{"lab": ModeAudit}}
	without := &Handler{Registry: testRegistry(t), DefaultMode: ModeBaseline}
	urlWith, cWith, _, _ := startServer(t, withConfig)
	urlWithout, cWithout, _, _ := startServer(t, without)
	client := map[string]*http.Client{urlWith: cWith, urlWithout: cWithout}
	rolloutGVK := metav1.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}
	widgetGVK := metav1.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	widget := `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"web"},"spec":{"pods":` + fmt.Sprintf(podTemplate, true) + `}}`
	tests := []struct {
		name, url, ns string
		gvk           metav1.GroupVersionKind
		obj           string
		allowed       bool
		message       []string
		warnings      int
	}{
		{"privileged Rollout is denied", urlWith, "shop", rolloutGVK, fmt.Sprintf(rollout, fmt.Sprintf(podTemplate, true)), false,
			[]string{"kguard denied Rollout shop/web", "[test-privileged, high]", `container "app" is privileged`}, 0},
		{"hardened Rollout is allowed", urlWith, "shop", rolloutGVK, fmt.Sprintf(rollout, fmt.Sprintf(podTemplate, false)), true, nil, 0},
		{"Rollout of a Deployment is allowed", urlWith, "shop", rolloutGVK,
			`{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"web"},"spec":{"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}}`, true, nil, 0},
		{"malformed Rollout template is denied", urlWith, "shop", rolloutGVK, fmt.Sprintf(rollout, `{"spec":{"containers":"app"}}`), false,
			[]string{"could not evaluate", "Rollout shop/web: spec.template is not a valid pod template", "spec.template.spec.containers"}, 0},
		{"malformed Rollout template warns in audit", urlWith, "lab", rolloutGVK, fmt.Sprintf(rollout, `{"spec":{"containers":"app"}}`), true, nil, 1},
		{"privileged Widget of the config is denied", urlWith, "shop", widgetGVK, widget, false, []string{"kguard denied Widget shop/web", `container "app" is privileged`}, 0},
		// The negative control: without the config entry, Widget is no workload.
		{"Widget unknown without the config", urlWithout, "shop", widgetGVK, widget, true, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, client[tt.url], tt.url+"/validate", reviewOf(tt.name, tt.ns, tt.gvk, tt.obj))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			r := out.Response
			if r.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", r.Allowed, tt.allowed, r.Result)
			}
			for _, m := range tt.message {
				if r.Result == nil || !strings.Contains(r.Result.Message, m) {
					t.Errorf("message lacks %q: %+v", m, r.Result)
				}
			}
			if len(r.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", r.Warnings, tt.warnings)
			}
		})
	}
}
