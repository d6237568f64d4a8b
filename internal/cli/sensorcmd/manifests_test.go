package sensorcmd

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// pinned is an image reference pinned by digest, as the flag's help asks
// for production.
const pinned = "ghcr.io/kguard/kguard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// manifestsCmd is `kguard sensor manifests` as kguard builds it.
func manifestsCmd(s *cmdutil.Streams) *cobra.Command { return newManifestsCmd(s, RunManifests) }

// render runs `kguard sensor manifests` with args and decodes its output.
func render(t *testing.T, args ...string) []*inventory.Object {
	t.Helper()
	out, errOut, code := clitest.Run(t, manifestsCmd, args...)
	if code != 0 {
		t.Fatalf("manifests %v: exit %d: %s", args, code, errOut)
	}
	objs, errs := inventory.DecodeFile("sensor.yaml", []byte(out))
	if len(errs) > 0 {
		t.Fatalf("manifests %v do not parse: %v\n%s", args, errs, out)
	}
	return objs
}

func find[T runtime.Object](t *testing.T, objs []*inventory.Object, kind string) T {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind {
			v, ok := o.Typed.(T)
			if !ok {
				t.Fatalf("%s decoded as %T", kind, o.Typed)
			}
			return v
		}
	}
	var zero T
	t.Fatalf("no %s in the manifests", kind)
	return zero
}

func sensorContainer(t *testing.T, objs []*inventory.Object) (*appsv1.DaemonSet, *corev1.Container) {
	t.Helper()
	ds := find[*appsv1.DaemonSet](t, objs, "DaemonSet")
	if n := len(ds.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers, want 1", n)
	}
	return ds, &ds.Spec.Template.Spec.Containers[0]
}

// documentedCaps are the capabilities the command's help and the
// manifest's comments promise, without and with --enforce.
var (
	documentedCaps        = []corev1.Capability{"BPF", "PERFMON", "SYS_RESOURCE"}
	documentedEnforceCaps = []corev1.Capability{"BPF", "PERFMON", "SYS_RESOURCE", "NET_ADMIN", "KILL"}
)

func TestManifestsKinds(t *testing.T) {
	objs := render(t)
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind+" "+o.Name)
		if o.Kind != "Namespace" && o.Kind != "ClusterRole" && o.Kind != "ClusterRoleBinding" && o.Namespace != "kguard-sensor" {
			t.Errorf("%s is in namespace %q", o.Ref, o.Namespace)
		}
	}
	want := []string{
		"Namespace kguard-sensor", "ServiceAccount kguard-sensor", "ClusterRole kguard-sensor",
		"ClusterRoleBinding kguard-sensor", "ResourceQuota kguard-sensor", "LimitRange kguard-sensor", "DaemonSet kguard-sensor",
		"NetworkPolicy kguard-sensor",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("objects %q, want %q", got, want)
	}

	ns := find[*corev1.Namespace](t, objs, "Namespace")
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("namespace labels %v: the sensor needs the privileged level", ns.Labels)
	}

	// Reading pods is all the sensor may do with the API.
	role := find[*rbacv1.ClusterRole](t, objs, "ClusterRole")
	wantRule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}
	if len(role.Rules) != 1 || !reflect.DeepEqual(role.Rules[0], wantRule) {
		t.Errorf("ClusterRole rules %+v, want only %+v", role.Rules, wantRule)
	}
	crb := find[*rbacv1.ClusterRoleBinding](t, objs, "ClusterRoleBinding")
	if crb.RoleRef.Name != "kguard-sensor" || len(crb.Subjects) != 1 || crb.Subjects[0].Name != "kguard-sensor" || crb.Subjects[0].Namespace != "kguard-sensor" {
		t.Errorf("binding %+v", crb)
	}
	np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy")
	if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.IntValue() != 9464 {
		t.Errorf("network policy must admit the metrics port only: %+v", np.Spec.Ingress)
	}
}

