package rbac

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
	testcluster "github.com/kguard/kguard/internal/testutil/cluster"
)

// TestAgreesWithSubjectAccessReview applies the same files (examples/,
// the RBAC fixture, and inputs that aggregate into and replace built-in
// objects) to a real API server, which has the real bootstrap policy
// (reconciled at startup) and the real ClusterRole aggregation controller
// of kube-controller-manager, and asks it, through SubjectAccessReviews,
// about 3,000 generated (identity, verb, resource, namespace, name)
// tuples. kguard's model of the files, with the built-in policy as the CLI
// builds it, must give the same answer every time; so must its model of
// the live cluster (no built-ins: the cluster has its own). Two broken
// models, in the same run, must disagree: the files without the built-in
// policy, and the files with it but without aggregation.
func TestAgreesWithSubjectAccessReview(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{ControllerManager: true})
	ctx := context.Background()
	fileInv, fileModel := loadFiles(t, true, "../../examples", "testdata/sar-fixture.yaml", "testdata/sar-builtin.yaml")
	bareInv, bareModel := loadFiles(t, false, "../../examples", "testdata/sar-fixture.yaml", "testdata/sar-builtin.yaml")
	if bareInv.Len() != fileInv.Len() || len(bareInv.Baseline()) != 0 {
		t.Fatal("the model without built-ins must be of the same files")
	}
	ap, err := testcluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	apply := func(inv *inventory.Inventory) {
		t.Helper()
		// Namespaces first, as kubectl apply of a directory needs too.
		objs := slices.Clone(inv.Objects())
		sort.SliceStable(objs, func(i, j int) bool { return objs[i].Kind == "Namespace" && objs[j].Kind != "Namespace" })
		for _, ns := range inv.Namespaces() {
			// Pods need their service account; the harness runs no
			// service account controller to create "default".
			if err := c.EnsureServiceAccount(ctx, ns, "default"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := ap.Apply(ctx, objs); err != nil {
			t.Fatal(err)
		}
	}
	cs := c.Admin()

	// examples/ alone first: README's questions, answered by the CLI's
	// functions, against the server.
	exInv, exModel := loadFiles(t, true, "../../examples")
	apply(exInv)
	legacyDefault, deleteNodes := ForServiceAccount("legacy", "default"), Request{Verb: "delete", Resource: "nodes"}
	ours, grants := exModel.Allowed(legacyDefault, deleteNodes)
	theirs, err := subjectAccessReview(ctx, cs, legacyDefault, deleteNodes)
	if err != nil {
		t.Fatal(err)
	}
	if !ours || !theirs || len(grants) == 0 || !grants[0].Binding.RoleBuiltin || grants[0].Binding.RoleRef.Name != "cluster-admin" {
		t.Errorf("can-i %s %s: kguard %v %+v, API server %v; want yes through the built-in cluster-admin", legacyDefault, deleteNodes, ours, grants, theirs)
	}
	checkWhoCan(ctx, t, cs, exModel, Request{Verb: "get", Resource: "secrets", Namespace: "shop"}, whoCanCandidates(exModel, nil))

	// Then the fixtures: fileInv's other objects.
	fixtures, _ := loadFiles(t, false, "testdata/sar-fixture.yaml", "testdata/sar-builtin.yaml")
	if fixtures.Len()+exInv.Len() != fileInv.Len() {
		t.Fatalf("%d + %d objects applied, the model has %d", exInv.Len(), fixtures.Len(), fileInv.Len())
	}
	apply(fixtures)

	// The aggregation controller writes what kguard computes: the same
	// rules in the same order, for every aggregated ClusterRole.
	checkAggregation(ctx, t, cs, fileModel)

	live, err := cluster.Load(ctx, c.AdminConfig(), cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	liveModel := Build(inventory.New(live.Objects))

	tuples := sarTuples(3000, fileModel)
	server := make([]bool, len(tuples))
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tuples); i += 8 {
				allowed, err := subjectAccessReview(ctx, cs, tuples[i].user, tuples[i].req)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				server[i] = allowed
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	disagreements := func(name string, m *Model, report bool) int {
		n := 0
		for i, tu := range tuples {
			if ours, _ := m.Allowed(tu.user, tu.req); ours != server[i] {
				n++
				if report && n <= 20 {
					t.Errorf("%s: %s %s: kguard allowed=%v, API server allowed=%v", name, tu.user, tu.req, ours, server[i])
				}
			}
		}
		return n
	}
	yes := 0
	for _, a := range server {
		if a {
			yes++
		}
	}
	files := disagreements("files with built-ins", fileModel, true)
	liveN := disagreements("live cluster", liveModel, true)
	noBuiltins := disagreements("files without built-ins", bareModel, false)
	noAggregation := disagreements("files without aggregation", withoutAggregation(fileModel), false)
	t.Logf("%d tuples, %d allowed by the API server; disagreements: files with built-ins %d, live cluster %d; "+
		"broken models: files without built-ins %d, built-ins without aggregation %d",
		len(tuples), yes, files, liveN, noBuiltins, noAggregation)
	if files > 0 || liveN > 0 {
		t.Errorf("%d (files) and %d (live) of %d answers disagree", files, liveN, len(tuples))
	}
	// Negative controls: if these agree, the tuples do not exercise the
	// built-in policy or aggregation, and agreement above proves little.
	if noBuiltins == 0 || noAggregation == 0 {
		t.Errorf("broken models agree with the API server (%d, %d disagreements): the tuples miss the built-in policy", noBuiltins, noAggregation)
	}
	// Tuples that are all "no" would prove little.
	if yes < len(tuples)/4 {
		t.Errorf("only %d of %d tuples are allowed: the generator misses the grants", yes, len(tuples))
	}

	// who-can: every subject kguard lists may make the request, and every
	// identity the API server allows is one of them (or in a group that
	// is). The first request is README's example over examples/.
	candidates := whoCanCandidates(fileModel, tuples)
	for _, req := range []Request{
		{Verb: "get", Resource: "secrets", Namespace: "shop"},
		{Verb: "delete", Resource: "nodes"},
		{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "alpha"},
		{Verb: "update", APIGroup: "example.com", Resource: "widgets", Namespace: "shop"},
		{Verb: "get", APIGroup: "example.com", Resource: "widgets", Namespace: "legacy"},
		{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "get", NonResourceURL: "/version"},
		{Verb: "get", NonResourceURL: "/openid/v1/jwks"},
	} {
		checkWhoCan(ctx, t, cs, fileModel, req, candidates)
	}
}

// loadFiles reads paths as kguard's CLI does (inventory.Load), with the
// built-in policy of the release the harness runs when builtins is set
// (the CLI's default, cmdutil.BuiltinRBAC, calls builtin.Attach).
func loadFiles(t *testing.T, builtins bool, paths ...string) (*inventory.Inventory, *Model) {
	t.Helper()
	res, err := inventory.Load(context.Background(), paths, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Fatal(e)
	}
	inv := res.Inventory
	if builtins {
		if inv, _, err = builtin.Attach(inv, k8sversions.Latest); err != nil {
			t.Fatal(err)
		}
	}
	return inv, Build(inv)
}

func subjectAccessReview(ctx context.Context, cs kubernetes.Interface, u User, req Request) (bool, error) {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: u.Name, Groups: u.Groups}}
	if req.NonResourceURL != "" {
		sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: req.NonResourceURL, Verb: req.Verb}
	} else {
		sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: req.Namespace, Verb: req.Verb,
			Group: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource, Name: req.Name}
	}
	got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// checkAggregation waits for the controller to settle, then compares the
