package netpol

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kguard/kguard/internal/inventory"
)

var genUpdate = flag.Bool("update-generate", false, "rewrite golden files")

func genLoad(t *testing.T, paths ...string) []*inventory.Object {
	t.Helper()
	var objs []*inventory.Object
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, errs := inventory.DecodeFile(p, data)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", p, errs)
		}
		objs = append(objs, got...)
	}
	return objs
}

func genDecode(t *testing.T, name string, data []byte) []*inventory.Object {
	t.Helper()
	objs, errs := inventory.DecodeFile(name, data)
	if len(errs) > 0 {
		t.Fatalf("generated YAML does not decode: %v\n%s", errs, data)
	}
	return objs
}

// checkValid checks what the API server's validation would: kind and
// version, a namespace, DNS-subdomain names, parseable selectors, ports
// with a protocol.
func genCheckValid(t *testing.T, objs []*inventory.Object) {
	t.Helper()
	for _, o := range objs {
		np, ok := o.Typed.(*networkingv1.NetworkPolicy)
		if !ok || o.APIVersion != "networking.k8s.io/v1" || o.Kind != "NetworkPolicy" {
			t.Errorf("%s: %T %s %s, want a networking.k8s.io/v1 NetworkPolicy", o.Source, o.Typed, o.APIVersion, o.Kind)
			continue
		}
		if o.Namespace == "" {
			t.Errorf("%s has no namespace", o.Name)
		}
		if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
			t.Errorf("name %q: %v", o.Name, errs)
		}
		if np.Labels[ManagedByLabel] != "kguard" || np.Annotations[ReasonAnnotation] == "" {
			t.Errorf("%s: labels %v annotations %v", o.Name, np.Labels, np.Annotations)
		}
		sels := []*metav1.LabelSelector{&np.Spec.PodSelector}
		var ports []networkingv1.NetworkPolicyPort
		for _, r := range np.Spec.Ingress {
			ports = append(ports, r.Ports...)
			for _, p := range r.From {
				sels = append(sels, p.PodSelector, p.NamespaceSelector)
			}
		}
		for _, r := range np.Spec.Egress {
			ports = append(ports, r.Ports...)
			for _, p := range r.To {
				sels = append(sels, p.PodSelector, p.NamespaceSelector)
			}
		}
		for _, s := range sels {
			if s == nil {
				continue
			}
			if _, err := metav1.LabelSelectorAsSelector(s); err != nil {
				t.Errorf("%s: selector %v: %v", o.Name, s, err)
			}
		}
		for _, p := range ports {
			if p.Protocol == nil || p.Port == nil {
				t.Errorf("%s: port %+v", o.Name, p)
			}
		}
		if len(np.Spec.PolicyTypes) == 0 {
			t.Errorf("%s: no policyTypes", o.Name)
		}
	}
}

var genShopFiles = []string{"testdata/generate/shop.yaml", "testdata/generate/system.yaml"}

