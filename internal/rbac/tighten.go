package rbac

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Least privilege from an audit log.
//
// An AuditUsage reads API server audit logs (JSON lines of audit.k8s.io/v1
// Event, Metadata level or above) and records, per subject, which requests
// the authorizer allowed. Tighten turns one subject's usage into the
// smallest Roles and ClusterRole that allow exactly those requests, and
// compares it with what the subject holds in a Model: the rules, or the
// verbs and resources of rules, that were never exercised.

// DefaultMaxAuditLine is the longest audit log line read; longer lines
// (events at RequestResponse level with huge bodies) are skipped.
const DefaultMaxAuditLine = 16 << 20

const (
	// maxRuleNames is the most resourceNames a generated rule lists; a verb
	// used on more objects gets a rule without resourceNames.
	maxRuleNames = 5
	// maxTrackedNames bounds the object names kept per kind of request
	// (for the unused-permission diff against rules with resourceNames).
	maxTrackedNames = 64
	// maxGroups bounds the groups remembered per user.
	maxGroups = 64
	// bootstrapLabel marks the API server's default RBAC objects, which it
	// reconciles on start: they cannot be tightened and are left out.
	bootstrapLabel = "kubernetes.io/bootstrapping"
	// decisionAnnotation is the authorizer's decision, added to audit
	// events by the API server ("allow" or "forbid").
	decisionAnnotation = "authorization.k8s.io/decision"
)

// auditEvent is the part of an audit.k8s.io/v1 Event that is needed.
// Request and response bodies are not decoded.
type auditEvent struct {
	Kind             string     `json:"kind"`
	Stage            string     `json:"stage"`
	Verb             string     `json:"verb"`
	RequestURI       string     `json:"requestURI"`
	User             auditUser  `json:"user"`
	ImpersonatedUser *auditUser `json:"impersonatedUser"`
	ObjectRef        *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	Annotations map[string]string `json:"annotations"`
}

type auditUser struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// AuditFile is what reading one audit log found.
type AuditFile struct {
	File string
	// Lines read (blank ones included), Events decoded, Requests counted (ResponseComplete
	// events of subjects recorded, allowed or not), Denied among them.
	Lines, Events, Requests, Denied int
	// Skipped lines could not be read as audit events; FirstSkipped is the
	// first of them.
	Skipped      int
	FirstSkipped *SkippedLine
}

// SkippedLine is a line of an audit log that was not an audit event.
type SkippedLine struct {
	File   string
	Line   int
	Reason string
}

func (s *SkippedLine) String() string { return fmt.Sprintf("%s:%d: %s", s.File, s.Line, s.Reason) }

// AuditUsage is what subjects were allowed to do, according to audit logs.
type AuditUsage struct {
	Files []*AuditFile
	// Superusers counts requests of members of system:masters, which
	// bypass RBAC and are not recorded (unless asked for by subject).
	Superusers int
	// MaxLine is the longest line read (DefaultMaxAuditLine when 0).
	MaxLine int

	filter   *User
	subjects map[string]*SubjectUsage
}

// NewAuditUsage records every subject, or only filter when it is not nil
// (a user or service account by name, or a group: all its members
// together).
func NewAuditUsage(filter *User) *AuditUsage {
	a := &AuditUsage{filter: filter, subjects: map[string]*SubjectUsage{}}
	if filter != nil {
		s := newSubjectUsage(*filter)
		a.subjects[s.key()] = s
	}
	return a
}

// SubjectUsage is what one subject was allowed to do.
type SubjectUsage struct {
	// Subject is how bindings name it (Kind User, Group or ServiceAccount).
	Subject rbacv1.Subject
	// User is the identity, with the groups seen in the log.
	User User
	// Requests is the number of allowed requests counted.
	Requests int

	uses map[useKey]*use
}

type useKey struct {
	Namespace, APIGroup, Resource, Subresource, NonResourceURL, Verb string
}

// use is one kind of request and the objects it named.
type use struct {
	names    []string // distinct, sorted, at most maxTrackedNames
	nameless bool     // some request named no object
	overflow bool     // more than maxTrackedNames distinct names
}

func (u *use) addName(name string) {
	if name == "" {
		u.nameless = true
		return
	}
	i := sort.SearchStrings(u.names, name)
	if i < len(u.names) && u.names[i] == name {
		return
	}
	if len(u.names) >= maxTrackedNames {
		u.overflow = true
		return
	}
	u.names = append(u.names, "")
	copy(u.names[i+1:], u.names[i:])
	u.names[i] = name
}

