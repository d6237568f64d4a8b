package netpol

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// DefaultIngressNamespace is where the ingress controller is assumed to
// run (ingress-nginx's default) unless GenerateOptions says otherwise.
const DefaultIngressNamespace = "ingress-nginx"

// Annotations and labels put on generated policies.
const (
	// ManagedByLabel marks generated policies.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ReasonAnnotation says which declared intent a policy comes from.
	ReasonAnnotation = "kguard.io/reason"
)

// The cluster's own namespaces (inventory.IsSystemNamespace) get no
// policies unless asked for by name: isolating them can cut the cluster's
// own DNS and control-plane traffic.

// GenerateOptions tune GenerateWith.
type GenerateOptions struct {
	// Namespace limits the policies to one namespace. Empty: every
	// namespace with workloads, except kube-system, kube-public,
	// kube-node-lease and the ingress controller's namespace.
	Namespace string
	// IngressNamespace is the ingress controller's namespace, allowed in
	// to the backends of Ingress objects. Default DefaultIngressNamespace.
	IngressNamespace string
}

// Generate is GenerateWith with the default ingress namespace.
func Generate(inv *inventory.Inventory, namespace string) []*networkingv1.NetworkPolicy {
	return GenerateWith(inv, GenerateOptions{Namespace: namespace})
}

// GenerateWith proposes least-privilege NetworkPolicies from the intent
// the manifests declare. Per namespace with workloads:
//   - kguard-default-deny: every pod isolated for ingress and egress;
//   - kguard-allow-dns: egress from every pod to kube-dns (pods labelled
//     k8s-app=kube-dns in kube-system) on UDP and TCP 53;
//   - for each Service with a selector and the workloads that name it
//     (its DNS name svc, svc.ns, svc.ns.svc or svc.ns.svc.cluster.local in
//     an env value, a command or argument, or a ConfigMap the workload
//     uses; or its environment variable SVC_SERVICE_HOST/_PORT):
//     kguard-allow-to-SVC, ingress on the Service's pods from those
//     clients on its target ports, and kguard-allow-CLIENT-to-SVC (with
//     ".NS" appended when the Service is in another namespace), egress
//     from each client to the Service's pods on those ports;
//   - kguard-allow-ingress-to-SVC: ingress from the ingress controller's
//     namespace to the backends of Ingress objects;
//   - kguard-allow-external-to-SVC: ingress from any address to the pods
//     of LoadBalancer and NodePort Services.
//
// The bare name svc counts only from the Service's own namespace, as does
// the environment variable (the kubelet injects those only there). Policies
// come sorted by namespace and name.
func GenerateWith(inv *inventory.Inventory, opts GenerateOptions) []*networkingv1.NetworkPolicy {
	if opts.IngressNamespace == "" {
		opts.IngressNamespace = DefaultIngressNamespace
	}
	m := Build(inv, Options{})
	workloads := m.Workloads("")
	inScope := map[string]bool{}
	for _, w := range workloads {
		switch {
		case opts.Namespace != "":
			inScope[w.Namespace] = w.Namespace == opts.Namespace
		default:
			inScope[w.Namespace] = !inventory.IsSystemNamespace(w.Namespace) && w.Namespace != opts.IngressNamespace
		}
	}
	g := &policyGen{out: map[string]*networkingv1.NetworkPolicy{}, inScope: inScope}
	for _, ns := range sortedMapKeys(inScope) {
		if !inScope[ns] {
			continue
		}
		g.add(ns, "kguard-default-deny", "isolate every pod of the namespace; the kguard-allow policies open what the manifests declare",
			networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			})
		g.add(ns, "kguard-allow-dns", "every pod resolves names through kube-dns",
			networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
				Egress: []networkingv1.NetworkPolicyEgressRule{{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: nameSelector("kube-system"),
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{policyPort(corev1.ProtocolUDP, intstr.FromInt32(53)), policyPort(corev1.ProtocolTCP, intstr.FromInt32(53))},
				}},
			})
	}

	refs := make([]workloadRefs, len(workloads))
	for i, w := range workloads {
		refs[i] = referencesOf(inv, w)
	}
	services := map[string]*genService{} // "ns/name"
	for _, o := range inv.ByKind("", "Service") {
		svc, ok := o.Typed.(*corev1.Service)
		if !ok || len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		s := &genService{obj: svc, ns: namespaceOf(o), name: o.Name}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, w := range workloads {
			if w.Namespace == s.ns && sel.Matches(labels.Set(w.Labels)) {
				s.backends = append(s.backends, w)
			}
		}
		if len(s.backends) == 0 {
			continue
		}
		services[s.ns+"/"+s.name] = s
		g.serviceClients(s, workloads, refs)
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort {
			g.add(s.ns, "kguard-allow-external-to-"+s.name, fmt.Sprintf("Service %s is of type %s", s.name, svc.Spec.Type),
				networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: svc.Spec.Selector},
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From: []networkingv1.NetworkPolicyPeer{
							{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
							{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
						},
						Ports: s.targetPorts(nil),
					}},
				})
		}
	}
	g.ingresses(inv, services, opts.IngressNamespace)

	out := make([]*networkingv1.NetworkPolicy, 0, len(g.out))
	for _, k := range sortedMapKeys(g.out) {
		out = append(out, g.out[k])
	}
	return out
}

