package policy

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
)

func TestExportArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ExportOptions) error) *cobra.Command {
		return newExportCmd(s, all.Registry, run)
	}
	tests := []struct {
		name string
		args []string
		want *ExportOptions
		err  string
	}{
		{"defaults", nil, &ExportOptions{Streams: s, Format: "vap", Action: "deny", ExcludeNamespaces: []string{"kube-system"}}, ""},
		{"flags", []string{"--format", "vap", "--action", "warn", "--exclude-namespaces", "kube-system,ops", "--exclude-namespaces", "ci"},
			&ExportOptions{Streams: s, Format: "vap", Action: "warn", ExcludeNamespaces: []string{"kube-system", "ops", "ci"}}, ""},
		{"no arguments", []string{"extra"}, nil, `unknown command "extra"`},
		{"unknown flag", []string{"--namespace", "x"}, nil, "unknown flag: --namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clitest.Parse(t, newCmd, tt.args...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || cmdutil.CodeOf(err) != cmdutil.ExitUsage {
					t.Fatalf("error %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := clitest.Diff(tt.want, got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
			if got.Registry == nil {
				t.Error("no registry")
			}
		})
	}
}

// exported is what `kguard policy export` wrote, decoded strictly into the
// API types (an unknown or misspelt field fails).
type exported struct {
	policies map[string]*admissionregistrationv1.ValidatingAdmissionPolicy
	bindings map[string]*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	stderr   string
}

func export(t *testing.T, o *ExportOptions) exported {
	t.Helper()
	var out, errOut bytes.Buffer
	o.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	if o.Registry == nil {
		o.Registry = all.Registry
	}
	if err := RunExport(context.Background(), o); err != nil {
		t.Fatalf("export: %v\n%s", err, errOut.String())
	}
	ex := exported{policies: map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{},
		bindings: map[string]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, stderr: errOut.String()}
	for i, doc := range strings.Split(out.String(), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d is not YAML: %v\n%s", i, err, doc)
		}
		if tm.APIVersion != "admissionregistration.k8s.io/v1" {
			t.Fatalf("document %d: apiVersion %q", i, tm.APIVersion)
		}
		switch tm.Kind {
		case "ValidatingAdmissionPolicy":
			p := new(admissionregistrationv1.ValidatingAdmissionPolicy)
			if err := yaml.UnmarshalStrict([]byte(doc), p); err != nil {
				t.Fatalf("document %d: %v", i, err)
			}
			ex.policies[p.Name] = p
		case "ValidatingAdmissionPolicyBinding":
			b := new(admissionregistrationv1.ValidatingAdmissionPolicyBinding)
			if err := yaml.UnmarshalStrict([]byte(doc), b); err != nil {
				t.Fatalf("document %d: %v", i, err)
			}
			ex.bindings[b.Name] = b
		default:
			t.Fatalf("document %d: kind %q", i, tm.Kind)
		}
	}
	return ex
}