// TestGenerateRoundTrip generates the policies of the shop, reads them back
// as YAML and checks the whole matrix: what the manifests declare is
// reachable, and nothing else in the shop is.
func TestGenerateRoundTrip(t *testing.T) {
	objs := genLoad(t, genShopFiles...)
	pols := Generate(inventory.New(objs), "")
	var buf bytes.Buffer
	if err := EncodeYAML(&buf, pols); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "generate", "expected.yaml")
	if *genUpdate {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("generated YAML differs from %s (go test -run RoundTrip -update-generate to accept):\n%s", golden, buf.Bytes())
	}

	generated := genDecode(t, "generated.yaml", buf.Bytes())
	if len(generated) != len(pols) {
		t.Fatalf("%d objects decoded, %d generated", len(generated), len(pols))
	}
	genCheckValid(t, generated)
	var names []string
	for _, o := range generated {
		names = append(names, o.Namespace+"/"+o.Name)
	}
	wantNames := []string{
		"shop/kguard-allow-api-to-db",
		"shop/kguard-allow-dns",
		"shop/kguard-allow-frontend-to-api",
		"shop/kguard-allow-ingress-to-frontend",
		"shop/kguard-allow-to-api",
		"shop/kguard-allow-to-db",
		"shop/kguard-default-deny",
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("policies %v\nwant %v", names, wantNames)
	}

	m := Build(inventory.New(append(objs, generated...)), Options{})
	x := m.Matrix("")
	// Every cell: the ports allowed, "" when blocked. Rows are sources.
	dns := "53/UDP 53/TCP"
	all := map[string]string{"ingress-nginx/controller": "80/TCP 443/TCP", "kube-system/coredns": "53/UDP 53/TCP 9153/TCP", "external": "80/TCP"}
	expect := map[string]map[string]string{
		"ingress-nginx/controller": {"ingress-nginx/controller": all["ingress-nginx/controller"], "kube-system/coredns": all["kube-system/coredns"],
			"shop/frontend": "3000/TCP", "external": "80/TCP"},
		"kube-system/coredns": {"ingress-nginx/controller": all["ingress-nginx/controller"], "kube-system/coredns": all["kube-system/coredns"], "external": "80/TCP"},
		"shop/api":            {"kube-system/coredns": dns, "shop/db": "5432/TCP"},
		"shop/db":             {"kube-system/coredns": dns},
		"shop/frontend":       {"kube-system/coredns": dns, "shop/api": "8080/TCP"},
		"shop/worker":         {"kube-system/coredns": dns},
		"external":            {"ingress-nginx/controller": all["ingress-nginx/controller"], "kube-system/coredns": all["kube-system/coredns"]},
	}
	var rows []string
	for _, r := range x.Rows {
		rows = append(rows, r.Name)
	}
	if want := []string{"ingress-nginx/controller", "kube-system/coredns", "shop/api", "shop/db", "shop/frontend", "shop/worker", "external"}; !slices.Equal(rows, want) {
		t.Fatalf("rows %v, want %v", rows, want)
	}
	for r, row := range x.Rows {
		for c, col := range x.Cols {
			got := strings.Trim(fmt.Sprint(x.AllowedPorts(r, c)), "[]")
			if want := expect[row.Name][col.Name]; got != want {
				t.Errorf("%s -> %s: allowed on %q, want %q", row.Name, col.Name, got, want)
			}
		}
	}

	// The decisions name the generated policies.
	api, _ := m.Pod("shop", "api")
	db, _ := m.Pod("shop", "db")
	v := m.Check(Connection{From: Endpoint{Pod: api}, To: Endpoint{Pod: db}, Port: 5432})
	if !v.Allowed() || genPolicyNames(v.Egress.AllowedBy) != "kguard-allow-api-to-db" || genPolicyNames(v.Ingress.AllowedBy) != "kguard-allow-to-db" {
		t.Errorf("api -> db: %+v", v)
	}
}

func genPolicyNames(ps []*Policy) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Object.Name)
	}
	return strings.Join(s, ",")
}

