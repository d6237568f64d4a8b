package auditpolicy

import (
	"slices"
	"strings"
	"testing"
)

const unitPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # 0
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["endpoints", "services"]
  # 1
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get"]
  # 2
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  # 3
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps"]
        resourceNames: ["audited"]
  # 4
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  # 5
  - level: Request
    resources:
      - group: ""
        resources: ["pods/*"]
  # 6
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["*/token"]
  # 7
  - level: Request
    namespaces: ["kube-system"]
  # 8
  - level: Metadata
    namespaces: [""]
    omitStages: [ResponseComplete]
  # 9
  - level: Request
    resources:
      - group: "rbac.authorization.k8s.io"
  # 10
  - level: Metadata
    nonResourceURLs: ["/api*"]
`

func TestEvaluate(t *testing.T) {
	p, err := Parse([]byte(unitPolicy))
	if err != nil {
		t.Fatal(err)
	}
	user := func(r Request) Request { r.User, r.Groups = "alice", []string{"system:authenticated"}; return r }
	for _, tc := range []struct {
		name  string
		req   Request
		level Level
		rule  int
	}{
		{"kube-proxy watch endpoints", Request{User: "system:kube-proxy", Verb: "watch", Resource: "endpoints", Namespace: "default"}, LevelNone, 0},
		{"kube-proxy get endpoints is not a watch", Request{User: "system:kube-proxy", Verb: "get", Resource: "endpoints", Namespace: "default"}, LevelNone, -1},
		{"node get anything", Request{User: "system:node:a", Groups: []string{"system:nodes"}, Verb: "get", Resource: "secrets", Namespace: "x"}, LevelNone, 1},
		{"node list secrets", Request{User: "system:node:a", Groups: []string{"system:nodes"}, Verb: "list", Resource: "secrets", Namespace: "x"}, LevelMetadata, 4},
		{"healthz", user(Request{Verb: "get", NonResourceURL: "/healthz"}), LevelNone, 2},
		{"healthz/etcd by prefix", user(Request{Verb: "get", NonResourceURL: "/healthz/etcd"}), LevelNone, 2},
		{"version exact", user(Request{Verb: "get", NonResourceURL: "/version"}), LevelNone, 2},
		{"version/ is not /version", user(Request{Verb: "get", NonResourceURL: "/version/"}), LevelNone, -1},
		{"apis prefix", user(Request{Verb: "get", NonResourceURL: "/apis/apps"}), LevelMetadata, 10},
		{"named configmap", user(Request{Verb: "get", Resource: "configmaps", Namespace: "a", Name: "audited"}), LevelRequestResponse, 3},
		{"other configmap", user(Request{Verb: "get", Resource: "configmaps", Namespace: "a", Name: "other"}), LevelMetadata, 4},
		{"list configmaps has no name", user(Request{Verb: "list", Resource: "configmaps", Namespace: "a"}), LevelMetadata, 4},
		{"secrets", user(Request{Verb: "get", Resource: "secrets", Namespace: "a", Name: "s"}), LevelMetadata, 4},
		{"secrets in another group do not match", user(Request{Verb: "get", APIGroup: "example.com", Resource: "secrets", Namespace: "a"}), LevelNone, -1},
		{"pods/* matches pods", user(Request{Verb: "create", Resource: "pods", Namespace: "a"}), LevelRequest, 5},
		{"pods/* matches pods/exec", user(Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "a"}), LevelRequest, 5},
		{"*/token", user(Request{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: "a"}), LevelRequestResponse, 6},
		{"*/token needs the subresource", user(Request{Verb: "create", Resource: "serviceaccounts", Namespace: "a"}), LevelNone, -1},
		{"kube-system namespace", user(Request{Verb: "create", Resource: "serviceaccounts", Namespace: "kube-system"}), LevelRequest, 7},
		{"cluster-scoped", user(Request{Verb: "create", Resource: "nodes"}), LevelMetadata, 8},
		{"namespace object is in its own namespace", user(Request{Verb: "get", Resource: "namespaces", Name: "kube-system"}), LevelRequest, 7},
		{"namespace list is cluster-scoped", user(Request{Verb: "list", Resource: "namespaces"}), LevelMetadata, 8},
		{"non-resource does not match namespaces rule", user(Request{Verb: "get", NonResourceURL: "/metrics"}), LevelNone, -1},
		{"rbac group, any resource", user(Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "a"}), LevelRequest, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			level, _, rule := Evaluate(p, tc.req)
			if level != tc.level || rule != tc.rule {
				t.Errorf("Evaluate(%+v) = %s (rule %d), want %s (rule %d)", tc.req, level, rule, tc.level, tc.rule)
			}
		})
	}
}

func TestOmitStagesUnion(t *testing.T) {
	p, err := Parse([]byte(unitPolicy))
	if err != nil {
		t.Fatal(err)
	}
	_, omit, rule := Evaluate(p, Request{User: "u", Verb: "create", Resource: "nodes"})
	if rule != 8 || !slices.Equal(omit, []Stage{StageRequestReceived, StageResponseComplete}) {
		t.Errorf("omit = %v (rule %d)", omit, rule)
	}
	if Recorded(LevelMetadata, omit, []Stage{StageRequestReceived, StageResponseComplete}) {
		t.Error("a request with both its stages omitted is not recorded")
	}
	_, omit, rule = Evaluate(p, Request{User: "u", Verb: "get", NonResourceURL: "/nothing"})
	if rule != -1 || !slices.Equal(omit, []Stage{StageRequestReceived}) {
		t.Errorf("no match: omit = %v (rule %d)", omit, rule)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"syntax", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: [None\n", "line 3: did not find expected"},
		{"unknown field", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    user: [a]\n", `line 5: unknown field "user"`},
		{"bad level", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n  - level: Everything\n", `line 5: rules[1].level: unknown level "Everything"`},
		{"bad stage", "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Received]\nrules:\n  - level: None\n", `omitStages[0]: unknown stage "Received"`},
		{"no rules", "apiVersion: audit.k8s.io/v1\nkind: Policy\n", "at least one rule"},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\nrules:\n  - level: None\n", `apiVersion: "v1" is not supported`},
		{"mixed rule", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    namespaces: [a]\n    nonResourceURLs: [/x]\n", "line 4: rules[0].nonResourceURLs: rules may not apply to both"},
		{"empty", "", "empty file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Operations() {
		if seen[o.Name()] {
			t.Errorf("duplicate operation %s", o.Name())
		}
		seen[o.Name()] = true
	}
	for _, want := range []string{"get secrets", "list secrets", "watch secrets", "create pods/exec", "create pods/attach",
		"create pods/portforward", "create roles.rbac.authorization.k8s.io", "delete clusterrolebindings.rbac.authorization.k8s.io",
		"update mutatingwebhookconfigurations.admissionregistration.k8s.io", "create serviceaccounts/token",
		"create tokenreviews.authentication.k8s.io", "create subjectaccessreviews.authorization.k8s.io", "get nodes/proxy", "get /healthz"} {
		if !seen[want] {
			t.Errorf("missing operation %s", want)
		}
	}
}
