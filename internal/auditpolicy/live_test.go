package auditpolicy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/testutil/cluster"
)

// livePolicies are run one per API server. Together they use resourceNames,
// subresource wildcards, namespaces (including "" for cluster scope),
// users and groups, non-resource URL prefixes, policy and rule omitStages
// and catch-alls at several levels, and some have no catch-all at all.
var livePolicies = []struct{ name, yaml string }{
	{"docs-style", `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps"]
        resourceNames: ["audited-cm"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  - level: Request
    resources:
      - group: "rbac.authorization.k8s.io"
        resources: ["*"]
  - level: Metadata
    omitStages: ["RequestReceived"]
`},
	{"users-and-groups", `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  # Impersonated requests are matched as the impersonating user.
  - level: None
    users: ["alice"]
  - level: RequestResponse
    users: ["kguard-test-admin"]
    verbs: ["create"]
  - level: Request
    userGroups: ["system:serviceaccounts:default"]
  - level: Metadata
    userGroups: ["system:masters"]
    verbs: ["get", "list"]
`},
	{"stages", `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
    omitStages: ["ResponseComplete"]
  - level: RequestResponse
    verbs: ["create", "delete"]
    resources:
      - group: ""
        resources: ["configmaps"]
    omitStages: ["RequestReceived", "ResponseComplete"]
  - level: Request
`},
	{"wildcards-and-namespaces", `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["*/token"]
  - level: Request
    resources:
      - group: ""
        resources: ["namespaces/*"]
  - level: Metadata
    namespaces: ["kube-system"]
  - level: Request
    namespaces: [""]
    verbs: ["create"]
  - level: Metadata
    nonResourceURLs: ["/ver*"]
  - level: None
    resources:
      - group: "authorization.k8s.io"
  - level: Metadata
    resources:
      - group: ""
        resources: ["configmaps", "pods"]
`},
	{"catch-all-request-response", `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: None
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["configmaps"]
        resourceNames: ["other-cm"]
  - level: None
    userGroups: ["system:serviceaccounts"]
  - level: Metadata
    verbs: ["list"]
    namespaces: ["default"]
  - level: RequestResponse
`},
}

const adminUser = "kguard-test-admin"

var adminGroups = []string{"system:masters", "system:authenticated"}

type liveIdentity int

const (
	asAdmin liveIdentity = iota
	asAlice              // impersonated by the admin
	asRobot              // a real service account token
)

type liveOp struct {
	who liveIdentity
	req Request
	do  func(ctx context.Context, cs kubernetes.Interface) error
}

var robotGroups = []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}

// policyIdentity is the user the API server matches the policy against:
// the authenticated one, before impersonation.
func policyIdentity(who liveIdentity) (string, []string) {
	if who == asRobot {
		return "system:serviceaccount:default:robot", robotGroups
	}
	return adminUser, adminGroups
}

func cm(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
}

func getPath(path string) func(ctx context.Context, cs kubernetes.Interface) error {
	return func(ctx context.Context, cs kubernetes.Interface) error {
		_, err := cs.Discovery().RESTClient().Get().AbsPath(path).DoRaw(ctx)
		return err
	}
}

