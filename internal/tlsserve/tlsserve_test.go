package tlsserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/testutil/testcerts"
)

func TestCertificateRotation(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "test CA")
	certFile, keyFile := ca.Server(t, "127.0.0.1").Write(t, dir, "tls")
	rl, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	rl.now = func() time.Time { return clock }
	c1, _ := rl.GetCertificate(nil)

	ca.Server(t, "127.0.0.1").Write(t, dir, "tls")
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(certFile, future, future)
	// Within the once-a-second throttle the files are not looked at.
	if c, _ := rl.GetCertificate(nil); !bytes.Equal(c.Certificate[0], c1.Certificate[0]) {
		t.Fatal("files re-read within the throttle interval")
	}
	clock = clock.Add(time.Second)
	c2, _ := rl.GetCertificate(nil)
	if bytes.Equal(c1.Certificate[0], c2.Certificate[0]) {
		t.Fatal("rotated certificate not picked up")
	}

	// A broken rotation keeps the last good certificate.
	os.WriteFile(certFile, []byte("garbage"), 0o600)
	later := future.Add(2 * time.Second)
	os.Chtimes(certFile, later, later)
	clock = clock.Add(time.Second)
	c3, _ := rl.GetCertificate(nil)
	if c3 == nil || !bytes.Equal(c3.Certificate[0], c2.Certificate[0]) {
		t.Fatal("a bad rotation must keep serving the last good certificate")
	}
}

func TestNewCertReloaderNamesFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := NewCertReloader(filepath.Join(dir, "no.crt"), filepath.Join(dir, "no.key"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no.crt")) {
		t.Errorf("error %v does not name the file", err)
	}
}

func TestLoadCertPool(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "test CA")
	good := ca.WriteCA(t, dir, "ca")
	if _, err := LoadCertPool(good); err != nil {
		t.Error(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("not PEM\n"), 0o600)
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	for file, want := range map[string]string{
		empty:                          "no PEM certificate",
		bad:                            "certificate 1",
		filepath.Join(dir, "none.pem"): "no such file",
	} {
		if _, err := LoadCertPool(file); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: error %v, want %q and the file name", file, err, want)
		}
	}
}

// serve runs a Server with the given TLS configuration and returns its
// address and a function that stops it and returns Serve's result.
func serve(t *testing.T, cfg *tls.Config, h http.Handler) (*Server, string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{TLSConfig: cfg, ShutdownGrace: 2 * time.Second}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	s.HandleProbes(mux)
	s.Handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once bool
	var res error
	stop := func() error {
		if !once {
			once = true
			cancel()
			res = <-done
		}
		return res
	}
	t.Cleanup(func() { stop() })
	return s, ln.Addr().String(), stop
}

func whoami(w http.ResponseWriter, r *http.Request) {
	if HasVerifiedClientCert(r) {
		fmt.Fprint(w, r.TLS.VerifiedChains[0][0].Subject.CommonName)
		return
	}
	fmt.Fprint(w, "anonymous")
}

func TestMutualTLS(t *testing.T) {
	ca := testcerts.NewCA(t, "server CA")
	clients := testcerts.NewCA(t, "client CA")
	other := testcerts.NewCA(t, "other CA")
	srvCert := ca.Server(t, "127.0.0.1").TLS(t)
	_, addr, _ := serve(t, ServerConfig(StaticCertificate(&srvCert), clients.Pool()), http.HandlerFunc(whoami))

	// The client presents its certificate whatever CAs the server asks
	// for (Go's default would quietly send none).
	get := func(cert *tls.Certificate, maxVersion uint16) (string, error) {
		cfg := &tls.Config{RootCAs: ca.Pool(), MaxVersion: maxVersion}
		if cert != nil {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	good, bad := clients.Client(t, "kube-apiserver").TLS(t), other.Client(t, "mallory").TLS(t)
	if got, err := get(&good, 0); err != nil || got != "kube-apiserver" {
		t.Errorf("trusted client certificate: %q, %v", got, err)
	}
	// No certificate: the handshake succeeds and the handler decides.
	if got, err := get(nil, 0); err != nil || got != "anonymous" {
		t.Errorf("no client certificate: %q, %v", got, err)
	}
	if _, err := get(&bad, 0); err == nil {
		t.Error("a client certificate of another CA was accepted")
	}
	if _, err := get(nil, tls.VersionTLS11); err == nil {
		t.Error("TLS 1.1 was accepted")
	}
}

func TestProbesAndShutdown(t *testing.T) {
	s, addr, stop := serve(t, nil, http.HandlerFunc(whoami))
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if s.ready.Load() {
		t.Error("still ready after shutdown")
	}
}