type policyGen struct {
	out     map[string]*networkingv1.NetworkPolicy // "ns\x00name"
	inScope map[string]bool
}

// add keeps a policy if its namespace is in scope, under a free name.
func (g *policyGen) add(ns, name, reason string, spec networkingv1.NetworkPolicySpec) {
	if !g.inScope[ns] {
		return
	}
	name = policyName(name)
	for i := 2; g.out[ns+"\x00"+name] != nil; i++ {
		name = policyName(fmt.Sprintf("%s-%d", strings.TrimSuffix(name, fmt.Sprintf("-%d", i-1)), i))
	}
	g.out[ns+"\x00"+name] = &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns,
			Labels:      map[string]string{ManagedByLabel: "kguard"},
			Annotations: map[string]string{ReasonAnnotation: reason},
		},
		Spec: spec,
	}
}

// policyName keeps a name within the 253 characters of a DNS subdomain.
func policyName(name string) string {
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:240], "-.") + "-" + hex.EncodeToString(sum[:])[:10]
}

type genService struct {
	obj      *corev1.Service
	ns, name string
	backends []*Pod
}

// targetPorts are the policy ports of the Service's ports (only those
// matching refs, when given): the target port, resolved to a number when
// every backend names it the same, else kept by name.
func (s *genService) targetPorts(refs []intstr.IntOrString) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	seen := map[string]bool{}
	for _, sp := range s.obj.Spec.Ports {
		if len(refs) > 0 && !portReferenced(sp, refs) {
			continue
		}
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		target := sp.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(sp.Port)
		}
		if target.Type == intstr.String {
			if n, ok := s.resolve(target.StrVal, proto); ok {
				target = intstr.FromInt32(n)
			}
		}
		k := string(proto) + "/" + target.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, policyPort(proto, target))
	}
	if len(out) == 0 && len(refs) > 0 {
		return s.targetPorts(nil) // a reference to no port of the Service: all of them
	}
	return out
}

func portReferenced(sp corev1.ServicePort, refs []intstr.IntOrString) bool {
	for _, r := range refs {
		if (r.Type == intstr.Int && r.IntVal == sp.Port) || (r.Type == intstr.String && r.StrVal == sp.Name) {
			return true
		}
	}
	return false
}

// resolve finds the number of a named container port, if all backends
// agree on it.
func (s *genService) resolve(name string, proto corev1.Protocol) (int32, bool) {
	var n int32
	for _, b := range s.backends {
		found := false
		for _, cp := range b.Ports {
			p := cp.Protocol
			if p == "" {
				p = corev1.ProtocolTCP
			}
			if cp.Name == name && p == proto {
				if found || (n != 0 && n != cp.ContainerPort) {
					return 0, false
				}
				n, found = cp.ContainerPort, true
			}
		}
		if !found {
			return 0, false
		}
	}
	return n, n != 0
}

