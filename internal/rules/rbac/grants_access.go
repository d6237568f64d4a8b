package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// The rules in this file judge what a binding's role allows.

func wildcardGrant() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-wildcard",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role grants a wildcard verb or resource",
		Rationale: "A \"*\" verb or resource grants everything the API offers, including secrets, escalate, " +
			"impersonate and whatever resources and verbs later releases or CRDs add, so nobody reviewing the " +
			"role can tell what it really allows.",
		Remediation: "List the verbs and resources the subject needs instead of \"*\"; the API server's audit log " +
			"shows which requests it actually makes.",
		References: finding.References{
			CIS:   []string{"5.1.3"},
			MITRE: []string{"T1098", "T1552.007"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			verbs, res := slices.Contains(r.Verbs, rbacv1.VerbAll), slices.Contains(r.Resources, rbacv1.ResourceAll)
			if len(r.Resources) == 0 && b.Namespace != "" {
				return "", grantAccess{}, false // a RoleBinding grants no non-resource URLs
			}
			a, _ := ruleAccess(b, r)
			switch {
			case verbs && res:
				return "use a wildcard verb and resource " + grantWhere(b), a, true
			case verbs:
				return "use a wildcard verb " + grantWhere(b), a, true
			case res:
				return "use a wildcard resource " + grantWhere(b), a, true
			}
			return "", grantAccess{}, false
		}, nil),
	}
}

func secretsRead() *rules.Rule {
	accesses := []grantAccess{
		{verb: "get", resource: "secrets"},
		{verb: "list", resource: "secrets"},
		{verb: "watch", resource: "secrets"},
	}
	return &rules.Rule{
		ID:       "rbac-secrets-read",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can read all Secrets",
		Rationale: "Secrets hold service account tokens, registry and database credentials and TLS keys; " +
			"get, list or watch on every Secret of a namespace (list and watch return their contents too) is " +
			"as good as those credentials. Through a ClusterRoleBinding it covers every namespace, kube-system " +
			"included (high); through a RoleBinding one namespace (medium).",
		Remediation: "Grant get on the few Secrets needed, by resourceNames, or mount them into the pod instead " +
			"of reading them through the API; bind with a RoleBinding rather than a ClusterRoleBinding.",
		References: finding.References{
			CIS:   []string{"5.1.2"},
			MITRE: []string{"T1552.007"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			var verbs []string
			var first grantAccess
			for _, a := range accesses {
				if a.allowedBy(b, r) {
					if verbs == nil {
						first = a
					}
					verbs = append(verbs, a.verb)
				}
			}
			if len(verbs) == 0 {
				return "", grantAccess{}, false
			}
			where := "in the cluster"
			if b.Namespace != "" {
				where = "in namespace " + b.Namespace
			}
			return fmt.Sprintf("read every Secret %s (%s)", where, strings.Join(verbs, ", ")), first, true
		}, func(b *rbac.Binding) finding.Severity {
			if b.Namespace == "" {
				return finding.SeverityHigh
			}
			return finding.SeverityMedium
		}),
	}
}

// workloadResources are the kinds whose objects make pods.
var workloadResources = []struct{ group, resource string }{
	{"", "pods"},
	{"apps", "deployments"},
	{"apps", "daemonsets"},
	{"apps", "statefulsets"},
	{"apps", "replicasets"},
	{"batch", "jobs"},
	{"batch", "cronjobs"},
	{"", "replicationcontrollers"},
	{"extensions", "deployments"},
	{"extensions", "daemonsets"},
	{"extensions", "replicasets"},
}

func workloadCreate() *rules.Rule {
	var accesses []grantAccess
	for _, w := range workloadResources {
		accesses = append(accesses,
			grantAccess{verb: "create", group: w.group, resource: w.resource},
			grantAccess{verb: "update", group: w.group, resource: w.resource, named: true},
			grantAccess{verb: "patch", group: w.group, resource: w.resource, named: true})
	}
	return &rules.Rule{
		ID:       "rbac-workload-create",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityMedium,
		Title:    "Role can create or change workloads",
		Rationale: "Whoever can create pods, or the controllers' objects that make them, can run a pod as any " +
			"service account of the namespace and read its token, mount any Secret and ConfigMap there, and, " +
			"unless Pod Security Admission stops it, start privileged pods that take over the node.",
		Remediation: "Leave workload changes to the deployment pipeline's own service account; give people and " +
			"other service accounts view access, and keep the namespace at the restricted Pod Security level.",
		References: finding.References{
			CIS:   []string{"5.1.4"},
			MITRE: []string{"T1610", "T1611", "T1552.007"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			whose := "of namespace " + b.Namespace
			if b.Namespace == "" {
				whose = "of every namespace"
			}
			return fmt.Sprintf("%s %s %s, and so run pods as any service account %s and read its token",
				a.verb, a.target(), grantWhere(b), whose), a, true
		}, nil),
	}
}

