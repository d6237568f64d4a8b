package netpol

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/inventory"
)

// Conformance suite: the situations the upstream network-policy e2e tests
// cover, written as our own table of scenarios. Each scenario is a YAML
// bundle and, for one or more (port, protocol) probes, the full expected
// reachability matrix over all of its pods, derived by hand from the
// documented rules (see doc.go). External-address probes cover ipBlock.
//
// Matrices are written as text: the first line names the destination
// columns, every other line is a source pod followed by one cell per column,
// "X" allowed and "." denied (spaces between cells are ignored, so cells
// may be grouped by namespace).
//
// The diagonal (a pod to itself) follows the rules like any other pair: for
// a workload it stands for one replica reaching another. Upstream e2e tests
// treat loopback to the pod's own address as always allowed; the engine does
// not special-case it and neither do these matrices.

// confStdHeader lists the pods of the standard cluster, in model order.
const confStdHeader = "x/a x/b x/c y/a y/b y/c z/a z/b z/c\n"

// std prefixes the standard header to matrix rows.
func confStd(rows string) string { return confStdHeader + rows }

// Frequently used standard matrices.
var (
	// Everything reaches everything.
	confStdAll = confStd(`
x/a XXX XXX XXX
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)
	// Nothing reaches x/a; everything else is open.
	confStdDenyToXA = confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)
	// x/a reaches nothing; everything else is open.
	confStdDenyFromXA = confStd(`
x/a ... ... ...
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)
)

// confStdCluster is the standard topology of the upstream tests: namespaces x,
// y, z and pods a, b, c in each, every pod serving ports 80 and 81 on TCP,
// UDP and SCTP under the names serve-<port>-<proto>.
//
//	namespace labels: x {ns: x, env: prod}, y {ns: y, env: dev}, z {ns: z}
//	pod labels:       a {pod: a, tier: front}, b {pod: b, tier: back}, c {pod: c}
func confStdCluster() string {
	var b strings.Builder
	nsLabels := map[string]string{"x": "{ns: x, env: prod}", "y": "{ns: 'y', env: dev}", "z": "{ns: z}"}
	podLabels := map[string]string{"a": "{pod: a, tier: front}", "b": "{pod: b, tier: back}", "c": "{pod: c}"}
	for _, ns := range []string{"x", "y", "z"} {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: '%s'\n  labels: %s\n---\n", ns, nsLabels[ns])
	}
	for _, ns := range []string{"x", "y", "z"} {
		for _, p := range []string{"a", "b", "c"} {
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: '%s'\n  labels: %s\nspec:\n  containers:\n", p, ns, podLabels[p])
			for _, proto := range []string{"TCP", "UDP", "SCTP"} {
				fmt.Fprintf(&b, "  - name: c-%s\n    image: agnhost\n    ports:\n", strings.ToLower(proto))
				for _, port := range []int{80, 81} {
					fmt.Fprintf(&b, "    - {name: serve-%d-%s, containerPort: %d, protocol: %s}\n", port, strings.ToLower(proto), port, proto)
				}
			}
			b.WriteString("---\n")
		}
	}
	return b.String()
}

type confProbe struct {
	port  int32
	proto corev1.Protocol // TCP when empty
	want  string          // matrix text
}

// confExtProbe is one connection with an address outside the cluster on
// either side.
type confExtProbe struct {
	from, to string // "namespace/name" or an IP address
	port     int32
	proto    corev1.Protocol
	want     bool
}

type confScenario struct {
	name string
	// The cluster: bundle (inline YAML), else file (under
	// testdata/conformance), else the standard cluster.
	bundle, file string
	// objects are appended to the cluster: usually the policies.
	objects string
	opts    Options
	probes  []confProbe
	ext     []confExtProbe
	// knownBug describes an engine bug the scenario exposes: its
	// mismatches skip the test instead of failing it, and the test fails
	// once the scenario passes so the marker gets removed.
	knownBug string
}

// Policy snippets shared by several scenarios.
const (
	confDenyIngressX = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
	confDenyEgressX = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
`
)

// confIngressToXA is a policy in x selecting pod a with the given ingress rules.
func confIngressToXA(name, rules string) string {
	return fmt.Sprintf(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: %s, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
%s
`, name, rules)
}