// rules of every aggregated ClusterRole on the server with kguard's.
func checkAggregation(ctx context.Context, t *testing.T, cs kubernetes.Interface, m *Model) {
	t.Helper()
	var diffs []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		diffs = nil
		n := 0
		for _, cr := range list.Items {
			if cr.AggregationRule == nil {
				continue
			}
			n++
			ours, _, ok := m.RoleRules("ClusterRole", "", cr.Name)
			if !ok || !slices.Equal(ruleDescs(ours), ruleDescs(cr.Rules)) {
				diffs = append(diffs, fmt.Sprintf("%s:\n  server %q\n  kguard %q", cr.Name, ruleDescs(cr.Rules), ruleDescs(ours)))
			}
		}
		if n < 4 {
			t.Fatalf("only %d aggregated ClusterRoles on the server", n)
		}
		if len(diffs) == 0 {
			t.Logf("%d aggregated ClusterRoles: the controller's rules are kguard's", n)
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("aggregated ClusterRoles differ after 60s:\n%s", strings.Join(diffs, "\n"))
}

// withoutAggregation is a deliberately broken copy of m: aggregated
// ClusterRoles keep the rules written in their objects, as if no
// aggregation controller ran.
func withoutAggregation(m *Model) *Model {
	c := *m
	c.Bindings = nil
	c.byUser, c.byGroup = map[string][]*Binding{}, map[string][]*Binding{}
	for _, b := range m.Bindings {
		nb := *b
		if b.Role != nil {
			if cr, ok := b.Role.Typed.(*rbacv1.ClusterRole); ok && cr.AggregationRule != nil {
				nb.Rules = cr.Rules
			}
		}
		c.Bindings = append(c.Bindings, &nb)
		for _, s := range nb.Subjects {
			switch s.Kind {
			case rbacv1.UserKind:
				c.byUser[s.Name] = appendOnce(c.byUser[s.Name], &nb)
			case rbacv1.GroupKind:
				c.byGroup[s.Name] = appendOnce(c.byGroup[s.Name], &nb)
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = nb.Namespace
				}
				u := ServiceAccountUser(ns, s.Name)
				c.byUser[u] = appendOnce(c.byUser[u], &nb)
			}
		}
	}
	return &c
}

