package rbac

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Goal is the node of the escalation graph that stands for
// cluster-admin-equivalent power.
const Goal = "cluster-admin"

// Step is one edge of the escalation graph: From may become To by Action,
// which the binding and rule named in Via and Rule allow.
type Step struct {
	// From and To are node names: "ServiceAccount shop/ci", "User alice"
	// or Goal.
	From, To string
	// Action says what From does, as in "create pods in shop".
	Action string
	// Via names the binding and role that allow it, as in
	// "RoleBinding shop/ci -> Role shop/deployer"; "" for members of
	// system:masters.
	Via string
	// Rule is the allowing rule (DescribeRule); "" when there is none to
	// show (system:masters, a binding to a cluster-admin role that is not
	// among the objects).
	Rule string
	// Grant is the allowing binding and rule, nil for system:masters (its
	// Rule is empty for a binding to a cluster-admin role that is not among
	// the objects).
	Grant *Grant
}

// Path is a shortest escalation path from Start to Goal.
type Path struct {
	Start User
	Steps []Step
}

// String renders the path on one line: "ServiceAccount shop/ci -> create
// pods in shop (RoleBinding shop/ci -> Role shop/deployer) ->
// ServiceAccount shop/admin -> ... -> cluster-admin".
func (p Path) String() string {
	var sb strings.Builder
	sb.WriteString(p.Start.String())
	for _, s := range p.Steps {
		sb.WriteString(" -> ")
		sb.WriteString(s.Action)
		if s.Via != "" {
			sb.WriteString(" (" + s.Via + ")")
		}
		sb.WriteString(" -> ")
		sb.WriteString(s.To)
	}
	return sb.String()
}

// Escalation is the privilege-escalation graph of a model: from every
// identity (the service accounts of the inventory and of binding subjects,
// and the users named by bindings; groups are not start points, their
// members are unknown) to the identities it can become and to Goal, with
// the shortest path from each identity to Goal. Permissions are decided by
// Model.Allowed, so they follow the engine's semantics.
//
// The edges:
//   - to Goal: membership of system:masters; a ClusterRoleBinding to the
//     ClusterRole cluster-admin; "*" verbs on "*" resources in "*" groups
//     cluster-wide; impersonating users, groups or service accounts
//     cluster-wide; escalate or bind on roles or clusterroles cluster-wide;
//     create, update or patch clusterrolebindings; get or create
//     nodes/proxy (the kubelet API runs commands in any pod);
//   - to every service account of a namespace (of every namespace when
//     held cluster-wide): creating pods, or creating or changing pod
//     controllers there (a pod that mounts the account's token),
//     creating serviceaccounts/token, reading secrets (legacy token
//     secrets; this is how reading secrets in kube-system reaches its
//     controllers' accounts), impersonating serviceaccounts there;
//   - to a named service account: serviceaccounts/token or impersonation
//     limited by resourceNames.
//
// Escalate and bind within one namespace stay in that namespace and give
// no edge. Like the rest of the engine, only roles among the objects (and
// the built-in policy, for files) grant anything; a ClusterRoleBinding to
// cluster-admin leads to Goal even when that role is not among them. The
// subjects of built-in bindings (kube-system's controllers, the control
// plane's users) are nodes too, so that paths through them are found.
//
// An Escalation is read-only once built and may be shared by goroutines.
type Escalation struct {
	m     *Model
	nodes []pathNode // nodes[0] is Goal
	index map[string]int

	saByNS   map[string][]int // service account nodes by namespace
	saByName map[string][]int // service account nodes by name
	allSAs   []int

	caps  [][]capability // per node
	cache map[string][]capability

	dist    []int32 // steps to Goal, -1 when unreachable
	next    []hop
	firstNS map[string]int // the service account of each namespace closest to Goal
	first   int            // the service account closest to Goal, -1 when none
}

type pathNode struct {
	name     string
	user     User
	sa       bool
	ns, acct string // service account namespace and name
	// builtin: known only as a subject of the built-in policy (the
	// control plane's users and kube-system's controllers).
	builtin bool
}

type capKind uint8

const (
	capGoal capKind = iota
	capNS           // every service account of ns
	capAll          // every service account
	capName         // the service accounts named name (in ns, or any namespace when ns is "")
)

