package netpol

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/inventory"
)

func mxWrap(t testing.TB, obj runtime.Object) *inventory.Object {
	t.Helper()
	o, err := inventory.Wrap(obj, inventory.Source{File: "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mxDeployment(ns, name string, lbls map[string]string, ports ...corev1.ContainerPort) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbls},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "x", Ports: ports}}},
			},
		},
	}
}

func mxPolicy(ns, name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       spec,
	}
}

func mxSel(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

func mxPort(proto corev1.Protocol, port intstr.IntOrString, end int32) networkingv1.NetworkPolicyPort {
	p := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port}
	if end != 0 {
		p.EndPort = &end
	}
	return p
}

// synthetic builds an inventory of workloads spread over namespaces, with
// a mix of every kind of policy rule: default denies, pod and namespace
// selectors, named ports, port ranges, UDP and SCTP, ipBlocks, egress.
func mxSynthetic(t testing.TB, workloads, namespaces, policies int, seed uint64) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, 1))
	var objs []*inventory.Object
	tiers := []string{"frontend", "backend", "db"}
	envs := []string{"prod", "dev"}
	for i := 0; i < namespaces; i++ {
		objs = append(objs, mxWrap(t, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%03d", i), Labels: map[string]string{"env": envs[i%2], "team": fmt.Sprintf("t%d", i%7)}},
		}))
	}
	for i := 0; i < workloads; i++ {
		ns := fmt.Sprintf("ns-%03d", i%namespaces)
		name := fmt.Sprintf("app-%04d", i)
		lbls := map[string]string{"app": name, "tier": tiers[r.IntN(3)]}
		var ports []corev1.ContainerPort
		switch r.IntN(5) {
		case 0: // none: tried on TCP 80
		case 1:
			ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
		case 2:
			ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}}
		case 3:
			ports = []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53}}
		case 4:
			ports = []corev1.ContainerPort{{Name: "db", ContainerPort: 5432}, {Name: "sctp", ContainerPort: 7777, Protocol: corev1.ProtocolSCTP}}
		}
		objs = append(objs, mxWrap(t, mxDeployment(ns, name, lbls, ports...)))
	}
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	for i := 0; i < policies; i++ {
		ns := fmt.Sprintf("ns-%03d", i%namespaces)
		name := fmt.Sprintf("pol-%04d", i)
		tier := tiers[r.IntN(3)]
		var spec networkingv1.NetworkPolicySpec
		switch r.IntN(8) {
		case 0: // default deny ingress
			spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		case 1: // from a tier in the same namespace on 8080
			spec.PodSelector = *mxSel("tier", tier)
			spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: mxSel("tier", tiers[r.IntN(3)])}},
				Ports: []networkingv1.NetworkPolicyPort{mxPort(tcp, intstr.FromInt32(8080), 0)},
			}}
		case 2: // from prod namespaces' frontends on the named port
			spec.PodSelector = *mxSel("tier", tier)
			spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: mxSel("env", "prod"), PodSelector: mxSel("tier", "frontend")}},
				Ports: []networkingv1.NetworkPolicyPort{mxPort(tcp, intstr.FromString("http"), 0)},
			}}
		case 3: // egress isolation with DNS and a tier
			spec.PodSelector = *mxSel("tier", tier)
			spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
			spec.Egress = []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: mxSel("team", fmt.Sprintf("t%d", r.IntN(7))), PodSelector: mxSel("tier", tiers[r.IntN(3)])}}},
				{Ports: []networkingv1.NetworkPolicyPort{mxPort(udp, intstr.FromInt32(53), 0)}},
			}
		case 4: // from the internet, except private ranges, on a range
			spec.PodSelector = *mxSel("tier", tier)
			spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}},
				Ports: []networkingv1.NetworkPolicyPort{mxPort(tcp, intstr.FromInt32(8000), 8100)},
			}}
			if i%2 == 0 {
				// A second block fills the hole: together they match pods.
				spec.Ingress[0].From = append(spec.Ingress[0].From, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}})
			}
		case 5: // egress to the documentation range only, and a single pod
			spec.PodSelector = *mxSel("app", fmt.Sprintf("app-%04d", r.IntN(workloads)))
			spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}}},
			}}
		case 6: // all namespaces, one app, SCTP
			spec.PodSelector = *mxSel("tier", tier)
			spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: mxSel("app", fmt.Sprintf("app-%04d", r.IntN(workloads)))}},
				Ports: []networkingv1.NetworkPolicyPort{mxPort(corev1.ProtocolSCTP, intstr.FromInt32(7777), 0)},
			}}
		case 7: // allow all ingress on one tier
			spec.PodSelector = *mxSel("tier", tier)
			spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
		}
		objs = append(objs, mxWrap(t, mxPolicy(ns, name, spec)))
	}
	return inventory.New(objs)
}