func TestManifestsDaemonSet(t *testing.T) {
	ds, c := sensorContainer(t, render(t))
	pod := ds.Spec.Template.Spec
	if !pod.HostPID || pod.HostNetwork || pod.HostIPC {
		t.Errorf("host namespaces: pid %v network %v ipc %v; want the PID namespace only", pod.HostPID, pod.HostNetwork, pod.HostIPC)
	}
	if pod.PriorityClassName != "system-node-critical" {
		t.Errorf("priority class %q", pod.PriorityClassName)
	}
	if len(pod.Tolerations) != 1 || pod.Tolerations[0].Operator != corev1.TolerationOpExists || pod.Tolerations[0].Key != "" {
		t.Errorf("tolerations %+v, want one that tolerates every taint", pod.Tolerations)
	}
	wantArgs := []string{"sensor", "--node-name=$(NODE_NAME)", "--metrics-addr", ":9464", "--proc-root=/host/proc"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["NODE_NAME"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("NODE_NAME %+v, want the downward API's spec.nodeName", e)
	}
	if e := env["KGUARD_ALERT_WEBHOOK"]; e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional {
		t.Errorf("KGUARD_ALERT_WEBHOOK %+v, want an optional Secret key", e)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v, want requests and limits", c.Resources)
	}

	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("no security context")
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Error("privileged must be false by default")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("root filesystem must be read-only")
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp %+v, want RuntimeDefault", sc.SeccompProfile)
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || !slices.Equal(sc.Capabilities.Add, documentedCaps) {
		t.Errorf("capabilities %+v, want drop ALL, add exactly %v", sc.Capabilities, documentedCaps)
	}

	// Host paths: read-only, and only these.
	hostPaths := map[string]string{} // volume name -> host path
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	mounted := map[string]string{} // host path -> mount path
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is writable", m.MountPath)
		}
		if hp, ok := hostPaths[m.Name]; ok {
			mounted[hp] = m.MountPath
		}
	}
	wantMounts := map[string]string{"/sys/kernel/btf": "/sys/kernel/btf", "/sys/fs/cgroup": "/host/sys/fs/cgroup", "/proc": "/host/proc", "/sys/kernel/tracing": "/sys/kernel/tracing"}
	if !maps.Equal(mounted, wantMounts) || len(hostPaths) != len(wantMounts) {
		t.Errorf("host paths %v mounted as %v, want %v", hostPaths, mounted, wantMounts)
	}
}

func TestManifestsCapabilitiesAreDocumented(t *testing.T) {
	help := manifestsCmd(nil).Long
	var comments strings.Builder
	for _, l := range strings.Split(manifestsTemplate, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
			comments.WriteString(t + "\n")
		}
	}
	for _, capName := range documentedEnforceCaps {
		if !strings.Contains(help, string(capName)) || !strings.Contains(comments.String(), string(capName)) {
			t.Errorf("capability %s is not explained in the help and in the manifest's comments", capName)
		}
	}
	for _, notAdded := range []string{"SYS_PTRACE", "DAC_READ_SEARCH", "SYS_ADMIN"} {
		if !strings.Contains(comments.String(), notAdded) {
			t.Errorf("the manifest's comments do not say why %s is not added", notAdded)
		}
	}
}

func TestManifestsFlags(t *testing.T) {
	_, c := sensorContainer(t, render(t, "--privileged"))
	if sc := c.SecurityContext; sc.Privileged == nil || !*sc.Privileged {
		t.Error("--privileged does not make the container privileged")
	} else if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		t.Error("privileged with allowPrivilegeEscalation false is invalid")
	}

	_, c = sensorContainer(t, render(t, "--enforce"))
	if !slices.Contains(c.Args, "--enforce") {
		t.Errorf("--enforce not passed on: %q", c.Args)
	}
	if got := c.SecurityContext.Capabilities.Add; !slices.Equal(got, documentedEnforceCaps) {
		t.Errorf("capabilities with --enforce %v, want %v", got, documentedEnforceCaps)
	}
	if sc := c.SecurityContext; sc.Privileged == nil || *sc.Privileged {
		t.Error("--enforce must not make the container privileged")
	}

	_, c = sensorContainer(t, render(t, "--seccomp", "Unconfined"))
	if p := c.SecurityContext.SeccompProfile; p == nil || p.Type != corev1.SeccompProfileTypeUnconfined {
		t.Errorf("--seccomp Unconfined: %+v", p)
	}

	objs := render(t, "--namespace", "security", "--image", pinned)
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Kind != "ClusterRole" && o.Kind != "ClusterRoleBinding" && o.Namespace != "security" {
			t.Errorf("%s not in --namespace", o.Ref)
		}
	}
	if _, c := sensorContainer(t, objs); c.Image != pinned {
		t.Errorf("image %q", c.Image)
	}

	for _, bad := range [][]string{
		{"--seccomp", "Localhost"},
		{"--namespace", "Not_A_Namespace"},
		{"--namespace", ""},
		{"--image", ""},
		{"--image", "kguard:1\n  hostNetwork: true"},
		{"--image", "{x}"},
		{"extra-arg"},
	} {
		if _, errOut, code := clitest.Run(t, manifestsCmd, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", bad, code, errOut)
		}
	}
}

// ownScanExpected are the findings kguard's own scan reports on the
// sensor's default manifests (image pinned by digest), each with why it
// stays. A finding not listed fails the test, and so does a listed one
// that no longer appears: the list must be kept exact. Those at medium
// and above are suppressed by the manifests' kguard.io/ignore annotations
// (TestOwnManifestsPassOwnScan in internal/cli checks their reasons).
var ownScanExpected = map[string]string{
	"pss-baseline-host-namespaces":        "hostPID: the kernel reports events with host PIDs; the sensor must recognise its own and match events to /proc entries",
	"pss-baseline-host-path-volumes":      "read-only /sys/kernel/btf (CO-RE), /sys/fs/cgroup (cgroup ID to container) /proc (processes older than the sensor) and /sys/kernel/tracing (syscall tracepoint IDs)",
	"pss-restricted-volumes":              "the same hostPath volumes, seen by the restricted level",
	"pss-baseline-capabilities":           "BPF, PERFMON and SYS_RESOURCE: loading and running the eBPF programs, nothing more",
	"pss-restricted-capabilities":         "the same added capabilities, seen by the restricted level (ALL is dropped)",
	"pss-restricted-run-as-non-root":      "capabilities take effect only for root: Kubernetes gives other users no ambient capabilities",
	"pss-restricted-run-as-user":          "the same: runAsUser 0, stated explicitly",
	"namespace-pod-security-not-enforced": "the sensor's namespace must admit the grants above (a baseline one refuses them: see TestManifestsOnAPIServer); its ResourceQuota keeps other workloads out",
	"secret-as-env-var":                   "the optional alert webhook URL, kept out of the manifest and off the command line (world-readable in /proc)",
	"namespace-no-default-deny-egress":    "the sensor calls the API server and the alert webhooks the user chooses, whose addresses the manifests cannot know",
	"networkpolicy-allows-all":            "the metrics port alone is open to every source: the manifests cannot know where the user's Prometheus runs",
}

