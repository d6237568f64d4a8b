package admit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/syncbuf"
)

func usageError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want a usage error with %q", err, want)
	}
}

func TestAdmitArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command {
		return newAdmitCmd(s, all.Registry, run)
	}
	defaults := func() *Options {
		return &Options{Streams: s, Listen: ":8443", DefaultMode: "baseline", Timeout: 5 * time.Second, MaxBodyBytes: admission.DefaultMaxBodyBytes}
	}
	tests := []struct {
		name string
		args []string
		want func(*Options)
		err  string
	}{
		{"defaults", nil, func(*Options) {}, ""},
		{"files", []string{"--tls-cert-file", "/tls/tls.crt", "--tls-key-file", "/tls/tls.key", "--listen", "127.0.0.1:9443",
			"--policy", "p.yaml", "--config", "k.yaml", "--default-mode", "restricted", "--timeout", "2s", "--max-body-bytes", "1024"},
			func(o *Options) {
				o.TLSCertFile, o.TLSKeyFile, o.Listen, o.PolicyFile, o.ConfigFile = "/tls/tls.crt", "/tls/tls.key", "127.0.0.1:9443", "p.yaml", "k.yaml"
				o.DefaultMode, o.Timeout, o.MaxBodyBytes = "restricted", 2*time.Second, 1024
			}, ""},
		{"self-signed and modes", []string{"--tls-self-signed", "localhost,127.0.0.1", "--namespace-mode", "dev=audit", "--namespace-mode", "prod=restricted,ci=off"},
			func(o *Options) {
				o.TLSSelfSigned = []string{"localhost", "127.0.0.1"}
				o.NamespaceMode = []string{"dev=audit", "prod=restricted", "ci=off"}
			}, ""},
		{"no arguments", []string{"serve"}, nil, `unknown command "serve" for "admit"`},
		{"bad duration", []string{"--timeout", "soon"}, nil, `invalid argument "soon" for "--timeout"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clitest.Parse(t, newCmd, tt.args...)
			if tt.err != "" {
				usageError(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults()
			tt.want(want)
			if d := clitest.Diff(want, got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
			if got.Registry == nil {
				t.Error("no registry")
			}
		})
	}
}

func TestManifestsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ManifestOptions) error) *cobra.Command { return newManifestsCmd(s, run) }
	got, err := clitest.Parse(t, newCmd)
	if err != nil {
		t.Fatal(err)
	}
	want := &ManifestOptions{Streams: s, Namespace: "kguard-system", Image: cmdutil.DefaultImage(), Replicas: 2, FailurePolicy: "Fail", Timeout: 5}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	got, err = clitest.Parse(t, newCmd, "--namespace", "security", "--image", "kguard@sha256:abc", "--replicas", "3", "--failure-policy", "Ignore", "--timeout-seconds", "10")
	if err != nil {
		t.Fatal(err)
	}
	want = &ManifestOptions{Streams: s, Namespace: "security", Image: "kguard@sha256:abc", Replicas: 3, FailurePolicy: "Ignore", Timeout: 10}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}
	_, err = clitest.Parse(t, newCmd, "--replicas", "two")
	usageError(t, err, `invalid argument "two" for "--replicas"`)
}

func TestBenchArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *BenchOptions) error) *cobra.Command {
		return newBenchCmd(s, all.Registry, run)
	}
	got, err := clitest.Parse(t, newCmd)
	if err != nil {
		t.Fatal(err)
	}
	want := &BenchOptions{Streams: s, Rate: 1000, Duration: 10 * time.Second, Workers: 64}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	got, err = clitest.Parse(t, newCmd, "--url", "https://127.0.0.1:8443/validate", "--rate", "200", "--duration", "1m", "--workers", "8")
	if err != nil {
		t.Fatal(err)
	}
	want = &BenchOptions{Streams: s, URL: "https://127.0.0.1:8443/validate", Rate: 200, Duration: time.Minute, Workers: 8}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}
}

func TestManifestsErrors(t *testing.T) {
	for _, tt := range []struct {
		o    ManifestOptions
		want string
	}{
		{ManifestOptions{FailurePolicy: "Retry", Timeout: 5}, "--failure-policy must be Fail or Ignore"},
		{ManifestOptions{FailurePolicy: "Fail", Timeout: 31}, "--timeout-seconds must be between 1 and 30"},
	} {
		var out bytes.Buffer
		tt.o.Streams = &cmdutil.Streams{Out: &out}
		usageError(t, RunManifests(context.Background(), &tt.o), tt.want)
		if out.Len() > 0 {
			t.Errorf("%s: manifests written anyway", tt.want)
		}
	}
}

// review is an AdmissionReview creating a Pod with the given container
// security context.
func review(uid, name, securityContext string) []byte {
	pod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":"shop"},
"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
"containers":[{"name":"app","image":"ghcr.io/acme/app:1.2.3","securityContext":%s}]}}`, name, securityContext)
	b, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(uid),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: "shop", Name: name, Operation: admissionv1.Create,
			Object: k8sruntime.RawExtension{Raw: []byte(pod)},
		},
	})
	return b
}

