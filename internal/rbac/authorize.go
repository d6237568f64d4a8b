package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what is asked of the authorizer: a resource request (Verb,
// APIGroup, Resource, optional Subresource and Name, Namespace "" for
// cluster scope) or, when NonResourceURL is set, a non-resource request.
type Request struct {
	Verb           string
	APIGroup       string
	Resource       string
	Subresource    string
	Name           string
	Namespace      string
	NonResourceURL string
}

func (r Request) String() string {
	if r.NonResourceURL != "" {
		return r.Verb + " " + r.NonResourceURL
	}
	s := r.Verb + " " + r.Resource
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Name != "" {
		s += " " + r.Name
	}
	if r.Namespace != "" {
		s += " in " + r.Namespace
	}
	return s
}

// Grant is one rule of one binding that allows a request.
type Grant struct {
	Binding *Binding
	Rule    rbacv1.PolicyRule
}

// Allows reports whether rule allows req, with the API server's matching.
func Allows(rule *rbacv1.PolicyRule, req *Request) bool {
	if !has(rule.Verbs, req.Verb) {
		return false
	}
	if req.NonResourceURL != "" {
		for _, u := range rule.NonResourceURLs {
			if u == rbacv1.NonResourceAll || u == req.NonResourceURL ||
				strings.HasSuffix(u, "*") && strings.HasPrefix(req.NonResourceURL, strings.TrimRight(u, "*")) {
				return true
			}
		}
		return false
	}
	if !has(rule.APIGroups, req.APIGroup) || !resourceMatches(rule.Resources, req.Resource, req.Subresource) {
		return false
	}
	return len(rule.ResourceNames) == 0 || contains(rule.ResourceNames, req.Name)
}

// has is membership with the "*" wildcard.
func has(list []string, s string) bool {
	for _, x := range list {
		if x == "*" || x == s {
			return true
		}
	}
	return false
}

func resourceMatches(ruleResources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined += "/" + sub
	}
	for _, r := range ruleResources {
		switch {
		case r == rbacv1.ResourceAll, r == combined:
			return true
		case sub != "" && r == "*/"+sub:
			return true
		}
	}
	return false
}

// appliesIn reports whether a binding grants in the request's namespace:
// a ClusterRoleBinding everywhere, a RoleBinding only in its namespace
// (never for cluster-scoped or non-resource requests).
func (b *Binding) appliesIn(req *Request) bool {
	if b.Namespace == "" {
		return true
	}
	return req.NonResourceURL == "" && req.Namespace == b.Namespace
}

// Allowed reports whether u may make req, and every grant that allows it.
// Members of system:masters are allowed everything, as by the API server.
func (m *Model) Allowed(u User, req Request) (bool, []Grant) {
	if contains(u.Groups, Masters) {
		return true, nil
	}
	var grants []Grant
	for _, b := range m.BindingsFor(u) {
		if !b.appliesIn(&req) {
			continue
		}
		for i := range b.Rules {
			if Allows(&b.Rules[i], &req) {
				grants = append(grants, Grant{Binding: b, Rule: b.Rules[i]})
				break
			}
		}
	}
	return len(grants) > 0, grants
}

// Subject is a binding subject with the grant that lets it make a request.
type Subject struct {
	rbacv1.Subject
	Grant Grant
}

// WhoCan lists every binding subject that may make req, with the grant.
// A subject named by several bindings appears once per binding. Group
// subjects stand for all their members; system:masters is always able
// and is listed only when a binding names it.
func (m *Model) WhoCan(req Request) []Subject {
	var out []Subject
	for _, b := range m.Bindings {
		if len(b.Rules) == 0 || !b.appliesIn(&req) {
			continue
		}
		for i := range b.Rules {
			if !Allows(&b.Rules[i], &req) {
				continue
			}
			for _, s := range b.Subjects {
				if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
					s.Namespace = b.Namespace
				}
				out = append(out, Subject{Subject: s, Grant: Grant{Binding: b, Rule: b.Rules[i]}})
			}
			break
		}
	}
	return out
}

// Permission is a rule a user holds and where it holds it.
type Permission struct {
	Binding *Binding
	Rule    rbacv1.PolicyRule
}

// Permissions lists every rule u holds, binding by binding.
func (m *Model) Permissions(u User) []Permission {
	var out []Permission
	for _, b := range m.BindingsFor(u) {
		for _, r := range b.Rules {
			out = append(out, Permission{Binding: b, Rule: r})
		}
	}
	return out
}
