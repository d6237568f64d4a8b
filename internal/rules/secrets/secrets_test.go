package secrets

import (
	"context"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/inventory/helm"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
	"github.com/kguard/kguard/internal/scan"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}

// TestSeverities checks that a finding's severity follows what its
// credential can do, on the rules' own fixtures.
func TestSeverities(t *testing.T) {
	for _, tc := range []struct {
		file, message string
		want          finding.Severity
	}{
		{"secret-env-literal/fire-literals.yaml", `sets DB_PASSWORD to a literal credential`, finding.SeverityHigh},
		{"secret-env-literal/fire-defaults-and-placeholders.yaml", `sets POSTGRES_PASSWORD`, finding.SeverityHigh},
		{"secret-env-literal/fire-defaults-and-placeholders.yaml", `sets MINIO_SECRET_KEY`, finding.SeverityHigh},
		{"secret-env-literal/fire-defaults-and-placeholders.yaml", `sets DB_PASSWORD`, finding.SeverityLow},
		{"secret-env-literal/fire-defaults-and-placeholders.yaml", `sets STRIPE_API_KEY`, finding.SeverityLow},
		{"secret-in-plain-config/fire-config.yaml", `Slack token`, finding.SeverityMedium},
		{"secret-in-plain-config/fire-config.yaml", `AWS access key`, finding.SeverityHigh},
		{"secret-in-plain-config/fire-exporters.yaml", `"admin_password" (a known default`, finding.SeverityHigh},
		{"secret-in-args/fire-command-lines.yaml", `container "probe"`, finding.SeverityHigh},
		{"secret-in-manifest/fire-cloud-keys.yaml", `Secret "s3-backup"`, finding.SeverityHigh},
		{"secret-in-manifest/fire-cloud-keys.yaml", `Secret "smtp"`, finding.SeverityLow},
		{"secret-in-manifest/fire-cloud-keys.yaml", `Secret "db-conn"`, finding.SeverityInfo},
		{"secret-in-manifest/fire-committed.yaml", `Secret "billing-db"`, finding.SeverityHigh},
	} {
		t.Run(tc.file+" "+tc.message, func(t *testing.T) {
			res := rulestest.Scan(t, "testdata/"+tc.file, Rules(), nil)
			var got []finding.Finding
			for _, f := range res.Findings {
				if strings.Contains(f.Message, tc.message) {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d findings contain %q, want 1", len(got), tc.message)
			}
			if got[0].Severity != tc.want {
				t.Errorf("%s: severity %s, want %s", got[0].Message, got[0].Severity, tc.want)
			}
		})
	}
}

// TestHelmSecretsJudgedByTheChart renders a chart whose Secrets take
// their values from .Values, from randAlphaNum or from the template's own
// text: only what the chart writes is committed, whatever the values
// given when rendering.
func TestHelmSecretsJudgedByTheChart(t *testing.T) {
	reg, err := rules.NewRegistry([]*rules.Rule{inManifest()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  []string
		want []string // messages, in order
	}{
		// The password is generated at install; the user name is the
		// chart's default from its values.yaml, committed with the chart.
		{"generated", nil, []string{
			`Secret "release-name-metrics" carries 2 value(s) in the manifest; key "exporter-password" holds a credential (16 chars`,
			`Secret "release-name-db" carries 1 value(s) in the manifest, none of which looks like a credential`}},
		// Values given when rendering are not in the chart.
		{"given with --set", []string{"auth.password=Zq8vLm2Rt7Wx9Kp3", "auth.username=billing"}, []string{
			`Secret "release-name-metrics" carries 2 value(s)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loaded, err := input.Load(context.Background(), input.Source{Paths: []string{"testdata/charts/db"}, Helm: helm.Options{Set: tc.set}})
			if err != nil || len(loaded.Errors) > 0 {
				t.Fatalf("load: %v %v", err, loaded.Errors)
			}
			res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, f := range res.Findings {
				msgs = append(msgs, f.Message)
			}
			if len(msgs) != len(tc.want) {
				t.Fatalf("findings %q, want %d", msgs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(msgs[i], w) {
					t.Errorf("finding %d is %q, want %q", i, msgs[i], w)
				}
			}
		})
	}
}
