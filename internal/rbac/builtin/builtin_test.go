package builtin

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
)

func rel(minor int) k8sversions.Release { return k8sversions.Release{Major: 1, Minor: minor} }

// TestDataFiles: every embedded file decodes into RBAC objects only, with
// unique names, as many of each kind as its header says, and names the
// module version of its own release.
func TestDataFiles(t *testing.T) {
	files, err := data.ReadDir("data")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Releases()) {
		t.Errorf("%d data files but %d releases: a file is misnamed", len(files), len(Releases()))
	}
	header := regexp.MustCompile(`(?m)^# Objects: (\d+) ClusterRoles, (\d+) ClusterRoleBindings, (\d+) Roles, (\d+) RoleBindings$`)
	for _, r := range Releases() {
		p, err := For(r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if p.Release != r || !strings.HasPrefix(p.Source, "k8s.io/kubernetes v"+r.String()+".") {
			t.Errorf("%s: release %s, source %q", r, p.Release, p.Source)
		}
		raw, _ := data.ReadFile("data/v" + r.String() + ".yaml")
		m := header.FindSubmatch(raw)
		if m == nil {
			t.Fatalf("%s: no object count in the header", r)
		}
		count := map[string]int{}
		seen := map[string]bool{}
		for _, o := range p.Objects {
			if o.Group() != rbacv1.GroupName {
				t.Errorf("%s: %s is not an RBAC object", r, o.Ref)
			}
			if seen[o.Ref.String()] {
				t.Errorf("%s: %s twice", r, o.Ref)
			}
			seen[o.Ref.String()] = true
			count[o.Kind]++
			if o.Source.File != "" || !strings.Contains(o.Source.Origin, "built-in") {
				t.Errorf("%s: %s has source %+v, want a built-in origin and no file", r, o.Ref, o.Source)
			}
		}
		for i, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
			if want, _ := strconv.Atoi(string(m[i+1])); count[kind] != want {
				t.Errorf("%s: %d %ss decoded, the header says %d", r, count[kind], kind, want)
			}
		}
	}
}

