package auditpolicy

// Operation is a request whose audit record matters.
type Operation struct {
	Request Request
	// Sensitive operations are those an investigation needs: reading
	// credentials, running code in pods, changing permissions or admission.
	Sensitive bool
	// LeaksAt, when set, is the lowest level at which the log holds secret
	// material for this operation: request bodies (Request) or response
	// bodies (RequestResponse).
	LeaksAt Level
	// Why says what the operation does, for reports.
	Why string
}

// Name is the operation as "verb resource[.group][/subresource]".
func (o Operation) Name() string { return o.Request.String() }

// probeUser is the user of the requests in Operations: an ordinary
// authenticated user, so that rules for system components do not apply.
const probeUser = "kguard:audit-probe"

var probeGroups = []string{"system:authenticated"}

func op(verb, group, resource, sub, why string, sensitive bool, leaks Level) Operation {
	ns := "default"
	if clusterScoped[resource] {
		ns = ""
	}
	return Operation{
		Request:   Request{User: probeUser, Groups: probeGroups, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns},
		Sensitive: sensitive, LeaksAt: leaks, Why: why,
	}
}

var clusterScoped = map[string]bool{
	"clusterroles": true, "clusterrolebindings": true, "nodes": true, "namespaces": true,
	"mutatingwebhookconfigurations": true, "validatingwebhookconfigurations": true,
	"tokenreviews": true, "subjectaccessreviews": true, "certificatesigningrequests": true,
	"customresourcedefinitions": true,
}

const (
	rbacGroup  = "rbac.authorization.k8s.io"
	admitGroup = "admissionregistration.k8s.io"
)

// Operations returns the fixed list of operations kguard checks audit
// policies against: sensitive ones first, then a few ordinary ones. The
// requests are made by an ordinary user in namespace "default" (cluster-
// scoped resources have no namespace).
func Operations() []Operation {
	ops := []Operation{
		op("get", "", "secrets", "", "read a Secret", true, LevelRequestResponse),
		op("list", "", "secrets", "", "read every Secret of a namespace", true, LevelRequestResponse),
		op("watch", "", "secrets", "", "stream every Secret of a namespace", true, LevelRequestResponse),
		op("create", "", "secrets", "", "store a Secret", true, LevelRequest),
		op("update", "", "secrets", "", "replace a Secret", true, LevelRequest),
		op("create", "", "pods", "exec", "run a command in a container", true, ""),
		op("get", "", "pods", "exec", "run a command in a container (WebSocket)", true, ""),
		op("create", "", "pods", "attach", "attach to a running container", true, ""),
		op("create", "", "pods", "portforward", "open a tunnel into a pod", true, ""),
		op("patch", "", "pods", "ephemeralcontainers", "add a debug container to a running pod", true, ""),
		op("get", "", "nodes", "proxy", "reach the kubelet API through the API server", true, ""),
		op("create", "", "serviceaccounts", "token", "mint a service account token", true, LevelRequestResponse),
		op("create", "authentication.k8s.io", "tokenreviews", "", "check a bearer token (the request holds it)", true, LevelRequest),
		op("create", "authorization.k8s.io", "subjectaccessreviews", "", "probe what a subject may do", true, ""),
		op("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "approve a client certificate", true, ""),
	}
	for _, res := range []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"} {
		for _, verb := range []string{"create", "update", "delete"} {
			ops = append(ops, op(verb, rbacGroup, res, "", verb+" an RBAC "+res[:len(res)-1], true, ""))
		}
	}
	for _, res := range []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"} {
		for _, verb := range []string{"create", "update", "delete"} {
			ops = append(ops, op(verb, admitGroup, res, "", verb+" an admission webhook", true, ""))
		}
	}
	ops = append(ops,
		op("create", "", "pods", "", "start a workload", false, ""),
		op("get", "", "configmaps", "", "read a ConfigMap", false, ""),
		op("list", "", "pods", "", "list pods", false, ""),
		op("update", "apps", "deployments", "", "change a Deployment", false, ""),
		op("create", "", "events", "", "record an event", false, ""),
		Operation{Request: Request{User: probeUser, Groups: probeGroups, Verb: "get", NonResourceURL: "/healthz"}, Why: "health check"},
		Operation{Request: Request{User: probeUser, Groups: probeGroups, Verb: "get", NonResourceURL: "/version"}, Why: "read the server version"},
	)
	return ops
}

// CatchAllProbes are requests no policy names on purpose: an unknown API
// group's resource, by an unknown user, and an unknown URL. A policy with a
// final catch-all rule records them; otherwise they fall to level None.
func CatchAllProbes() []Request {
	var out []Request
	for _, verb := range []string{"get", "list", "create", "update", "patch", "delete"} {
		out = append(out, Request{User: "kguard:unusual-user", Groups: []string{"kguard:unusual-group", "system:authenticated"},
			Verb: verb, APIGroup: "unusual.kguard.example.com", Resource: "widgets", Namespace: "kguard-unusual"})
	}
	out = append(out,
		Request{User: "kguard:unusual-user", Groups: []string{"system:authenticated"}, Verb: "create",
			APIGroup: "unusual.kguard.example.com", Resource: "clusterwidgets"},
		Request{User: "kguard:unusual-user", Groups: []string{"system:authenticated"}, Verb: "get", NonResourceURL: "/kguard-unusual-path"},
	)
	return out
}