// whoCanCandidates are identities to ask the server about: every binding
// subject alone (a user with no groups, a group with an unnamed member,
// a service account with its token's groups) and every tuple identity.
func whoCanCandidates(m *Model, tuples []tuple) []User {
	seen := map[string]bool{}
	var out []User
	add := func(u User) {
		k := u.Name + "|" + strings.Join(u.Groups, ",")
		if !seen[k] {
			seen[k] = true
			out = append(out, u)
		}
	}
	for _, b := range m.Bindings {
		for _, s := range b.Subjects {
			switch s.Kind {
			case rbacv1.UserKind:
				add(User{Name: s.Name})
			case rbacv1.GroupKind:
				add(User{Name: "probe", Groups: []string{s.Name}})
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Namespace
				}
				add(ForServiceAccount(ns, s.Name))
			}
		}
	}
	for _, tu := range tuples {
		add(tu.user)
	}
	return out
}

// checkWhoCan compares m.WhoCan(req), as kguard rbac who-can answers, with
// the server: an identity is allowed exactly when a listed subject covers
// it (names it, or is one of its groups), and system:masters members are
// allowed whatever is listed.
func checkWhoCan(ctx context.Context, t *testing.T, cs kubernetes.Interface, m *Model, req Request, candidates []User) {
	t.Helper()
	subjects := m.WhoCan(req)
	var listed []string
	covers := func(u User) bool {
		if slices.Contains(u.Groups, Masters) {
			return true
		}
		for _, s := range subjects {
			switch s.Kind {
			case rbacv1.UserKind:
				if s.Name == u.Name {
					return true
				}
			case rbacv1.GroupKind:
				if slices.Contains(u.Groups, s.Name) {
					return true
				}
			case rbacv1.ServiceAccountKind:
				if ServiceAccountUser(s.Namespace, s.Name) == u.Name {
					return true
				}
			}
		}
		return false
	}
	for _, s := range subjects {
		listed = append(listed, strings.TrimSpace(s.Kind+" "+strings.TrimPrefix(s.Namespace+"/", "/")+s.Name))
		// Every listed subject is allowed by the server.
		var u User
		switch s.Kind {
		case rbacv1.UserKind:
			u = User{Name: s.Name}
		case rbacv1.GroupKind:
			u = User{Name: "probe", Groups: []string{s.Name}}
		default:
			u = ForServiceAccount(s.Namespace, s.Name)
		}
		ok, err := subjectAccessReview(ctx, cs, u, req)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("who-can %s lists %s %s/%s, which the API server refuses", req, s.Kind, s.Namespace, s.Name)
		}
	}
	allowed := 0
	for _, u := range candidates {
		ok, err := subjectAccessReview(ctx, cs, u, req)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
		if ok != covers(u) {
			t.Errorf("who-can %s: %s (groups %v) allowed by the API server=%v, covered by kguard's list=%v", req, u, u.Groups, ok, covers(u))
		}
	}
	t.Logf("who-can %s: %s (%d of %d candidate identities allowed)", req, strings.Join(listed, ", "), allowed, len(candidates))
}

