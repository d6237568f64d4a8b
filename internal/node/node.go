package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Rule IDs of the node checks.
const (
	RuleFilePermissions = "node-file-permissions"
	RuleFileOwner       = "node-file-owner"
	RuleComponentFlag   = "node-component-flag"
)

// Rules describes the node checks for reports (they run here, not through
// the rule registry, since they read the node rather than objects).
func Rules() []*rules.Rule {
	return []*rules.Rule{
		{
			ID: RuleFilePermissions, Category: finding.CategoryRuntime, Severity: finding.SeverityHigh,
			Title:       "Kubernetes file on the node is too permissive",
			Rationale:   "Private keys and kubeconfigs hold credentials; manifests and configuration files decide how components run. Anyone on the node who can read or change them can impersonate a component or change its behaviour.",
			Remediation: "chmod the file to the mode the finding names (0600 for keys, kubeconfigs, manifests and configuration files, 0644 for certificates, 0700 for the etcd data directory).",
			References:  finding.References{CIS: []string{"1.1.1", "1.1.3", "1.1.5", "1.1.7", "1.1.11", "1.1.13", "1.1.15", "1.1.17", "1.1.21", "4.1.3", "4.1.5", "4.1.9"}},
		},
		{
			ID: RuleFileOwner, Category: finding.CategoryRuntime, Severity: finding.SeverityMedium,
			Title:       "Kubernetes file on the node is not owned by root",
			Rationale:   "The owner of a file may change its mode and content: a key, kubeconfig or manifest owned by an unprivileged user can be read or rewritten by that user.",
			Remediation: "chown root:root the file.",
			References:  finding.References{CIS: []string{"1.1.2", "1.1.4", "1.1.6", "1.1.8", "1.1.14", "1.1.16", "1.1.18", "1.1.19", "4.1.4", "4.1.6", "4.1.8", "4.1.10"}},
		},
		{
			ID: RuleComponentFlag, Category: finding.CategoryExposure, Severity: finding.SeverityHigh,
			Title:       "Kubernetes component runs with an insecure setting",
			Rationale:   "Anonymous access, the kubelet's unauthenticated read-only port and the AlwaysAllow authorizer let anyone who reaches the port read or act without credentials.",
			Remediation: "Set the flag (or the kubelet configuration field) the finding names to the secure value and restart the component.",
			References:  finding.References{CIS: []string{"1.2.1", "4.2.1", "4.2.2", "4.2.4"}},
		},
	}
}

// Options configure one node check.
type Options struct {
	// Root is where the host's filesystem is ("/" by default).
	Root string
	// ProcDir is the proc filesystem to discover processes in (default
	// Root/proc). A pod sharing the host's PID namespace sees the host's
	// processes in its own /proc.
	ProcDir string
}

// Status is the outcome of one benchmark check.
type Status string

// Benchmark check outcomes.
const (
	Pass   Status = "PASS"
	Fail   Status = "FAIL"
	Manual Status = "MANUAL"
)

// Check is one CIS Benchmark check as `kguard node --benchmark cis` lists
// it.
type Check struct {
	Section string `json:"section"`
	Title   string `json:"title"`
	Subject string `json:"subject"`
	Status  Status `json:"status"`
	Detail  string `json:"detail,omitempty"`
}

// Report is what a node check found.
type Report struct {
	Root       string
	Components []Component
	// Files are the files checked (those that exist).
	Files    []Target
	Findings []finding.Finding
	Checks   []Check
	// Errors are paths that could not be checked.
	Errors []*Error
}

// Run discovers the components under opts.Root and checks them and their
// files. Problems reading one path are collected in Report.Errors; the
// other paths are still checked.
func Run(opts Options) *Report {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	r := &Report{Root: root}
	procDir := opts.ProcDir
	if procDir == "" {
		procDir = filepath.Join(root, "proc")
	}
	comps, errs := Discover(procDir)
	r.Components = comps
	r.Errors = append(r.Errors, errs...)

	var targets []Target
	kubeletConfigs := map[int]*kubeletConfig{}
	for i := range comps {
		c := &comps[i]
		targets = append(targets, componentFiles(c)...)
		if c.Name != Kubelet {
			continue
		}
		kc, extra, err := readKubeletConfig(root, c)
		if err != nil {
			r.Errors = append(r.Errors, err)
		}
		kubeletConfigs[c.PID] = kc
		targets = append(targets, extra...)
	}
	targets = append(targets, wellKnown(root)...)
	for _, t := range mergeTargets(targets) {
		r.checkFile(t)
	}
	for i := range comps {
		r.checkFlags(&comps[i], kubeletConfigs)
	}
	r.manualChecks()
	finding.SortFindings(r.Findings)
	return r
}