// confEgressFromXA is a policy in x selecting pod a with the given egress rules.
func confEgressFromXA(name, rules string) string {
	return fmt.Sprintf(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: %s, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
%s
`, name, rules)
}

func confJoin(docs ...string) string { return strings.Join(docs, "\n---\n") }

var confScenarios = []confScenario{
	// ---- No policies ----
	{
		name: "no policies: everything allowed",
		// No policy selects any pod: no pod is isolated in either direction.
		probes: []confProbe{{80, "", confStdAll}, {81, corev1.ProtocolUDP, confStdAll}, {80, corev1.ProtocolSCTP, confStdAll}},
		ext: []confExtProbe{
			{"x/a", "8.8.8.8", 80, "", true},
			{"8.8.8.8", "x/a", 80, "", true},
			{"2001:db8::1", "z/c", 443, "", true},
		},
	},
	{
		name: "policy selecting no pod changes nothing",
		// The selector matches no pod: nothing is isolated (the same as
		// deleting every policy).
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nobody, namespace: x}
spec:
  podSelector: {matchLabels: {pod: nobody}}
  policyTypes: [Ingress, Egress]
`,
		probes: []confProbe{{80, "", confStdAll}},
		ext:    []confExtProbe{{"x/a", "8.8.8.8", 80, "", true}, {"8.8.8.8", "x/a", 80, "", true}},
	},

	// ---- Default deny ----
	{
		name: "default deny ingress",
		// Every pod of x is isolated for ingress with no rule: columns x/*
		// are closed, egress is untouched.
		objects: confDenyIngressX,
		probes: []confProbe{{80, "", confStd(`
x/a ... XXX XXX
x/b ... XXX XXX
x/c ... XXX XXX
y/a ... XXX XXX
y/b ... XXX XXX
y/c ... XXX XXX
z/a ... XXX XXX
z/b ... XXX XXX
z/c ... XXX XXX`)}},
		ext: []confExtProbe{
			{"8.8.8.8", "x/a", 80, "", false},
			{"x/a", "8.8.8.8", 80, "", true},
			{"8.8.8.8", "y/a", 80, "", true},
		},
	},
	{
		name: "default deny ingress with policyTypes omitted",
		// No policyTypes and no egress rules: defaults to [Ingress], so
		// the same as above.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec:
  podSelector: {}
`,
		probes: []confProbe{{81, corev1.ProtocolUDP, confStd(`
x/a ... XXX XXX
x/b ... XXX XXX
x/c ... XXX XXX
y/a ... XXX XXX
y/b ... XXX XXX
y/c ... XXX XXX
z/a ... XXX XXX
z/b ... XXX XXX
z/c ... XXX XXX`)}},
		ext: []confExtProbe{{"x/b", "1.1.1.1", 443, "", true}},
	},
	{
		name: "default deny egress",
		// Pods of x are isolated for egress with no rule: rows x/* are
		// closed, their ingress stays open.
		objects: confDenyEgressX,
		probes: []confProbe{{80, "", confStd(`
x/a ... ... ...
x/b ... ... ...
x/c ... ... ...
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
		ext: []confExtProbe{
			{"x/a", "8.8.8.8", 53, corev1.ProtocolUDP, false},
			{"8.8.8.8", "x/a", 80, "", true},
			{"y/a", "8.8.8.8", 80, "", true},
		},
	},
	{
		name: "default deny ingress and egress",
		// One policy with both types: rows and columns of x are closed.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
		probes: []confProbe{{80, "", confStd(`
x/a ... ... ...
x/b ... ... ...
x/c ... ... ...
y/a ... XXX XXX
y/b ... XXX XXX
y/c ... XXX XXX
z/a ... XXX XXX
z/b ... XXX XXX
z/c ... XXX XXX`)}},
		ext: []confExtProbe{{"x/c", "8.8.8.8", 80, "", false}, {"8.8.8.8", "x/c", 80, "", false}},
	},

	// ---- Allow all ----
	{
		name: "allow all ingress",
		// ingress: [{}] is one rule with no from and no ports: every peer,
		// every port.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress: [{}]
`,
		probes: []confProbe{{80, "", confStdAll}, {81, corev1.ProtocolUDP, confStdAll}, {8443, corev1.ProtocolSCTP, confStdAll}},
		ext:    []confExtProbe{{"8.8.8.8", "x/a", 80, "", true}},
	},
	{
		name: "allow all ingress adds to default deny",
		// Policies are a union: allow-all opens what deny-ingress closed.
		objects: confJoin(confDenyIngressX, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress: [{}]
`),
		probes: []confProbe{{80, "", confStdAll}},
		ext:    []confExtProbe{{"8.8.8.8", "x/b", 80, "", true}},
	},
	{
		name: "allow all egress adds to default deny egress",
		objects: confJoin(confDenyEgressX, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-egress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
`),
		probes: []confProbe{{80, "", confStdAll}},
		ext:    []confExtProbe{{"x/a", "8.8.8.8", 80, "", true}},
	},
	{
		name: "empty ingress list with Ingress type denies all",
		// ingress: [] has no rule at all: x/a is isolated and nothing
		// matches.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: none, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: []
`,
		probes: []confProbe{{80, "", confStdDenyToXA}},
		ext:    []confExtProbe{{"8.8.8.8", "x/a", 80, "", false}, {"8.8.8.8", "x/b", 80, "", true}},
	},

	// ---- Peers: namespaces and pods ----
	{
		name: "allow from namespace by label",
		// x/a admits the pods of namespaces labelled ns=y only; no
		// same-namespace exception.
		objects: confIngressToXA("from-y", `  - from: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 80, "", false}},
	},
	{
		name: "allow from namespace by automatic metadata.name label",
		// Namespace z has no label naming it other than the automatic
		// kubernetes.io/metadata.name.
		objects: confIngressToXA("from-z", `  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
	},
	{
		name: "automatic metadata.name label without a Namespace object",
		// Namespaces w and v exist only through their pods; w still
		// carries kubernetes.io/metadata.name=w. x/server is reached from
		// w only (server itself is in x, so not even from itself).
		bundle: `
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: x, labels: {app: server}}
spec: {containers: [{name: s, image: s}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: w, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: v, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
`,
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-w, namespace: x}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: w}}}]
`,
		probes: []confProbe{{80, "", `
         x/server w/client v/other