func liveOps() []liveOp {
	res := func(verb, group, resource, sub, ns, name string) Request {
		return Request{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	const rbacG = "rbac.authorization.k8s.io"
	get := metav1.GetOptions{}
	list := metav1.ListOptions{}
	create := metav1.CreateOptions{}
	return []liveOp{
		{asAdmin, res("get", "", "secrets", "", "default", "s1"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("default").Get(ctx, "s1", get)
			return err
		}},
		{asAdmin, res("list", "", "secrets", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("default").List(ctx, list)
			return err
		}},
		{asAdmin, res("get", "", "secrets", "", "kube-system", "missing"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "missing", get)
			return err
		}},
		{asAdmin, res("create", "", "configmaps", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm("new-cm"), create)
			return err
		}},
		{asAdmin, res("get", "", "configmaps", "", "default", "audited-cm"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "audited-cm", get)
			return err
		}},
		{asAdmin, res("get", "", "configmaps", "", "default", "other-cm"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "other-cm", get)
			return err
		}},
		{asAdmin, res("list", "", "configmaps", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").List(ctx, list)
			return err
		}},
		{asAdmin, res("delete", "", "configmaps", "", "default", "new-cm"), func(ctx context.Context, cs kubernetes.Interface) error {
			return cs.CoreV1().ConfigMaps("default").Delete(ctx, "new-cm", metav1.DeleteOptions{})
		}},
		{asAdmin, res("create", rbacG, "roles", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r1"},
				Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}, create)
			return err
		}},
		{asAdmin, res("create", rbacG, "clusterroles", "", "", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "c1"}}, create)
			return err
		}},
		{asAdmin, Request{Verb: "get", NonResourceURL: "/healthz"}, getPath("/healthz")},
		{asAdmin, Request{Verb: "get", NonResourceURL: "/version"}, getPath("/version")},
		{asAdmin, res("create", "", "serviceaccounts", "token", "default", "robot"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{}, create)
			return err
		}},
		{asAdmin, res("create", "authentication.k8s.io", "tokenreviews", "", "", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "not-a-token"}}, create)
			return err
		}},
		{asAdmin, res("create", "authorization.k8s.io", "subjectaccessreviews", "", "", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "bob", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "default"}}}, create)
			return err
		}},
		{asAdmin, res("get", "", "namespaces", "", "", "default"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Namespaces().Get(ctx, "default", get)
			return err
		}},
		{asAdmin, res("get", "", "namespaces", "", "", "kube-system"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Namespaces().Get(ctx, "kube-system", get)
			return err
		}},
		{asAdmin, res("list", "", "namespaces", "", "", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Namespaces().List(ctx, list)
			return err
		}},
		{asAdmin, res("create", "", "namespaces", "", "", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns-new"}}, create)
			return err
		}},
		{asAlice, res("list", "", "configmaps", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").List(ctx, list)
			return err
		}},
		{asAlice, res("get", "", "secrets", "", "default", "s1"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("default").Get(ctx, "s1", get)
			return err
		}},
		{asAlice, res("create", "", "configmaps", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm("alice-cm"), create)
			return err
		}},
		{asRobot, res("get", "", "secrets", "", "default", "s1"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("default").Get(ctx, "s1", get)
			return err
		}},
		{asRobot, res("list", "", "pods", "", "default", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Pods("default").List(ctx, list)
			return err
		}},
		{asRobot, Request{Verb: "get", NonResourceURL: "/healthz"}, getPath("/healthz")},
		{asRobot, res("create", "", "configmaps", "", "kube-system", ""), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("kube-system").Create(ctx, cm("robot-cm"), create)
			return err
		}},
		{asRobot, res("get", "", "configmaps", "", "default", "audited-cm"), func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "audited-cm", get)
			return err
		}},
	}
}

