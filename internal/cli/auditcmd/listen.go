package auditcmd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/watch"
	"github.com/kguard/kguard/internal/tlsserve"
)

// ListenOptions are the flags of `kguard audit watch` that serve the API
// server's audit webhook backend.
type ListenOptions struct {
	Addr         string
	CertFile     string
	KeyFile      string
	ClientCAFile string
	InsecureHTTP bool
	MaxBodyBytes int64
}

func (o *ListenOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Addr, "listen", "", "serve the API server's audit webhook backend on ADDR (HTTPS, path "+watch.WebhookPath+")")
	f.StringVar(&o.CertFile, "tls-cert-file", "", "with --listen: serving certificate (PEM); re-read when it changes")
	f.StringVar(&o.KeyFile, "tls-private-key-file", "", "with --listen: serving private key (PEM)")
	f.StringVar(&o.ClientCAFile, "client-ca-file", "", "with --listen: accept audit events only from clients with a certificate signed by these CAs (PEM)")
	f.BoolVar(&o.InsecureHTTP, "insecure-http", false, "with --listen on a loopback address: serve plain HTTP without TLS (local testing only)")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", watch.DefaultWebhookMaxBodyBytes, "with --listen: largest webhook request body accepted")
}

// webhookServer is a bound listener and what serving on it needs; it is
// made before anything starts, so that flag, certificate and address
// errors come first.
type webhookServer struct {
	o   ListenOptions
	ln  net.Listener
	tls *tls.Config
}

// prepare checks the flags, loads the TLS material and binds the address.
// It returns nil without --listen.
func (o *ListenOptions) prepare() (*webhookServer, error) {
	if o.Addr == "" {
		for _, f := range []struct {
			name string
			set  bool
		}{{"--tls-cert-file", o.CertFile != ""}, {"--tls-private-key-file", o.KeyFile != ""},
			{"--client-ca-file", o.ClientCAFile != ""}, {"--insecure-http", o.InsecureHTTP}} {
			if f.set {
				return nil, cmdutil.UsageErrorf("%s needs --listen", f.name)
			}
		}
		return nil, nil
	}
	if o.MaxBodyBytes <= 0 {
		return nil, cmdutil.UsageErrorf("--max-body-bytes must be positive")
	}
	ws := &webhookServer{o: *o}
	if o.InsecureHTTP {
		if o.CertFile != "" || o.KeyFile != "" || o.ClientCAFile != "" {
			return nil, cmdutil.UsageErrorf("--insecure-http excludes --tls-cert-file, --tls-private-key-file and --client-ca-file")
		}
		if !loopback(o.Addr) {
			return nil, cmdutil.UsageErrorf("--insecure-http serves audit events unencrypted and unauthenticated: only on a loopback address such as 127.0.0.1:8080, not %q", o.Addr)
		}
	} else {
		cfg, err := o.tlsConfig()
		if err != nil {
			return nil, err
		}
		ws.tls = cfg
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, cmdutil.UsageErrorf("--listen %s: %v", o.Addr, err)
	}
	ws.ln = ln
	return ws, nil
}

// tlsConfig loads the serving pair (re-read when cert-manager rotates it)
// and the client CAs; errors name the flag and the file.
func (o *ListenOptions) tlsConfig() (*tls.Config, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, cmdutil.UsageErrorf("--listen serves HTTPS: give --tls-cert-file and --tls-private-key-file (or --insecure-http on a loopback address for local testing)")
	}
	for _, f := range [][2]string{{"--tls-cert-file", o.CertFile}, {"--tls-private-key-file", o.KeyFile}} {
		if _, err := os.ReadFile(f[1]); err != nil {
			return nil, cmdutil.UsageErrorf("%s: %v", f[0], err)
		}
	}
	rl, err := tlsserve.NewCertReloader(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%v", err)
	}
	var clientCAs *x509.CertPool
	if o.ClientCAFile != "" {
		if clientCAs, err = tlsserve.LoadCertPool(o.ClientCAFile); err != nil {
			return nil, cmdutil.UsageErrorf("--client-ca-file: %v", err)
		}
	}
	return tlsserve.ServerConfig(rl.GetCertificate, clientCAs), nil
}

// loopback reports whether addr (HOST:PORT) listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (ws *webhookServer) close() {
	if ws != nil {
		ws.ln.Close()
	}
}

// runSources feeds w from the log (when readLog) and from the webhook
// backend (when ws is not nil) until ctx ends or one of them fails. A
// log read once to its end (--from-start) leaves the webhook serving.
func runSources(ctx context.Context, w *watch.Watcher, readLog bool, ws *webhookServer, errOut io.Writer) error {
	if ws == nil {
		return w.Run(ctx)
	}
	h, err := watch.NewWebhook(w, watch.WebhookOptions{MaxBodyBytes: ws.o.MaxBodyBytes, RequireClientCert: ws.o.ClientCAFile != ""})
	if err != nil {
		ws.close()
		return err
	}
	logger := slog.New(slog.NewJSONHandler(errOut, nil)).With("component", "audit-webhook")
	srv := &tlsserve.Server{TLSConfig: ws.tls, Logger: logger}
	mux := http.NewServeMux()
	mux.Handle(watch.WebhookPath, h)
	srv.HandleProbes(mux)
	srv.Handler = mux

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ws.ln) }()
	var logDone chan error
	if readLog {
		logDone = make(chan error, 1)
		go func() { logDone <- w.Run(ctx) }()
	}
	var first error
	for served != nil || logDone != nil {
		select {
		case err := <-served:
			served = nil
			if err != nil && first == nil {
				first = fmt.Errorf("audit webhook: %w", err)
			}
			cancel()
		case err := <-logDone:
			logDone = nil
			if err != nil {
				if first == nil {
					first = err
				}
				cancel()
			}
		}
	}
	return first
}