x/server    .        X        X
w/client    X        X        X
v/other     .        X        X`}},
	},
	{
		name: "allow from pod in the same namespace",
		// A podSelector alone selects pods of the policy's namespace: x/b
		// yes, y/b and z/b (also pod=b) no.
		objects: confIngressToXA("from-b", `  - from: [{podSelector: {matchLabels: {pod: b}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name: "podSelector AND namespaceSelector in one peer",
		// One peer with both selectors: pods b of namespace y only.
		objects: confIngressToXA("y-and-b", `  - from: [{namespaceSelector: {matchLabels: {ns: 'y'}}, podSelector: {matchLabels: {pod: b}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b XXX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name: "podSelector OR namespaceSelector as two peers",
		// Two peers: every pod of y, or pod b of x (the policy's
		// namespace).
		objects: confIngressToXA("y-or-b", `  - from: [{namespaceSelector: {matchLabels: {ns: 'y'}}}, {podSelector: {matchLabels: {pod: b}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name:    "empty namespaceSelector with podSelector: pod b of every namespace",
		objects: confIngressToXA("any-b", `  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}]`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b XXX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b XXX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name:    "empty namespaceSelector alone: every pod, no external address",
		objects: confIngressToXA("any-pod", `  - from: [{namespaceSelector: {}}]`),
		probes:  []confProbe{{80, "", confStdAll}},
		ext:     []confExtProbe{{"8.8.8.8", "x/a", 80, "", false}, {"10.0.0.1", "x/a", 80, "", false}},
	},
	{
		name: "empty podSelector in policy selects all pods, empty peer podSelector means own namespace",
		// Every pod of x admits every pod of x and nothing else.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-ns, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {}}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a XXX XXX XXX
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a ... XXX XXX
y/b ... XXX XXX
y/c ... XXX XXX
z/a ... XXX XXX
z/b ... XXX XXX
z/c ... XXX XXX`)}},
	},
	{
		name: "policy in another namespace does not apply",
		// The policy lives in y: it isolates y/a only, never x/a or z/a.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-a, namespace: 'y'}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
`,
		probes: []confProbe{{80, "", confStd(`
x/a XXX .XX XXX
x/b XXX .XX XXX
x/c XXX .XX XXX
y/a XXX .XX XXX
y/b XXX .XX XXX
y/c XXX .XX XXX
z/a XXX .XX XXX
z/b XXX .XX XXX
z/c XXX .XX XXX`)}},
	},
	{
		name: "pods without namespace are in default, with policies without namespace",
		bundle: `
apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: a}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: {app: b}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: other, labels: {app: a}}
spec: {containers: [{name: c, image: c}]}
`,
		// Isolates default/a (not other/c, same labels elsewhere) and
		// admits default/b.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
`,
		probes: []confProbe{{80, "", `
          default/a default/b other/c
default/a     .         X        X
default/b     X         X        X
other/c       .         X        X`}},
	},

	// ---- Several policies ----
	{
		name: "multiple policies add up",
		// One policy admits x/b, another the pods of z: x/a admits both.
		objects: confJoin(
			confIngressToXA("from-b", `  - from: [{podSelector: {matchLabels: {pod: b}}}]`),
			confIngressToXA("from-z", `  - from: [{namespaceSelector: {matchLabels: {ns: z}}}]`)),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
	},
	{
		name: "policies add up per port",
		// x/b on 80 by one policy, x/c on 81 by another; 82 by none.
		objects: confJoin(
			confIngressToXA("b-on-80", "  - from: [{podSelector: {matchLabels: {pod: b}}}]\n    ports: [{port: 80}]"),
			confIngressToXA("c-on-81", "  - from: [{podSelector: {matchLabels: {pod: c}}}]\n    ports: [{port: 81}]")),
		probes: []confProbe{
			{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)},
			{81, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c XXX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)},
			{82, "", confStdDenyToXA},
		},
	},
	{
		name: "rules of one policy add up, each with its own ports",
		// Rule 1: x/b on 80; rule 2: namespace y on 81/UDP.
		objects: confIngressToXA("two-rules", `  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: 80}]
  - from: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]
    ports: [{port: 81, protocol: UDP}]`),
		probes: []confProbe{
			{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)},
			{81, corev1.ProtocolUDP, confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)},
			{81, "", confStdDenyToXA},
		},
	},

	// ---- Ports and protocols ----
	{
		name:    "numbered port, protocol defaults to TCP",
		objects: confIngressToXA("port-80", "  - ports: [{port: 80}]"),
		probes: []confProbe{
			{80, "", confStdAll},
			{81, "", confStdDenyToXA},
			{80, corev1.ProtocolUDP, confStdDenyToXA},
			{80, corev1.ProtocolSCTP, confStdDenyToXA},
		},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 80, "", true}, {"8.8.8.8", "x/a", 81, "", false}},
	},
	{
		name: "named port resolves against the destination's container ports",
		// serve-81-tcp is 81/TCP on x/a.
		objects: confIngressToXA("named", "  - ports: [{port: serve-81-tcp}]"),
		probes: []confProbe{
			{81, "", confStdAll},
			{80, "", confStdDenyToXA},
			{81, corev1.ProtocolUDP, confStdDenyToXA},
		},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 81, "", true}},
	},
	{
		name:    "named port with UDP protocol",
		objects: confIngressToXA("named-udp", "  - ports: [{port: serve-80-udp, protocol: UDP}]"),
		probes: []confProbe{
			{80, corev1.ProtocolUDP, confStdAll},
			{80, "", confStdDenyToXA},
			{81, corev1.ProtocolUDP, confStdDenyToXA},
		},
	},
	{
		name: "named port whose protocol differs from the rule's",
		// serve-80-udp is a UDP port but the rule's protocol defaults to
		// TCP: the name resolves to nothing, no probe passes.
		objects: confIngressToXA("named-mismatch", "  - ports: [{port: serve-80-udp}]"),
		probes: []confProbe{
			{80, corev1.ProtocolUDP, confStdDenyToXA},
			{80, "", confStdDenyToXA},
		},
	},
	{
		name: "named port in egress resolves against the destination",
		// Every pod serves serve-80-tcp on 80: x/a reaches all of them on
		// 80/TCP, none on 81; an external address has no named ports.
		objects: confEgressFromXA("named-egress", "  - ports: [{port: serve-80-tcp}]"),
		probes: []confProbe{
			{80, "", confStdAll},
			{81, "", confStdDenyFromXA},
		},
		ext: []confExtProbe{{"x/a", "8.8.8.8", 80, "", false}, {"8.8.8.8", "x/a", 81, "", true}},
	},
	{
		name: "same port name, different numbers in different pods (ingress)",
		// "http" is 8080 on web1 and 9090 on web2, absent on db and client:
		// the policy selects all four and admits only on http.
		bundle: confNamedPortsBundle,
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: http-only, namespace: x}
spec:
  podSelector: {}
  ingress: [{ports: [{port: http}]}]
`,
		probes: []confProbe{
			{8080, "", `
         x/web1 x/web2 x/db x/client
x/web1     X      .     .      .
x/web2     X      .     .      .
x/db       X      .     .      .
x/client   X      .     .      .`},
			{9090, "", `
         x/web1 x/web2 x/db x/client
x/web1     .      X     .      .
x/web2     .      X     .      .
x/db       .      X     .      .
x/client   .      X     .      .`},
			{5432, "", `
         x/web1 x/web2 x/db x/client
x/web1     .      .     .      .
x/web2     .      .     .      .
x/db       .      .     .      .
x/client   .      .     .      .`},
		},
		ext: []confExtProbe{{"8.8.8.8", "x/web2", 9090, "", true}, {"8.8.8.8", "x/web2", 8080, "", false}},
	},
	{
		name: "same port name, different numbers in different pods (egress)",
		// client may send to "http" only: web1 on 8080, web2 on 9090.
		bundle: confNamedPortsBundle,
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-http, namespace: x}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{ports: [{port: http}]}]
`,
		probes: []confProbe{
			{8080, "", `
         x/web1 x/web2 x/db x/client
x/web1     X      X     X      X
x/web2     X      X     X      X
x/db       X      X     X      X
x/client   X      .     .      .`},
			{9090, "", `
         x/web1 x/web2 x/db x/client
x/web1     X      X     X      X
x/web2     X      X     X      X
x/db       X      X     X      X
x/client   .      X     .      .`},
		},
		ext: []confExtProbe{{"x/client", "10.0.0.1", 8080, "", false}},
	},
	{
		name:    "endPort range with inclusive bounds",
		objects: confIngressToXA("range", "  - ports: [{port: 80, endPort: 82}]"),
		probes: []confProbe{
			{79, "", confStdDenyToXA},
			{80, "", confStdAll},
			{81, "", confStdAll},
			{82, "", confStdAll},
			{83, "", confStdDenyToXA},
			{81, corev1.ProtocolUDP, confStdDenyToXA},
		},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 82, "", true}, {"8.8.8.8", "x/a", 83, "", false}},
	},
	{
		name:    "endPort range in egress applies to external addresses too",
		objects: confEgressFromXA("range", "  - ports: [{port: 30000, endPort: 32767, protocol: UDP}]"),
		probes: []confProbe{
			{30000, corev1.ProtocolUDP, confStdAll},
			{32767, corev1.ProtocolUDP, confStdAll},
			{32768, corev1.ProtocolUDP, confStdDenyFromXA},
			{30000, "", confStdDenyFromXA},
		},
		ext: []confExtProbe{{"x/a", "8.8.8.8", 31000, corev1.ProtocolUDP, true}, {"x/a", "8.8.8.8", 29999, corev1.ProtocolUDP, false}},
	},
	{
		name:    "UDP only",
		objects: confIngressToXA("udp-80", "  - ports: [{port: 80, protocol: UDP}]"),
		probes: []confProbe{
			{80, corev1.ProtocolUDP, confStdAll},
			{80, "", confStdDenyToXA},
			{80, corev1.ProtocolSCTP, confStdDenyToXA},
		},
	},
	{
		name:    "SCTP only",
		objects: confIngressToXA("sctp-81", "  - ports: [{port: 81, protocol: SCTP}]"),
		probes: []confProbe{
			{81, corev1.ProtocolSCTP, confStdAll},
			{81, "", confStdDenyToXA},
			{81, corev1.ProtocolUDP, confStdDenyToXA},
		},
	},
	{
		name:    "protocol without port: every port of that protocol",
		objects: confIngressToXA("all-udp", "  - ports: [{protocol: UDP}]"),
		probes: []confProbe{
			{80, corev1.ProtocolUDP, confStdAll},
			{5353, corev1.ProtocolUDP, confStdAll},
			{80, "", confStdDenyToXA},
		},
	},
	{
		name:    "several ports in one rule",
		objects: confIngressToXA("two-ports", "  - ports: [{port: 80}, {port: 81, protocol: UDP}]"),
		probes: []confProbe{
			{80, "", confStdAll},
			{81, corev1.ProtocolUDP, confStdAll},
			{81, "", confStdDenyToXA},
			{80, corev1.ProtocolUDP, confStdDenyToXA},
		},
	},

	// ---- Egress ----
	{
		name: "egress to DNS in kube-system",
		// Pods of x may send UDP 53 to pods labelled k8s-app=kube-dns in
		// kube-system only: not to metrics-server (wrong pod label), not to
		// x/impostor (wrong namespace), not over TCP, not outside.
		file: "dns.yaml",
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-only, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
`,
		probes: []confProbe{
			{53, corev1.ProtocolUDP, `
                          kube-system/coredns kube-system/metrics-server x/app x/impostor y/other
kube-system/coredns                X                     X                 X       X         X
kube-system/metrics-server         X                     X                 X       X         X
x/app                              X                     .                 .       .         .
x/impostor                         X                     .                 .       .         .
y/other                            X                     X                 X       X         X`},
			{53, corev1.ProtocolTCP, `
                          kube-system/coredns kube-system/metrics-server x/app x/impostor y/other
kube-system/coredns                X                     X                 X       X         X
kube-system/metrics-server         X                     X                 X       X         X
x/app                              .                     .                 .       .         .
x/impostor                         .                     .                 .       .         .
y/other                            X                     X                 X       X         X`},
		},
		ext: []confExtProbe{
			{"x/app", "8.8.8.8", 53, corev1.ProtocolUDP, false},
			{"y/other", "8.8.8.8", 53, corev1.ProtocolUDP, true},
		},
	},
	{
		name: "egress-only policy leaves ingress open",
		// x/a may send to x/b only; everybody may still reach x/a.
		objects: confEgressFromXA("to-b", "  - to: [{podSelector: {matchLabels: {pod: b}}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a .X. ... ...
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 80, "", true}, {"x/a", "8.8.8.8", 80, "", false}},
	},
	{
		name: "egress rules without policyTypes imply Egress (and Ingress)",
		// Defaulted policyTypes: [Ingress, Egress]. No ingress rule, so
		// x/a admits nobody; it may send to x/b only.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: implied, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress:
  - to: [{podSelector: {matchLabels: {pod: b}}}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a .X. ... ...
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
		ext: []confExtProbe{{"8.8.8.8", "x/a", 80, "", false}, {"x/a", "8.8.8.8", 80, "", false}},
	},
	{
		name: "policyTypes Ingress ignores egress rules",
		// Egress is not in policyTypes: the egress rule is dead, x/a's
		// egress stays open. Ingress admits x/c only.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {pod: c}}}]
  egress:
  - to: [{podSelector: {matchLabels: {pod: b}}}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c XXX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
		ext: []confExtProbe{{"x/a", "8.8.8.8", 80, "", true}},
	},
	{
		name: "policyTypes Egress ignores ingress rules",
		// Ingress is not in policyTypes: x/a admits everybody; it may
		// send to namespace y only.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a ... XXX ...
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
	},
	{
		name: "egress to external address on a port",
		// Pods of x may only send UDP 53 to 8.8.8.8/32, which covers no
		// pod network: x rows closed for pods.
		objects: confJoin(confDenyEgressX, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: google-dns, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 8.8.8.8/32}}]
    ports: [{port: 53, protocol: UDP}]
`),
		probes: []confProbe{{53, corev1.ProtocolUDP, confStd(`
x/a ... ... ...
x/b ... ... ...
x/c ... ... ...
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
		ext: []confExtProbe{
			{"x/a", "8.8.8.8", 53, corev1.ProtocolUDP, true},
			{"x/a", "8.8.8.8", 53, corev1.ProtocolTCP, false},
			{"x/b", "8.8.4.4", 53, corev1.ProtocolUDP, false},
			{"8.8.8.8", "x/a", 53, corev1.ProtocolUDP, true}, // ingress open
		},
	},
	{
		name: "egress and ingress must both allow",
		// x/a admits namespace y only; pods of y may send to x/a only.
		objects: confJoin(
			confIngressToXA("from-y", `  - from: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]`), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-xa, namespace: 'y'}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}]