func policyPort(proto corev1.Protocol, p intstr.IntOrString) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func nameSelector(ns string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{metadataNameLabel: ns}}
}

// serviceClients emits the policies between a Service and the workloads
// that reference it.
func (g *policyGen) serviceClients(s *genService, workloads []*Pod, refs []workloadRefs) {
	forms := []string{s.name + "." + s.ns, s.name + "." + s.ns + ".svc", s.name + "." + s.ns + ".svc.cluster.local"}
	envPrefix := strings.ToUpper(strings.ReplaceAll(s.name, "-", "_")) + "_SERVICE_"
	var clients []*Pod
	var why []string
	for i, w := range workloads {
		if len(w.Labels) == 0 {
			continue // no selector could pick it alone
		}
		r := refs[i]
		reason := ""
		for _, f := range forms {
			if reason = r.hosts[f]; reason != "" {
				break
			}
		}
		if reason == "" && w.Namespace == s.ns {
			if reason = r.hosts[s.name]; reason == "" {
				reason = r.envs[envPrefix+"HOST"]
				if reason == "" {
					reason = r.envs[envPrefix+"PORT"]
				}
			}
		}
		if reason == "" {
			continue
		}
		clients = append(clients, w)
		why = append(why, fmt.Sprintf("%s/%s references Service %s/%s in %s", w.Namespace, w.Name, s.ns, s.name, reason))
	}
	if len(clients) == 0 {
		return
	}
	ports := s.targetPorts(nil)
	var from []networkingv1.NetworkPolicyPeer
	for _, c := range clients {
		from = append(from, networkingv1.NetworkPolicyPeer{
			NamespaceSelector: nameSelector(c.Namespace),
			PodSelector:       &metav1.LabelSelector{MatchLabels: c.Labels},
		})
	}
	g.add(s.ns, "kguard-allow-to-"+s.name, strings.Join(why, "; "), networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: s.obj.Spec.Selector},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: ports}},
	})
	for i, c := range clients {
		name := "kguard-allow-" + c.Name + "-to-" + s.name
		if c.Namespace != s.ns {
			name += "." + s.ns
		}
		g.add(c.Namespace, name, why[i], networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: c.Labels},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: nameSelector(s.ns),
					PodSelector:       &metav1.LabelSelector{MatchLabels: s.obj.Spec.Selector},
				}},
				Ports: ports,
			}},
		})
	}
}

// ingresses lets the ingress controller in to the backends of Ingress
// objects, on the ports the Ingress names.
func (g *policyGen) ingresses(inv *inventory.Inventory, services map[string]*genService, controllerNS string) {
	byService := map[string][]intstr.IntOrString{} // "ns/svc"
	ingressOf := map[string][]string{}
	for _, group := range []string{"networking.k8s.io", "extensions"} {
		for _, o := range inv.ByKind(group, "Ingress") {
			routes, _ := extract.IngressRoutes(o)
			for _, r := range routes {
				if r.Service == "" {
					continue
				}
				k := namespaceOf(o) + "/" + r.Service
				byService[k] = append(byService[k], r.Port)
				ingressOf[k] = append(ingressOf[k], o.Name)
			}
		}
	}
	for _, k := range sortedMapKeys(byService) {
		s := services[k]
		if s == nil {
			continue
		}
		ings := uniqueStrings(ingressOf[k])
		g.add(s.ns, "kguard-allow-ingress-to-"+s.name,
			fmt.Sprintf("Ingress %s routes to Service %s; the ingress controller runs in namespace %s", strings.Join(ings, ", "), s.name, controllerNS),
			networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: s.obj.Spec.Selector},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nameSelector(controllerNS)}},
					Ports: s.targetPorts(byService[k]),
				}},
			})
	}
}

// workloadRefs are the names a workload mentions: host names (lower case)
// and environment variable names, each with where it was seen.
type workloadRefs struct {
	hosts map[string]string
	envs  map[string]string
}

