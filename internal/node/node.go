// Package node describes the host kguard runs on as inventory objects, so
// that `kguard node` judges it with the one rule registry and scan engine:
// it discovers the Kubernetes components running there from /proc, and
// turns each into a NodeProcess (its command line, credentials redacted,
// and for etcd its ETCD_* environment), the kubelet's and kube-proxy's
// --config files into the KubeletConfiguration and KubeProxyConfiguration
// objects `kguard scan` reads, and every file that matters (private keys,
// kubeconfigs, static pod manifests, configuration files, the kubelet's
// service unit, the etcd data directory, the PKI directory) into a
// NodeFile with its mode and owner. The objects can be written out as YAML
// and scanned elsewhere with the same result.
//
// Everything is read under a root directory (Options.Root), so that a pod
// that mounts the host's filesystem under /host (and shares its PID
// namespace) checks the host: paths named by flags are host paths and are
// joined to the root.
package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/secrets"
)

// Options configure one discovery.
type Options struct {
	// Root is where the host's filesystem is ("/" by default).
	Root string
	// ProcDir is the proc filesystem to discover processes in (default
	// Root/proc). A pod sharing the host's PID namespace sees the host's
	// processes in its own /proc.
	ProcDir string
	// PIDs, when set, limits discovery to these processes (tests on a
	// machine where other clusters run).
	PIDs []int
}

// Host is what discovery found: the components, the files checked, and
// the inventory objects that describe them.
type Host struct {
	Root       string
	Components []Component
	// Files are the files described (those that exist).
	Files []Target
	// Objects describe the host for the rules, in a stable order.
	Objects []*inventory.Object
	// Errors are paths that could not be read.
	Errors []*Error

	procDir string
	// docs hold each object's JSON, for WriteInventory.
	docs [][]byte
	// users and groups name owners.
	users, groups idNames
}

// Discover finds the components under opts.Root and describes them and
// their files. Problems reading one path are collected in Host.Errors;
// the other paths are still described.
func Discover(opts Options) *Host {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	h := &Host{Root: root, procDir: opts.ProcDir}
	if h.procDir == "" {
		h.procDir = filepath.Join(root, "proc")
	}
	h.users = readIDNames(root, "etc/passwd")
	h.groups = readIDNames(root, "etc/group")

	comps, errs := discoverProcesses(h.procDir)
	if opts.PIDs != nil {
		comps = slices.DeleteFunc(comps, func(c Component) bool { return !slices.Contains(opts.PIDs, c.PID) })
	}
	h.Components = comps
	h.Errors = append(h.Errors, errs...)
	names := processNames(comps)

	var targets []Target
	for i := range comps {
		c := &comps[i]
		h.addProcess(c, names[i])
		targets = append(targets, componentFiles(c)...)
		switch c.Name {
		case Kubelet:
			targets = append(targets, h.addConfig(c, controlplane.KubeletConfigKind, kubeletConfigFiles)...)
		case Proxy:
			h.addConfig(c, controlplane.KubeProxyConfigKind, nil)
		}
	}
	targets = append(targets, wellKnown(root)...)
	for _, t := range mergeTargets(targets) {
		h.addFile(t)
	}
	return h
}

// processNames names each component's object: the component's name, with
// the PID when several processes run it.
func processNames(comps []Component) []string {
	count := map[string]int{}
	for _, c := range comps {
		count[c.Name]++
	}
	out := make([]string, len(comps))
	for i, c := range comps {
		out[i] = c.Name
		if count[c.Name] > 1 {
			out[i] += "-" + strconv.Itoa(c.PID)
		}
	}
	return out
}

func (h *Host) errorf(path string, format string, args ...any) {
	h.Errors = append(h.Errors, &Error{Path: path, Err: fmt.Errorf(format, args...)})
}

