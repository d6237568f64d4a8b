// Package corpus generates realistic, deterministic Kubernetes manifests for
// the corpus benchmark (hack/bench-corpus.sh) and the scan benchmarks: per
// application a Deployment, Service, ServiceAccount, Role, RoleBinding and
// ConfigMap, sometimes a NetworkPolicy, Ingress, StatefulSet or CronJob,
// with env vars, probes, volumes, sidecars and init containers, hardened
// and insecure workloads mixed, one multi-document file per application.
// The same seed and size always give the same bytes. Options.Rollouts
// writes the Deployments as Argo Rollouts instead, for the test that both
// are judged alike; the default corpus (and the benchmarks' figures) do not
// change.
package corpus

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options say what to generate.
type Options struct {
	// Objects is the number of objects to generate (at least; the last
	// application is completed).
	Objects int
	// Seed makes the corpus reproducible.
	Seed uint64
	// AppsPerNamespace groups applications into namespaces; each namespace
	// gets a Namespace object in its own file. Default 25.
	AppsPerNamespace int
	// Rollouts writes every Deployment as an Argo Rollout
	// (argoproj.io/v1alpha1) with the same fields and pod template, and
	// otherwise the same bytes: kguard must judge the two alike.
	Rollouts bool
}

// File is one generated manifest file.
type File struct {
	// Name is a slash-separated relative path such as "ns-003/app-0075.yaml".
	Name    string
	Data    []byte
	Objects int
}

// Generate builds the corpus in memory, calling fn for each file in order.
func Generate(o Options, fn func(File) error) error {
	if o.Objects <= 0 {
		return fmt.Errorf("corpus: objects must be positive, got %d", o.Objects)
	}
	if o.AppsPerNamespace <= 0 {
		o.AppsPerNamespace = 25
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6b6775617264)) // "kguard"
	total := 0
	for app := 0; total < o.Objects; app++ {
		nsIndex := app / o.AppsPerNamespace
		ns := fmt.Sprintf("team-%03d", nsIndex)
		dir := fmt.Sprintf("ns-%03d", nsIndex)
		if app%o.AppsPerNamespace == 0 {
			var b bytes.Buffer
			writeNamespace(&b, ns, rng)
			if err := fn(File{Name: dir + "/namespace.yaml", Data: b.Bytes(), Objects: 1}); err != nil {
				return err
			}
			total++
		}
		g := &appGen{rng: rng, ns: ns, name: appName(app, rng), rollouts: o.Rollouts}
		data, n := g.build()
		if err := fn(File{Name: fmt.Sprintf("%s/app-%04d.yaml", dir, app), Data: data, Objects: n}); err != nil {
			return err
		}
		total += n
	}
	return nil
}

// WriteDir writes the corpus under dir and returns the number of objects
// and bytes written.
func WriteDir(dir string, o Options) (objects int, size int64, err error) {
	err = Generate(o, func(f File) error {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return err
		}
		objects += f.Objects
		size += int64(len(f.Data))
		return nil
	})
	return objects, size, err
}

var words = []string{"cart", "checkout", "catalog", "search", "payments", "ledger", "auth", "profile",
	"orders", "shipping", "inventory", "pricing", "reviews", "mailer", "gateway", "reports", "billing",
	"media", "thumbnails", "recommend", "notify", "audit", "export", "import", "session"}

func appName(i int, rng *rand.Rand) string {
	return fmt.Sprintf("%s-%s-%d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], i)
}

func writeNamespace(b *bytes.Buffer, ns string, rng *rand.Rand) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    team: %s\n", ns, ns)
	if rng.IntN(3) > 0 {
		level := []string{"restricted", "baseline"}[rng.IntN(2)]
		fmt.Fprintf(b, "    pod-security.kubernetes.io/enforce: %s\n    pod-security.kubernetes.io/enforce-version: latest\n", level)
	}
}

// appGen writes one application's objects.
type appGen struct {
	rng      *rand.Rand
	ns, name string
	version  int
	b        bytes.Buffer
	n        int
	hardened bool
	rollouts bool
}

func (g *appGen) doc() {
	if g.n > 0 {
		g.b.WriteString("---\n")
	}
	g.n++
}