func TestGenerateScope(t *testing.T) {
	inv := inventory.New(genLoad(t, genShopFiles...))
	for _, p := range Generate(inv, "") {
		if p.Namespace != "shop" {
			t.Errorf("policy %s/%s: system and ingress namespaces get none unless asked", p.Namespace, p.Name)
		}
	}
	got := Generate(inv, "kube-system")
	var names []string
	for _, p := range got {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	if want := []string{"kube-system/kguard-allow-dns", "kube-system/kguard-default-deny"}; !slices.Equal(names, want) {
		t.Errorf("-n kube-system: %v", names)
	}
	if got := Generate(inv, "nowhere"); len(got) != 0 {
		t.Errorf("a namespace without workloads: %d policies", len(got))
	}
	for _, p := range GenerateWith(inv, GenerateOptions{IngressNamespace: "traefik"}) {
		if p.Name == "kguard-allow-ingress-to-frontend" {
			if got := p.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels[metadataNameLabel]; got != "traefik" {
				t.Errorf("ingress namespace %q", got)
			}
		}
	}
}

// TestGenerateReferences covers each way of naming a Service: the forms of
// its DNS name, service environment variables, ConfigMap keys and volumes,
// and arguments; and what does not count.
func TestGenerateReferences(t *testing.T) {
	const manifests = `
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: a}
spec:
  selector: {app: cache}
  ports: [{port: 6379, targetPort: redis}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: a}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: redis, image: redis, ports: [{name: redis, containerPort: 6380}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: files, namespace: b}
data:
  app.conf: |
    [cache]
    url = redis://cache.a.svc.cluster.local:6379/0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: by-volume, namespace: b}
spec:
  selector: {matchLabels: {app: by-volume}}
  template:
    metadata: {labels: {app: by-volume}}
    spec:
      containers: [{name: c, image: x}]
      volumes: [{name: conf, configMap: {name: files}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: by-env-var, namespace: a}
spec:
  selector: {matchLabels: {app: by-env-var}}
  template:
    metadata: {labels: {app: by-env-var}}
    spec:
      containers: [{name: c, image: x, args: ["--redis=$(CACHE_SERVICE_HOST):6379"]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: by-svc-form, namespace: b}
spec:
  selector: {matchLabels: {app: by-svc-form}}
  template:
    metadata: {labels: {app: by-svc-form}}
    spec:
      containers: [{name: c, image: x, command: [app, "--cache", "cache.a.svc"]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bare-elsewhere, namespace: b}
spec:
  selector: {matchLabels: {app: bare-elsewhere}}
  template:
    metadata: {labels: {app: bare-elsewhere}}
    spec:
      containers: [{name: c, image: x, env: [{name: CACHE, value: cache}, {name: CACHE_SERVICE_HOST, value: "10.0.0.1"}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: lookalike, namespace: a}
spec:
  selector: {matchLabels: {app: lookalike}}
  template:
    metadata: {labels: {app: lookalike}}
    spec:
      containers: [{name: c, image: x, env: [{name: URL, value: "http://memcache:11211 cache-b.a rediscache"}]}]
`
	inv := inventory.New(genDecode(t, "refs.yaml", []byte(manifests)))
	pols := Generate(inv, "")
	byName := map[string]*networkingv1.NetworkPolicy{}
	for _, p := range pols {
		byName[p.Namespace+"/"+p.Name] = p
	}
	ing := byName["a/kguard-allow-to-cache"]
	if ing == nil {
		t.Fatalf("no ingress policy for cache; got %v", genKeys(byName))
	}
	var from []string
	for _, p := range ing.Spec.Ingress[0].From {
		from = append(from, p.NamespaceSelector.MatchLabels[metadataNameLabel]+"/"+p.PodSelector.MatchLabels["app"])
	}
	if want := []string{"a/by-env-var", "b/by-svc-form", "b/by-volume"}; !slices.Equal(from, want) {
		t.Errorf("clients %v, want %v", from, want)
	}
	if got := ing.Spec.Ingress[0].Ports[0].Port.String(); got != "6380" {
		t.Errorf("named targetPort resolved to %s, want 6380", got)
	}
	for _, k := range []string{"a/kguard-allow-by-env-var-to-cache", "b/kguard-allow-by-svc-form-to-cache.a", "b/kguard-allow-by-volume-to-cache.a"} {
		if byName[k] == nil {
			t.Errorf("no %s; got %v", k, genKeys(byName))
		}
	}
	if r := byName["b/kguard-allow-by-volume-to-cache.a"].Annotations[ReasonAnnotation]; !strings.Contains(r, "ConfigMap files key app.conf") {
		t.Errorf("reason %q", r)
	}
}

func genKeys[V any](m map[string]V) []string { return sortedMapKeys(m) }

func TestHostTokens(t *testing.T) {
	got := hostTokens("postgres://user:pw@DB.shop.svc:5432/app?x=1 -- api.")
	want := []string{"postgres", "user", "pw", "db.shop.svc", "5432", "app", "x", "1", "api"}
	if !slices.Equal(got, want) {
		t.Errorf("hostTokens %q", got)
	}
	if got := serviceEnvRefs("$(API_SERVICE_HOST):${API_SERVICE_PORT} _SERVICE_HOST"); !slices.Equal(got, []string{"API_SERVICE_HOST", "API_SERVICE_PORT"}) {
		t.Errorf("serviceEnvRefs %q", got)
	}
}