// restrictable reports whether every request named one of a few objects,
// so a rule may list them as resourceNames.
func (u *use) restrictable() bool {
	return !u.nameless && !u.overflow && len(u.names) > 0 && len(u.names) <= maxRuleNames
}

func newSubjectUsage(u User) *SubjectUsage {
	s := &SubjectUsage{User: u, uses: map[useKey]*use{}}
	switch {
	case u.Name == "" && len(u.Groups) == 1:
		s.Subject = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: u.Groups[0]}
	case strings.HasPrefix(u.Name, "system:serviceaccount:"):
		ns, name, _ := strings.Cut(strings.TrimPrefix(u.Name, "system:serviceaccount:"), ":")
		s.Subject = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
		if len(u.Groups) == 0 {
			s.User = ForServiceAccount(ns, name)
		}
	default:
		s.Subject = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u.Name}
	}
	return s
}

func (s *SubjectUsage) key() string {
	return s.Subject.Kind + "/" + s.Subject.Namespace + "/" + s.Subject.Name
}

// String names the subject as "ServiceAccount shop/web", "User alice" or
// "Group developers".
func (s *SubjectUsage) String() string {
	if s.Subject.Namespace != "" {
		return s.Subject.Kind + " " + s.Subject.Namespace + "/" + s.Subject.Name
	}
	return s.Subject.Kind + " " + s.Subject.Name
}

// Used lists the kinds of requests the subject was allowed to make, one
// line each, sorted: "get configmaps in shop named app-config".
func (s *SubjectUsage) Used() []string {
	var out []string
	for _, k := range s.sortedKeys() {
		u := s.uses[k]
		r := k.request("").String()
		if len(u.names) > 0 {
			names := strings.Join(u.names, ",")
			if u.overflow {
				names += ",..."
			}
			r += " named " + names
			if u.nameless {
				r += " (and unnamed)"
			}
		}
		out = append(out, r)
	}
	return out
}

func (s *SubjectUsage) sortedKeys() []useKey {
	keys := make([]useKey, 0, len(s.uses))
	for k := range s.uses {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.NonResourceURL != b.NonResourceURL {
			return a.NonResourceURL < b.NonResourceURL
		}
		if a.APIGroup != b.APIGroup {
			return a.APIGroup < b.APIGroup
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Subresource != b.Subresource {
			return a.Subresource < b.Subresource
		}
		return a.Verb < b.Verb
	})
	return keys
}

func (k useKey) request(name string) Request {
	return Request{Verb: k.Verb, APIGroup: k.APIGroup, Resource: k.Resource, Subresource: k.Subresource,
		Namespace: k.Namespace, NonResourceURL: k.NonResourceURL, Name: name}
}