func (g *appGen) pf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

func (g *appGen) build() ([]byte, int) {
	g.hardened = g.rng.IntN(100) < 55
	g.version = g.rng.IntN(40)
	g.serviceAccount()
	g.configMap()
	g.role()
	g.roleBinding()
	g.workload("Deployment")
	g.service()
	if g.rng.IntN(100) < 40 {
		g.networkPolicy()
	}
	if g.rng.IntN(100) < 30 {
		g.ingress()
	}
	if g.rng.IntN(100) < 20 {
		g.workload("StatefulSet")
	}
	if g.rng.IntN(100) < 25 {
		g.workload("CronJob")
	}
	return g.b.Bytes(), g.n
}

func (g *appGen) meta(indent string, withNS bool) {
	g.pf("%smetadata:\n%s  name: %s\n", indent, indent, g.name)
	if withNS {
		g.pf("%s  namespace: %s\n", indent, g.ns)
	}
	g.pf("%s  labels:\n%s    app.kubernetes.io/name: %s\n%s    app.kubernetes.io/instance: %s-prod\n%s    app.kubernetes.io/version: \"1.%d.0\"\n%s    app.kubernetes.io/part-of: shop\n%s    app.kubernetes.io/managed-by: kustomize\n",
		indent, indent, g.name, indent, g.name, indent, g.version, indent, indent)
	g.pf("%s  annotations:\n%s    owner: %s@example.com\n", indent, indent, g.ns)
}

func (g *appGen) serviceAccount() {
	g.doc()
	g.pf("apiVersion: v1\nkind: ServiceAccount\n")
	g.meta("", true)
	if g.hardened {
		g.pf("automountServiceAccountToken: false\n")
	}
}

func (g *appGen) configMap() {
	g.doc()
	g.pf("apiVersion: v1\nkind: ConfigMap\n")
	g.meta("", true)
	g.pf("data:\n  LOG_LEVEL: info\n  LISTEN_ADDR: \":8080\"\n  FEATURE_FLAGS: \"checkout-v2,fast-search\"\n")
	g.pf("  application.yaml: |\n    server:\n      port: 8080\n      shutdownGracePeriod: 30s\n    upstreams:\n")
	for i := 0; i < 5+g.rng.IntN(6); i++ {
		w := words[g.rng.IntN(len(words))]
		g.pf("      - name: %s\n        url: http://%s.%s.svc.cluster.local:8080\n        timeout: %dms\n", w, w, g.ns, 100*(1+g.rng.IntN(20)))
	}
	if !g.hardened && g.rng.IntN(4) == 0 {
		// A credential in plain config, as real repositories have.
		g.pf("  DATABASE_URL: postgres://app:%s@db.%s.svc:5432/app\n", hexString(g.rng, 16), g.ns)
	}
}

func (g *appGen) role() {
	g.doc()
	g.pf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n")
	g.meta("", true)
	g.pf("rules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    resourceNames: [%s]\n    verbs: [get, watch]\n", g.name)
	switch {
	case !g.hardened && g.rng.IntN(3) == 0:
		g.pf("  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [get, list, watch]\n")
	case !g.hardened && g.rng.IntN(5) == 0:
		g.pf("  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n")
	default:
		g.pf("  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n    verbs: [get, create, update]\n")
	}
}

func (g *appGen) roleBinding() {
	g.doc()
	g.pf("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n")
	g.meta("", true)
	g.pf("roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %s\nsubjects:\n  - kind: ServiceAccount\n    name: %s\n    namespace: %s\n",
		g.name, g.name, g.ns)
}

func (g *appGen) service() {
	g.doc()
	g.pf("apiVersion: v1\nkind: Service\n")
	g.meta("", true)
	typ := "ClusterIP"
	if !g.hardened && g.rng.IntN(6) == 0 {
		typ = "LoadBalancer"
	}
	g.pf("spec:\n  type: %s\n  selector:\n    app.kubernetes.io/name: %s\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n    - name: metrics\n      port: 9090\n      targetPort: metrics\n", typ, g.name)
}

