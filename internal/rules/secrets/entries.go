package secrets

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// EntryKind is where in an object a value is written.
type EntryKind string

// Entry kinds.
const (
	ConfigMapEntry  EntryKind = "configmap"
	SecretEntry     EntryKind = "secret"
	EnvEntry        EntryKind = "env"
	AnnotationEntry EntryKind = "annotation"
	ArgsEntry       EntryKind = "args"
)

// Entry is one value of an object that may hold a credential: a
// ConfigMap or Secret key, a literal env variable, an annotation, or a
// container's command line. The rules of this family judge entries, and
// so do the precision and recall measurements (corpus_test.go).
type Entry struct {
	Kind EntryKind
	// Field is the entry's field path; for a command line, the path of
	// the container (see ArgField).
	Field string
	// Where names the entry in messages: `ConfigMap key "app.conf"`.
	Where string
	// Key is the key, variable or annotation name ("" for command lines).
	Key   string
	Value string
	// Args is a container's command followed by its args; Command is how
	// many of them come from command.
	Args    []string
	Command int
	// Container is the container's name for env and command lines.
	Container string
	pair      users
}

// ArgField is the field path of a command-line argument.
func (e *Entry) ArgField(i int) string {
	if i < e.Command {
		return e.Field + ".command[" + strconv.Itoa(i) + "]"
	}
	return e.Field + ".args[" + strconv.Itoa(i-e.Command) + "]"
}

// Detect judges the entry. Env, ConfigMap and annotation values are
// judged by Detect with their siblings as pairs (POSTGRES_USER for
// POSTGRES_PASSWORD); a Secret's values the same way and, since a
// Secret's values are meant to be secret, a random-looking value under
// a name that says nothing too; command lines by their flags.
func (e *Entry) Detect() []Match {
	switch e.Kind {
	case ArgsEntry:
		return judgeArgs(e.Args, nil)
	case SecretEntry:
		ms := detect(e.Key, e.Value, e.pair)
		if len(ms) > 0 {
			return ms
		}
		v := strings.TrimSpace(e.Value)
		if !strings.Contains(v, "\n") && !isUserName(e.Key) && !describesValue(e.Key) && credentialName(e.Key) < 0 && inert(v) == "" && tokenRe.MatchString(v) && random(v) {
			return []Match{newMatch(SecretData, "random value under "+strconv.Quote(e.Key), v, Real)}
		}
		return nil
	}
	return detect(e.Key, e.Value, e.pair)
}

// tokenRe is the alphabet of generated secrets (base64, base64url, hex,
// alphanumerics): a value with structure (":" in an ARN or a URL, "," and
// "=" in an LDAP DN or a list) is something else.
var tokenRe = regexp.MustCompile(`^[A-Za-z0-9+/_.~-]+={0,2}$`)

// describesValue reports a key whose last word says its value is an
// identifier, a place or a name (tenant-id, bucket, region, endpoint): a
// random value under it is an ID, not a secret.
func describesValue(key string) bool {
	w := nameWords(key)
	return len(w) > 0 && identifierWords[w[len(w)-1]]
}

var identifierWords = map[string]bool{
	"id": true, "ids": true, "uuid": true, "guid": true, "name": true, "host": true, "hostname": true, "url": true,
	"uri": true, "endpoint": true, "region": true, "zone": true, "bucket": true, "project": true, "namespace": true,
	"email": true, "port": true, "path": true, "dir": true, "issuer": true, "audience": true, "realm": true,
	"version": true, "fingerprint": true, "thumbprint": true, "serial": true, "checksum": true, "hash": true, "digest": true,
}