// Subjects returns the subjects recorded, sorted by kind, namespace, name.
func (a *AuditUsage) Subjects() []*SubjectUsage {
	out := make([]*SubjectUsage, 0, len(a.subjects))
	for _, s := range a.subjects {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// Events is the number of audit events read from every file.
func (a *AuditUsage) Events() int {
	n := 0
	for _, f := range a.Files {
		n += f.Events
	}
	return n
}

// Read reads one audit log, line by line with bounded memory. Lines that
// are not audit events are counted as skipped, not errors; the error is
// for failures to read.
func (a *AuditUsage) Read(r io.Reader, file string) error {
	f := &AuditFile{File: file}
	a.Files = append(a.Files, f)
	limit := a.MaxLine
	if limit <= 0 {
		limit = DefaultMaxAuditLine
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for {
		var tooLong, more bool
		var err error
		buf, more, tooLong, err = readLine(br, buf[:0], limit)
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: line %d: %w", file, f.Lines+1, err)
		}
		if more {
			f.Lines++
			if tooLong {
				f.skip(f.Lines, fmt.Sprintf("line longer than %d bytes", limit))
			} else {
				a.line(f, bytes.TrimSpace(buf))
			}
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not hold on to the memory of one long line
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine appends the next line (without its newline) to buf, and says
// whether there was one (false at the end). A line longer than limit is
// consumed and reported as tooLong, without keeping it.
func readLine(br *bufio.Reader, buf []byte, limit int) (line []byte, more, tooLong bool, err error) {
	for {
		var chunk []byte
		chunk, err = br.ReadSlice('\n')
		more = more || len(chunk) > 0
		if !tooLong {
			if len(buf)+len(chunk) > limit+1 {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(buf, "\r\n"), more, tooLong, err
	}
}

func (f *AuditFile) skip(line int, reason string) {
	f.Skipped++
	if f.FirstSkipped == nil {
		f.FirstSkipped = &SkippedLine{File: f.File, Line: line, Reason: reason}
	}
}

func (a *AuditUsage) line(f *AuditFile, line []byte) {
	if len(line) == 0 {
		return // blank lines are neither events nor errors
	}
	var ev auditEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		msg := err.Error()
		if len(msg) > 120 {
			msg = msg[:120] + "..."
		}
		f.skip(f.Lines, "not JSON: "+msg)
		return
	}
	if ev.Kind != "" && ev.Kind != "Event" || ev.Stage == "" || ev.Verb == "" {
		f.skip(f.Lines, "not an audit.k8s.io Event (no kind Event, stage or verb)")
		return
	}
	f.Events++
	// Each request is logged at several stages; ResponseComplete counts it
	// once. Long-running requests (watch, exec) also log ResponseStarted,
	// which is recorded too: a watch still open has no ResponseComplete yet.
	complete := ev.Stage == "ResponseComplete"
	if !complete && ev.Stage != "ResponseStarted" {
		return
	}
	who := ev.User
	if ev.ImpersonatedUser != nil && ev.ImpersonatedUser.Username != "" {
		who = *ev.ImpersonatedUser // the identity that was authorized
	}
	s := a.subjectFor(who)
	if s == nil {
		if complete && a.filter == nil && contains(who.Groups, Masters) {
			a.Superusers++
		}
		return
	}
	key, name, ok := requestOf(&ev)
	if !ok {
		f.skip(f.Lines, "audit event with neither objectRef nor requestURI")
		return
	}
	if complete {
		f.Requests++
	}
	if !allowedEvent(&ev) {
		if complete {
			f.Denied++
		}
		return
	}
	if complete {
		s.Requests++
	}
	u := s.uses[key]
	if u == nil {
		u = &use{}
		s.uses[key] = u
	}
	u.addName(name)
}

// subjectFor returns the usage to record who's requests in, nil when they
// are not recorded.
func (a *AuditUsage) subjectFor(who auditUser) *SubjectUsage {
	if who.Username == "" {
		return nil
	}
	if a.filter != nil {
		var s *SubjectUsage
		if a.filter.Name == "" {
			if len(a.filter.Groups) == 1 && contains(who.Groups, a.filter.Groups[0]) {
				s = a.subjects[newSubjectUsage(*a.filter).key()]
			}
		} else if who.Username == a.filter.Name {
			s = a.subjects[newSubjectUsage(*a.filter).key()]
			if s.Subject.Kind == rbacv1.UserKind {
				s.addGroups(who.Groups)
			}
		}
		return s
	}
	if contains(who.Groups, Masters) {
		return nil // RBAC does not apply to them
	}
	probe := newSubjectUsage(User{Name: who.Username})
	s := a.subjects[probe.key()]
	if s == nil {
		s = probe
		a.subjects[s.key()] = s
	}
	if s.Subject.Kind == rbacv1.UserKind {
		s.addGroups(who.Groups)
	}
	return s
}

func (s *SubjectUsage) addGroups(groups []string) {
	for _, g := range groups {
		if len(s.User.Groups) < maxGroups && !contains(s.User.Groups, g) {
			s.User.Groups = append(s.User.Groups, g)
		}
	}
}

// requestOf is the request an event records, as the authorizer saw it,
// and the object name when the verb is authorized by name.
func requestOf(ev *auditEvent) (useKey, string, bool) {
	verb := strings.ToLower(ev.Verb)
	if o := ev.ObjectRef; o != nil && o.Resource != "" {
		k := useKey{Namespace: o.Namespace, APIGroup: o.APIGroup, Resource: o.Resource, Subresource: o.Subresource, Verb: verb}
		name := ""
		switch verb {
		case "get", "update", "patch", "delete":
			name = o.Name
		case "create":
			// A create of an object is authorized without its name (the
			// audit log fills it in from the body); a create on a
			// subresource of a named object (pods/exec) is by name.
			if o.Subresource != "" {
				name = o.Name
			}
		}
		return k, name, true
	}
	path, _, _ := strings.Cut(ev.RequestURI, "?")
	if path == "" {
		return useKey{}, "", false
	}
	return useKey{NonResourceURL: path, Verb: verb}, "", true
}

// allowedEvent reports whether the authorizer allowed the request: its
// decision annotation when the event has one, otherwise a response code
// below 400.
func allowedEvent(ev *auditEvent) bool {
	switch ev.Annotations[decisionAnnotation] {
	case "allow":
		return true
	case "forbid":
		return false
	}
	return ev.ResponseStatus != nil && ev.ResponseStatus.Code > 0 && ev.ResponseStatus.Code < 400 && ev.ResponseStatus.Code != 403
}

// Tightened is the least privilege of one subject, and what it holds but
// never used.
type Tightened struct {
	Subject *SubjectUsage
	// Roles and their RoleBindings, one per namespace, sorted.
	Roles        []*rbacv1.Role
	RoleBindings []*rbacv1.RoleBinding
	// ClusterRole (and its binding) holds cluster-scoped, all-namespace
	// and non-resource requests; nil when there were none.
	ClusterRole        *rbacv1.ClusterRole
	ClusterRoleBinding *rbacv1.ClusterRoleBinding
	// Inherited are requests left out because a default binding of the
	// API server (kubernetes.io/bootstrapping=rbac-defaults, such as
	// system:discovery for every authenticated user) already allows them.
	Inherited []string
	// Unused are the subject's current rules with something never used;
	// nil without a model.
	Unused []UnusedGrant
	// HasModel says whether Unused was computed.
	HasModel bool
}

// UnusedGrant is a rule the subject holds of which some or all was never
// used. Verbs and resources are as written in the rule ("*" included);
// resources are "secrets", "deployments.apps", or a non-resource URL.
type UnusedGrant struct {
	Binding *Binding
	Rule    rbacv1.PolicyRule
	// Via is the group the binding reaches the subject through, "" when
	// the binding names the subject.
	Via string
	// All is set when nothing the rule allows was used.
	All bool
	// Verbs never used on any resource of the rule, resources never used
	// with any verb, and the other (verb resource) pairs never used.
	Verbs, Resources, Pairs []string
}

// Objects returns the manifests in apply order: the ClusterRole and its
// binding, then each namespace's Role and RoleBinding.
func (t *Tightened) Objects() []any {
	var out []any
	if t.ClusterRole != nil {
		out = append(out, t.ClusterRole, t.ClusterRoleBinding)
	}
	for i := range t.Roles {
		out = append(out, t.Roles[i], t.RoleBindings[i])
	}
	return out
}

// Tighten builds the least privilege for s. With a model (m not nil) it
// also lists the subject's current rules that were never fully used, and
// leaves out requests the API server's default bindings already allow.
func Tighten(s *SubjectUsage, m *Model) *Tightened {
	t := &Tightened{Subject: s, HasModel: m != nil}
	byScope := map[string][]useKey{}
	for _, k := range s.sortedKeys() {
		if m != nil && inherited(m, s, k) {
			t.Inherited = append(t.Inherited, k.request("").String())
			continue
		}
		byScope[k.Namespace] = append(byScope[k.Namespace], k)
	}
	var scopes []string
	for ns := range byScope {
		scopes = append(scopes, ns)
	}
	sort.Strings(scopes)
	for _, ns := range scopes {
		rules := buildRules(s, byScope[ns])
		name := s.roleName(ns)
		if ns == "" {
			t.ClusterRole = &rbacv1.ClusterRole{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
				ObjectMeta: generatedMeta("", name), Rules: rules,
			}
			t.ClusterRoleBinding = &rbacv1.ClusterRoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
				ObjectMeta: generatedMeta("", name), Subjects: []rbacv1.Subject{s.Subject},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			}
			continue
		}
		t.Roles = append(t.Roles, &rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: generatedMeta(ns, name), Rules: rules,
		})
		t.RoleBindings = append(t.RoleBindings, &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: generatedMeta(ns, name), Subjects: []rbacv1.Subject{s.Subject},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		})
	}
	if m != nil {
		t.Unused = unused(m, s)
	}
	return t
}

func generatedMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "kguard"}}
}

