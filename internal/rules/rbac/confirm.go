package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// The helpers in this file attach to a finding the `kguard rbac` query that
// shows its claim (finding.Finding.Confirm): `rbac can-i` with one of the
// binding's subjects and a request the matched rule allows, or `rbac paths`
// for an escalation path. internal/agreement runs them on the scan's own
// inputs and requires yes.

// confirmSubject spells one of b's subjects as can-i takes it
// (serviceaccount:NS:NAME, user:NAME, group:NAME); false when none can be
// asked about. system:masters is skipped: can-i answers yes for it
// whatever the binding says, so it would confirm nothing.
func confirmSubject(b *rbac.Binding) (string, bool) {
	for _, s := range b.Subjects {
		if subj, ok := confirmSubjectOf(s, b.Namespace); ok {
			return subj, true
		}
	}
	return "", false
}

func confirmSubjectOf(s rbacv1.Subject, bindingNS string) (string, bool) {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if ns == "" || s.Name == "" {
			return "", false
		}
		return "serviceaccount:" + ns + ":" + s.Name, true
	case rbacv1.UserKind:
		return "user:" + s.Name, s.Name != ""
	case rbacv1.GroupKind:
		return "group:" + s.Name, s.Name != "" && s.Name != rbac.Masters
	}
	return "", false
}

// canI is the `rbac can-i` query for subject making request a, allowed by
// rule r of binding b: in b's namespace for a RoleBinding, with --name when
// r is limited by resourceNames.
func canI(subject string, b *rbac.Binding, r *rbacv1.PolicyRule, a grantAccess) []string {
	args := []string{"rbac", "can-i", subject, a.verb}
	if a.url != "" {
		return append(args, a.url)
	}
	res := a.resource
	if a.group != "" {
		res += "." + a.group
	}
	if a.sub != "" {
		res += "/" + a.sub
	}
	args = append(args, res)
	if b.Namespace != "" {
		args = append(args, "-n", b.Namespace)
	}
	if len(r.ResourceNames) > 0 {
		args = append(args, "--name", r.ResourceNames[0])
	}
	return args
}

// confirmGrant attaches to the finding just reported the can-i query for
// one of b's subjects and access a.
func confirmGrant(p *rules.Pass, b *rbac.Binding, r *rbacv1.PolicyRule, a grantAccess) {
	if subj, ok := confirmSubject(b); ok && a.verb != "" {
		p.Confirm(canI(subj, b, r, a)...)
	}
}

// ruleAccess is a request rule r allows, spelled from the rule itself: its
// first verb and resource (the wildcard "*" as such, which can-i, like
// kubectl auth can-i, accepts and which only a wildcard allows), preferring
// the core group. A non-resource rule gives its first URL, with a trailing
// "*" dropped; it counts only through a ClusterRoleBinding, so false in a
// namespace.
func ruleAccess(b *rbac.Binding, r *rbacv1.PolicyRule) (grantAccess, bool) {
	if len(r.Verbs) == 0 {
		return grantAccess{}, false
	}
	verb := r.Verbs[0]
	if slices.Contains(r.Verbs, rbacv1.VerbAll) {
		verb = rbacv1.VerbAll
	}
	if len(r.Resources) == 0 {
		if b.Namespace != "" || len(r.NonResourceURLs) == 0 {
			return grantAccess{}, false
		}
		url := strings.TrimSuffix(r.NonResourceURLs[0], "*")
		if !strings.HasPrefix(url, "/") {
			url = "/" + url
		}
		return grantAccess{verb: verb, url: url}, true
	}
	if len(r.APIGroups) == 0 {
		return grantAccess{}, false
	}
	group := r.APIGroups[0]
	if slices.Contains(r.APIGroups, "") {
		group = ""
	}
	res, sub, _ := strings.Cut(r.Resources[0], "/")
	if slices.Contains(r.Resources, rbacv1.ResourceAll) {
		res, sub = rbacv1.ResourceAll, ""
	}
	if res == rbacv1.ResourceAll && sub != "" {
		res = "pods" // "*/scale" allows the subresource of every resource
	}
	return grantAccess{verb: verb, group: group, resource: res, sub: sub}, true
}

// confirmAnyRule attaches the can-i query for subject and the first of b's
// rules that can be spelled as a request: the claim "the subject can use
// the role's permissions".
func confirmAnyRule(p *rules.Pass, b *rbac.Binding, subject string) {
	for i := range b.Rules {
		if a, ok := ruleAccess(b, &b.Rules[i]); ok {
			p.Confirm(canI(subject, b, &b.Rules[i], a)...)
			return
		}
	}
}