`),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a X.. ... ...
y/b X.. ... ...
y/c X.. ... ...
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name: "egress allowed but destination ingress denies",
		// x may send to y only; y/a admits nobody.
		objects: confJoin(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-y, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]}]
`, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-a, namespace: 'y'}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
`),
		probes: []confProbe{{80, "", confStd(`
x/a ... .XX ...
x/b ... .XX ...
x/c ... .XX ...
y/a XXX .XX XXX
y/b XXX .XX XXX
y/c XXX .XX XXX
z/a XXX .XX XXX
z/b XXX .XX XXX
z/c XXX .XX XXX`)}},
	},
	{
		name: "pod selected for ingress and egress",
		// x/a admits x/b and sends to x/c only (so not to itself).
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: both, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
  egress: [{to: [{podSelector: {matchLabels: {pod: c}}}]}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a ..X ... ...
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name: "ingress and egress of a pod by separate policies",
		// One policy isolates x/b for ingress (from x/a), another for
		// egress (to y): x/a->x/b passes ingress, x/b->x/a fails egress.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: a}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-out, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: 'y'}}}]}]
`,
		probes: []confProbe{{80, "", confStd(`
x/a XXX XXX XXX
x/b ... XXX ...
x/c X.X XXX XXX
y/a X.X XXX XXX
y/b X.X XXX XXX
y/c X.X XXX XXX
z/a X.X XXX XXX
z/b X.X XXX XXX
z/c X.X XXX XXX`)}},
	},

	// ---- ipBlock ----
	{
		name: "ipBlock admits an external range",
		// 192.168.0.0/16 covers no pod network: no pod gets in.
		objects: confIngressToXA("lan", "  - from: [{ipBlock: {cidr: 192.168.0.0/16}}]"),
		probes:  []confProbe{{80, "", confStdDenyToXA}},
		ext: []confExtProbe{
			{"192.168.1.1", "x/a", 80, "", true},
			{"192.168.0.0", "x/a", 80, "", true},
			{"192.168.255.255", "x/a", 80, "", true},
			{"192.169.0.0", "x/a", 80, "", false},
			{"10.1.1.1", "x/a", 80, "", false},
			{"x/a", "192.168.1.1", 80, "", true}, // egress not isolated
		},
	},
	{
		name: "ipBlock with except, IPv4",
		// 10.0.0.0/8 minus 10.1.0.0/16, for egress from x/a.
		objects: confEgressFromXA("ten", "  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]"),
		probes:  []confProbe{{80, "", confStdDenyFromXA}},
		ext: []confExtProbe{
			{"x/a", "10.0.0.0", 80, "", true},
			{"x/a", "10.255.255.255", 80, "", true},
			{"x/a", "10.2.3.4", 80, "", true},
			{"x/a", "10.1.0.0", 80, "", false},
			{"x/a", "10.1.255.255", 80, "", false},
			{"x/a", "10.1.2.3", 80, "", false},
			{"x/a", "11.0.0.1", 80, "", false},
			{"x/a", "2001:db8::1", 80, "", false},
			{"y/a", "10.1.2.3", 80, "", true},
		},
	},
	{
		name:    "ipBlock with except, IPv6",
		objects: confIngressToXA("v6", "  - from: [{ipBlock: {cidr: \"2001:db8::/32\", except: [\"2001:db8:1::/48\"]}}]"),
		probes:  []confProbe{{80, "", confStdDenyToXA}},
		ext: []confExtProbe{
			{"2001:db8::1", "x/a", 80, "", true},
			{"2001:db8:2::1", "x/a", 80, "", true},
			{"2001:db8:1::5", "x/a", 80, "", false},
			{"2001:db8:1:ffff::1", "x/a", 80, "", false},
			{"2001:db9::1", "x/a", 80, "", false},
			{"10.0.0.1", "x/a", 80, "", false},
		},
	},
	{
		name: "ipBlock 0.0.0.0/0 matches pods",
		// Documented approximation: a block covering the whole (default)
		// IPv4 pod network matches every pod. It is IPv4 only.
		objects: confEgressFromXA("world", "  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]"),
		probes:  []confProbe{{80, "", confStdAll}},
		ext: []confExtProbe{
			{"x/a", "8.8.8.8", 80, "", true},
			{"x/a", "2001:db8::1", 80, "", false},
		},
	},
	{
		name: "ipBlock 10.0.0.0/8 does not match pods",
		// Pod addresses are unknown: a partial block matches no pod.
		objects: confEgressFromXA("ten", "  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]"),
		probes:  []confProbe{{80, "", confStdDenyFromXA}},
		ext: []confExtProbe{
			{"x/a", "10.1.1.1", 80, "", true},
			{"x/a", "8.8.8.8", 80, "", false},
		},
	},
	{
		name: "ipBlock 0.0.0.0/0 with except no longer matches pods",
		// The except range overlaps the pod network, so pods are not
		// known to be outside it.
		objects: confEgressFromXA("world-but-ten", "  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]"),
		probes:  []confProbe{{80, "", confStdDenyFromXA}},
		ext: []confExtProbe{
			{"x/a", "8.8.8.8", 80, "", true},
			{"x/a", "10.1.1.1", 80, "", false},
		},
	},
	{
		name:    "ipBlock ::/0 matches pods",
		objects: confIngressToXA("world6", "  - from: [{ipBlock: {cidr: \"::/0\"}}]"),
		probes:  []confProbe{{80, "", confStdAll}},
		ext: []confExtProbe{
			{"2001:db8::1", "x/a", 80, "", true},
			{"8.8.8.8", "x/a", 80, "", false},
		},
	},
	{
		name:    "ipBlock covering the configured pod network matches pods",
		opts:    Options{PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}},
		objects: confIngressToXA("ten", "  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]"),
		probes:  []confProbe{{80, "", confStdAll}},
		ext: []confExtProbe{
			{"10.1.1.1", "x/a", 80, "", true},
			{"8.8.8.8", "x/a", 80, "", false},
		},
	},
	{
		name:    "ipBlock except touching the configured pod network matches no pod",
		opts:    Options{PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}},
		objects: confIngressToXA("ten", "  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.244.1.0/24]}}]"),
		probes:  []confProbe{{80, "", confStdDenyToXA}},
		ext: []confExtProbe{
			{"10.244.1.5", "x/a", 80, "", false},
			{"10.244.2.5", "x/a", 80, "", true},
		},
	},
	{
		name:    "ingress from an external address and a pod",
		objects: confIngressToXA("mixed", "  - from: [{ipBlock: {cidr: 203.0.113.0/24}}, {podSelector: {matchLabels: {pod: b}}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c .XX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
		ext: []confExtProbe{
			{"203.0.113.7", "x/a", 80, "", true},
			{"198.51.100.1", "x/a", 80, "", false},
		},
	},

	// ---- matchExpressions ----
	{
		name:    "matchExpressions In",
		objects: confIngressToXA("in", "  - from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c .XX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name:    "matchExpressions NotIn on namespaces",
		objects: confIngressToXA("not-x", "  - from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c .XX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a XXX XXX XXX
z/b XXX XXX XXX
z/c XXX XXX XXX`)}},
	},
	{
		name: "matchExpressions Exists on namespaces",
		// x and y carry env, z does not.
		objects: confIngressToXA("has-env", "  - from: [{namespaceSelector: {matchExpressions: [{key: env, operator: Exists}]}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a XXX XXX XXX
x/b XXX XXX XXX
x/c XXX XXX XXX
y/a XXX XXX XXX
y/b XXX XXX XXX
y/c XXX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c .XX XXX XXX`)}},
	},
	{
		name: "matchExpressions DoesNotExist on pods of every namespace",
		// Only the c pods lack tier.
		objects: confIngressToXA("no-tier", "  - from: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}}]"),
		probes: []confProbe{{80, "", confStd(`
x/a .XX XXX XXX
x/b .XX XXX XXX
x/c XXX XXX XXX
y/a .XX XXX XXX
y/b .XX XXX XXX
y/c XXX XXX XXX
z/a .XX XXX XXX
z/b .XX XXX XXX
z/c XXX XXX XXX`)}},
	},
	{
		name: "matchExpressions Exists in the policy's podSelector",
		// Isolates x/a and x/b (they have tier), not x/c.
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tiered, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: Exists}]}
  policyTypes: [Ingress]