func podExec() *rules.Rule {
	accesses := []grantAccess{
		{verb: "create", resource: "pods", sub: "exec", named: true},
		{verb: "get", resource: "pods", sub: "exec", named: true}, // older clients exec with GET
		{verb: "create", resource: "pods", sub: "attach", named: true},
		{verb: "get", resource: "pods", sub: "attach", named: true},
		{verb: "create", resource: "pods", sub: "portforward", named: true},
		// An ephemeral container is kubectl debug: a shell in the pod.
		{verb: "update", resource: "pods", sub: "ephemeralcontainers", named: true},
		{verb: "patch", resource: "pods", sub: "ephemeralcontainers", named: true},
	}
	action := map[string]string{
		"exec":                "exec into pods",
		"attach":              "attach to pods",
		"portforward":         "port-forward to pods",
		"ephemeralcontainers": "add ephemeral containers to pods",
	}
	return &rules.Rule{
		ID:       "rbac-pod-exec",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can exec into, attach to or port-forward to pods",
		Rationale: "A shell in a running pod gives its service account token, its mounted Secrets and its " +
			"network position; port-forwarding reaches ports that network policies and Services keep private. " +
			"What is typed in an interactive shell never reaches the API server's audit log.",
		Remediation: "Keep exec, attach, port-forward and ephemeral containers for break-glass access: grant " +
			"pods/exec, pods/attach, pods/portforward and pods/ephemeralcontainers through a separate, " +
			"time-limited binding, and limit them by resourceNames where possible.",
		References: finding.References{
			MITRE: []string{"T1609", "T1552.007"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			return action[a.sub] + " " + grantWhere(b), a, true
		}, nil),
	}
}

func escalateBindImpersonate() *rules.Rule {
	const authn = "authentication.k8s.io"
	base := []grantAccess{
		{verb: "escalate", group: rbacv1.GroupName, resource: "roles", named: true},
		{verb: "escalate", group: rbacv1.GroupName, resource: "clusterroles", named: true, cluster: true},
		{verb: "bind", group: rbacv1.GroupName, resource: "roles", named: true},
		// A RoleBinding to a ClusterRole is checked for bind on the
		// ClusterRole in the binding's namespace, so it is not cluster-only.
		{verb: "bind", group: rbacv1.GroupName, resource: "clusterroles", named: true},
		{verb: "impersonate", resource: "users", named: true, cluster: true},
		{verb: "impersonate", resource: "groups", named: true, cluster: true},
		{verb: "impersonate", resource: "serviceaccounts", named: true},
		{verb: "impersonate", group: authn, resource: "uids", named: true, cluster: true},
		{verb: "impersonate", group: authn, resource: "userextras", named: true, cluster: true},
	}
	effect := map[string]string{
		"escalate":    "writing permissions it does not hold into them",
		"bind":        "granting permissions it does not hold",
		"impersonate": "acting with their permissions",
	}
	return &rules.Rule{
		ID:       "rbac-escalate-bind-impersonate",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityCritical,
		Title:    "Role can escalate, bind or impersonate",
		Rationale: "RBAC stops users from granting permissions they do not hold, except to those allowed to " +
			"escalate or bind roles; impersonating a user, group or service account acts with its permissions. " +
			"Each leads in one request to whatever the target role or identity holds, up to cluster-admin.",
		Remediation: "Remove escalate, bind and impersonate (and the \"*\" verbs that include them); where a " +
			"controller must create bindings, limit bind by resourceNames to the roles it hands out.",
		References: finding.References{
			CIS:   []string{"5.1.8"},
			MITRE: []string{"T1098", "T1078"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			accesses := slices.Clip(base) // appends below must not write into base
			// Extra attributes are checked as subresources, one per key.
			for _, res := range r.Resources {
				if key, ok := strings.CutPrefix(res, "userextras/"); ok {
					accesses = append(accesses, grantAccess{verb: "impersonate", group: authn,
						resource: "userextras", sub: key, named: true, cluster: true})
				}
			}
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			return fmt.Sprintf("%s %s %s, %s", a.verb, a.resource, grantWhere(b), effect[a.verb]), a, true
		}, nil),
	}
}

func nodesProxy() *rules.Rule {
	accesses := []grantAccess{
		{verb: "get", resource: "nodes", sub: "proxy", named: true, cluster: true},
		{verb: "create", resource: "nodes", sub: "proxy", named: true, cluster: true},
	}
	return &rules.Rule{
		ID:       "rbac-nodes-proxy",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can reach the kubelet API through nodes/proxy",
		Rationale: "nodes/proxy passes requests to the kubelet's API, which can run commands in any pod on the " +
			"node; those requests bypass admission control and the API server's audit of pod exec.",
		Remediation: "Remove nodes/proxy; monitoring agents should read metrics from /metrics endpoints or " +
			"nodes/metrics and nodes/stats instead.",
		References: finding.References{
			CIS:   []string{"5.1.10"},
			MITRE: []string{"T1609", "T1611"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			return a.verb + " nodes/proxy, reaching the kubelet API and every pod on the node", a, true
		}, nil),
	}
}

