package detect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// The CEL variables are plain map[string]any trees whose leaves are
// already CEL values: cel-go selects fields of map[string]any without
// wrapping, and pre-converted leaves make field access allocation free.
// One tree is built per event and shared by every rule.

var adapter = types.DefaultTypeAdapter

var emptyMap = map[string]any{}

func str(s string) ref.Val { return types.String(s) }

var emptyList = types.NewStringList(adapter, []string{})

func strList(s []string) ref.Val {
	if len(s) == 0 {
		return emptyList
	}
	return types.NewStringList(adapter, s)
}

func fillUser(m map[string]any, u *UserInfo) map[string]any {
	if u == nil {
		u = &UserInfo{}
	}
	m["username"], m["uid"], m["groups"] = str(u.Username), str(u.UID), strList(u.Groups)
	return m
}

// auditMaps are the maps of one audit event's variables, reused across
// events (through a pool) so that filling them does not grow maps.
type auditMaps struct {
	top, user, imp, ref, status map[string]any
}

func newAuditMaps() *auditMaps {
	return &auditMaps{top: make(map[string]any, 16), user: make(map[string]any, 4), imp: make(map[string]any, 4),
		ref: make(map[string]any, 8), status: make(map[string]any, 1)}
}

func auditVars(a *AuditEvent) map[string]any { return newAuditMaps().fill(a) }

func (am *auditMaps) fill(a *AuditEvent) map[string]any {
	if a == nil {
		a = &AuditEvent{}
	}
	ref := a.ObjectRef
	if ref == nil {
		ref = &ObjectRef{}
	}
	code := 0
	if a.ResponseStatus != nil {
		code = a.ResponseStatus.Code
	}
	var obj any = emptyMap
	if a.RequestObject != nil {
		obj = a.RequestObject
	}
	var ann any = emptyStrings
	if a.Annotations != nil {
		ann = a.Annotations
	}
	sourceIP := ""
	if len(a.SourceIPs) > 0 {
		sourceIP = a.SourceIPs[0]
	}
	r := am.ref
	r["resource"], r["subresource"], r["namespace"] = str(ref.Resource), str(ref.Subresource), str(ref.Namespace)
	r["name"], r["apiGroup"], r["apiVersion"] = str(ref.Name), str(ref.APIGroup), str(ref.APIVersion)
	am.status["code"] = types.Int(code)
	m := am.top
	m["auditID"], m["stage"], m["requestURI"], m["verb"] = str(a.AuditID), str(a.Stage), str(a.RequestURI), str(a.Verb)
	m["user"] = fillUser(am.user, &a.User)
	m["impersonatedUser"] = fillUser(am.imp, a.ImpersonatedUser)
	m["sourceIPs"], m["sourceIP"], m["userAgent"] = strList(a.SourceIPs), str(sourceIP), str(a.UserAgent)
	m["objectRef"], m["responseStatus"], m["requestObject"], m["annotations"] = r, am.status, obj, ann
	return m
}

var emptyStrings = map[string]string{}

func processVars(p *Process) map[string]any {
	if p == nil {
		p = &Process{}
	}
	return map[string]any{
		"pid": types.Int(p.PID), "ppid": types.Int(p.PPID), "uid": types.Int(p.UID),
		"comm": str(p.Comm), "exe": str(p.Exe), "args": strList(p.Args),
		"cmdline":  str(strings.TrimSpace(p.Comm + " " + strings.Join(p.Args, " "))),
		"cgroupID": types.Uint(p.CgroupID), "mntns": types.Uint(p.MntNS),
		"container": map[string]any{
			"id": str(p.Container.ID), "image": str(p.Container.Image),
			"pod": str(p.Container.Pod), "namespace": str(p.Container.Namespace),
			"pod_uid": str(p.Container.PodUID),
		},
	}
}

func fileVars(f *File) map[string]any {
	if f == nil {
		f = &File{}
	}
	return map[string]any{"path": str(f.Path), "flags": types.Int(f.Flags), "write": types.Bool(f.Write())}
}

func networkVars(n *Network) map[string]any {
	if n == nil {
		n = &Network{}
	}
	return map[string]any{"daddr": str(n.DAddr), "dport": types.Int(n.DPort), "proto": str(n.Proto)}
}