// roleName names the generated roles and bindings: for a service account
// "kguard-tightened-NAME" in its own namespace and
// "kguard-tightened-sa:NS:NAME" elsewhere and for its ClusterRole;
// "kguard-tightened-user:NAME" and "kguard-tightened-group:NAME" for users
// and groups. Service account names never hold a colon, so no two
// subjects share a name.
func (s *SubjectUsage) roleName(ns string) string {
	const prefix = "kguard-tightened-"
	switch s.Subject.Kind {
	case rbacv1.ServiceAccountKind:
		if ns == s.Subject.Namespace {
			return prefix + s.Subject.Name
		}
		return prefix + "sa:" + s.Subject.Namespace + ":" + s.Subject.Name
	case rbacv1.GroupKind:
		return prefix + "group:" + safeName(s.Subject.Name)
	}
	return prefix + "user:" + safeName(s.Subject.Name)
}

// safeName makes a user or group name usable in an RBAC object name (a
// path segment: no "/" or "%").
func safeName(n string) string {
	return strings.NewReplacer("/", "-", "%", "-").Replace(n)
}

// buildRules turns the requests of one scope into rules: one per API
// group and resource (or non-resource URL) with its verbs sorted, plus one
// per set of resourceNames for verbs only ever used on a few named objects.
func buildRules(s *SubjectUsage, keys []useKey) []rbacv1.PolicyRule {
	type target struct{ group, resource, url string }
	verbs := map[target][]string{}
	var targets []target
	for _, k := range keys {
		res := k.Resource
		if k.Subresource != "" {
			res += "/" + k.Subresource
		}
		t := target{k.APIGroup, res, k.NonResourceURL}
		if _, ok := verbs[t]; !ok {
			targets = append(targets, t)
		}
		verbs[t] = append(verbs[t], k.Verb)
	}
	sort.Slice(targets, func(i, j int) bool {
		a, b := targets[i], targets[j]
		if (a.url == "") != (b.url == "") {
			return a.url == "" // resources first
		}
		if a.group != b.group {
			return a.group < b.group
		}
		if a.resource != b.resource {
			return a.resource < b.resource
		}
		return a.url < b.url
	})
	var rules []rbacv1.PolicyRule
	var urlRules []rbacv1.PolicyRule
	for _, t := range targets {
		vs := verbs[t]
		sort.Strings(vs)
		if t.url != "" {
			// Merge URLs used with the same verbs into one rule.
			merged := false
			for i := range urlRules {
				if equalStrings(urlRules[i].Verbs, vs) {
					urlRules[i].NonResourceURLs = append(urlRules[i].NonResourceURLs, t.url)
					merged = true
					break
				}
			}
			if !merged {
				urlRules = append(urlRules, rbacv1.PolicyRule{Verbs: vs, NonResourceURLs: []string{t.url}})
			}
			continue
		}
		var open []string
		named := map[string][]string{} // names joined -> verbs
		var nameSets []string
		for _, v := range vs {
			res, sub, _ := strings.Cut(t.resource, "/")
			u := s.uses[useKey{Namespace: keys[0].Namespace, APIGroup: t.group, Resource: res, Subresource: sub, Verb: v}]
			if u == nil || !u.restrictable() {
				open = append(open, v)
				continue
			}
			j := strings.Join(u.names, "\x00")
			if _, ok := named[j]; !ok {
				nameSets = append(nameSets, j)
			}
			named[j] = append(named[j], v)
		}
		if len(open) > 0 {
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{t.group}, Resources: []string{t.resource}, Verbs: open})
		}
		sort.Strings(nameSets)
		for _, j := range nameSets {
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{t.group}, Resources: []string{t.resource},
				Verbs: named[j], ResourceNames: strings.Split(j, "\x00")})
		}
	}
	return append(rules, urlRules...)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// inherited reports whether a default binding of the API server allows
