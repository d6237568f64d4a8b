package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli"
	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

// unconfirmed are the RBAC and network rules whose findings carry no
// query, and why: their claim is not that someone may do something, or
// that something may reach something.
var unconfirmed = map[string]string{
	"rbac-dangling-binding": "claims a binding names a role or service account that does not exist: " +
		"it grants nothing today, so there is no request to ask can-i about",
	"networkpolicy-allows-all": "judges one policy's text, at admission too, without the other objects: " +
		"it names no pod; the pods such a rule leaves open are reported, and confirmed, by namespace-no-default-deny-*",
	"networkpolicy-selects-nothing": "claims a policy's podSelector matches no pod: there is no connection to ask about",
	"networkpolicy-port-not-exposed": "claims a policy names a port no selected container declares: " +
		"there is no connection to ask about",
	// Control-plane rules filed under RBAC: their claims are about a
	// component's flags, which node_test.go compares between kguard node
	// and kguard scan; rbac can-i answers from RBAC objects and knows
	// nothing of --authorization-mode.
	"apiserver-authorization-mode":    "claims a kube-apiserver flag (AlwaysAllow, or no RBAC or Node mode), not a grant of RBAC objects",
	"apiserver-service-account-flags": "claims kube-apiserver token flags, not a grant",
	"controller-manager-insecure":     "claims kube-controller-manager flags, not a grant",
}

// TestFindingsConfirmedByQueries: every RBAC and network finding the scan
// makes on the input sets names a kguard query (rbac can-i, rbac paths,
// netpol can) that shows its claim; run on the same inputs, in process,
// the query must answer yes (exit 0). A finding without a query is an
// error unless its rule is listed in unconfirmed. The negative control
// runs every query again on a broken model of the same inputs, without
// any RoleBinding or ClusterRoleBinding (and --no-builtin-rbac) and with a
// policy denying all ingress and egress in every namespace: nearly every
// query must then answer no.
func TestFindingsConfirmedByQueries(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	for id := range unconfirmed {
		if _, ok := reg.Get(id); !ok {
			t.Errorf("unconfirmed lists %s, which is no rule", id)
		}
	}
	settings := &rules.Settings{Now: asOf}
	perRule := map[string]int{}
	var confirmed, byDesign, missing, refuted, controlDenied, controlOther int
	for _, set := range inputSets(t) {
		loaded, err := input.Load(context.Background(), input.Source{Paths: set.paths, BuiltinRBAC: true})
		if err != nil || len(loaded.Errors) > 0 {
			continue // fixtures of bad input: see load
		}
		res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg, Settings: settings})
		if err != nil {
			t.Fatal(err)
		}
		queries := map[string][]string{} // distinct queries, by their text
		for _, f := range res.Findings {
			if f.Category != finding.CategoryRBAC && f.Category != finding.CategoryNetwork {
				continue
			}
			_, skip := unconfirmed[f.Rule]
			switch {
			case len(f.Confirm) > 0 && skip:
				t.Errorf("%s: %s has a confirmation %q though it is listed as unconfirmed", set.name, f.Rule, f.Confirm)
			case skip:
				byDesign++
				continue
			case len(f.Confirm) == 0:
				missing++
				t.Errorf("%s: %s finding on %s has no confirmation: %s", set.name, f.Rule, f.Resource, f.Message)
				continue
			}
			perRule[f.Rule]++
			q := strings.Join(f.Confirm, " ")
			if _, done := queries[q]; done {
				confirmed++
				continue
			}
			queries[q] = f.Confirm
			if os.Getenv("KGUARD_SHOW_CONFIRM") != "" {
				t.Logf("%s: %s: kguard %s", set.name, f.Rule, q)
			}
			out, errOut, code := runQuery(t, f.Confirm, set.paths)
			if code != 0 {
				refuted++
				t.Errorf("%s: %s claims %q, but `kguard %s` exits %d:\n%s%s", set.name, f.Rule, f.Message, q, code, out, errOut)
				continue
			}
			confirmed++
		}
		if len(queries) == 0 {
			continue
		}
		broken := brokenModel(t, set)
		for _, q := range sortedQueries(queries) {
			args := q
			if q[0] == "rbac" {
				args = append(slices.Clip(q), "--no-builtin-rbac")
			}
			out, errOut, code := runQuery(t, args, []string{broken})
			switch code {
			case 1:
				controlDenied++
			case 0:
			default:
				controlOther++
				t.Errorf("%s: control `kguard %s`: exit %d\n%s%s", set.name, strings.Join(args, " "), code, out, errOut)
			}
		}
	}
	var counts []string
	for _, id := range sortedKeys(perRule) {
		counts = append(counts, fmt.Sprintf("%s %d", id, perRule[id]))
	}
	t.Logf("confirmed %d findings (%s); unconfirmed by design %d; without a query %d; refuted %d; "+
		"broken-model control: %d queries answered no, %d errors", confirmed, strings.Join(counts, ", "),
		byDesign, missing, refuted, controlDenied, controlOther)
	// Every rule that makes claims must have been exercised, or a rule
	// that stopped reporting would pass unnoticed.
	for _, r := range reg.Rules() {
		if (r.Category == finding.CategoryRBAC || r.Category == finding.CategoryNetwork) && unconfirmed[r.ID] == "" && perRule[r.ID] == 0 {
			t.Errorf("no finding of %s was confirmed: the inputs lost its coverage", r.ID)
		}
	}
	if confirmed < 100 {
		t.Errorf("only %d findings confirmed: the inputs lost their coverage", confirmed)
	}
	// The control must deny (nearly) every query: with no binding and
	// every namespace isolated both ways, nobody may do anything and
	// nothing reaches anything. A count, not all: a query may stay true
	// for a reason the control does not remove.
	if total := controlDenied + controlOther; total == 0 || controlDenied*10 < total*9 {
		t.Errorf("negative control: only %d of %d queries answered no on the broken model; the comparison cannot fail", controlDenied, total)
	}
}

// runQuery runs `kguard ARGS... PATHS...` in process and returns its
// output and exit status.
func runQuery(t *testing.T, args, paths []string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, cli.NewRootCmd, append(slices.Clip(args), paths...)...)
}

func sortedQueries(qs map[string][]string) [][]string {
	keys := sortedKeys(qs)
	out := make([][]string, len(keys))
	for i, k := range keys {
		out[i] = qs[k]
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// brokenModel writes the set's objects, as loaded (without the built-in
// policy), to a file, leaving out every RoleBinding and ClusterRoleBinding
// and adding to every namespace a NetworkPolicy that selects all pods for
// ingress and egress and allows nothing.
func brokenModel(t *testing.T, set inputSet) string {
	t.Helper()
	loaded, err := input.Load(context.Background(), input.Source{Paths: set.paths})
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	namespaces := map[string]bool{"default": true}
	for _, o := range loaded.Inventory.Objects() {
		if o.Kind == "RoleBinding" || o.Kind == "ClusterRoleBinding" {
			continue
		}
		raw, err := json.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if o.Namespace != "" {
			meta, _ := m["metadata"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
				m["metadata"] = meta
			}
			meta["namespace"] = o.Namespace
			namespaces[o.Namespace] = true
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(y))
	}
	for _, ns := range sortedKeys(namespaces) {
		docs = append(docs, fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: control-deny-all, namespace: %s}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`, ns))
	}
	p := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(p, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