// Variables of a source that an event of another source does not set.
var (
	emptyAudit   = auditVars(nil)
	emptyProcess = processVars(nil)
	emptyFile    = fileVars(nil)
	emptyNetwork = networkVars(nil)
)

// activation resolves the rule variables for one event without a map.
type activation struct {
	maps    *auditMaps
	lists   map[string]ref.Val
	source  ref.Val
	audit   map[string]any
	process map[string]any
	file    map[string]any
	network map[string]any
}

var _ interpreter.Activation = (*activation)(nil)

var activations = sync.Pool{New: func() any { return &activation{maps: newAuditMaps()} }}

// newActivation returns a pooled activation for ev; release it after use.
func newActivation(ev *Event, src string, lists map[string]ref.Val) *activation {
	a := activations.Get().(*activation)
	a.lists, a.source = lists, str(src)
	a.audit, a.process, a.file, a.network = emptyAudit, emptyProcess, emptyFile, emptyNetwork
	if ev.K8sAudit != nil {
		a.audit = a.maps.fill(ev.K8sAudit)
	}
	if ev.Process != nil {
		a.process = processVars(ev.Process)
	}
	if ev.File != nil {
		a.file = fileVars(ev.File)
	}
	if ev.Network != nil {
		a.network = networkVars(ev.Network)
	}
	return a
}

func (a *activation) release() {
	a.lists = nil
	activations.Put(a)
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "k8s_audit":
		return a.audit, true
	case "process":
		return a.process, true
	case "file":
		return a.file, true
	case "network":
		return a.network, true
	case "event_source":
		return a.source, true
	}
	v, ok := a.lists[name]
	return v, ok
}

func (a *activation) Parent() interpreter.Activation { return nil }

// lookup resolves a dotted field path ("k8s_audit.user.username") for
// outputs and exceptions.
func (a *activation) lookup(path string) (any, bool) {
	root, rest, _ := strings.Cut(path, ".")
	var cur any
	switch root {
	case "k8s_audit":
		cur = a.audit
	case "process":
		cur = a.process
	case "file":
		cur = a.file
	case "network":
		cur = a.network
	case "event_source":
		cur = a.source
	default:
		return nil, false
	}
	for rest != "" {
		var k string
		k, rest, _ = strings.Cut(rest, ".")
		switch m := cur.(type) {
		case map[string]any:
			v, ok := m[k]
			if !ok {
				return nil, false
			}
			cur = v
		case map[string]string:
			v, ok := m[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(m) {
				return nil, false
			}
			cur = m[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// strings returns a looked-up value as strings (one per list element).
func valueStrings(v any) []string {
	if rv, ok := v.(ref.Val); ok {
		if l, ok := rv.(traits.Lister); ok {
			var out []string
			for it := l.Iterator(); it.HasNext() == types.True; {
				out = append(out, fmt.Sprint(it.Next().Value()))
			}
			return out
		}
		v = rv.Value()
	}
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	case map[string]any:
		b := make([]string, 0, len(x))
		for k, e := range x {
			b = append(b, fmt.Sprintf("%s=%v", k, e))
		}
		sort.Strings(b)
		return []string{"{" + strings.Join(b, ",") + "}"}
	}
	return []string{fmt.Sprint(v)}
}

// fieldPaths are the fixed field paths; below the open prefixes any path
// is accepted (its presence depends on the event).
var (
	fieldPaths   = map[string]bool{"event_source": true}
	openPrefixes = []string{"k8s_audit.requestObject.", "k8s_audit.annotations."}
)

func init() {
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := prefix + "." + k
			fieldPaths[p] = true
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(p, sub)
			}
		}
	}
	walk("k8s_audit", emptyAudit)
	walk("process", emptyProcess)
	walk("file", emptyFile)
	walk("network", emptyNetwork)
}

// validField reports whether path names an event field.
func validField(path string) bool {
	if fieldPaths[path] {
		return true
	}
	for _, p := range openPrefixes {
		if strings.HasPrefix(path, p) && len(path) > len(p) {
			return true
		}
	}
	return false
}