func TestManifestsOwnScan(t *testing.T) {
	objs := render(t, "--image", pinned)
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("not evaluated: %+v", ne)
	}
	for _, f := range res.Findings {
		if f.Severity >= finding.SeverityMedium {
			t.Errorf("%s %s on %s is not suppressed", f.Severity, f.Rule, f.Resource)
		}
	}
	got := map[string][]string{}
	for _, f := range append(res.Findings, res.Suppressed...) {
		got[f.Rule] = append(got[f.Rule], fmt.Sprintf("%s %s: %s", f.Resource, f.Field, f.Message))
	}
	for id, where := range got {
		if _, ok := ownScanExpected[id]; !ok {
			t.Errorf("unexpected finding %s:\n  %s", id, strings.Join(where, "\n  "))
		}
	}
	for id := range ownScanExpected {
		if _, ok := got[id]; !ok {
			t.Errorf("expected finding %s is gone: remove it from ownScanExpected", id)
		}
	}

	// The flags that widen the grant show up as findings of their own.
	for _, tc := range []struct {
		flag string
		rule string
	}{
		{"--privileged", "pss-baseline-privileged"},
		{"--seccomp=Unconfined", "pss-baseline-seccomp-profile"},
	} {
		res, err := scan.Run(context.Background(), inventory.New(render(t, "--image", pinned, tc.flag)), scan.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.Rule == tc.rule }) {
			t.Errorf("%s: no %s finding", tc.flag, tc.rule)
		}
	}
}

// TestManifestsOnAPIServer creates every object of each variant on a real
// API server with server-side dry run, so that validation, defaulting and
// admission (Pod Security included) all pass on them.
func TestManifestsOnAPIServer(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	ctx := context.Background()
	store, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	dry, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun, dry.Strict = true, true
	baseline := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "sensor-baseline", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}},
	}
	if err := store.Create(ctx, baseline); err != nil {
		t.Fatal(err)
	}
	variant := 0
	for _, args := range [][]string{
		nil, {"--privileged"}, {"--enforce"}, {"--seccomp", "Unconfined"}, {"--privileged", "--enforce"},
	} {
		name := strings.Join(args, " ")
		if name == "" {
			name = "no flags"
		}
		t.Run(name, func(t *testing.T) {
			// A namespace per variant, so that each dry-runs its own.
			variant++
			objs := render(t, append(args, "--namespace", fmt.Sprintf("kguard-sensor-%d", variant))...)
			ns := find[*corev1.Namespace](t, objs, "Namespace")
			for _, o := range objs {
				one := []*inventory.Object{o}
				if _, skipped, err := dry.Apply(ctx, one); err != nil || len(skipped) > 0 {
					t.Fatalf("dry run %s: %v (not served: %d)", o.Ref, err, len(skipped))
				}
				if o.Kind == "Namespace" || o.Kind == "ServiceAccount" {
					// Namespaced objects are checked against their namespace,
					// and pods against their service account, so these two
					// must exist: create them for real (the dry run above
					// checked them as given).
					if _, _, err := store.Apply(ctx, one); err != nil {
						t.Fatal(err)
					}
				}
			}

			// The pod the DaemonSet would make passes admission in the
			// sensor's namespace, priority class included, and is refused by
			// Pod Security in a namespace that enforces baseline.
			ds := find[*appsv1.DaemonSet](t, objs, "DaemonSet")
			pod := &corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: "kguard-sensor-node-a", Namespace: ns.Name, Labels: ds.Spec.Template.Labels},
				Spec:       *ds.Spec.Template.Spec.DeepCopy(),
			}
			pod.Spec.NodeName = "node-a"
			if err := dry.Create(ctx, pod); err != nil {
				t.Fatalf("dry run of the sensor's pod: %v", err)
			}
			if err := c.EnsureServiceAccount(ctx, baseline.Name, pod.Spec.ServiceAccountName); err != nil {
				t.Fatal(err)
			}
			pod.Namespace = baseline.Name
			if err := dry.Create(ctx, pod); err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PodSecurity") {
				t.Errorf("a baseline namespace admitted the sensor's pod (%v): the privileged label would be unneeded", err)
			}
		})
	}
}