func (r *Report) errorf(path string, format string, args ...any) {
	r.Errors = append(r.Errors, &Error{Path: path, Err: fmt.Errorf(format, args...)})
}

func (r *Report) check(section, title, subject string, ok bool, detail string) {
	if section == "" {
		return
	}
	st := Pass
	if !ok {
		st = Fail
	}
	r.Checks = append(r.Checks, Check{Section: section, Title: title, Subject: subject, Status: st, Detail: detail})
}

func (r *Report) checkFile(t Target) {
	local, fi, err := resolve(r.Root, t.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && t.Optional {
			return
		}
		r.errorf(local, "cannot check the %s (named by %s): %v", t.Kind, t.Why, unwrapPath(err))
		return
	}
	if t.Kind == KindCertificate && strings.Contains(t.Why, "--service-account-key-file") {
		// The API server accepts a public or a private key here.
		if priv, err := looksLikePrivateKey(local); err != nil {
			r.errorf(local, "cannot tell whether it holds a private key (named by %s): %v", t.Why, unwrapPath(err))
		} else if priv {
			t.Kind = KindPrivateKey
		}
	}
	info := kinds[t.Kind]
	if info.dir != fi.IsDir() {
		want := "a regular file"
		if info.dir {
			want = "a directory"
		}
		r.errorf(local, "the %s (named by %s) is not %s", t.Kind, t.Why, want)
		return
	}
	r.Files = append(r.Files, t)
	mode := fi.Mode().Perm()
	extra := mode &^ info.max
	subject := t.Path
	if extra != 0 {
		r.add(finding.Finding{
			Rule: RuleFilePermissions, Category: finding.CategoryRuntime, Severity: info.severity,
			Title:    "Kubernetes file on the node is too permissive",
			Resource: fileRef(t.Path), Source: inventory.Source{File: t.Path}, Field: "mode",
			Message: fmt.Sprintf("%s %s has mode %s; want %s or stricter (%s)%s",
				t.Kind, t.Path, describeMode(mode), describeMode(info.max), excess(extra), cisSuffix(t.CISMode)),
		})
	}
	r.check(t.CISMode, fmt.Sprintf("%s permissions are %s or more restrictive", t.Kind, describeMode(info.max)), subject, extra == 0,
		fmt.Sprintf("mode %s", describeMode(mode)))
	if t.NoOwner {
		return
	}
	uid, ok := owner(fi)
	if !ok {
		r.errorf(local, "cannot read the owner of the %s on this platform", t.Kind)
		return
	}
	if uid != 0 {
		r.add(finding.Finding{
			Rule: RuleFileOwner, Category: finding.CategoryRuntime, Severity: finding.SeverityMedium,
			Title:    "Kubernetes file on the node is not owned by root",
			Resource: fileRef(t.Path), Source: inventory.Source{File: t.Path}, Field: "owner",
			Message: fmt.Sprintf("%s %s is owned by uid %d; want root (uid 0)%s", t.Kind, t.Path, uid, cisSuffix(t.CISOwner)),
		})
	}
	r.check(t.CISOwner, fmt.Sprintf("%s ownership is root", t.Kind), subject, uid == 0, fmt.Sprintf("owner uid %d", uid))
}

func cisSuffix(section string) string {
	if section == "" {
		return ""
	}
	return " [CIS " + section + "]"
}

func fileRef(path string) inventory.Ref {
	return inventory.Ref{Kind: "File", Name: filepath.Base(path)}
}

func (r *Report) add(f finding.Finding) { r.Findings = append(r.Findings, f) }

// kubeletConfig is the part of a KubeletConfiguration the checks read.
type kubeletConfig struct {
	Path           string `json:"-"`
	Authentication struct {
		Anonymous struct {
			Enabled *bool `json:"enabled"`
		} `json:"anonymous"`
		X509 struct {
			ClientCAFile string `json:"clientCAFile"`
		} `json:"x509"`
	} `json:"authentication"`
	Authorization struct {
		Mode string `json:"mode"`
	} `json:"authorization"`
	ReadOnlyPort      *int   `json:"readOnlyPort"`
	TLSCertFile       string `json:"tlsCertFile"`
	TLSPrivateKeyFile string `json:"tlsPrivateKeyFile"`
}