// TestMatrixAgreesWithCheck compares every cell with Check on each port.
func TestMatrixAgreesWithCheck(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		m := Build(mxSynthetic(t, 150, 12, 80, seed), Options{})
		for _, ns := range []string{"", "ns-003"} {
			x := m.Matrix(ns)
			want := len(m.Workloads(ns)) + 1
			if len(x.Rows) != want || len(x.Cols) != want {
				t.Fatalf("seed %d ns %q: %d rows, %d cols, want %d", seed, ns, len(x.Rows), len(x.Cols), want)
			}
			reachable := 0
			for r, row := range x.Rows {
				for c, col := range x.Cols {
					from, to := mxEndpoint(row), mxEndpoint(col)
					var want []PortProto
					if row.Pod != nil || col.Pod != nil {
						for _, pp := range col.Ports {
							if m.Check(Connection{From: from, To: to, Port: pp.Port, Protocol: pp.Protocol}).Allowed() {
								want = append(want, pp)
							}
						}
					}
					got := x.AllowedPorts(r, c)
					if !slices.Equal(got, want) {
						t.Fatalf("seed %d ns %q %s -> %s: matrix %v, Check %v", seed, ns, row.Name, col.Name, got, want)
					}
					if x.Reachable(r, c) != (len(want) > 0) {
						t.Fatalf("seed %d %s -> %s: Reachable disagrees", seed, row.Name, col.Name)
					}
					if len(want) > 0 {
						reachable++
					}
				}
			}
			if reachable == 0 || reachable == want*want-1 {
				t.Errorf("seed %d ns %q: %d reachable cells of %d: the fixture tests nothing", seed, ns, reachable, want*want)
			}
		}
	}
}

func mxEndpoint(e MatrixEndpoint) Endpoint {
	if e.Pod == nil {
		return Endpoint{Addr: ExternalAddr}
	}
	return Endpoint{Pod: e.Pod}
}

func TestMatrixSmall(t *testing.T) {
	tcp := corev1.ProtocolTCP
	inv := inventory.New([]*inventory.Object{
		mxWrap(t, mxDeployment("b", "web", map[string]string{"app": "web"}, corev1.ContainerPort{ContainerPort: 8080})),
		mxWrap(t, mxDeployment("a", "db", map[string]string{"app": "db"}, corev1.ContainerPort{ContainerPort: 5432}, corev1.ContainerPort{ContainerPort: 9187})),
		mxWrap(t, mxDeployment("a", "api", map[string]string{"app": "api"})),
		mxWrap(t, mxPolicy("a", "db-from-api", networkingv1.NetworkPolicySpec{
			PodSelector: *mxSel("app", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: mxSel("app", "api")}},
				Ports: []networkingv1.NetworkPolicyPort{mxPort(tcp, intstr.FromInt32(5432), 0)},
			}},
		})),
		mxWrap(t, mxPolicy("b", "web-egress", networkingv1.NetworkPolicySpec{
			PodSelector: *mxSel("app", "web"),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: mxSel("kubernetes.io/metadata.name", "a"), PodSelector: mxSel("app", "api")}},
			}},
		})),
	})
	x := Build(inv, Options{}).Matrix("")
	var names []string
	for _, c := range x.Cols {
		names = append(names, c.Name)
	}
	if want := []string{"a/api", "a/db", "b/web", "external"}; !slices.Equal(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	want := map[string]string{ // cells that are reachable, and on what
		"a/api->a/api": "[80/TCP]", "a/api->a/db": "[5432/TCP]", "a/api->b/web": "[8080/TCP]", "a/api->external": "[80/TCP]",
		"a/db->a/api": "[80/TCP]", "a/db->b/web": "[8080/TCP]", "a/db->external": "[80/TCP]",
		"b/web->a/api":    "[80/TCP]",
		"external->a/api": "[80/TCP]", "external->b/web": "[8080/TCP]",
	}
	for r, row := range x.Rows {
		for c, col := range x.Cols {
			k := row.Name + "->" + col.Name
			got := ""
			if x.Reachable(r, c) {
				got = fmt.Sprint(x.AllowedPorts(r, c))
			}
			if got != want[k] {
				t.Errorf("%s: %q, want %q", k, got, want[k])
			}
		}
	}
	if x.CountReachable() != len(want) {
		t.Errorf("CountReachable %d, want %d", x.CountReachable(), len(want))
	}
}

func TestWorkloadsSkipsControlled(t *testing.T) {
	yes := true
	dep := mxDeployment("a", "web", map[string]string{"app": "web"})
	rs := &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web-5d8f", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Template: dep.Spec.Template},
	}
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web-5d8f-x1", Labels: map[string]string{"app": "web"}, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f", Controller: &yes}}},
	}
	orphan := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "orphan", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "gone", Controller: &yes}}},
	}
	m := Build(inventory.New([]*inventory.Object{mxWrap(t, pod), mxWrap(t, rs), mxWrap(t, dep), mxWrap(t, orphan)}), Options{})
	var got []string
	for _, p := range m.Workloads("a") {
		got = append(got, p.Object.Kind+" "+p.Name)
	}
	if want := []string{"Pod orphan", "Deployment web"}; !slices.Equal(got, want) {
		t.Errorf("workloads %v, want %v", got, want)
	}
}

func TestTargetPorts(t *testing.T) {
	p := &Pod{Ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {ContainerPort: 53}, {ContainerPort: 53, Protocol: corev1.ProtocolTCP}, {ContainerPort: 0}}}
	if got := fmt.Sprint(TargetPorts(p)); got != "[53/UDP 53/TCP]" {
		t.Errorf("TargetPorts %s", got)
	}
	if got := fmt.Sprint(TargetPorts(&Pod{})); got != "[80/TCP]" {
		t.Errorf("TargetPorts of a pod without ports: %s", got)
	}
}

// BenchmarkMatrix2000: 2,000 workloads in 200 namespaces under 1,000
// policies, so 4 million pairs.
func BenchmarkMatrix2000(b *testing.B) {
	m := Build(mxSynthetic(b, 2000, 200, 1000, 42), Options{})
	b.ReportAllocs()
	b.ResetTimer()
	var x *Matrix
	for b.Loop() {
		x = m.Matrix("")
	}
	b.StopTimer()
	if len(x.Rows) != 2001 {
		b.Fatalf("%d rows", len(x.Rows))
	}
}