// TestExportMatchesRegistry: one policy and one binding per rule of the
// registry with a CEL form (and no need for other objects), each policy
// holding that rule's expression; the other rules are named on stderr.
func TestExportMatchesRegistry(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	ex := export(t, &ExportOptions{Format: "vap", Action: "deny", ExcludeNamespaces: []string{"kube-system"}})
	var withCEL, without []*rules.Rule
	for _, r := range reg.Rules() {
		if r.CEL != nil && r.CheckInventory == nil {
			withCEL = append(withCEL, r)
		} else {
			without = append(without, r)
		}
	}
	if len(withCEL) == 0 {
		t.Fatal("no rule of the registry has a CEL form")
	}
	if len(ex.policies) != len(withCEL) || len(ex.bindings) != len(withCEL) {
		t.Errorf("%d policies and %d bindings for %d rules with CEL", len(ex.policies), len(ex.bindings), len(withCEL))
	}
	for _, r := range withCEL {
		name := "kguard-" + r.ID
		p, b := ex.policies[name], ex.bindings[name]
		if p == nil || b == nil {
			t.Errorf("%s: policy %v, binding %v", r.ID, p != nil, b != nil)
			continue
		}
		if len(p.Spec.Validations) != 1 || p.Spec.Validations[0].Expression != r.CEL.Expression {
			t.Errorf("%s: validations %+v, want the rule's expression %q", r.ID, p.Spec.Validations, r.CEL.Expression)
		}
		if p.Labels["kguard.io/rule"] != r.ID || b.Spec.PolicyName != name {
			t.Errorf("%s: rule label %q, binding for %q", r.ID, p.Labels["kguard.io/rule"], b.Spec.PolicyName)
		}
		// --action deny denies from medium up and warns below, always
		// auditing too (as the webhook's restricted mode does).
		want := []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Audit}
		if r.Severity < finding.SeverityMedium {
			want[0] = admissionregistrationv1.Warn
		}
		if !slices.Equal(b.Spec.ValidationActions, want) {
			t.Errorf("%s (%s): actions %v, want %v", r.ID, r.Severity, b.Spec.ValidationActions, want)
		}
		sel := b.Spec.MatchResources.NamespaceSelector
		if sel == nil || len(sel.MatchExpressions) == 0 || sel.MatchExpressions[0].Key != "kubernetes.io/metadata.name" || !slices.Equal(sel.MatchExpressions[0].Values, []string{"kube-system"}) {
			t.Errorf("%s: namespace selector %+v does not leave kube-system out", r.ID, sel)
		}
	}
	for _, r := range without {
		if _, ok := ex.policies["kguard-"+r.ID]; ok {
			t.Errorf("%s has no CEL form but was exported", r.ID)
		}
	}
	summary := strings.TrimSpace(ex.stderr)
	head, list, _ := strings.Cut(summary, "(kguard admit): ")
	if !strings.HasPrefix(head, "exported ") || len(strings.Split(list, ", ")) != len(without) {
		t.Errorf("summary names %d rules needing the webhook, want %d: %s", len(strings.Split(list, ", ")), len(without), summary)
	}
}

func TestExportActions(t *testing.T) {
	for _, tt := range []struct {
		action string
		want   []admissionregistrationv1.ValidationAction
	}{
		{"warn", []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit}},
		{"AUDIT", []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit}},
	} {
		ex := export(t, &ExportOptions{Format: "vap", Action: tt.action, ExcludeNamespaces: []string{}})
		if len(ex.bindings) == 0 {
			t.Fatal("no bindings")
		}
		for name, b := range ex.bindings {
			if !slices.Equal(b.Spec.ValidationActions, tt.want) {
				t.Errorf("--action %s: %s has %v, want %v", tt.action, name, b.Spec.ValidationActions, tt.want)
			}
			// No namespace left out: only the enforce-label requirement.
			if exprs := b.Spec.MatchResources.NamespaceSelector.MatchExpressions; len(exprs) != 1 || exprs[0].Key != "kguard.io/enforce" {
				t.Errorf("%s: selector %+v", name, exprs)
			}
		}
	}
}

func TestExportErrors(t *testing.T) {
	for _, tt := range []struct {
		o    ExportOptions
		want string
	}{
		{ExportOptions{Format: "kyverno", Action: "deny"}, `unknown format "kyverno" (want vap)`},
		{ExportOptions{Format: "vap", Action: "block"}, `--action: unknown action "block"`},
	} {
		var out, errOut bytes.Buffer
		tt.o.Streams, tt.o.Registry = &cmdutil.Streams{Out: &out, ErrOut: &errOut}, all.Registry
		err := RunExport(context.Background(), &tt.o)
		if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.want) || out.Len() > 0 {
			t.Errorf("%+v: error %v, stdout %d bytes; want a usage error with %q and no output", tt.o, err, out.Len(), tt.want)
		}
	}
}