// capability is something an identity may do that leads to a node.
type capability struct {
	kind     capKind
	ns, name string
	action   string
	grant    *Grant // nil for system:masters
}

type hop struct {
	to  int
	cap *capability
}

// Escalation builds the escalation graph of m and the shortest path of
// every identity to Goal. It is built in one pass: each identity's
// capabilities are asked of the model once (identities holding the same
// bindings share the answers), then one breadth-first search from Goal
// over the reversed edges finds every shortest path.
func (m *Model) Escalation() *Escalation {
	e := &Escalation{m: m, index: map[string]int{}, saByNS: map[string][]int{}, saByName: map[string][]int{},
		cache: map[string][]capability{}, firstNS: map[string]int{}, first: -1}
	e.collectNodes()
	e.caps = make([][]capability, len(e.nodes))
	for i := 1; i < len(e.nodes); i++ {
		e.caps[i] = e.capabilities(e.nodes[i].user, true)
	}
	e.search()
	return e
}

// EscalationPaths returns the shortest path to Goal of every identity that
// has one, in identity order (service accounts by namespace and name, then
// users by name). It and PathFrom and Graph build the graph on each call:
// build it once with Escalation to ask several questions.
func (m *Model) EscalationPaths() []Path { return m.Escalation().Paths() }

// PathFrom returns the shortest path from u to Goal.
func (m *Model) PathFrom(u User) (Path, bool) { return m.Escalation().PathFrom(u) }

// Graph returns the escalation graph: every node name and every edge.
func (m *Model) Graph() ([]string, []Step) { return m.Escalation().Graph() }

func (e *Escalation) collectNodes() {
	e.nodes = append(e.nodes, pathNode{name: Goal})
	e.index[Goal] = 0
	// The value says whether the identity comes from the inputs (a
	// ServiceAccount object, a subject of an input binding) rather than
	// only from the built-in policy.
	type saKey struct{ ns, name string }
	sas := map[saKey]bool{}
	users := map[string]bool{}
	for _, o := range e.m.ServiceAccounts {
		if o.Namespace != "" && o.Name != "" {
			sas[saKey{o.Namespace, o.Name}] = true
		}
	}
	for _, b := range e.m.Bindings {
		own := !b.Builtin
		for _, s := range b.Subjects {
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Namespace
				}
				if ns != "" && s.Name != "" {
					k := saKey{ns, s.Name}
					sas[k] = sas[k] || own
				}
			case rbacv1.UserKind:
				if ns, name, ok := splitSAUser(s.Name); ok {
					k := saKey{ns, name}
					sas[k] = sas[k] || own
				} else if s.Name != "" {
					users[s.Name] = users[s.Name] || own
				}
			}
		}
	}
	saList := make([]saKey, 0, len(sas))
	for k := range sas {
		saList = append(saList, k)
	}
	sort.Slice(saList, func(i, j int) bool {
		if saList[i].ns != saList[j].ns {
			return saList[i].ns < saList[j].ns
		}
		return saList[i].name < saList[j].name
	})
	for _, k := range saList {
		u := ForServiceAccount(k.ns, k.name)
		i := len(e.nodes)
		e.nodes = append(e.nodes, pathNode{name: u.String(), user: u, sa: true, ns: k.ns, acct: k.name, builtin: !sas[k]})
		e.index[u.String()] = i
		e.saByNS[k.ns] = append(e.saByNS[k.ns], i)
		e.saByName[k.name] = append(e.saByName[k.name], i)
		e.allSAs = append(e.allSAs, i)
	}
	userList := make([]string, 0, len(users))
	for n := range users {
		userList = append(userList, n)
	}
	sort.Strings(userList)
	for _, n := range userList {
		u := ForUser(n)
		e.index[u.String()] = len(e.nodes)
		e.nodes = append(e.nodes, pathNode{name: u.String(), user: u, builtin: !users[n]})
	}
}