// auditEvent is the part of an audit.k8s.io/v1 Event the test reads.
type auditEvent struct {
	Kind      string `json:"kind"`
	Level     Level  `json:"level"`
	Stage     Stage  `json:"stage"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	User      struct {
		Username string `json:"username"`
	} `json:"user"`
	RequestURI string `json:"requestURI"`
}

type observed struct {
	level  Level
	stages []Stage
	levels []Level
	user   string
	uri    string
}

func readAuditLog(t *testing.T, path string) map[string]*observed {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	out := map[string]*observed{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Kind != "Event" {
			t.Fatalf("audit log line is not an event: %v: %.200s", err, sc.Text())
		}
		if !strings.HasPrefix(ev.UserAgent, "kguard-live-op-") {
			continue
		}
		o := out[ev.UserAgent]
		if o == nil {
			o = &observed{level: ev.Level, user: ev.User.Username, uri: ev.RequestURI}
			out[ev.UserAgent] = o
		}
		o.stages = append(o.stages, ev.Stage)
		o.levels = append(o.levels, ev.Level)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLiveAuditLevels starts a real API server for each policy, makes
// requests as the admin, an impersonated user and a service account, and
// checks that Evaluate predicts exactly what the audit log records: the
// level and the stages written (None, or all stages omitted: no event).
func TestLiveAuditLevels(t *testing.T) {
	ops := liveOps()
	total, recorded := 0, 0
	for _, pc := range livePolicies {
		t.Run(pc.name, func(t *testing.T) {
			p, err := Parse([]byte(pc.yaml))
			if err != nil {
				t.Fatalf("policy does not parse: %v", err)
			}
			c := cluster.Start(t, cluster.Options{AuditPolicy: []byte(pc.yaml)})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			// Setup, under a user agent the checks ignore.
			if err := c.EnsureServiceAccount(ctx, "default", "robot"); err != nil {
				t.Fatal(err)
			}
			admin := c.Admin()
			if _, err := admin.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1"},
				StringData: map[string]string{"password": "hunter2"}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"audited-cm", "other-cm"} {
				if _, err := admin.CoreV1().ConfigMaps("default").Create(ctx, cm(name), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			robot, err := c.ServiceAccountConfig(ctx, "default", "robot")
			if err != nil {
				t.Fatal(err)
			}
			configs := map[liveIdentity]*rest.Config{
				asAdmin: c.AdminConfig(),
				asAlice: c.ConfigFor("alice", "ops"),
				asRobot: robot,
			}

			type prediction struct {
				level  Level
				stages []Stage
				rule   int
			}
			preds := make([]prediction, len(ops))
			for i, o := range ops {
				req := o.req
				req.User, req.Groups = policyIdentity(o.who)
				level, omit, rule := Evaluate(p, req)
				var stages []Stage
				if level != LevelNone {
					for _, s := range []Stage{StageRequestReceived, StageResponseComplete} {
						if !slices.Contains(omit, s) {
							stages = append(stages, s)
						}
					}
				}
				preds[i] = prediction{level, stages, rule}

				cfg := rest.CopyConfig(configs[o.who])
				cfg.UserAgent = fmt.Sprintf("kguard-live-op-%d", i)
				cs, err := kubernetes.NewForConfig(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := o.do(ctx, cs); err != nil {
					t.Logf("op %d (%s): %v (an audited failure is fine)", i, o.req, err)
				}
			}

			// Events are written as requests complete: wait until every
			// predicted event is there, then a little longer for strays.
			var got map[string]*observed
			deadline := time.Now().Add(10 * time.Second)
			for {
				got = readAuditLog(t, c.AuditLogPath())
				complete := true
				for i, pr := range preds {
					o := got[fmt.Sprintf("kguard-live-op-%d", i)]
					if len(pr.stages) > 0 && (o == nil || len(o.stages) < len(pr.stages)) {
						complete = false
					}
				}
				if complete || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			got = readAuditLog(t, c.AuditLogPath())

			for i, o := range ops {
				pr := preds[i]
				ob := got[fmt.Sprintf("kguard-live-op-%d", i)]
				who := []string{"admin", "impersonated alice", "service account robot"}[o.who]
				switch {
				case len(pr.stages) == 0 && ob != nil:
					t.Errorf("op %d %s (%s, ns %q, name %q): predicted not recorded (level %s, rule %d), but logged at %s in stages %v",
						i, o.req, who, o.req.Namespace, o.req.Name, pr.level, pr.rule, ob.level, ob.stages)
				case len(pr.stages) > 0 && ob == nil:
					t.Errorf("op %d %s (%s, ns %q, name %q): predicted %s (rule %d) in stages %v, but no event was recorded",
						i, o.req, who, o.req.Namespace, o.req.Name, pr.level, pr.rule, pr.stages)
				case ob != nil:
					for _, l := range ob.levels {
						if l != pr.level {
							t.Errorf("op %d %s (%s): predicted level %s (rule %d), recorded %s", i, o.req, who, pr.level, pr.rule, l)
							break
						}
					}
					if !slices.Equal(ob.stages, pr.stages) {
						t.Errorf("op %d %s (%s): predicted stages %v, recorded %v", i, o.req, who, pr.stages, ob.stages)
					}
					if o.who == asAlice && ob.user != adminUser {
						t.Errorf("op %d: event user %q, want the impersonating user %q", i, ob.user, adminUser)
					}
				}
				total++
				if ob != nil {
					recorded++
				}
			}
		})
	}
	t.Logf("%d operations checked against %d policies: %d recorded, %d not", total, len(livePolicies), recorded, total-recorded)
}