// add decodes one object the way `kguard scan` decodes a manifest, and
// keeps its JSON for WriteInventory.
func (h *Host) add(doc any, src inventory.Source) {
	m, ok := doc.(map[string]any)
	if !ok {
		var err error
		if m, err = runtime.DefaultUnstructuredConverter.ToUnstructured(doc); err != nil {
			h.errorf(src.File, "cannot describe it as an object: %v", err)
			return
		}
	}
	// A zero creation time marshals as null: noise in the written inventory.
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	data, err := json.Marshal(m)
	if err == nil {
		var objs []*inventory.Object
		objs, err = inventory.DecodeJSON(data, src)
		if err == nil && len(objs) == 1 {
			h.Objects = append(h.Objects, objs[0])
			h.docs = append(h.docs, data)
			return
		}
	}
	// Only a bug gets here: the documents are built by this package.
	h.errorf(src.File, "cannot describe it as an object: %v", err)
}

func typeMeta(gk schema.GroupKind) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: controlplane.NodeAPIVersion, Kind: gk.Kind}
}

// addProcess describes a component's process. Credentials on its command
// line and in its environment are redacted: objects are printed.
func (h *Host) addProcess(c *Component, name string) {
	p := controlplane.NodeProcess{
		TypeMeta:   typeMeta(controlplane.NodeProcessKind),
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"component": c.Name}},
		Spec: controlplane.NodeProcessSpec{
			Component:  c.Name,
			PID:        c.PID,
			Command:    secrets.RedactArgs(c.Args),
			WorkingDir: c.Cwd,
		},
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Spec.Env = append(p.Spec.Env, controlplane.EnvVar{Name: k, Value: redactEnv(k, c.Env[k])})
	}
	h.add(&p, inventory.Source{File: h.hostPathOf(filepath.Join(h.procDir, strconv.Itoa(c.PID), "cmdline"))})
}

// hostPathOf names a local path as the host does: paths under the root
// lose the root; others (a pod's own /proc, which shows the host's
// processes) stay.
func (h *Host) hostPathOf(local string) string {
	if rel, err := filepath.Rel(h.Root, local); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join("/", rel)
	}
	return local
}

// redactEnv hides the value of a variable whose name or value looks like
// a credential, as secrets.RedactArgs does for flags.
func redactEnv(name, value string) string {
	red := secrets.RedactArgs([]string{"--" + name + "=" + value})[0]
	return strings.TrimPrefix(red, "--"+name+"=")
}

// configFiles lists the files a decoded configuration file names, to
// check them too.
type configFiles func(cfg map[string]any, c *Component) []Target

// kubeletConfigFiles lists the files a KubeletConfiguration names.
func kubeletConfigFiles(cfg map[string]any, c *Component) []Target {
	var out []Target
	for _, f := range []struct {
		path []string
		typ  controlplane.FileType
		role string
	}{
		{[]string{"authentication", "x509", "clientCAFile"}, controlplane.FileCertificate, controlplane.RoleKubeletClientCA},
		{[]string{"tlsCertFile"}, controlplane.FileCertificate, ""},
		{[]string{"tlsPrivateKeyFile"}, controlplane.FilePrivateKey, ""},
	} {
		v, _ := nested(cfg, f.path...).(string)
		if v == "" {
			continue
		}
		t := Target{Path: c.abs(v), Type: f.typ, NamedBy: []string{"kubelet config " + strings.Join(f.path, ".")}, PID: c.PID}
		if f.role != "" {
			t.Roles = []string{f.role}
		}
		out = append(out, t)
	}
	return out
}

