package auditpolicy

import (
	"slices"
	"strings"
)

// Request is what the API server knows of a request when it evaluates the
// audit policy. A request with NonResourceURL set is a non-resource request
// (such as GET /healthz); otherwise it is a resource request.
//
// User and Groups are the authenticated user: the API server evaluates the
// audit policy before impersonation, so an impersonated request is matched
// against the impersonating user.
type Request struct {
	User   string
	Groups []string
	// Verb is the API verb (get, list, watch, create, update, patch,
	// delete, deletecollection), or for a non-resource request the
	// lower-case HTTP method.
	Verb string
	// APIGroup is "" for the core group.
	APIGroup    string
	Resource    string
	Subresource string
	// Namespace is "" for cluster-scoped resources. For a request on a
	// named namespace object (GET /api/v1/namespaces/foo) the API server
	// sets the namespace to the name; Evaluate does the same when
	// Namespace is empty.
	Namespace      string
	Name           string
	NonResourceURL string
}

// IsResource reports whether r is a resource request.
func (r Request) IsResource() bool { return r.NonResourceURL == "" }

// String renders the request as "verb resource[.group][/sub]" or
// "verb /url", with the namespace and name when set.
func (r Request) String() string {
	if !r.IsResource() {
		return r.Verb + " " + r.NonResourceURL
	}
	s := r.Verb + " " + r.Resource
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

// Evaluate returns the level at which the policy records req, the stages
// it omits (the policy's omitStages with the rule's), and the index of the
// first matching rule, -1 when no rule matches (level None).
func Evaluate(p *Policy, req Request) (Level, []Stage, int) {
	if req.IsResource() && req.APIGroup == "" && req.Resource == "namespaces" && req.Namespace == "" && req.Name != "" {
		req.Namespace = req.Name
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if ruleMatches(r, req) {
			return r.Level, unionStages(p.OmitStages, r.OmitStages), i
		}
	}
	return LevelNone, unionStages(p.OmitStages, nil), -1
}

// Matches reports whether rule r matches req.
func (r *Rule) Matches(req Request) bool { return ruleMatches(r, req) }

func ruleMatches(r *Rule, req Request) bool {
	if len(r.Users) > 0 && !slices.Contains(r.Users, req.User) {
		return false
	}
	if len(r.UserGroups) > 0 {
		found := false
		for _, g := range req.Groups {
			if slices.Contains(r.UserGroups, g) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, req.Verb) {
		return false
	}
	if len(r.Namespaces) > 0 || len(r.Resources) > 0 {
		return matchesResource(r, req)
	}
	if len(r.NonResourceURLs) > 0 {
		return matchesNonResource(r, req)
	}
	return true
}

func matchesNonResource(r *Rule, req Request) bool {
	if req.IsResource() {
		return false
	}
	for _, spec := range r.NonResourceURLs {
		if pathMatches(req.NonResourceURL, spec) {
			return true
		}
	}
	return false
}

func pathMatches(path, spec string) bool {
	if spec == "*" || spec == path {
		return true
	}
	return strings.HasSuffix(spec, "*") && strings.HasPrefix(path, strings.TrimSuffix(spec, "*"))
}

func matchesResource(r *Rule, req Request) bool {
	if !req.IsResource() {
		return false
	}
	// An empty namespaces list matches every namespace; "" in the list
	// matches cluster-scoped requests.
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, req.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := req.Resource
	if req.Subresource != "" {
		combined += "/" + req.Subresource
	}
	for _, gr := range r.Resources {
		if gr.Group != req.APIGroup {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 && !slices.Contains(gr.ResourceNames, req.Name) {
			continue
		}
		for _, res := range gr.Resources {
			switch {
			case res == "*" || res == combined:
				return true
			case req.Subresource != "" && strings.HasPrefix(res, "*/") && res[2:] == req.Subresource:
				return true
			case strings.HasSuffix(res, "/*") && res[:len(res)-2] == req.Resource:
				// "pods/*" matches pods and all its subresources.
				return true
			}
		}
	}
	return false
}

// unionStages returns the stages in either list, without duplicates, in
// the order first seen.
func unionStages(a, b []Stage) []Stage {
	var out []Stage
	for _, s := range append(slices.Clip(a), b...) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Recorded reports whether a request handled in stages is written to the
// log at all: its level is not None and some stage is not omitted.
func Recorded(level Level, omit []Stage, stages []Stage) bool {
	if level == LevelNone {
		return false
	}
	for _, s := range stages {
		if !slices.Contains(omit, s) {
			return true
		}
	}
	return false
}
