package alert

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
)

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders([]string{"authorization: " + secretToken, "X-Scope-OrgID:tenant-1", "X-Multi: a", "x-multi: b: c"})
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Authorization": {secretToken}, "X-Scope-Orgid": {"tenant-1"}, "X-Multi": {"a", "b: c"}}
	for k, v := range want {
		if strings.Join(h.Values(k), ",") != strings.Join(v, ",") {
			t.Errorf("%s = %v, want %v", k, h.Values(k), v)
		}
	}
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"X-Ok: 1", secretToken}, "#2: want 'Name: value'"}, // a token without its name
		{[]string{": s3cr3t"}, "#1: want"},
		{[]string{"Bad Name: s3cr3t"}, "#1: want"},
		{[]string{"X-A: s3cr3t\r\nX-B: 1"}, "#1 (X-A): the value holds a line break"},
	} {
		_, err := ParseHeaders(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: %v, want %q without the value", c.in, err, c.want)
		}
	}
}

func TestWebhookFlags(t *testing.T) {
	ep := newEndpoint(t, nil)
	parse := func(t *testing.T, args ...string) *WebhookFlags {
		t.Helper()
		var f WebhookFlags
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		f.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &f
	}
	t.Run("defaults", func(t *testing.T) {
		f := parse(t)
		if f.Format != FormatJSON || f.Queue != DefaultWebhookQueue || len(f.URLs) != 0 {
			t.Errorf("%+v", f)
		}
		t.Setenv(EnvWebhook, "")
		ws, err := f.Build(nil, nil)
		if err != nil || len(ws) != 0 {
			t.Errorf("no URLs: %v, %v", ws, err)
		}
		// The environment gives the URL when no flag does.
		envEp := newEndpoint(t, nil)
		t.Setenv(EnvWebhook, envEp.srv.URL+"/from-env")
		ws, err = f.Build(nil, nil)
		if err != nil || len(ws) != 1 {
			t.Fatalf("URL from $%s: %v, %v", EnvWebhook, ws, err)
		}
		ws.Sinks()[0].Send(Record{RuleID: "r", Message: "m"})
		ws.Close(context.Background())
		envEp.mu.Lock()
		got := len(envEp.reqs)
		envEp.mu.Unlock()
		if got != 1 {
			t.Errorf("the webhook from $%s got %d requests, want 1", EnvWebhook, got)
		}
		// A flag wins over the environment.
		ws, err = parse(t, "--alert-webhook", envEp.srv.URL+"/a", "--alert-webhook", envEp.srv.URL+"/b").Build(nil, nil)
		if err != nil || len(ws) != 2 {
			t.Fatalf("flags and $%s: %v, %v", EnvWebhook, ws, err)
		}
		ws.Close(context.Background())
	})
	t.Run("two webhooks", func(t *testing.T) {
		f := parse(t, "--alert-webhook", ep.url(), "--alert-webhook", ep.url(), "--alert-webhook-format", "slack",
			"--alert-webhook-header", "Authorization: "+secretToken, "--alert-queue", "5")
		reg := prometheus.NewRegistry()
		ws, err := f.Build(reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 2 || len(ws.Sinks()) != 2 || ws[0].opts.Queue != 5 || ws[1].opts.Format != FormatSlack {
			t.Fatalf("webhooks %v", ws)
		}
		for _, s := range ws.Sinks() {
			s.Send(sample)
		}
		if err := ws.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		reqs := ep.requests()
		if len(reqs) != 2 || reqs[0].header.Get("Authorization") != secretToken || !strings.Contains(string(reqs[0].body), `"text"`) {
			t.Errorf("requests %v", reqs)
		}
		if st := ws.Stats(); st.Sent != 2 {
			t.Errorf("stats %+v", st)
		}
	})
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"format", []string{"--alert-webhook-format", "xml"}, `--alert-webhook-format "xml": want json or slack`},
		{"queue", []string{"--alert-queue", "0"}, "--alert-queue must be 1 or more"},
		{"header", []string{"--alert-webhook", ep.url(), "--alert-webhook-header", "s3cr3t"}, "--alert-webhook-header #1"},
		{"url", []string{"--alert-webhook", ep.url(), "--alert-webhook", "hooks.example" + secretPath}, "--alert-webhook #2: webhook URL"},
		{"ca file", []string{"--alert-webhook", ep.url(), "--alert-webhook-ca-file", "/nonexistent/ca.pem"}, "--alert-webhook #1: webhook CA file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, err := parse(t, c.args...).Build(nil, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("%v, %v; want an error containing %q and no secret", ws, err, c.want)
			}
		})
	}
}