`,
		probes: []confProbe{{80, "", confStd(`
x/a ..X XXX XXX
x/b ..X XXX XXX
x/c ..X XXX XXX
y/a ..X XXX XXX
y/b ..X XXX XXX
y/c ..X XXX XXX
z/a ..X XXX XXX
z/b ..X XXX XXX
z/c ..X XXX XXX`)}},
	},
	{
		name: "matchExpressions NotIn in the policy's podSelector selects pods without the key",
		// tier NotIn [front]: x/b (back) and x/c (no tier).
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-front, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}
  policyTypes: [Ingress]
`,
		probes: []confProbe{{80, "", confStd(`
x/a X.. XXX XXX
x/b X.. XXX XXX
x/c X.. XXX XXX
y/a X.. XXX XXX
y/b X.. XXX XXX
y/c X.. XXX XXX
z/a X.. XXX XXX
z/b X.. XXX XXX
z/c X.. XXX XXX`)}},
	},

	// ---- Workloads ----
	{
		name: "workload kinds as endpoints",
		// shop: default deny ingress; web admits everybody on its named
		// port http (8080); db admits web, backup and migrate on 5432;
		// backup may send to db on 5432 only. ops/debug is unrestricted.
		// Policies select on template labels (web's own label is
		// app=web-meta).
		file: "workloads.yaml",
		probes: []confProbe{
			{8080, "", `
             shop/web shop/db shop/backup shop/agent shop/migrate ops/debug
shop/web        X        .        .           .           .          X
shop/db         X        .        .           .           .          X
shop/backup     .        .        .           .           .          .
shop/agent      X        .        .           .           .          X
shop/migrate    X        .        .           .           .          X
ops/debug       X        .        .           .           .          X`},
			{5432, "", `
             shop/web shop/db shop/backup shop/agent shop/migrate ops/debug
shop/web        .        X        .           .           .          X
shop/db         .        .        .           .           .          X
shop/backup     .        X        .           .           .          .
shop/agent      .        .        .           .           .          X
shop/migrate    .        X        .           .           .          X
ops/debug       .        .        .           .           .          X`},
			{9100, "", `
             shop/web shop/db shop/backup shop/agent shop/migrate ops/debug
shop/web        .        .        .           .           .          X
shop/db         .        .        .           .           .          X
shop/backup     .        .        .           .           .          .
shop/agent      .        .        .           .           .          X
shop/migrate    .        .        .           .           .          X
ops/debug       .        .        .           .           .          X`},
		},
		ext: []confExtProbe{
			{"8.8.8.8", "shop/web", 8080, "", true},
			{"8.8.8.8", "shop/db", 5432, "", false},
			{"shop/backup", "8.8.8.8", 443, "", false},
			{"shop/web", "8.8.8.8", 443, "", true},
		},
	},
	{
		name: "named port of a sidecar (restartable init container)",
		bundle: `
apiVersion: v1
kind: Pod
metadata: {name: mesh, namespace: x, labels: {app: mesh}}
spec:
  initContainers:
  - name: proxy
    image: proxy
    restartPolicy: Always
    ports: [{name: proxy, containerPort: 15001}]
  containers:
  - name: app
    image: app
    ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: x, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
`,
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: proxy-only, namespace: x}
spec:
  podSelector: {matchLabels: {app: mesh}}
  ingress: [{ports: [{port: proxy}]}]
