package scan

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report/formats"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/rules/secrets"
)

// TestNoSecretInAnyOutput scans every secrets fixture and the bundled
// example in every output format, plus a broken file holding a password,
// and requires that no planted secret value (nor its base64 form) appears
// anywhere on standard output or standard error.
func TestNoSecretInAnyOutput(t *testing.T) {
	dir := t.TempDir()
	const brokenPassword = "Hq2mZ9vX4kL7pR3w"
	broken := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\ndata:\n  password: " + brokenPassword + "\n   bad: [indent\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"../../rules/secrets/testdata", "../../rules/tls/testdata", "../../../examples", dir}
	planted := plantedSecrets(t, inputs[:3])
	planted = append(planted, brokenPassword)
	if len(planted) < 10 {
		t.Fatalf("only %d planted secrets found: the fixtures changed", len(planted))
	}
	for _, format := range formats.Names() {
		var out, errOut bytes.Buffer
		o := &Options{
			Input:  cmdutil.Input{Args: inputs, Streams: &cmdutil.Streams{Out: &out, ErrOut: &errOut}},
			Report: cmdutil.Report{Output: format, FailOn: "none", ShowSuppressed: true}, Registry: all.Registry,
		}
		_ = Run(t.Context(), o) // exit 2: the broken file
		if !strings.Contains(errOut.String(), "broken.yaml") {
			t.Errorf("%s: the broken file is not reported on stderr", format)
		}
		text := out.String() + errOut.String()
		for i, v := range planted {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(text, form) {
					// Never print the value itself, even in a failing test.
					t.Errorf("%s output contains planted secret #%d (%s)", format, i, secrets.Fingerprint(v))
				}
			}
		}
	}
}

// plantedSecrets collects the secret values of the inputs: Secret data under
// credential-like keys, literal env values under credential-like names, and
// every credential the detector finds in ConfigMaps, env and annotations.
// A value that is also a name output shows by design (a default password
// "postgres" of the container "postgres"), or a word of the rules' own
// documentation (the placeholder "changeme"), is left out.
func plantedSecrets(t *testing.T, paths []string) []string {
	t.Helper()
	res, err := inventory.Load(t.Context(), paths, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range reg.Rules() {
		names = append(names, r.Title, r.Rationale, r.Remediation)
	}
	for _, o := range res.Inventory.Objects() {
		names = append(names, o.Name)
		if w, ok := extract.PodSpec(o); ok {
			for _, c := range w.Containers() {
				names = append(names, c.Container.Name, c.Container.Image)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if len(v) < 8 || seen[v] || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, v) }) {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	detect := func(key, value string) {
		for _, m := range secrets.Detect(key, value) {
			add(m.Value)
		}
	}
	for _, o := range res.Inventory.Objects() {
		for k, v := range o.Meta.Annotations {
			detect(k, v)
		}
		switch v := o.Typed.(type) {
		case *corev1.Secret:
			for k, d := range v.Data {
				if secrets.IsCredentialName(k) || k == corev1.TLSPrivateKeyKey {
					add(string(d))
				}
			}
			for k, d := range v.StringData {
				if secrets.IsCredentialName(k) || k == corev1.TLSPrivateKeyKey {
					add(d)
				}
			}
		case *corev1.ConfigMap:
			for k, d := range v.Data {
				detect(k, d)
			}
		}
		if w, ok := extract.PodSpec(o); ok {
			for _, c := range w.Containers() {
				for _, e := range c.Container.Env {
					if secrets.IsCredentialName(e.Name) {
						add(e.Value)
					}
					detect(e.Name, e.Value)
				}
			}
		}
	}
	return out
}