// readKubeletConfig reads the kubelet's --config file, if it has one, and
// returns it with the files it names. A nil config with a nil error means
// the kubelet has no config file.
func readKubeletConfig(root string, c *Component) (*kubeletConfig, []Target, *Error) {
	p, ok := c.Value("config")
	if !ok || p == "" {
		return nil, nil, nil
	}
	host := c.abs(p)
	local, _, err := resolve(root, host)
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(local); err == nil {
			kc := &kubeletConfig{Path: host}
			if err := yaml.Unmarshal(b, kc); err != nil {
				return nil, nil, &Error{Path: local, Err: fmt.Errorf("cannot parse the kubelet configuration, so the kubelet settings it holds were not checked: %w", err)}
			}
			var ts []Target
			if f := kc.Authentication.X509.ClientCAFile; f != "" {
				ts = append(ts, Target{Path: c.abs(f), Kind: KindCertificate, Why: "kubelet config authentication.x509.clientCAFile", CISOwner: "4.1.8"})
			}
			if f := kc.TLSCertFile; f != "" {
				ts = append(ts, Target{Path: c.abs(f), Kind: KindCertificate, Why: "kubelet config tlsCertFile"})
			}
			if f := kc.TLSPrivateKeyFile; f != "" {
				ts = append(ts, Target{Path: c.abs(f), Kind: KindPrivateKey, Why: "kubelet config tlsPrivateKeyFile"})
			}
			return kc, ts, nil
		}
	}
	return nil, nil, &Error{Path: local, Err: fmt.Errorf("cannot read the kubelet configuration (--config), so the kubelet settings it holds were not checked: %w", unwrapPath(err))}
}

// setting is a component setting with where its value came from.
type setting struct {
	value  string
	source string
}

// kubeletSetting returns a kubelet setting: the flag wins, then the config
// file, then the default that applies (flag defaults differ from config
// file defaults). ok is false when the config file could not be read.
func kubeletSetting(c *Component, kc *kubeletConfig, flag string, fromConfig func(*kubeletConfig) (string, bool), configField, flagDefault, configDefault string) (setting, bool) {
	if v, ok := c.Value(flag); ok {
		return setting{v, "--" + flag + "=" + v}, true
	}
	if _, hasConfig := c.Value("config"); hasConfig {
		if kc == nil {
			return setting{}, false
		}
		if v, ok := fromConfig(kc); ok {
			return setting{v, configField + ": " + v + " in " + kc.Path}, true
		}
		return setting{configDefault, configField + " not set in " + kc.Path + " (default " + configDefault + ")"}, true
	}
	return setting{flagDefault, "--" + flag + " not set (default " + flagDefault + ")"}, true
}

func (r *Report) flagFinding(c *Component, sev finding.Severity, flag, section, msg string) {
	r.add(finding.Finding{
		Rule: RuleComponentFlag, Category: finding.CategoryExposure, Severity: sev,
		Title:    "Kubernetes component runs with an insecure setting",
		Resource: inventory.Ref{Kind: "Process", Name: fmt.Sprintf("%s (pid %d)", c.Name, c.PID)},
		Source:   inventory.Source{File: fmt.Sprintf("/proc/%d/cmdline", c.PID)},
		Field:    "--" + flag,
		Message:  msg + cisSuffix(section),
	})
}