func (g *appGen) networkPolicy() {
	g.doc()
	g.pf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
	g.meta("", true)
	g.pf("spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  policyTypes: [Ingress, Egress]\n", g.name)
	g.pf("  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ingress-nginx\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/part-of: shop\n      ports:\n        - port: 8080\n          protocol: TCP\n")
	g.pf("  egress:\n    - to:\n        - namespaceSelector: {}\n          podSelector:\n            matchLabels:\n              k8s-app: kube-dns\n      ports:\n        - port: 53\n          protocol: UDP\n")
}

func (g *appGen) ingress() {
	g.doc()
	g.pf("apiVersion: networking.k8s.io/v1\nkind: Ingress\n")
	g.meta("", true)
	g.pf("    nginx.ingress.kubernetes.io/proxy-body-size: 8m\nspec:\n  ingressClassName: nginx\n")
	if g.hardened {
		g.pf("  tls:\n    - hosts: [%s.shop.example.com]\n      secretName: %s-tls\n", g.name, g.name)
	}
	g.pf("  rules:\n    - host: %s.shop.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: %s\n                port:\n                  name: http\n", g.name, g.name)
}

// workload writes a Deployment, StatefulSet or CronJob around one pod
// template.
func (g *appGen) workload(kind string) {
	g.doc()
	name := g.name
	switch kind {
	case "Deployment", "StatefulSet":
		if kind == "Deployment" && g.rollouts {
			g.pf("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n")
		} else {
			g.pf("apiVersion: apps/v1\nkind: %s\n", kind)
		}
		g.meta("", true)
		g.pf("spec:\n  replicas: %d\n", 1+g.rng.IntN(4))
		if kind == "StatefulSet" {
			g.pf("  serviceName: %s\n", name)
		}
		g.pf("  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  template:\n", name)
		g.podTemplate("    ", "")
	case "CronJob":
		g.pf("apiVersion: batch/v1\nkind: CronJob\n")
		g.meta("", true)
		g.pf("spec:\n  schedule: \"%d %d * * *\"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n      template:\n", g.rng.IntN(60), g.rng.IntN(24))
		g.podTemplate("        ", "OnFailure")
	}
}

// podTemplate writes a pod template at indentation in; restart, when set,
// is its restartPolicy (Jobs need one).
func (g *appGen) podTemplate(in, restart string) {
	g.pf("%smetadata:\n%s  labels:\n%s    app.kubernetes.io/name: %s\n%s  annotations:\n%s    prometheus.io/scrape: \"true\"\n",
		in, in, in, g.name, in, in)
	g.pf("%sspec:\n%s  serviceAccountName: %s\n", in, in, g.name)
	if restart != "" {
		g.pf("%s  restartPolicy: %s\n", in, restart)
	}
	if g.hardened {
		g.pf("%s  automountServiceAccountToken: false\n%s  securityContext:\n%s    runAsNonRoot: true\n%s    runAsUser: 10001\n%s    fsGroup: 10001\n%s    seccompProfile:\n%s      type: RuntimeDefault\n",
			in, in, in, in, in, in, in)
	} else if g.rng.IntN(8) == 0 {
		g.pf("%s  hostNetwork: true\n", in)
	}
	g.pf("%s  terminationGracePeriodSeconds: 45\n%s  affinity:\n%s    podAntiAffinity:\n%s      preferredDuringSchedulingIgnoredDuringExecution:\n%s        - weight: 100\n%s          podAffinityTerm:\n%s            topologyKey: kubernetes.io/hostname\n%s            labelSelector:\n%s              matchLabels:\n%s                app.kubernetes.io/name: %s\n",
		in, in, in, in, in, in, in, in, in, in, g.name)
	if g.rng.IntN(2) == 0 {
		g.pf("%s  initContainers:\n", in)
		g.container(in+"    ", "migrate", false)
	}
	g.pf("%s  containers:\n", in)
	g.container(in+"    ", "app", true)
	if g.rng.IntN(100) < 45 {
		g.container(in+"    ", "proxy", false)
	}
	g.pf("%s  volumes:\n%s    - name: config\n%s      configMap:\n%s        name: %s\n%s    - name: tmp\n%s      emptyDir: {}\n",
		in, in, in, in, g.name, in, in)
	if !g.hardened && g.rng.IntN(6) == 0 {
		g.pf("%s    - name: docker\n%s      hostPath:\n%s        path: /var/run/docker.sock\n", in, in, in)
	}
}