// every request of kind k the subject made.
func inherited(m *Model, s *SubjectUsage, k useKey) bool {
	u := s.uses[k]
	names := u.names
	if u.nameless || u.overflow || len(names) == 0 {
		names = []string{""}
	}
	for _, n := range names {
		_, grants := m.Allowed(s.User, k.request(n))
		def := false
		for _, g := range grants {
			if isBootstrap(g.Binding) {
				def = true
				break
			}
		}
		if !def {
			return false
		}
	}
	return true
}

func isBootstrap(b *Binding) bool {
	return b.Builtin || b.Object != nil && b.Object.Meta != nil && b.Object.Meta.Labels[bootstrapLabel] == "rbac-defaults"
}

// unused compares the subject's current rules with its requests.
func unused(m *Model, s *SubjectUsage) []UnusedGrant {
	var out []UnusedGrant
	for _, p := range m.Permissions(s.User) {
		if isBootstrap(p.Binding) {
			continue
		}
		if g, ok := unusedOf(s, p.Binding, p.Rule); ok {
			g.Via = via(p.Binding, s.User)
			out = append(out, g)
		}
	}
	return out
}

// unusedOf checks every (verb, resource) pair of rule, as a rule of its
// own with the same resourceNames, against the requests made where the
// binding grants.
func unusedOf(s *SubjectUsage, b *Binding, rule rbacv1.PolicyRule) (UnusedGrant, bool) {
	type item struct {
		label string
		sub   rbacv1.PolicyRule
	}
	var items []item
	for _, u := range rule.NonResourceURLs {
		items = append(items, item{u, rbacv1.PolicyRule{NonResourceURLs: []string{u}}})
	}
	for _, g := range rule.APIGroups {
		for _, r := range rule.Resources {
			label := r
			if g != "" {
				label += "." + g
			}
			items = append(items, item{label, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{r}, ResourceNames: rule.ResourceNames}})
		}
	}
	if len(items) == 0 || len(rule.Verbs) == 0 {
		return UnusedGrant{}, false
	}
	used := make([][]bool, len(rule.Verbs))
	verbUsed := make([]bool, len(rule.Verbs))
	itemUsed := make([]bool, len(items))
	anyUsed := false
	for vi, v := range rule.Verbs {
		used[vi] = make([]bool, len(items))
		for ii := range items {
			sub := items[ii].sub
			sub.Verbs = []string{v}
			if s.usedUnder(b, &sub) {
				used[vi][ii], verbUsed[vi], itemUsed[ii], anyUsed = true, true, true, true
			}
		}
	}
	g := UnusedGrant{Binding: b, Rule: rule, All: !anyUsed}
	for vi, v := range rule.Verbs {
		if !verbUsed[vi] {
			g.Verbs = append(g.Verbs, v)
		}
	}
	for ii, it := range items {
		if !itemUsed[ii] {
			g.Resources = append(g.Resources, it.label)
		}
	}
	for vi, v := range rule.Verbs {
		for ii, it := range items {
			if !used[vi][ii] && verbUsed[vi] && itemUsed[ii] {
				g.Pairs = append(g.Pairs, v+" "+it.label)
			}
		}
	}
	return g, len(g.Verbs)+len(g.Resources)+len(g.Pairs) > 0
}