func nested(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// droppedConfigFields are configuration fields that may hold credentials
// and that no rule reads: they are left out of the objects.
var droppedConfigFields = map[string][]string{
	controlplane.KubeletConfigKind.Kind: {"staticPodURLHeader"},
}

// addConfig reads the file a component's --config names as the object of
// the given kind, annotated with its path so that rules pair it with the
// process, and returns the files it names.
func (h *Host) addConfig(c *Component, gk schema.GroupKind, files configFiles) []Target {
	p, ok := c.Value("config")
	if !ok || p == "" {
		return nil
	}
	host := c.abs(p)
	fail := func(local string, err error) []Target {
		h.errorf(local, "cannot read the %s (%s --config), so the settings it holds were not checked: %v", gk.Kind, c.Name, err)
		return nil
	}
	local, _, err := h.resolveFor(c.PID, host)
	if err != nil {
		return fail(local, unwrapPath(err))
	}
	b, err := os.ReadFile(local)
	if err != nil {
		return fail(local, unwrapPath(err))
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return fail(local, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(j, &cfg); err != nil || cfg == nil {
		return fail(local, errors.New("not a YAML or JSON object"))
	}
	apiVersion, _ := cfg["apiVersion"].(string)
	kind, _ := cfg["kind"].(string)
	gv, _ := schema.ParseGroupVersion(apiVersion)
	if kind != gk.Kind || gv.Group != gk.Group {
		return fail(local, fmt.Errorf("it is %s %q, want a %s of %s", orNone(kind), apiVersion, gk.Kind, gk.Group))
	}
	for _, f := range droppedConfigFields[gk.Kind] {
		delete(cfg, f)
	}
	meta, _ := cfg["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
	}
	ann[controlplane.AnnotationPath] = host
	meta["annotations"] = ann
	if _, named := meta["name"]; !named {
		meta["name"] = c.Name
	}
	cfg["metadata"] = meta
	h.add(cfg, inventory.Source{File: host})
	if files == nil {
		return nil
	}
	return files(cfg, c)
}

func orNone(s string) string {
	if s == "" {
		return "no kind"
	}
	return s
}

// addFile describes one file, or records why it could not be.
func (h *Host) addFile(t Target) {
	local, fi, err := h.resolveFor(t.PID, t.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && t.Optional {
			return
		}
		h.errorf(local, "cannot check the %s (named by %s): %v", t.Type.Label(), strings.Join(t.NamedBy, ", "), unwrapPath(err))
		return
	}
	if t.Type == controlplane.FileCertificate && slices.Contains(t.NamedBy, APIServer+" --service-account-key-file") {
		// The API server accepts a public or a private key here.
		if priv, err := looksLikePrivateKey(local); err != nil {
			h.errorf(local, "cannot tell whether it holds a private key (named by %s): %v", strings.Join(t.NamedBy, ", "), unwrapPath(err))
		} else if priv {
			t.Type = controlplane.FilePrivateKey
		}
	}
	if t.Type.IsDir() != fi.IsDir() {
		want := "a regular file"
		if t.Type.IsDir() {
			want = "a directory"
		}
		h.errorf(local, "the %s (named by %s) is not %s", t.Type.Label(), strings.Join(t.NamedBy, ", "), want)
		return
	}
	uid, gid, ok := owner(fi)
	if !ok {
		h.errorf(local, "cannot read the owner of the %s on this platform", t.Type.Label())
		return
	}
	h.Files = append(h.Files, t)
	f := controlplane.NodeFile{
		TypeMeta:   typeMeta(controlplane.NodeFileKind),
		ObjectMeta: metav1.ObjectMeta{Name: t.Path},
		Spec:       controlplane.NodeFileSpec{Path: t.Path, Type: t.Type, Roles: t.Roles, NamedBy: t.NamedBy},
		Status: controlplane.NodeFileStatus{
			Mode: controlplane.FormatMode(fi.Mode()), UID: uid, GID: gid,
			User: h.users[uid], Group: h.groups[gid],
		},
	}
	h.add(&f, inventory.Source{File: t.Path})
}

// Inventory returns the objects as an inventory to scan.
func (h *Host) Inventory() *inventory.Inventory { return inventory.New(h.Objects) }

// NotEvaluated turns the paths that could not be read into the scan
// result's not-evaluated entries.
func (h *Host) NotEvaluated() []finding.NotEvaluated {
	var out []finding.NotEvaluated
	for _, e := range h.Errors {
		out = append(out, finding.NotEvaluated{Subject: e.Path, Reason: e.Err.Error()})
	}
	return out
}

// WriteInventory writes the objects as a YAML stream that `kguard scan`
// reads back into the same objects.
func (h *Host) WriteInventory(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The objects kguard node described the host at %s with; kguard scan reads them.\n", h.Root)
	for i, doc := range h.docs {
		y, err := yaml.JSONToYAML(doc)
		if err != nil {
			return fmt.Errorf("inventory object %d: %w", i, err)
		}
		fmt.Fprintf(&b, "---\n# from %s\n", h.Objects[i].Source.File)
		b.Write(y)
	}
	_, err := w.Write(b.Bytes())
	return err
}