`,
		probes: []confProbe{
			{15001, "", `
         x/mesh x/client
x/mesh     X       X
x/client   X       X`},
			{8080, "", `
         x/mesh x/client
x/mesh     .       X
x/client   .       X`},
		},
	},
	{
		name: "named port of a regular init container does not resolve",
		// A regular init container has run to completion before the pod
		// serves: its ports are not the pod's. Only the "http" of the app
		// container (and sidecars, above) can be named.
		bundle: `
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: x, labels: {app: app}}
spec:
  initContainers:
  - name: setup
    image: setup
    ports: [{name: setup, containerPort: 9000}]
  containers:
  - name: app
    image: app
    ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: x, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
`,
		objects: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: named, namespace: x}
spec:
  podSelector: {matchLabels: {app: app}}
  ingress: [{ports: [{port: setup}, {port: http}]}]
`,
		probes: []confProbe{
			{9000, "", `
         x/app x/client
x/app      .      X
x/client   .      X`},
			{8080, "", `
         x/app x/client
x/app      X      X
x/client   X      X`},
		},
	},
}

// confNamedPortsBundle: "http" is 8080 on web1 and 9090 on web2.
const confNamedPortsBundle = `
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: web1, namespace: x, labels: {app: web}}
spec: {containers: [{name: w, image: w, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web2, namespace: x, labels: {app: web}}
spec: {containers: [{name: w, image: w, ports: [{name: http, containerPort: 9090}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: x, labels: {app: db}}
spec: {containers: [{name: d, image: d, ports: [{name: postgres, containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: x, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
`