// splitSAUser reads a service account's user name.
func splitSAUser(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// Requests that lead to Goal, by class: the first one allowed in a class
// gives the edge.
var goalClasses = [][]Request{
	{ // impersonate a member of system:masters
		{Verb: "impersonate", Resource: "groups", Name: Masters},
		{Verb: "impersonate", Resource: "users"},
		{Verb: "impersonate", Resource: "serviceaccounts"},
	},
	{ // grant itself anything
		{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "clusterroles"},
		{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "clusterroles"},
		{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "roles"},
		{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "roles"},
	},
	{ // bind itself to cluster-admin
		{Verb: "create", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"},
		{Verb: "update", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"},
		{Verb: "patch", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"},
	},
	{ // the kubelet API runs commands in any pod of any node
		{Verb: "create", Resource: "nodes", Subresource: "proxy"},
		{Verb: "get", Resource: "nodes", Subresource: "proxy"},
	},
}

// goalAction describes a Goal request held cluster-wide.
func goalAction(req Request) string {
	s := req.String()
	switch req.Resource {
	case "roles", "serviceaccounts":
		s += " in any namespace"
	case "nodes":
		s += " (kubelet API: exec in any pod on any node)"
	}
	return s
}

// Requests that give the service accounts of a namespace, by class:
// running a pod that mounts an account's token, creating a token, reading
// legacy token secrets, impersonating.
var saClasses = []struct {
	reqs []Request
	// clusterIsGoal: held cluster-wide, the class is a Goal edge already.
	clusterIsGoal bool
}{
	{podRequests(), false},
	{[]Request{
		{Verb: "create", Resource: "serviceaccounts", Subresource: "token"},
	}, false},
	{[]Request{
		{Verb: "get", Resource: "secrets"},
		{Verb: "list", Resource: "secrets"},
		{Verb: "watch", Resource: "secrets"},
	}, false},
	{[]Request{
		{Verb: "impersonate", Resource: "serviceaccounts"},
	}, true},
}

// podRequests are the requests that run a pod as any service account of
// the namespace: creating a pod or a controller of pods, or changing a
// controller's pod template (a pod's own service account cannot change).
func podRequests() []Request {
	controllers := []struct{ group, resource string }{
		{"apps", "deployments"}, {"apps", "daemonsets"}, {"apps", "statefulsets"}, {"apps", "replicasets"},
		{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
		{"extensions", "deployments"}, {"extensions", "daemonsets"}, {"extensions", "replicasets"},
	}
	reqs := []Request{{Verb: "create", Resource: "pods"}}
	for _, verb := range []string{"create", "update", "patch"} {
		for _, c := range controllers {
			reqs = append(reqs, Request{Verb: verb, APIGroup: c.group, Resource: c.resource})
		}
	}
	return reqs
}

// Requests that give one named service account when limited by
// resourceNames.
var namedSARequests = []Request{
	{Verb: "create", Resource: "serviceaccounts", Subresource: "token"},
	{Verb: "impersonate", Resource: "serviceaccounts"},
}

// capabilities returns what u may do that leads somewhere. Allowed depends
// only on the bindings that apply to u (and system:masters), so identities
// with the same bindings share the answer; store adds it to the cache
// (only while building, so that a built Escalation is read-only).
func (e *Escalation) capabilities(u User, store bool) []capability {
	if contains(u.Groups, Masters) {
		return []capability{{kind: capGoal, action: "member of " + Masters}}
	}
	bs := e.m.BindingsFor(u)
	var kb strings.Builder
	for _, b := range bs {
		kb.WriteString(strconv.Itoa(b.order))
		kb.WriteByte(',')
	}
	key := kb.String()
	if c, ok := e.cache[key]; ok {
		return c
	}
	c := e.computeCapabilities(u, bs)
	if store {
		e.cache[key] = c
	}
	return c
}

func (e *Escalation) computeCapabilities(u User, bs []*Binding) []capability {
	var out []capability
	// allowed asks the model, after a cheap look at u's bindings only
	// (the same test Allowed makes) so that most answers cost nothing.
	allowed := func(req Request) (*Grant, bool) {
		if !anyAllows(bs, &req) {
			return nil, false
		}
		ok, grants := e.m.Allowed(u, req)
		if !ok || len(grants) == 0 {
			return nil, false
		}
		return &grants[0], true
	}
	for _, b := range bs {
		if b.Namespace == "" && b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
			g := &Grant{Binding: b}
			if len(b.Rules) > 0 {
				g.Rule = b.Rules[0]
			}
			return append(out, capability{kind: capGoal, action: "bound to ClusterRole cluster-admin", grant: g})
		}
	}
	if g, ok := allowed(Request{Verb: "*", APIGroup: "*", Resource: "*"}); ok {
		return append(out, capability{kind: capGoal, action: "do anything cluster-wide", grant: g})
	}
	for _, class := range goalClasses {
		for _, req := range class {
			if g, ok := allowed(req); ok {
				out = append(out, capability{kind: capGoal, action: goalAction(req), grant: g})
				break
			}
		}
	}

	// Namespaces where u may hold namespaced rights: "" (everywhere,
	// through ClusterRoleBindings) and those of its RoleBindings.
	namespaces := []string{""}
	var named []string // resourceNames of u's rules
	for _, b := range bs {
		if b.Namespace != "" && !slices.Contains(namespaces, b.Namespace) {
			namespaces = append(namespaces, b.Namespace)
		}
		for _, r := range b.Rules {
			named = append(named, r.ResourceNames...)
		}
	}
	sort.Strings(namespaces[1:])
	for _, c := range saClasses {
		everywhere := false
		for _, ns := range namespaces {
			if everywhere || ns == "" && c.clusterIsGoal {
				continue
			}
			if ns != "" && len(e.saByNS[ns]) == 0 {
				continue // nobody to become there
			}
			for _, req := range c.reqs {
				req.Namespace = ns
				g, ok := allowed(req)
				if !ok {
					continue
				}
				kind, where := capNS, " in "+ns
				if ns == "" {
					kind, where, everywhere = capAll, " in any namespace", true
				}
				req.Namespace = ""
				out = append(out, capability{kind: kind, ns: ns, action: req.String() + where, grant: g})
				break
			}
		}
	}
	if len(named) > 0 {
		sort.Strings(named)
		named = slices.Compact(named)
		for _, req := range namedSARequests {
			for _, ns := range namespaces {
				for _, name := range named {
					if ns != "" && !e.hasSA(ns, name) || ns == "" && len(e.saByName[name]) == 0 {
						continue
					}
					r := req
					r.Namespace, r.Name = ns, name
					g, ok := allowed(r)
					if !ok {
						continue
					}
					where := " in " + ns
					if ns == "" {
						where = " in any namespace"
					}
					out = append(out, capability{kind: capName, ns: ns, name: name,
						action: req.Verb + " " + requestWhat(req) + " named " + name + where, grant: g})
				}
			}
		}
	}
	return out
}

// requestWhat is the resource part of a request: "serviceaccounts/token".
func requestWhat(r Request) string {
	s := r.Resource
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	return s
}

func (e *Escalation) hasSA(ns, name string) bool {
	_, ok := e.index[ForServiceAccount(ns, name).String()]
	return ok
}

// anyAllows is Allowed's test over bindings already looked up.
func anyAllows(bs []*Binding, req *Request) bool {
	for _, b := range bs {
		if !b.appliesIn(req) {
			continue
		}
		for i := range b.Rules {
			if Allows(&b.Rules[i], req) {
				return true
			}
		}
	}
	return false
}

// search finds the shortest path of every node to Goal: a breadth-first
// search from Goal over the reversed edges. An edge to every service
// account of a namespace is followed once, from the first of them reached
// (the closest to Goal).
func (e *Escalation) search() {
	type in struct {
		from int
		cap  *capability
	}
	var goalIn, allIn []in
	nsIn := map[string][]in{}
	nodeIn := map[int][]in{}
	for i := 1; i < len(e.nodes); i++ {
		for j := range e.caps[i] {
			c := &e.caps[i][j]
			switch c.kind {
			case capGoal:
				goalIn = append(goalIn, in{i, c})
			case capNS:
				nsIn[c.ns] = append(nsIn[c.ns], in{i, c})
			case capAll:
				allIn = append(allIn, in{i, c})
			case capName:
				for _, t := range e.namedTargets(c) {
					nodeIn[t] = append(nodeIn[t], in{i, c})
				}
			}
		}
	}
	e.dist = make([]int32, len(e.nodes))
	for i := range e.dist {
		e.dist[i] = -1
	}
	e.next = make([]hop, len(e.nodes))
	e.dist[0] = 0
	queue := []int{0}
	relax := func(edges []in, to int) {
		for _, x := range edges {
			if e.dist[x.from] < 0 {
				e.dist[x.from] = e.dist[to] + 1
				e.next[x.from] = hop{to: to, cap: x.cap}
				queue = append(queue, x.from)
			}
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == 0 {
			relax(goalIn, 0)
			continue
		}
		n := &e.nodes[v]
		if !n.sa {
			continue
		}
		relax(nodeIn[v], v)
		if _, done := e.firstNS[n.ns]; !done {
			e.firstNS[n.ns] = v
			relax(nsIn[n.ns], v)
		}
		if e.first < 0 {
			e.first = v
			relax(allIn, v)
		}
	}
}

// namedTargets are the service account nodes a capName capability reaches.
func (e *Escalation) namedTargets(c *capability) []int {
	if c.ns != "" {
		if i, ok := e.index[ForServiceAccount(c.ns, c.name).String()]; ok {
			return []int{i}
		}
		return nil
	}
	return e.saByName[c.name]
}

// targets are the nodes a capability reaches, in node order.
func (e *Escalation) targets(c *capability) []int {
	switch c.kind {
	case capGoal:
		return []int{0}
	case capNS:
		return e.saByNS[c.ns]
	case capAll:
		return e.allSAs
	}
	return e.namedTargets(c)
}

// best is the target of c closest to Goal, other than self; -1 when none
// reaches Goal.
func (e *Escalation) best(c *capability, self string) int {
	pick := -1
	switch c.kind {
	case capGoal:
		return 0
	case capNS:
		if i, ok := e.firstNS[c.ns]; ok && e.nodes[i].name != self {
			return i
		}
	case capAll:
		if e.first >= 0 && e.nodes[e.first].name != self {
			return e.first
		}
	}
	// The closest is self (or the edge names accounts): look at each.
	for _, t := range e.targets(c) {
		if e.dist[t] >= 0 && e.nodes[t].name != self && (pick < 0 || e.dist[t] < e.dist[pick]) {
			pick = t
		}
	}
	return pick
}

// PathFrom returns the shortest path from u to Goal, or false when there
// is none. u may be any identity, also one the graph does not hold (a
// user with other groups, a group).
func (e *Escalation) PathFrom(u User) (Path, bool) {
	name := u.String()
	if i, ok := e.index[name]; ok && i > 0 && sameGroups(e.nodes[i].user.Groups, u.Groups) {
		if e.dist[i] < 0 {
			return Path{Start: u}, false
		}
		return e.walk(u, i), true
	}
	caps := e.capabilities(u, false)
	bestCap, bestTo := -1, -1
	for j := range caps {
		t := e.best(&caps[j], name)
		if t >= 0 && (bestTo < 0 || e.dist[t] < e.dist[bestTo]) {
			bestCap, bestTo = j, t
		}
	}
	if bestCap < 0 {
		return Path{Start: u}, false
	}
	p := Path{Start: u, Steps: []Step{e.step(name, bestTo, &caps[bestCap])}}
	if bestTo != 0 {
		p.Steps = append(p.Steps, e.walk(u, bestTo).Steps...)
	}
	return p, true
}

func sameGroups(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// walk follows the search's hops from node i to Goal.
func (e *Escalation) walk(start User, i int) Path {
	p := Path{Start: start}
	for i != 0 {
		h := e.next[i]
		p.Steps = append(p.Steps, e.step(e.nodes[i].name, h.to, h.cap))
		i = h.to
	}
	return p
}

func (e *Escalation) step(from string, to int, c *capability) Step {
	s := Step{From: from, To: e.nodes[to].name, Action: c.action}
	if g := c.grant; g != nil {
		s.Grant = g
		s.Via = describeBinding(g.Binding)
		if len(g.Rule.Verbs) > 0 {
			s.Rule = DescribeRule(g.Rule)
		}
	}
	return s
}

// describeBinding names a binding and its role: "RoleBinding shop/ci ->
// Role shop/deployer", "ClusterRoleBinding ops -> ClusterRole admin
// (built-in)".
func describeBinding(b *Binding) string {
	s := b.Object.Kind + " "
	if b.Object.Namespace != "" {
		s += b.Object.Namespace + "/"
	}
	s += b.Object.Name
	if b.Builtin {
		s += " " + BuiltinMark
	}
	s += " -> " + b.RoleRef.Kind + " "
	if b.RoleRef.Kind == "Role" {
		s += b.Namespace + "/"
	}
	s += b.RoleRef.Name
	if b.RoleBuiltin {
		s += " " + BuiltinMark
	}
	return s
}

// Paths returns the shortest path of every identity that has one, in node
// order: service accounts by namespace and name, then users by name.
// Identities known only from the built-in policy (kube-system's
// controllers, the control plane's users), which hold their power by
// design, are left out: BuiltinPaths counts them, and PathFrom answers for
// each.
func (e *Escalation) Paths() []Path {
	var out []Path
	for i := 1; i < len(e.nodes); i++ {
		if e.dist[i] > 0 && !e.nodes[i].builtin {
			out = append(out, e.walk(e.nodes[i].user, i))
		}
	}
	return out
}

// BuiltinPaths is how many identities known only from the built-in policy
// have a path to Goal.
func (e *Escalation) BuiltinPaths() int {
	n := 0
	for i := 1; i < len(e.nodes); i++ {
		if e.dist[i] > 0 && e.nodes[i].builtin {
			n++
		}
	}
	return n
}

// AllServiceAccounts is the graph node that stands for every service
// account; ServiceAccountsIn(ns) stands for those of one namespace.
const AllServiceAccounts = "ServiceAccount */*"

// ServiceAccountsIn is the graph node of every service account of ns.
func ServiceAccountsIn(ns string) string { return "ServiceAccount " + ns + "/*" }

// Graph returns the escalation graph for export: node names and edges.
// The nodes are Goal, the identities in node order, then the group nodes
// used: AllServiceAccounts and ServiceAccountsIn(ns) by namespace. An
// identity that may become every service account of a namespace (or of
// every namespace) has one edge to that group node, and the group nodes
// have edges with an empty Action to their members (AllServiceAccounts to
// each namespace's node, a namespace's node to its accounts), so the graph
// stays linear in size while the paths through it are the real ones.
// Between two nodes there is one edge, from the first capability that
// gives it (edges to Goal first). Edges are ordered by source node, then
// capability, then target; self-loops are left out.
func (e *Escalation) Graph() ([]string, []Step) {
	names := make([]string, len(e.nodes))
	for i, n := range e.nodes {
		names[i] = n.name
	}
	var edges []Step
	seen := map[string]bool{} // targets of the current source
	all := false
	usedNS := map[string]bool{}
	for i := 1; i < len(e.nodes); i++ {
		clear(seen)
		from := e.nodes[i].name
		add := func(to string, c *capability) {
			if to != from && !seen[to] {
				seen[to] = true
				s := e.step(from, 0, c)
				s.To = to
				edges = append(edges, s)
			}
		}
		for j := range e.caps[i] {
			c := &e.caps[i][j]
			switch c.kind {
			case capNS:
				usedNS[c.ns] = true
				add(ServiceAccountsIn(c.ns), c)
			case capAll:
				all = true
				add(AllServiceAccounts, c)
			default:
				for _, t := range e.targets(c) {
					add(e.nodes[t].name, c)
				}
			}
		}
	}
	var namespaces []string
	for ns := range e.saByNS {
		if all || usedNS[ns] {
			namespaces = append(namespaces, ns)
		}
	}
	sort.Strings(namespaces)
	if all {
		names = append(names, AllServiceAccounts)
		for _, ns := range namespaces {
			edges = append(edges, Step{From: AllServiceAccounts, To: ServiceAccountsIn(ns)})
		}
	}
	for _, ns := range namespaces {
		names = append(names, ServiceAccountsIn(ns))
		for _, t := range e.saByNS[ns] {
			edges = append(edges, Step{From: ServiceAccountsIn(ns), To: e.nodes[t].name})
		}
	}
	return names, edges
}
