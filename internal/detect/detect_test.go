package detect

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, name, src string) (*RuleSet, error) {
	t.Helper()
	return LoadSources(Source{Name: name, Data: []byte(src)})
}

func TestLoaderErrors(t *testing.T) {
	src := `- list: admins
  items: [alice]
- rule: good
  desc: d
  condition: k8s_audit.user.username in admins
  output: "{k8s_audit.user.username}"
  severity: high
  tags: [T1078]
- rule: undefined-macro
  desc: d
  condition: k8s_audit.verb == 'get' && no_such_macro
  output: x
  severity: low
- rule: bad-cel
  desc: d
  condition: k8s_audit.verb == 
  output: x
  severity: low
- rule: bad-severity
  desc: d
  condition: "true"
  output: x
  severity: urgent
- rule: good
  desc: d
  condition: "true"
  output: x
  severity: low
- rule: bad-output
  desc: d
  condition: "true"
  output: "{k8s_audit.user.nme}"
  severity: low
- rule: not-bool
  desc: d
  condition: k8s_audit.responseStatus.code + 1
  output: x
  severity: low
- rule: unknown-field
  desc: d
  condition: "true"
  output: x
  severity: low
  priority: high
- rule: field-typo
  desc: d
  condition: k8s_audit.verb == 'get' && k8s_audit.user.nme == 'x'
  output: x
  severity: low
- rule: bad-source
  desc: d
  condition: "true"
  output: x
  severity: low
  source: syscall
- rule: bad-action
  desc: d
  condition: "true"
  output: x
  severity: low
  source: process
  action: block
- rule: kill-audit
  desc: d
  condition: "true"
  output: x
  severity: low
  action: kill
- rule: kill-process
  desc: d
  condition: process.comm == 'xmrig'
  output: x
  severity: high
  source: process
  action: kill
`
	rs, err := load(t, "my.yaml", src)
	if rs == nil {
		t.Fatal("no rule set")
	}
	if got := len(rs.Rules()); got != 2 || rs.Rules()[0].ID != "good" || rs.Rules()[1].ID != "kill-process" {
		t.Errorf("loaded %v, want only good and kill-process", rs.Rules())
	} else if rs.Rules()[0].Action != ActionAlert || rs.Rules()[1].Action != ActionKill {
		t.Errorf("actions %q %q, want alert and kill", rs.Rules()[0].Action, rs.Rules()[1].Action)
	}
	var lerrs []*LoadError
	for _, e := range unjoin(err) {
		var le *LoadError
		if !errors.As(e, &le) {
			t.Fatalf("%v is not a *LoadError", e)
		}
		lerrs = append(lerrs, le)
	}
	want := []struct {
		line int
		item string
		msg  string
	}{
		{11, "rule undefined-macro", "undefined macro or list 'no_such_macro'"},
		{16, "rule bad-cel", "condition line 1:"},
		{23, "rule bad-severity", `unknown severity "urgent"`},
		{24, "rule good", "duplicate rule ID (first defined at my.yaml:3)"},
		{32, "rule bad-output", "unknown field {k8s_audit.user.nme}"},
		{36, "rule not-bool", "want bool"},
		{44, "rule unknown-field", `unknown field "priority"`},
		{47, "rule field-typo", "condition line 1:43: unknown field k8s_audit.user.nme"},
		{55, "rule bad-source", `unknown source "syscall"`},
		{62, "rule bad-action", `unknown action "block"`},
		{68, "rule kill-audit", "action kill needs a node sensor source"},
	}
	if len(lerrs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(lerrs), len(want), err)
	}
	for _, w := range want {
		found := false
		for _, le := range lerrs {
			if le.Line == w.line && le.Item == w.item && strings.Contains(le.Msg, w.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at my.yaml:%d for %s containing %q; got:\n%v", w.line, w.item, w.msg, err)
		}
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "my.yaml:23: rule bad-severity: ") {
		t.Errorf("error text lacks file:line: rule: %v", err)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestYAMLSyntaxError(t *testing.T) {
	_, err := load(t, "broken.yaml", "- rule: x\n  desc: [unclosed\n")
	if err == nil || !regexp.MustCompile(`^broken\.yaml:\d+: `).MatchString(err.Error()) {
		t.Errorf("want broken.yaml:N: error, got %v", err)
	}
}

func TestMacros(t *testing.T) {
	rs, err := load(t, "m.yaml", `
- macro: is_exec
  condition: k8s_audit.objectRef.subresource == 'exec' || k8s_audit.objectRef.subresource == 'attach'
- macro: exec_by_human
  condition: is_exec && !k8s_audit.user.username.startsWith('system:')
- rule: r
  desc: d
  condition: exec_by_human && k8s_audit.objectRef.namespace == 'prod' && 'is_exec' != ''
  output: x
  severity: high
`)
	if err != nil {
		t.Fatal(err)
	}
	r := rs.rules[0]
	// Parentheses keep || inside the macro from escaping the &&.
	want := "((k8s_audit.objectRef.subresource == 'exec' || k8s_audit.objectRef.subresource == 'attach') && " +
		"!k8s_audit.user.username.startsWith('system:')) && k8s_audit.objectRef.namespace == 'prod' && 'is_exec' != ''"
	if r.Expanded != want {
		t.Errorf("expanded\n%s\nwant\n%s", r.Expanded, want)
	}
	if got := firedIDs(rs, audit("create", "pods", "attach", "dev", "p", "alice")); len(got) != 0 {
		t.Errorf("fired in dev: %v", got)
	}
	if got := firedIDs(rs, audit("create", "pods", "attach", "prod", "p", "alice")); len(got) != 1 {
		t.Errorf("did not fire in prod")
	}
}

func TestMacroCycle(t *testing.T) {
	rs, err := load(t, "c.yaml", `
- macro: a
  condition: b && true
- macro: b
  condition: c || false
- macro: c
  condition: a
- macro: fine
  condition: k8s_audit.verb == 'get'
- rule: uses-cycle
  desc: d
  condition: a
  output: x
  severity: low
- rule: ok
  desc: d
  condition: fine
  output: x
  severity: low
`)
	if err == nil || !strings.Contains(err.Error(), "macro cycle: a -> b -> c -> a") {
		t.Fatalf("want cycle error, got %v", err)
	}
	if !strings.Contains(err.Error(), "c.yaml:3: macro a:") || !strings.Contains(err.Error(), "rule uses-cycle") {
		t.Errorf("cycle error should name file:line, macro and rule: %v", err)
	}
	if ids := rs.Rules(); len(ids) != 1 || ids[0].ID != "ok" {
		t.Errorf("want only rule ok loaded, got %v", ids)
	}
}

func TestExceptionsAndOutput(t *testing.T) {
	rs, err := load(t, "e.yaml", `
- list: ops
  items: [carol]
- list: ops
  append: true
  items: [dave]
- rule: exec
  desc: d
  condition: k8s_audit.objectRef.subresource == 'exec' && !(k8s_audit.user.username in ops)
  output: "{k8s_audit.user.username} exec into {k8s_audit.objectRef.namespace}/{k8s_audit.objectRef.name} groups={k8s_audit.user.groups} img={k8s_audit.requestObject.spec.image}"
  severity: high
  tags: [T1609]
  exceptions:
    - name: ci-namespaces
      field: k8s_audit.objectRef.namespace
      values: [ci, build]
    - name: breakglass-group
      field: k8s_audit.user.groups
      values: [breakglass]
`)
	if err != nil {
		t.Fatal(err)
	}
	ev := audit("create", "pods", "exec", "shop", "web-0", "alice", groups("devs", "system:authenticated"))
	ev.Time = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	alerts := rs.Evaluate(ev)
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts", len(alerts))
	}
	a := alerts[0]
	if a.Output != "alice exec into shop/web-0 groups=devs,system:authenticated img=<NA>" {
		t.Errorf("output %q", a.Output)
	}
	if a.Rule != "exec" || a.Severity.String() != "high" || !a.Time.Equal(ev.Time) || a.Fields["k8s_audit.user.username"] != "alice" || a.Event.K8sAudit == nil {
		t.Errorf("alert %+v", a)
	}
	for name, ev := range map[string]Event{
		"namespace exception": audit("create", "pods", "exec", "ci", "job", "alice"),
		"group exception":     audit("create", "pods", "exec", "shop", "web-0", "alice", groups("devs", "breakglass")),
		"appended list":       audit("create", "pods", "exec", "shop", "web-0", "dave"),
	} {
		if got := firedIDs(rs, ev); len(got) != 0 {
			t.Errorf("%s: fired %v", name, got)
		}
	}
	if _, err := load(t, "x.yaml", `
- rule: r
  desc: d
  condition: "true"
  output: x
  severity: low
  exceptions: [{name: n, field: k8s_audit.nope, values: [a]}]
`); err == nil || !strings.Contains(err.Error(), "x.yaml:7: rule r: exceptions[0] (n): unknown field") {
		t.Errorf("bad exception field: %v", err)
	}
}

func TestInCIDRs(t *testing.T) {
	rs, err := load(t, "c.yaml", `
- list: nets
  items: [10.0.0.0/8, "fd00::/8", 192.0.2.1]
- rule: outside
  desc: d
  condition: "!in_cidrs(k8s_audit.sourceIP, nets)"
  output: x
  severity: low
`)
	if err != nil {
		t.Fatal(err)
	}
	for ip, fire := range map[string]bool{"10.9.9.9": false, "fd00::1": false, "192.0.2.1": false, "::ffff:10.1.1.1": false,
		"192.0.2.2": true, "8.8.8.8": true, "2001:db8::1": true, "garbage": true} {
		if got := len(firedIDs(rs, audit("get", "pods", "", "", "", "u", ips(ip)))) == 1; got != fire {
			t.Errorf("%s: fired=%v, want %v", ip, got, fire)
		}
	}
}

func TestParseAuditEvent(t *testing.T) {
	b, err := os.ReadFile("testdata/audit-exec.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseAuditEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	a := ev.K8sAudit
	if ev.Source != SourceK8sAudit || a.Verb != "create" || a.User.Username != "alice@example.com" || len(a.User.Groups) != 2 ||
		a.ImpersonatedUser.Username != "ops-bot" || a.SourceIPs[0] != "203.0.113.9" || a.ObjectRef.Subresource != "exec" ||
		a.ObjectRef.Namespace != "shop" || a.ResponseStatus.Code != 101 || a.Annotations["authorization.k8s.io/decision"] != "allow" ||
		!strings.HasPrefix(a.UserAgent, "kubectl/") || a.Stage != "ResponseComplete" {
		t.Errorf("parsed %+v", a)
	}
	if !ev.Time.Equal(time.Date(2026, 3, 2, 10, 15, 9, 654321000, time.UTC)) {
		t.Errorf("time %v", ev.Time)
	}
	rs, _ := Default()
	ids := firedIDs(rs, ev)
	if strings.Join(ids, ",") != "k8s-pod-exec" {
		t.Errorf("fired %v", ids)
	}
	for _, bad := range []string{`{`, `{"kind":"Policy","apiVersion":"audit.k8s.io/v1","verb":"get"}`, `{"kind":"Event"}`} {
		if _, err := ParseAuditEvent([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestRulesAndMarkdown(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	md := Markdown(rs)
	for _, r := range rs.Rules() {
		if !strings.Contains(md, "### "+r.ID+"\n") {
			t.Errorf("markdown lacks %s", r.ID)
		}
	}
	if !strings.Contains(md, "| [k8s-pod-exec](#k8s-pod-exec) | medium | T1609 | true |") || !strings.Contains(md, "`cluster_cidrs`") {
		t.Errorf("markdown:\n%s", md[:400])
	}
	if err := rs.SetEnabled("k8s-pod-exec", false); err != nil {
		t.Fatal(err)
	}
	if ids := firedIDs(rs, audit("create", "pods", "exec", "shop", "web-0", "alice")); len(ids) != 0 {
		t.Errorf("disabled rule fired: %v", ids)
	}
}