func TestConformance(t *testing.T) {
	if len(confScenarios) < 40 {
		t.Fatalf("only %d scenarios", len(confScenarios))
	}
	seen := map[string]bool{}
	for _, sc := range confScenarios {
		if seen[sc.name] {
			t.Fatalf("duplicate scenario %q", sc.name)
		}
		seen[sc.name] = true
		t.Run(sc.name, func(t *testing.T) { confRunScenario(t, sc) })
	}
}

func confRunScenario(t *testing.T, sc confScenario) {
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }
	defer func() {
		switch {
		case sc.knownBug == "":
			for _, f := range failures {
				t.Error(f)
			}
		case len(failures) > 0:
			t.Skipf("known engine bug: %s\n%s", sc.knownBug, strings.Join(failures, "\n"))
		default:
			t.Errorf("scenario passes now: remove its knownBug marker (%s)", sc.knownBug)
		}
	}()
	bundle := sc.bundle
	name := "inline.yaml"
	switch {
	case bundle != "":
	case sc.file != "":
		name = filepath.Join("testdata", "conformance", sc.file)
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		bundle = string(data)
	default:
		bundle = confStdCluster()
	}
	if sc.objects != "" {
		bundle += "\n---\n" + sc.objects
	}
	objs, errs := inventory.DecodeFile(name, []byte(bundle))
	for _, e := range errs {
		t.Errorf("decode: %v", e)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	m := Build(inventory.New(objs), sc.opts)
	// Guard against a policy silently lost in decoding.
	if want := strings.Count(bundle, "kind: NetworkPolicy"); len(m.Policies) != want {
		t.Fatalf("model has %d policies, bundle has %d", len(m.Policies), want)
	}
	names := make([]string, len(m.Pods))
	for i, p := range m.Pods {
		names[i] = p.Namespace + "/" + p.Name
	}
	for _, pr := range sc.probes {
		proto := pr.proto
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		label := fmt.Sprintf("%d/%s", pr.port, proto)
		want, err := confParseMatrix(pr.want, names)
		if err != nil {
			t.Fatalf("%s: bad expected matrix: %v", label, err)
			continue
		}
		got := make([][]bool, len(m.Pods))
		for i, from := range m.Pods {
			got[i] = make([]bool, len(m.Pods))
			for j, to := range m.Pods {
				got[i][j] = m.Check(Connection{From: Endpoint{Pod: from}, To: Endpoint{Pod: to}, Port: pr.port, Protocol: pr.proto}).Allowed()
			}
		}
		if diff := confMatrixDiff(names, want, got); diff != "" {
			fail("probe %s: matrix mismatch\nwant:\n%s\ngot:\n%s\ndiff (+ allowed but expected denied, - denied but expected allowed):\n%s",
				label, confRenderMatrix(names, want), confRenderMatrix(names, got), diff)
		}
	}
	for _, e := range sc.ext {
		from, err := confEndpoint(m, e.from)
		if err != nil {
			t.Fatalf("external probe: %v", err)
		}
		to, err := confEndpoint(m, e.to)
		if err != nil {
			t.Fatalf("external probe: %v", err)
		}
		v := m.Check(Connection{From: from, To: to, Port: e.port, Protocol: e.proto})
		if v.Allowed() != e.want {
			proto := e.proto
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			fail("%s -> %s %d/%s: allowed=%v, want %v (egress %v, ingress %v)",
				e.from, e.to, e.port, proto, v.Allowed(), e.want, v.Egress.Allowed(), v.Ingress.Allowed())
		}
	}
}