type tuple struct {
	user User
	req  Request
}

// sarTuples draws n requests, deterministically: half at random over
// identities and resources the files grant and do not grant, half aimed at
// one rule of one binding of m, built-in ones included (allowed unless
// something such as a missing role or a namespace mismatch says
// otherwise). No identity is a node (system:node:*), which the Node
// authorizer, not RBAC, answers for.
func sarTuples(n int, m *Model) []tuple {
	rng := rand.New(rand.NewPCG(7, 11))
	users := []User{
		ForServiceAccount("alpha", "web"), ForServiceAccount("alpha", "ci"), ForServiceAccount("alpha", "default"),
		ForServiceAccount("beta", "web"), ForServiceAccount("beta", "ci"), ForServiceAccount("beta", "default"),
		ForUser("alice"), ForUser("bob"), ForUser("carol"), ForUser("dave"), ForUser("erin"), ForUser("frank"),
		ForUser("gina"), ForUser("mallory"), ForUser("prometheus"), ForUser("zed", "oncall"), ForUser("yan", "team-alpha"),
		ForUser("xia", "viewers"), ForUser("wes", "auditors", "team-beta"), ForUser("system:anonymous"),
		// examples/ and the built-in fixture.
		ForServiceAccount("shop", "frontend"), ForServiceAccount("shop", "api"), ForServiceAccount("shop", "default"),
		ForServiceAccount("legacy", "default"), ForServiceAccount("monitoring", "default"),
		ForUser("ed"), ForUser("auditor"), ForUser("vic", "shop-viewers"), ForUser("lea", "legacy-admins"),
		// The built-in policy's: superusers, the control plane's users, and
		// anyone at all.
		{Name: "root", Groups: []string{Masters, "system:authenticated"}},
		ForUser("system:kube-controller-manager"), ForUser("system:kube-scheduler"), ForUser("system:kube-proxy"),
		{Name: "nobody", Groups: []string{"system:unauthenticated"}},
	}
	// kube-system's controllers, from the built-in bindings.
	for _, b := range m.Bindings {
		for _, s := range b.Subjects {
			if b.Builtin && s.Kind == rbacv1.ServiceAccountKind {
				users = append(users, ForServiceAccount(s.Namespace, s.Name))
			}
		}
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "escalate", "bind"}
	type gr struct{ group, resource, sub string }
	resources := []gr{
		{"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "log"}, {"", "pods", "portforward"}, {"", "secrets", ""},
		{"", "configmaps", ""}, {"", "services", ""}, {"", "endpoints", ""}, {"", "namespaces", ""}, {"", "nodes", ""},
		{"apps", "deployments", ""}, {"apps", "deployments", "scale"}, {"apps", "statefulsets", "scale"}, {"apps", "deployments", "status"},
		{"batch", "jobs", ""}, {"batch", "cronjobs", ""}, {"networking.k8s.io", "ingresses", ""}, {"", "persistentvolumeclaims", ""},
		{"coordination.k8s.io", "leases", ""}, {"apiextensions.k8s.io", "customresourcedefinitions", ""}, {"example.com", "widgets", ""},
		{"example.com", "widgets", "status"}, {"", "serviceaccounts", ""}, {"", "events", ""}, {"authorization.k8s.io", "selfsubjectaccessreviews", ""},
		{"example.com", "widgets", "finalizers"}, {"", "serviceaccounts", "token"}, {"", "pods", "attach"}, {"", "pods", "eviction"},
		{"rbac.authorization.k8s.io", "rolebindings", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""},
		{"authorization.k8s.io", "localsubjectaccessreviews", ""}, {"authentication.k8s.io", "tokenreviews", ""},
		{"", "persistentvolumes", ""}, {"certificates.k8s.io", "certificatesigningrequests", "approval"},
		{"discovery.k8s.io", "endpointslices", ""}, {"", "replicationcontrollers", "scale"}, {"", "resourcequotas", ""},
	}
	namespaces := []string{"alpha", "beta", "shop", "legacy", "monitoring", "kube-system", "kube-public", "", ""}
	names := []string{"", "", "db-password", "web", "ci", "extension-apiserver-authentication", "cluster-info"}
	urls := []string{"/metrics", "/debug/pprof/heap", "/debugger", "/healthz", "/livez", "/readyz", "/version", "/api",
		"/apis", "/apis/apps", "/openapi/v2", "/openid/v1/jwks", "/.well-known/openid-configuration", "/logs"}
	pick := func(list []string, all []string) string {
		v := list[rng.IntN(len(list))]
		if v == "*" {
			return all[rng.IntN(len(all))]
		}
		return v
	}
	var resourceNames []string
	var groupNames []string
	for _, r := range resources {
		resourceNames = append(resourceNames, r.resource)
		groupNames = append(groupNames, r.group)
	}
	aimed := func() (tuple, bool) {
		b := m.Bindings[rng.IntN(len(m.Bindings))]
		if len(b.Rules) == 0 || len(b.Subjects) == 0 {
			return tuple{}, false
		}
		r := b.Rules[rng.IntN(len(b.Rules))]
		s := b.Subjects[rng.IntN(len(b.Subjects))]
		var u User
		switch s.Kind {
		case "ServiceAccount":
			ns := s.Namespace
			if ns == "" {
				ns = b.Namespace
			}
			u = ForServiceAccount(ns, s.Name)
		case "User":
			u = ForUser(s.Name)
		default:
			u = ForUser("member", s.Name)
		}
		if len(r.NonResourceURLs) > 0 {
			url := pick(r.NonResourceURLs, urls)
			if url[len(url)-1] == '*' {
				url = url[:len(url)-1] + "x"
			}
			return tuple{u, Request{Verb: pick(r.Verbs, verbs), NonResourceURL: url}}, true
		}
		res, sub, _ := strings.Cut(pick(r.Resources, resourceNames), "/")
		if res == "*" {
			res = resourceNames[rng.IntN(len(resourceNames))]
		}
		name := names[rng.IntN(len(names))]
		if len(r.ResourceNames) > 0 && rng.IntN(4) > 0 {
			name = r.ResourceNames[rng.IntN(len(r.ResourceNames))]
		}
		ns := b.Namespace
		if ns == "" {
			ns = namespaces[rng.IntN(len(namespaces))]
		}
		return tuple{u, Request{Verb: pick(r.Verbs, verbs), APIGroup: pick(r.APIGroups, groupNames), Resource: res,
			Subresource: sub, Namespace: ns, Name: name}}, true
	}
	out := make([]tuple, 0, n)
	for len(out) < n {
		if len(out)%2 == 0 {
			if tu, ok := aimed(); ok {
				out = append(out, tu)
			}
			continue
		}
		u := users[rng.IntN(len(users))]
		if rng.IntN(10) == 0 {
			out = append(out, tuple{u, Request{Verb: []string{"get", "post"}[rng.IntN(2)], NonResourceURL: urls[rng.IntN(len(urls))]}})
			continue
		}
		r := resources[rng.IntN(len(resources))]
		out = append(out, tuple{u, Request{Verb: verbs[rng.IntN(len(verbs))], APIGroup: r.group, Resource: r.resource,
			Subresource: r.sub, Namespace: namespaces[rng.IntN(len(namespaces))], Name: names[rng.IntN(len(names))]}})
	}
	return out
}