// TestReleases: the releases shipped, and the one the test harness runs
// (whose real API server the SubjectAccessReview test compares with) is
// generated from exactly the module version the harness builds.
func TestReleases(t *testing.T) {
	got := fmt.Sprint(Releases())
	if got != "[1.35 1.36 1.37]" {
		t.Errorf("releases %s", got)
	}
	mod, err := os.ReadFile("../../../hack/tools/kube-apiserver/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	pin := regexp.MustCompile(`k8s.io/kubernetes (v\d+\.\d+\.\d+)`).FindSubmatch(mod)
	if pin == nil {
		t.Fatal("no k8s.io/kubernetes in the harness's go.mod")
	}
	harness, err := k8sversions.ParseRelease(string(pin[1]))
	if err != nil {
		t.Fatal(err)
	}
	p, err := For(harness)
	if err != nil {
		t.Fatal(err)
	}
	if p.Release != harness || p.Source != "k8s.io/kubernetes "+string(pin[1]) {
		t.Errorf("the harness runs k8s.io/kubernetes %s, the data for %s is from %s", pin[1], harness, p.Source)
	}
}

func TestNearest(t *testing.T) {
	for _, tc := range []struct{ target, want k8sversions.Release }{
		{rel(37), rel(37)}, {rel(36), rel(36)}, {rel(35), rel(35)},
		{rel(40), rel(37)}, {rel(38), rel(37)}, {rel(20), rel(35)}, {rel(34), rel(35)},
		{k8sversions.Release{Major: 2, Minor: 0}, rel(37)},
	} {
		if got := Nearest(tc.target); got != tc.want {
			t.Errorf("Nearest(%s) = %s, want %s", tc.target, got, tc.want)
		}
	}
}

// TestDecodedOnce: the data is decoded once per process, not per scan.
func TestDecodedOnce(t *testing.T) {
	a, err := For(rel(37))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := For(rel(99)) // nearest is 1.37 too
	if a != b || &a.Objects[0] != &b.Objects[0] {
		t.Error("For decoded the data again")
	}
}

// TestKnownObjects checks facts of the bootstrap policy, read by hand in
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy (policy.go,
// controller_policy.go, namespace_policy.go), in every release shipped.
func TestKnownObjects(t *testing.T) {
	for _, r := range Releases() {
		p, err := For(r)
		if err != nil {
			t.Fatal(err)
		}
		inv := inventory.New(p.Objects)
		get := func(kind, ns, name string) *inventory.Object {
			o, ok := inv.Get(rbacv1.GroupName, kind, ns, name)
			if !ok {
				t.Fatalf("%s: no %s %s/%s", r, kind, ns, name)
			}
			return o
		}
		clusterAdmin := get("ClusterRole", "", "cluster-admin").Typed.(*rbacv1.ClusterRole)
		if len(clusterAdmin.Rules) != 2 || !slices.Equal(clusterAdmin.Rules[0].Resources, []string{"*"}) ||
			!slices.Equal(clusterAdmin.Rules[1].NonResourceURLs, []string{"*"}) {
			t.Errorf("%s: cluster-admin rules %+v", r, clusterAdmin.Rules)
		}
		for name, label := range map[string]string{"admin": "aggregate-to-admin", "edit": "aggregate-to-edit", "view": "aggregate-to-view"} {
			cr := get("ClusterRole", "", name).Typed.(*rbacv1.ClusterRole)
			if cr.AggregationRule == nil || len(cr.Rules) != 0 ||
				cr.AggregationRule.ClusterRoleSelectors[0].MatchLabels["rbac.authorization.k8s.io/"+label] != "true" {
				t.Errorf("%s: %s is not aggregated from %s: %+v", r, name, label, cr)
			}
		}
		subjects := func(kind, ns, name string) string {
			var out []string
			switch b := get(kind, ns, name).Typed.(type) {
			case *rbacv1.ClusterRoleBinding:
				for _, s := range b.Subjects {
					out = append(out, s.Kind+":"+s.Namespace+":"+s.Name)
				}
			case *rbacv1.RoleBinding:
				for _, s := range b.Subjects {
					out = append(out, s.Kind+":"+s.Namespace+":"+s.Name)
				}
			}
			return strings.Join(out, ",")
		}
		for _, tc := range []struct{ kind, ns, name, want string }{
			{"ClusterRoleBinding", "", "cluster-admin", "Group::system:masters"},
			{"ClusterRoleBinding", "", "system:basic-user", "Group::system:authenticated"},
			{"ClusterRoleBinding", "", "system:discovery", "Group::system:authenticated"},
			{"ClusterRoleBinding", "", "system:public-info-viewer", "Group::system:authenticated,Group::system:unauthenticated"},
			{"ClusterRoleBinding", "", "system:kube-controller-manager", "User::system:kube-controller-manager"},
			{"ClusterRoleBinding", "", "system:controller:clusterrole-aggregation-controller", "ServiceAccount:kube-system:clusterrole-aggregation-controller"},
			{"RoleBinding", "kube-system", "system::extension-apiserver-authentication-reader", "User::system:kube-controller-manager,User::system:kube-scheduler"},
			{"RoleBinding", "kube-public", "system:controller:bootstrap-signer", "ServiceAccount:kube-system:bootstrap-signer"},
		} {
			if got := subjects(tc.kind, tc.ns, tc.name); got != tc.want {
				t.Errorf("%s: %s %s subjects %s, want %s", r, tc.kind, tc.name, got, tc.want)
			}
		}
		get("Role", "kube-system", "extension-apiserver-authentication-reader")
	}
}

// BenchmarkDecode: decoding one release's data, which a process does once.
func BenchmarkDecode(b *testing.B) {
	var n int
	for b.Loop() {
		p, err := load("data/v1.37.yaml")
		if err != nil {
			b.Fatal(err)
		}
		n = len(p.Objects)
	}
	b.ReportMetric(float64(n), "objects")
}

// BenchmarkAttach: what each scan pays once the data is decoded.
func BenchmarkAttach(b *testing.B) {
	inv := inventory.New(nil)
	if _, _, err := Attach(inv, rel(37)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Attach(inv, rel(37))
	}
}
