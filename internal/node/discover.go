package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/kguard/kguard/internal/controlplane"
)

// Component names, as the binaries are called.
const (
	APIServer         = controlplane.ComponentAPIServer
	Kubelet           = controlplane.ComponentKubelet
	Etcd              = controlplane.ComponentEtcd
	ControllerManager = controlplane.ComponentControllerManager
	Scheduler         = controlplane.ComponentScheduler
	Proxy             = controlplane.ComponentProxy
)

// Components lists the component names discovery recognises.
func Components() []string { return controlplane.ComponentNames() }

// aliases maps hyperkube's sub-command names to component names.
var aliases = map[string]string{
	"apiserver":          APIServer,
	"controller-manager": ControllerManager,
	"scheduler":          Scheduler,
	"proxy":              Proxy,
}

// wrappers start the real component named by argv[1].
var wrappers = map[string]bool{"hyperkube": true}

// Component is one running Kubernetes component.
type Component struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// Args is the full command line, argv[0] included, as read: it may
	// hold credentials, and only redacted copies leave this package.
	Args []string `json:"-"`
	// Flags holds every --flag with its values in order, as
	// controlplane.ParseFlags reads them.
	Flags map[string][]string `json:"-"`
	// Env holds the environment variables that set the component's flags
	// (ETCD_* for etcd), as read.
	Env map[string]string `json:"-"`
	// Cwd is the process' working directory on the host, used to resolve
	// relative paths in flags ("/" when it could not be read).
	Cwd string `json:"-"`
}

// Value returns the last value of a flag, as the component reads it.
func (c *Component) Value(name string) (string, bool) {
	v := c.Flags[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Error is something that could not be checked, with the path involved.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Identify returns the component an argv starts, or "" when it is none of
// Components. It returns the index of the first argument after the
// program (and after the wrapper's sub-command).
func Identify(argv []string) (string, int) {
	if len(argv) == 0 {
		return "", 0
	}
	name := filepath.Base(argv[0])
	first := 1
	if wrappers[name] && len(argv) > 1 {
		name = filepath.Base(argv[1])
		first = 2
	}
	if a, ok := aliases[name]; ok && first == 2 {
		name = a
	}
	if slices.Contains(Components(), name) {
		return name, first
	}
	return "", 0
}

// SplitCmdline splits the contents of /proc/<pid>/cmdline into argv.
// Processes that rewrote their title into one space-separated string are
// split on spaces.
func SplitCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	if !bytes.Contains(b, []byte{0}) {
		return strings.Fields(string(b))
	}
	return strings.Split(string(b), "\x00")
}

// discoverProcesses finds the Kubernetes components running on the node,
// reading procDir/*/cmdline (procDir is the proc filesystem, usually /proc
// or <root>/proc). Processes that exit while it reads are skipped; an
// unreadable procDir is returned as an error.
func discoverProcesses(procDir string) ([]Component, []*Error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, []*Error{{Path: procDir, Err: fmt.Errorf("cannot list processes, so no running component was discovered: %w", unwrapPath(err))}}
	}
	var out []Component
	var errs []*Error
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p := filepath.Join(procDir, e.Name(), "cmdline")
		b, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, &Error{Path: p, Err: unwrapPath(err)})
			}
			continue
		}
		argv := SplitCmdline(b)
		name, first := Identify(argv)
		if name == "" {
			continue
		}
		c := Component{Name: name, PID: pid, Args: argv, Flags: controlplane.ParseFlags(argv[first:]), Cwd: "/"}
		if cwd, err := os.Readlink(filepath.Join(procDir, e.Name(), "cwd")); err == nil && filepath.IsAbs(cwd) {
			c.Cwd = cwd
		}
		if prefix, ok := envPrefixes[name]; ok {
			// Unreadable (another user's process without privileges): the
			// flags are still judged; settings only the environment holds
			// are then missed, which the Job avoids by running as root.
			if b, err := os.ReadFile(filepath.Join(procDir, e.Name(), "environ")); err == nil {
				c.Env = readEnviron(b, prefix)
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Component) int {
		if a.Name != b.Name {
			return strings.Compare(a.Name, b.Name)
		}
		return a.PID - b.PID
	})
	return out, errs
}

// envPrefixes names the environment variables a component reads flags
// from: etcd takes every flag from ETCD_<FLAG> too.
var envPrefixes = map[string]string{Etcd: "ETCD_"}

// readEnviron returns the variables of a /proc/<pid>/environ with the
// given name prefix.
func readEnviron(b []byte, prefix string) map[string]string {
	env := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, prefix) {
			env[k] = v
		}
	}
	return env
}

// unwrapPath drops the *fs.PathError wrapper, whose path the caller names
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