func referencesOf(inv *inventory.Inventory, p *Pod) workloadRefs {
	r := workloadRefs{hosts: map[string]string{}, envs: map[string]string{}}
	w, ok := extract.PodSpec(p.Object)
	if !ok {
		return r
	}
	configMap := func(name string) map[string]string {
		o, ok := inv.Get("", "ConfigMap", p.Namespace, name)
		if !ok && p.Namespace == "default" {
			o, ok = inv.Get("", "ConfigMap", "", name)
		}
		if !ok {
			return nil
		}
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok {
			return nil
		}
		return cm.Data
	}
	text := func(s, where string) {
		for _, h := range hostTokens(s) {
			if _, seen := r.hosts[h]; !seen {
				r.hosts[h] = where
			}
		}
		for _, e := range serviceEnvRefs(s) {
			if _, seen := r.envs[e]; !seen {
				r.envs[e] = where
			}
		}
	}
	envName := func(name, where string) {
		if _, seen := r.envs[name]; !seen {
			r.envs[name] = where
		}
	}
	containers := append(append([]corev1.Container{}, w.Spec.InitContainers...), w.Spec.Containers...)
	for _, c := range containers {
		for _, e := range c.Env {
			where := fmt.Sprintf("env %s of container %s", e.Name, c.Name)
			envName(e.Name, where)
			text(e.Value, where)
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				ref := e.ValueFrom.ConfigMapKeyRef
				text(configMap(ref.Name)[ref.Key], fmt.Sprintf("ConfigMap %s key %s (env %s of container %s)", ref.Name, ref.Key, e.Name, c.Name))
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef == nil {
				continue
			}
			data := configMap(ef.ConfigMapRef.Name)
			for _, k := range sortedMapKeys(data) {
				where := fmt.Sprintf("ConfigMap %s key %s (envFrom of container %s)", ef.ConfigMapRef.Name, k, c.Name)
				envName(ef.Prefix+k, where)
				text(data[k], where)
			}
		}
		for i, a := range c.Command {
			text(a, fmt.Sprintf("command[%d] of container %s", i, c.Name))
		}
		for i, a := range c.Args {
			text(a, fmt.Sprintf("args[%d] of container %s", i, c.Name))
		}
	}
	volumeMap := func(name, vol string) {
		data := configMap(name)
		for _, k := range sortedMapKeys(data) {
			text(data[k], fmt.Sprintf("ConfigMap %s key %s (volume %s)", name, k, vol))
		}
	}
	for _, v := range w.Spec.Volumes {
		if v.ConfigMap != nil {
			volumeMap(v.ConfigMap.Name, v.Name)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					volumeMap(src.ConfigMap.Name, v.Name)
				}
			}
		}
	}
	return r
}

// hostTokens splits text into the words that could be host names: runs of
// letters, digits, dots and hyphens, lower-cased, without edge dots.
func hostTokens(s string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if t := strings.Trim(s[start:end], ".-"); t != "" {
				out = append(out, strings.ToLower(t))
			}
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return out
}

// serviceEnvRefs finds NAME_SERVICE_HOST and NAME_SERVICE_PORT words in
// text (as in $(API_SERVICE_HOST) or ${API_SERVICE_PORT}).
func serviceEnvRefs(s string) []string {
	var out []string
	for _, suffix := range []string{"_SERVICE_HOST", "_SERVICE_PORT"} {
		for rest := s; ; {
			i := strings.Index(rest, suffix)
			if i < 0 {
				break
			}
			j := i
			for j > 0 && isEnvChar(rest[j-1]) {
				j--
			}
			if j < i {
				out = append(out, rest[j:i+len(suffix)])
			}
			rest = rest[i+len(suffix):]
		}
	}
	return out
}

func isEnvChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniqueStrings(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// EncodeYAML writes policies as a YAML stream that kubectl apply accepts:
// apiVersion, kind, metadata and spec, without empty status or timestamp
// fields.
func EncodeYAML(w io.Writer, pols []*networkingv1.NetworkPolicy) error {
	var buf bytes.Buffer
	for i, p := range pols {
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		if meta, ok := doc["metadata"].(map[string]any); ok {
			delete(meta, "creationTimestamp")
		}
		delete(doc, "status")
		out, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(out)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