// endpoint resolves "namespace/name" to a pod of m, anything else to an
// external address.
func confEndpoint(m *Model, s string) (Endpoint, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return Endpoint{Addr: a}, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		return Endpoint{}, fmt.Errorf("%q is neither an address nor namespace/name", s)
	}
	p, ok := m.Pod(ns, name)
	if !ok {
		return Endpoint{}, fmt.Errorf("no pod %s", s)
	}
	return Endpoint{Pod: p}, nil
}

// confParseMatrix reads a matrix text against the model's pods: it must name
// every pod exactly once as a column and as a row.
func confParseMatrix(text string, names []string) ([][]bool, error) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("empty matrix")
	}
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	cols := strings.Fields(lines[0])
	if len(cols) != len(names) {
		return nil, fmt.Errorf("%d columns, model has %d pods %v", len(cols), len(names), names)
	}
	colIdx := make([]int, len(cols))
	seenCol := map[string]bool{}
	for c, n := range cols {
		i, ok := index[n]
		if !ok || seenCol[n] {
			return nil, fmt.Errorf("column %q unknown or repeated (pods %v)", n, names)
		}
		seenCol[n] = true
		colIdx[c] = i
	}
	if len(lines)-1 != len(names) {
		return nil, fmt.Errorf("%d rows, model has %d pods", len(lines)-1, len(names))
	}
	out := make([][]bool, len(names))
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		row, ok := index[f[0]]
		if !ok || out[row] != nil {
			return nil, fmt.Errorf("row %q unknown or repeated (pods %v)", f[0], names)
		}
		cells := strings.Join(f[1:], "")
		if len(cells) != len(cols) {
			return nil, fmt.Errorf("row %q has %d cells, want %d", f[0], len(cells), len(cols))
		}
		out[row] = make([]bool, len(names))
		for c, ch := range cells {
			switch ch {
			case 'X':
				out[row][colIdx[c]] = true
			case '.':
			default:
				return nil, fmt.Errorf("row %q: bad cell %q", f[0], ch)
			}
		}
	}
	return out, nil
}

// confRenderMatrix draws a matrix: rows are sources, columns destinations, "X"
// allowed and "." denied.
func confRenderMatrix(names []string, m [][]bool) string {
	return confRenderCells(names, func(i, j int) string {
		if m[i][j] {
			return "X"
		}
		return "."
	})
}

// confMatrixDiff draws the cells where got differs from want ("" when none).
func confMatrixDiff(names []string, want, got [][]bool) string {
	differ := false
	s := confRenderCells(names, func(i, j int) string {
		switch {
		case want[i][j] == got[i][j]:
			return " "
		case got[i][j]:
			differ = true
			return "+"
		default:
			differ = true
			return "-"
		}
	})
	if !differ {
		return ""
	}
	return s
}

func confRenderCells(names []string, cell func(i, j int) string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "from\\to")
	for _, n := range names {
		fmt.Fprintf(tw, "\t%s", n)
	}
	fmt.Fprintln(tw)
	for i, n := range names {
		fmt.Fprint(tw, n)
		for j := range names {
			fmt.Fprintf(tw, "\t%s", cell(i, j))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return b.String()
}

// The helpers must show a failure clearly: check them on a tiny matrix.
func TestConformanceHelpers(t *testing.T) {
	names := []string{"x/a", "x/b"}
	want, err := confParseMatrix("\n  x/b x/a\nx/a X .\nx/b . X\n", names)
	if err != nil {
		t.Fatal(err)
	}
	// Columns were given in the other order: x/a->x/b and x/b->x/a are X.
	if !want[0][1] || want[0][0] || !want[1][0] || want[1][1] {
		t.Fatalf("parse: %v", want)
	}
	got := [][]bool{{true, true}, {false, false}}
	diff := confMatrixDiff(names, want, got)
	if !strings.Contains(diff, "+") || !strings.Contains(diff, "-") {
		t.Fatalf("diff misses cells:\n%s", diff)
	}
	if confMatrixDiff(names, want, want) != "" {
		t.Fatal("diff of equal matrices is not empty")
	}
	if r := confRenderMatrix(names, got); !strings.Contains(r, "x/a") || strings.Count(r, "X") != 2 {
		t.Fatalf("render:\n%s", r)
	}
	for _, bad := range []string{"x/a\nx/a X", "x/a x/c\nx/a X .\nx/b . .", "x/a x/b\nx/a X\nx/b X X", "x/a x/b\nx/a X ?\nx/b X X"} {
		if _, err := confParseMatrix(bad, names); err == nil {
			t.Errorf("confParseMatrix accepted %q", bad)
		}
	}
}
