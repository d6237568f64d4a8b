package rbac

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	testcluster "github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.RunShared(m)) }

// TestAgreesWithSubjectAccessReview loads the RBAC fixture into a real API
// server and asks it, through SubjectAccessReviews, about 2,500 generated
// (identity, verb, resource, namespace, name) tuples; kguard's model of
// the same cluster must give the same answer every time. The model reads
// the live objects, so it also covers the API server's own bootstrap
// policy (system:discovery, system:basic-user...).
func TestAgreesWithSubjectAccessReview(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	fileInv, fileModel := loadModel(t, "testdata/sar-fixture.yaml")
	ap, err := testcluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ap.Apply(ctx, fileInv.Objects()); err != nil {
		t.Fatal(err)
	}
	// The cluster-role aggregation controller runs in kube-controller-
	// manager, which the harness does not start: do its job with the
	// aggregation TestAggregation checked by hand.
	agg, _, _ := fileModel.RoleRules("ClusterRole", "", "team-aggregate")
	cs := c.Admin()
	cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "team-aggregate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cr.Rules = agg
	if _, err := cs.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	live, err := cluster.Load(ctx, c.AdminConfig(), cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := Build(inventory.New(live.Objects))

	tuples := sarTuples(2500, fileModel)
	type answer struct{ kguard, server bool }
	answers := make([]answer, len(tuples))
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tuples); i += 8 {
				tu := tuples[i]
				sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: tu.user.Name, Groups: tu.user.Groups}}
				if tu.req.NonResourceURL != "" {
					sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: tu.req.NonResourceURL, Verb: tu.req.Verb}
				} else {
					sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: tu.req.Namespace, Verb: tu.req.Verb,
						Group: tu.req.APIGroup, Resource: tu.req.Resource, Subresource: tu.req.Subresource, Name: tu.req.Name}
				}
				got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				ours, _ := m.Allowed(tu.user, tu.req)
				answers[i] = answer{ours, got.Status.Allowed}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	var yes, disagree int
	for i, a := range answers {
		if a.server {
			yes++
		}
		if a.kguard != a.server {
			disagree++
			if disagree <= 20 {
				t.Errorf("%s %s: kguard allowed=%v, API server allowed=%v", tuples[i].user, tuples[i].req, a.kguard, a.server)
			}
		}
	}
	t.Logf("%d tuples, %d allowed by the API server, %d disagreements", len(tuples), yes, disagree)
	if disagree > 0 {
		t.Errorf("%d of %d answers disagree", disagree, len(tuples))
	}
	// Tuples that are all "no" would prove little.
	if yes < len(tuples)/4 {
		t.Errorf("only %d of %d tuples are allowed: the generator misses the fixture's grants", yes, len(tuples))
	}
}

type tuple struct {
	user User
	req  Request
}

// sarTuples draws n requests, deterministically: half at random over
// identities and resources the fixture grants and does not grant, half
// aimed at one rule of one binding of m (allowed unless something such as
// a missing role or a namespace mismatch says otherwise).
func sarTuples(n int, m *Model) []tuple {
	rng := rand.New(rand.NewPCG(7, 11))
	users := []User{
		ForServiceAccount("alpha", "web"), ForServiceAccount("alpha", "ci"), ForServiceAccount("alpha", "default"),
		ForServiceAccount("beta", "web"), ForServiceAccount("beta", "ci"), ForServiceAccount("beta", "default"),
		ForUser("alice"), ForUser("bob"), ForUser("carol"), ForUser("dave"), ForUser("erin"), ForUser("frank"),
		ForUser("gina"), ForUser("mallory"), ForUser("prometheus"), ForUser("zed", "oncall"), ForUser("yan", "team-alpha"),
		ForUser("xia", "viewers"), ForUser("wes", "auditors", "team-beta"), ForUser("system:anonymous"),
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate"}
	type gr struct{ group, resource, sub string }
	resources := []gr{
		{"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "log"}, {"", "pods", "portforward"}, {"", "secrets", ""},
		{"", "configmaps", ""}, {"", "services", ""}, {"", "endpoints", ""}, {"", "namespaces", ""}, {"", "nodes", ""},
		{"apps", "deployments", ""}, {"apps", "deployments", "scale"}, {"apps", "statefulsets", "scale"}, {"apps", "deployments", "status"},
		{"batch", "jobs", ""}, {"batch", "cronjobs", ""}, {"networking.k8s.io", "ingresses", ""}, {"", "persistentvolumeclaims", ""},
		{"coordination.k8s.io", "leases", ""}, {"apiextensions.k8s.io", "customresourcedefinitions", ""}, {"example.com", "widgets", ""},
		{"example.com", "widgets", "status"}, {"", "serviceaccounts", ""}, {"", "events", ""}, {"authorization.k8s.io", "selfsubjectaccessreviews", ""},
	}
	namespaces := []string{"alpha", "beta", "alpha", "beta", ""}
	names := []string{"", "", "db-password", "web", "ci"}
	urls := []string{"/metrics", "/debug/pprof/heap", "/debugger", "/healthz", "/version", "/api", "/apis/apps", "/openapi/v2"}
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