// siblings pairs a credential name with the user name among kv that
// shares its stem (POSTGRES_USER for POSTGRES_PASSWORD, MINIO_ACCESS_KEY
// for MINIO_SECRET_KEY), or the only user name when there is one.
func siblings(kv map[string]string) users {
	var names []string
	for k := range kv {
		if isUserName(k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return func(name string) string {
		st := stem(name)
		for _, n := range names {
			if stem(n) == st {
				return kv[n]
			}
		}
		if len(names) == 1 {
			return kv[names[0]]
		}
		return ""
	}
}

// lastApplied is where kubectl apply keeps the whole object it applied:
// for a Secret, its data in clear.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Entries lists the entries of an object in a stable order: annotations,
// then ConfigMap or Secret data, then each container's literal env and
// command line. kubectl's last-applied annotation is left out: it repeats
// the object's own fields, judged where they are.
func Entries(obj *inventory.Object) []Entry {
	var out []Entry
	if obj.Meta != nil {
		for _, k := range sortedKeys(obj.Meta.Annotations) {
			if k == lastApplied {
				continue
			}
			out = append(out, Entry{Kind: AnnotationEntry, Field: "metadata.annotations", Where: "annotation " + k, Key: k, Value: obj.Meta.Annotations[k]})
		}
	}
	switch o := obj.Typed.(type) {
	case *corev1.ConfigMap:
		pair := siblings(o.Data)
		for _, k := range sortedKeys(o.Data) {
			out = append(out, Entry{Kind: ConfigMapEntry, Field: "data." + k, Where: "ConfigMap key " + strconv.Quote(k), Key: k, Value: o.Data[k], pair: pair})
		}
	case *corev1.Secret:
		kv := map[string]string{}
		for k, v := range o.Data {
			kv[k] = string(v)
		}
		for k, v := range o.StringData {
			kv[k] = v
		}
		pair := siblings(kv)
		for _, k := range sortedKeys(kv) {
			field := "data." + k
			if _, ok := o.StringData[k]; ok {
				field = "stringData." + k
			}
			out = append(out, Entry{Kind: SecretEntry, Field: field, Where: "key " + strconv.Quote(k), Key: k, Value: kv[k], pair: pair})
		}
	}
	if w, ok := extract.PodSpec(obj); ok {
		out = append(out, workloadEntries(w)...)
	}
	return out
}

// workloadEntries lists each container's literal env variables and its
// command line.
func workloadEntries(w *extract.Workload) []Entry {
	var out []Entry
	for _, c := range w.Containers() {
		kv := map[string]string{}
		for _, e := range c.Container.Env {
			if e.ValueFrom == nil {
				kv[e.Name] = e.Value
			}
		}
		pair := siblings(kv)
		for i, e := range c.Container.Env {
			if e.ValueFrom != nil {
				continue
			}
			out = append(out, Entry{Kind: EnvEntry, Field: c.Path + ".env[" + strconv.Itoa(i) + "].value",
				Where: "container " + strconv.Quote(c.Container.Name) + " env " + e.Name, Key: e.Name, Value: e.Value,
				Container: c.Container.Name, pair: pair})
		}
		where := "container " + strconv.Quote(c.Container.Name) + " command line"
		if len(c.Container.Command)+len(c.Container.Args) > 0 {
			args := append(append([]string{}, c.Container.Command...), c.Container.Args...)
			out = append(out, Entry{Kind: ArgsEntry, Field: c.Path, Where: where,
				Args: args, Command: len(c.Container.Command), Container: c.Container.Name})
		}
		// Probes and lifecycle hooks run commands in the container too.
		for _, h := range []struct {
			path string
			exec *corev1.ExecAction
		}{
			{".livenessProbe.exec", probeExec(c.Container.LivenessProbe)},
			{".readinessProbe.exec", probeExec(c.Container.ReadinessProbe)},
			{".startupProbe.exec", probeExec(c.Container.StartupProbe)},
			{".lifecycle.postStart.exec", hookExec(c.Container.Lifecycle, true)},
			{".lifecycle.preStop.exec", hookExec(c.Container.Lifecycle, false)},
		} {
			if h.exec != nil && len(h.exec.Command) > 0 {
				out = append(out, Entry{Kind: ArgsEntry, Field: c.Path + h.path, Where: where,
					Args: h.exec.Command, Command: len(h.exec.Command), Container: c.Container.Name})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func probeExec(p *corev1.Probe) *corev1.ExecAction {
	if p == nil {
		return nil
	}
	return p.Exec
}

func hookExec(l *corev1.Lifecycle, postStart bool) *corev1.ExecAction {
	if l == nil {
		return nil
	}
	h := l.PreStop
	if postStart {
		h = l.PostStart
	}
	if h == nil {
		return nil
	}
	return h.Exec
}