// TestServe runs `kguard admit` on a loopback port with a self-signed
// certificate, trusts only the CA bundle it prints, sends real
// AdmissionReviews over HTTPS, then stops it through its context.
func TestServe(t *testing.T) {
	var out, errOut syncbuf.Buffer
	ready := make(chan string, 1)
	o := &Options{
		Streams: &cmdutil.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Registry: all.Registry,
		Listen: "127.0.0.1:0", TLSSelfSigned: []string{"127.0.0.1"}, DefaultMode: "baseline",
		Timeout: 5 * time.Second, MaxBodyBytes: admission.DefaultMaxBodyBytes,
		Ready: func(addr string) { ready <- addr },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("admit ended before listening: %v\n%s", err, errOut.String())
	}

	bundle, ok := strings.CutPrefix(strings.TrimSpace(out.String()), "caBundle: ")
	if !ok {
		t.Fatalf("no caBundle line on stdout: %q", out.String())
	}
	caPEM, err := base64.StdEncoding.DecodeString(bundle)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("the caBundle holds no certificate")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	send := func(body []byte) *admissionv1.AdmissionResponse {
		t.Helper()
		resp, err := client.Post("https://"+addr+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rv admissionv1.AdmissionReview
		if err := json.NewDecoder(resp.Body).Decode(&rv); err != nil || resp.StatusCode != http.StatusOK || rv.Response == nil {
			t.Fatalf("status %d, %v, %+v", resp.StatusCode, err, rv)
		}
		return rv.Response
	}

	denied := send(review("uid-privileged", "bad", `{"privileged":true}`))
	if denied.Allowed || denied.UID != "uid-privileged" || denied.Result == nil || !strings.Contains(denied.Result.Message, "pss-baseline-privileged") {
		t.Errorf("privileged pod: %+v", denied)
	}
	allowed := send(review("uid-hardened", "good", `{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}`))
	if !allowed.Allowed || allowed.UID != "uid-hardened" {
		t.Errorf("hardened pod: %+v", allowed)
	}
	// A client that does not trust the printed CA is refused.
	if _, err := http.Post("https://"+addr+"/validate", "application/json", bytes.NewReader(review("u", "n", "{}"))); err == nil {
		t.Error("a client without the CA bundle got an answer")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("admit after cancel: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("admit did not stop when its context ended")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still listening after the context ended")
	}
	for _, uid := range []string{"uid-privileged", "uid-hardened"} {
		if !strings.Contains(errOut.String(), uid) {
			t.Errorf("no log line for request %s:\n%s", uid, errOut.String())
		}
	}
}

func TestServeErrors(t *testing.T) {
	base := Options{Listen: "127.0.0.1:0", DefaultMode: "baseline", TLSSelfSigned: []string{"127.0.0.1"}}
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"mode", func(o *Options) { o.DefaultMode = "strict" }, "--default-mode"},
		{"namespace mode", func(o *Options) { o.NamespaceMode = []string{"shop"} }, `--namespace-mode "shop": want NS=MODE`},
		{"namespace mode value", func(o *Options) { o.NamespaceMode = []string{"shop=loud"} }, `--namespace-mode "shop=loud"`},
		{"no TLS", func(o *Options) { o.TLSSelfSigned = nil }, "TLS is required"},
		{"both TLS", func(o *Options) { o.TLSCertFile, o.TLSKeyFile = "a.crt", "a.key" }, "are exclusive"},
		{"missing files", func(o *Options) {
			o.TLSSelfSigned, o.TLSCertFile, o.TLSKeyFile = nil, "/nonexistent/a.crt", "/nonexistent/a.key"
		}, "/nonexistent/a.crt"},
		{"policy", func(o *Options) { o.PolicyFile = "/nonexistent/policy.yaml" }, "/nonexistent/policy.yaml"},
		{"config", func(o *Options) { o.ConfigFile = "/nonexistent/kguard.yaml" }, "/nonexistent/kguard.yaml"},
		{"listen", func(o *Options) { o.Listen = "127.0.0.1:http-alt-x" }, "listen 127.0.0.1:http-alt-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			var out, errOut bytes.Buffer
			o.Streams, o.Registry = &cmdutil.Streams{Out: &out, ErrOut: &errOut}, all.Registry
			o.Ready = func(string) { t.Error("listening despite the error") }
			tt.edit(&o)
			usageError(t, Run(context.Background(), &o), tt.want)
		})
	}
	failing := base
	failing.Streams = &cmdutil.Streams{Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)}
	failing.Registry = func() (*rules.Registry, error) { return nil, fmt.Errorf("broken registry") }
	if err := Run(context.Background(), &failing); err == nil || !strings.Contains(err.Error(), "broken registry") {
		t.Errorf("registry error: %v", err)
	}
}

// TestBenchInProcess runs a short load test against the in-process
// webhook: every request answered, the summary printed.
func TestBenchInProcess(t *testing.T) {
	var out bytes.Buffer
	o := &BenchOptions{Streams: &cmdutil.Streams{Out: &out, ErrOut: new(bytes.Buffer)}, Registry: all.Registry, Rate: 50, Duration: 200 * time.Millisecond, Workers: 4}
	if err := RunBench(context.Background(), o); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	var sent, ok, errs int
	if _, err := fmt.Sscanf(out.String(), "sent %d in", &sent); err != nil || sent == 0 {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	i := strings.Index(out.String(), "ok ")
	if _, err := fmt.Sscanf(out.String()[i:], "ok %d, errors %d", &ok, &errs); err != nil || ok != sent || errs != 0 {
		t.Errorf("summary %q: sent %d, ok %d, errors %d (%v)", out.String(), sent, ok, errs, err)
	}
	usageError(t, RunBench(context.Background(), &BenchOptions{Streams: o.Streams, Rate: 50000, Duration: time.Second}), "bench is bounded")
}