// usedUnder reports whether a request allowed by rule was made where
// binding b grants.
func (s *SubjectUsage) usedUnder(b *Binding, rule *rbacv1.PolicyRule) bool {
	for k, u := range s.uses {
		req := k.request("")
		if !b.appliesIn(&req) {
			continue
		}
		if u.nameless || len(rule.ResourceNames) == 0 {
			if Allows(rule, &req) {
				return true
			}
		}
		if len(rule.ResourceNames) == 0 {
			continue
		}
		if u.overflow {
			// Names not kept: assume one of them may have been the rule's.
			req.Name = rule.ResourceNames[0]
			if Allows(rule, &req) {
				return true
			}
			continue
		}
		for _, n := range u.names {
			req.Name = n
			if Allows(rule, &req) {
				return true
			}
		}
	}
	return false
}

// via is the group through which binding b applies to u, "" when it
// names u itself.
func via(b *Binding, u User) string {
	group := ""
	for _, sub := range b.Subjects {
		switch sub.Kind {
		case rbacv1.UserKind:
			if sub.Name == u.Name && u.Name != "" {
				return ""
			}
		case rbacv1.ServiceAccountKind:
			ns := sub.Namespace
			if ns == "" {
				ns = b.Namespace
			}
			if ServiceAccountUser(ns, sub.Name) == u.Name {
				return ""
			}
		case rbacv1.GroupKind:
			if group == "" && contains(u.Groups, sub.Name) {
				group = sub.Name
			}
		}
	}
	return group
}

// ErrNoAuditEvents is returned by callers when a log held no events.
var ErrNoAuditEvents = errors.New("no audit events (want JSON lines of audit.k8s.io/v1 Event, as written with --audit-log-format=json)")