var registries = []string{"ghcr.io/acme", "registry.example.com/shop", "docker.io/library", "quay.io/acme"}

func (g *appGen) image(base string) string {
	reg := registries[g.rng.IntN(len(registries))]
	switch {
	case g.hardened && g.rng.IntN(2) == 0:
		return fmt.Sprintf("%s/%s:1.%d.%d@sha256:%s", reg, base, g.rng.IntN(30), g.rng.IntN(10), hexString(g.rng, 32))
	case !g.hardened && g.rng.IntN(4) == 0:
		return reg + "/" + base + ":latest"
	}
	return fmt.Sprintf("%s/%s:1.%d.%d", reg, base, g.rng.IntN(30), g.rng.IntN(10))
}

func (g *appGen) container(in, role string, main bool) {
	image := g.image(strings.SplitN(g.name, "-", 2)[0])
	if role == "proxy" {
		image = g.image("envoy")
	}
	g.pf("%s- name: %s\n%s  image: %s\n", in, role, in, image)
	if main {
		g.pf("%s  args: [\"--config=/etc/app/application.yaml\", \"--listen=:8080\"]\n", in)
		g.pf("%s  ports:\n%s    - name: http\n%s      containerPort: 8080\n%s    - name: metrics\n%s      containerPort: 9090\n", in, in, in, in, in)
	}
	g.pf("%s  env:\n", in)
	g.pf("%s    - name: POD_NAME\n%s      valueFrom:\n%s        fieldRef:\n%s          fieldPath: metadata.name\n", in, in, in, in)
	g.pf("%s    - name: LOG_LEVEL\n%s      valueFrom:\n%s        configMapKeyRef:\n%s          name: %s\n%s          key: LOG_LEVEL\n", in, in, in, in, g.name, in)
	for i := 0; i < g.rng.IntN(4); i++ {
		g.pf("%s    - name: UPSTREAM_%d_TIMEOUT\n%s      value: \"%dms\"\n", in, i, in, 100*(1+g.rng.IntN(30)))
	}
	if !g.hardened && g.rng.IntN(5) == 0 {
		g.pf("%s    - name: API_TOKEN\n%s      value: \"%s\"\n", in, in, hexString(g.rng, 20))
	}
	if main {
		g.pf("%s  readinessProbe:\n%s    httpGet:\n%s      path: /readyz\n%s      port: http\n%s    periodSeconds: 10\n", in, in, in, in, in)
		g.pf("%s  livenessProbe:\n%s    httpGet:\n%s      path: /healthz\n%s      port: http\n%s    initialDelaySeconds: 15\n", in, in, in, in, in)
	}
	if g.hardened || g.rng.IntN(3) == 0 {
		g.pf("%s  resources:\n%s    requests:\n%s      cpu: %dm\n%s      memory: %dMi\n%s    limits:\n%s      cpu: %dm\n%s      memory: %dMi\n",
			in, in, in, 50*(1+g.rng.IntN(8)), in, 64*(1+g.rng.IntN(8)), in, in, 500, in, 512)
	}
	switch {
	case g.hardened:
		g.pf("%s  securityContext:\n%s    allowPrivilegeEscalation: false\n%s    readOnlyRootFilesystem: true\n%s    capabilities:\n%s      drop: [ALL]\n", in, in, in, in, in)
	case g.rng.IntN(10) == 0:
		g.pf("%s  securityContext:\n%s    privileged: true\n", in, in)
	case g.rng.IntN(5) == 0:
		g.pf("%s  securityContext:\n%s    capabilities:\n%s      add: [NET_ADMIN, SYS_TIME]\n", in, in, in)
	}
	g.pf("%s  volumeMounts:\n%s    - name: config\n%s      mountPath: /etc/app\n%s      readOnly: true\n%s    - name: tmp\n%s      mountPath: /tmp\n", in, in, in, in, in, in)
}

func hexString(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}