func (r *Report) checkFlags(c *Component, kcs map[int]*kubeletConfig) {
	subject := fmt.Sprintf("%s (pid %d)", c.Name, c.PID)
	switch c.Name {
	case APIServer:
		v, set := c.Value("anonymous-auth")
		ok := set && strings.EqualFold(v, "false")
		detail := "--anonymous-auth=" + v
		if !set {
			detail = "--anonymous-auth not set (default true)"
		}
		if !ok {
			r.flagFinding(c, finding.SeverityMedium, "anonymous-auth", "1.2.1",
				fmt.Sprintf("kube-apiserver accepts anonymous requests: %s; want --anonymous-auth=false (or RBAC that grants system:anonymous nothing)", detail))
		}
		r.check("1.2.1", "kube-apiserver --anonymous-auth is false", subject, ok, detail)
	case Kubelet:
		kc := kcs[c.PID]
		notEvaluated := func(what string) {
			r.errorf(fmt.Sprintf("/proc/%d/cmdline", c.PID), "kubelet %s not evaluated: its configuration file could not be read", what)
		}
		if s, ok := kubeletSetting(c, kc, "anonymous-auth", func(k *kubeletConfig) (string, bool) {
			if e := k.Authentication.Anonymous.Enabled; e != nil {
				return strconv.FormatBool(*e), true
			}
			return "", false
		}, "authentication.anonymous.enabled", "true", "false"); ok {
			pass := strings.EqualFold(s.value, "false")
			if !pass {
				r.flagFinding(c, finding.SeverityHigh, "anonymous-auth", "4.2.1",
					fmt.Sprintf("kubelet accepts anonymous requests to its API: %s; want --anonymous-auth=false", s.source))
			}
			r.check("4.2.1", "kubelet anonymous authentication is disabled", subject, pass, s.source)
		} else {
			notEvaluated("--anonymous-auth")
		}
		if s, ok := kubeletSetting(c, kc, "authorization-mode", func(k *kubeletConfig) (string, bool) {
			return k.Authorization.Mode, k.Authorization.Mode != ""
		}, "authorization.mode", "AlwaysAllow", "Webhook"); ok {
			pass := !strings.EqualFold(s.value, "AlwaysAllow")
			if !pass {
				r.flagFinding(c, finding.SeverityCritical, "authorization-mode", "4.2.2",
					fmt.Sprintf("kubelet authorizes every request to its API: %s; want Webhook", s.source))
			}
			r.check("4.2.2", "kubelet authorization mode is not AlwaysAllow", subject, pass, s.source)
		} else {
			notEvaluated("--authorization-mode")
		}
		if s, ok := kubeletSetting(c, kc, "read-only-port", func(k *kubeletConfig) (string, bool) {
			if k.ReadOnlyPort != nil {
				return strconv.Itoa(*k.ReadOnlyPort), true
			}
			return "", false
		}, "readOnlyPort", "10255", "0"); ok {
			pass := strings.TrimSpace(s.value) == "0"
			if !pass {
				r.flagFinding(c, finding.SeverityMedium, "read-only-port", "4.2.4",
					fmt.Sprintf("kubelet serves its unauthenticated read-only API: %s; want --read-only-port=0", s.source))
			}
			r.check("4.2.4", "kubelet read-only port is 0", subject, pass, s.source)
		} else {
			notEvaluated("--read-only-port")
		}
	}
}

// manualChecks lists the CIS checks kguard cannot decide, for the
// components found.
func (r *Report) manualChecks() {
	for _, c := range r.Components {
		subject := fmt.Sprintf("%s (pid %d)", c.Name, c.PID)
		switch c.Name {
		case Etcd:
			r.Checks = append(r.Checks, Check{Section: "1.1.12", Title: "etcd data directory ownership is etcd:etcd", Subject: subject, Status: Manual,
				Detail: "the etcd user differs between installations; check with stat -c %U:%G on the --data-dir"})
		case Kubelet:
			r.Checks = append(r.Checks,
				Check{Section: "4.1.1", Title: "kubelet service file permissions are 600 or more restrictive", Subject: subject, Status: Manual,
					Detail: "the service file's location depends on the init system (systemctl cat kubelet)"},
				Check{Section: "4.1.2", Title: "kubelet service file ownership is root:root", Subject: subject, Status: Manual,
					Detail: "the service file's location depends on the init system (systemctl cat kubelet)"})
		}
	}
}

// Result turns the report into a scan result, so that every report format
// of `kguard scan` renders it. Errors become NotEvaluated entries.
func (r *Report) Result() *scan.Result {
	res := &scan.Result{Findings: r.Findings, Rules: Rules(), Objects: len(r.Files) + len(r.Components)}
	if res.Findings == nil {
		res.Findings = []finding.Finding{}
	}
	for _, e := range r.Errors {
		res.NotEvaluated = append(res.NotEvaluated, finding.NotEvaluated{Subject: e.Path, Reason: e.Err.Error()})
	}
	return res
}