func tokenCreate() *rules.Rule {
	accesses := []grantAccess{{verb: "create", resource: "serviceaccounts", sub: "token", named: true}}
	return &rules.Rule{
		ID:       "rbac-token-create",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can create service account tokens",
		Rationale: "Create on serviceaccounts/token mints API tokens, possibly long-lived, for the service " +
			"accounts it covers, so the subject holds their permissions without running a pod.",
		Remediation: "Remove create on serviceaccounts/token, or limit it by resourceNames to the service " +
			"accounts the subject must act as.",
		References: finding.References{
			CIS:   []string{"5.1.13"},
			MITRE: []string{"T1528", "T1098"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			whose := "of namespace " + b.Namespace
			if b.Namespace == "" {
				whose = "of every namespace"
			}
			return "create serviceaccounts/token " + grantWhere(b) + ", minting API tokens for the service accounts " + whose, a, true
		}, nil),
	}
}

func csrApprove() *rules.Rule {
	const certs = "certificates.k8s.io"
	approval := []grantAccess{
		{verb: "update", group: certs, resource: "certificatesigningrequests", sub: "approval", named: true, cluster: true},
		{verb: "patch", group: certs, resource: "certificatesigningrequests", sub: "approval", named: true, cluster: true},
	}
	signers := []grantAccess{{verb: "approve", group: certs, resource: "signers", named: true, cluster: true}}
	return &rules.Rule{
		ID:       "rbac-csr-approve",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can approve certificate signing requests",
		Rationale: "Approving a CertificateSigningRequest for the kube-apiserver-client signer issues a client " +
			"certificate for any user or group the request names, system:masters included; a certificate cannot " +
			"be revoked before it expires.",
		Remediation: "Leave CSR approval to the controller manager; where a controller must approve, limit " +
			"approve on signers by resourceNames to its own signer.",
		References: finding.References{
			CIS:   []string{"5.1.11"},
			MITRE: []string{"T1098"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: func(p *rules.Pass) {
			m := rules.Use(p, rbac.ModelAnalysis)
			for _, b := range m.Bindings {
				if !grantReviewed(b) {
					continue
				}
				upd := slices.IndexFunc(b.Rules, func(r rbacv1.PolicyRule) bool { _, ok := grantFirst(b, &r, approval); return ok })
				appr := slices.IndexFunc(b.Rules, func(r rbacv1.PolicyRule) bool { _, ok := grantFirst(b, &r, signers); return ok })
				if upd < 0 || appr < 0 {
					continue
				}
				which := "every signer"
				if names := b.Rules[appr].ResourceNames; len(names) > 0 {
					which = "signers " + strings.Join(names, ",")
				}
				rs := rbac.DescribeRule(b.Rules[upd])
				if appr != upd {
					rs = "rules: " + rs + "; " + rbac.DescribeRule(b.Rules[appr])
				} else {
					rs = "rule: " + rs
				}
				p.Reportf(b.Object, "roleRef", "%s can approve certificate signing requests for %s cluster-wide via %s (%s)",
					grantSubjects(b), which, grantVia(b), rs)
				// One query: the approval subresource; the signer side is
				// the same binding's rule appr.
				a, _ := grantFirst(b, &b.Rules[upd], approval)
				confirmGrant(p, b, &b.Rules[upd], a)
			}
		},
	}
}

func webhookConfigWrite() *rules.Rule {
	var accesses []grantAccess
	for _, res := range []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"} {
		for _, verb := range []string{"create", "update", "patch", "delete"} {
			accesses = append(accesses, grantAccess{verb: verb, group: "admissionregistration.k8s.io", resource: res,
				named: verb != "create", cluster: true})
		}
	}
	return &rules.Rule{
		ID:       "rbac-webhook-config-write",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Role can change admission webhook configurations",
		Rationale: "A mutating webhook sees and can rewrite every object it matches, Secrets and pod specs " +
			"included; deleting or changing a validating webhook turns off the policies it enforces.",
		Remediation: "Limit write access to webhook configurations to the controllers that own them, by " +
			"resourceNames to their own configurations.",
		References: finding.References{
			CIS:   []string{"5.1.12"},
			MITRE: []string{"T1562", "T1552.007"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: checkGrants(func(b *rbac.Binding, r *rbacv1.PolicyRule) (string, grantAccess, bool) {
			a, ok := grantFirst(b, r, accesses)
			if !ok {
				return "", grantAccess{}, false
			}
			return fmt.Sprintf("%s %s, changing what the API server admits", a.verb, a.resource), a, true
		}, nil),
	}
}
