package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
)

// Input is the one set of input flags every command that reads objects
// shares, mapped onto input.Source: manifests as PATH arguments or
// -f/--filename (as kubectl spells it), Helm values only as --values and
// --set (so -f never means two things), -n, --exclude, or a live cluster.
type Input struct {
	Streams *Streams

	// Args are the PATH arguments; Files are the -f values. Both are read.
	Args  []string
	Files []string

	Exclude     []string
	ValuesFiles []string
	Set         []string
	Release     string
	Namespace   string
	MaxFileSize int64

	Cluster          bool
	Kubeconfig       string
	Context          string
	ReadSecretValues bool

	// AllowPartial accepts results some inputs could not contribute to.
	AllowPartial bool
	// ReadAllNamespaces keeps -n from limiting what a cluster read
	// returns, for commands whose -n only narrows the answer (reachability
	// into a namespace depends on the pods of every other).
	ReadAllNamespaces bool

	// KubeVersion is the release Helm renders charts for and whose
	// built-in RBAC policy files get (the command's --target-version).
	KubeVersion string
	// BuiltinRBAC gives files the built-in RBAC policy every cluster has;
	// commands that answer RBAC questions turn it on (InputFlags.BuiltinRBAC)
	// and --no-builtin-rbac turns it off.
	BuiltinRBAC bool
	// PodTemplates says which custom resources are workloads (nil: the
	// well-known ones; the scan adds .kguard.yaml's).
	PodTemplates *extract.Templates
	// RESTConfig, when set, is used instead of the kubeconfig (tests).
	RESTConfig *rest.Config
	// Progress, when set, reports cluster reading progress.
	Progress func(done, total, objects int)
	// LoadProgress, when set, counts files and objects as they are read.
	LoadProgress *inventory.LoadProgress
}

// InputFlags choose which of the shared flags a command takes.
type InputFlags struct {
	// What describes what the inputs should hold, for -f's help.
	What string
	// NamespaceHelp replaces the help of -n for commands where the
	// namespace also means something else (the namespace of a query).
	NamespaceHelp string
	// NoNamespace leaves -n to the command.
	NoNamespace bool
	// BuiltinRBAC: the command's answers depend on RBAC, so files get the
	// built-in policy, with --no-builtin-rbac to turn it off.
	BuiltinRBAC bool
	// TargetVersion registers --target-version (into KubeVersion) for
	// commands that have no other use for it.
	TargetVersion bool
}

// AddFlags registers the input flags on cmd.
func (in *Input) AddFlags(cmd *cobra.Command, fl InputFlags) {
	f := cmd.Flags()
	what := fl.What
	if what == "" {
		what = "Kubernetes manifests"
	}
	f.StringArrayVarP(&in.Files, "filename", "f", nil, "file or directory with "+what+", or - for standard input (repeatable; same as PATH arguments)")
	f.StringArrayVar(&in.Exclude, "exclude", nil, "leave out paths matching this gitignore-style pattern while walking directories (repeatable; also read from each directory's "+input.IgnoreFile+")")
	f.StringArrayVar(&in.ValuesFiles, "values", nil, "Helm values file for charts among the inputs (repeatable, later files win)")
	f.StringArrayVar(&in.Set, "set", nil, "Helm value override key=value (repeatable)")
	f.StringVar(&in.Release, "release", "", "Helm release name (default release-name)")
	if !fl.NoNamespace {
		help := fl.NamespaceHelp
		if help == "" {
			help = "with files: the namespace of objects that name none (and Helm's release namespace; default \"default\"); with --cluster: read only this namespace"
		}
		f.StringVarP(&in.Namespace, "namespace", "n", "", help)
	}
	f.Int64Var(&in.MaxFileSize, "max-file-size", inventory.DefaultMaxFileSize, "largest input file accepted, in bytes")
	f.BoolVar(&in.Cluster, "cluster", false, "read the live cluster of the kubeconfig context instead of files")
	f.StringVar(&in.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	f.StringVar(&in.Context, "context", "", "kubeconfig context to use")
	f.BoolVar(&in.ReadSecretValues, "read-secret-values", false, "with --cluster: also read the data of non-TLS Secrets (values are never printed)")
	f.BoolVar(&in.AllowPartial, "allow-partial", false, "do not exit 2 when some inputs could not be read or evaluated")
	if fl.BuiltinRBAC {
		in.BuiltinRBAC = true
		f.Var(invertedBool{&in.BuiltinRBAC}, "no-builtin-rbac", "with files: do not add the built-in ClusterRoles, ClusterRoleBindings, Roles and RoleBindings every cluster has (cluster-admin, edit, view, system:*); only the files' own RBAC objects grant anything")
		f.Lookup("no-builtin-rbac").NoOptDefVal = "true"
	}
	if fl.TargetVersion {
		f.StringVar(&in.KubeVersion, "target-version", "", "with files: Kubernetes release the files are for, e.g. 1.36: Helm renders for it and the built-in RBAC policy is the nearest release's (default: the newest kguard knows)")
	}
}

// invertedBool is a boolean flag that sets its target to the opposite
// (--no-builtin-rbac clears Input.BuiltinRBAC).
type invertedBool struct{ b *bool }

func (v invertedBool) String() string {
	if v.b == nil {
		return "false"
	}
	return strconv.FormatBool(!*v.b)
}

func (v invertedBool) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.b = !on
	return nil
}

func (invertedBool) Type() string     { return "bool" }
func (invertedBool) IsBoolFlag() bool { return true }

// Paths are every manifest path given, arguments first.
func (in *Input) Paths() []string { return append(append([]string(nil), in.Args...), in.Files...) }

// Source maps the flags onto the pipeline's Source.
func (in *Input) Source() (input.Source, error) {
	src := input.Source{
		Paths:       in.Paths(),
		Stdin:       in.Streams.In,
		Exclude:     in.Exclude,
		MaxFileSize: in.MaxFileSize,
		Namespace:   in.Namespace,
		Templates:   in.PodTemplates,
		BuiltinRBAC: in.BuiltinRBAC && !in.Cluster,
		Progress:    in.LoadProgress,
		KubeVersion: in.KubeVersion,
	}
	src.Helm.ValuesFiles, src.Helm.Set, src.Helm.Release = in.ValuesFiles, in.Set, in.Release
	if _, err := k8sversions.Target(in.KubeVersion); err != nil {
		return src, UsageErrorf("--target-version: %v", err)
	}
	if !in.Cluster {
		if in.ReadSecretValues {
			return src, UsageErrorf("--read-secret-values needs --cluster")
		}
		return src, nil
	}
	if len(src.Paths) > 0 {
		return src, UsageErrorf("--cluster reads the live cluster: give no paths (or read files without --cluster)")
	}
	if len(in.ValuesFiles)+len(in.Set) > 0 || in.Release != "" {
		return src, UsageErrorf("--values, --set and --release render charts among file inputs, not with --cluster")
	}
	cfg := in.RESTConfig
	if cfg == nil {
		var err error
		if cfg, err = RESTConfig(in.Kubeconfig, in.Context); err != nil {
			return src, err
		}
	}
	name := in.Context
	if name == "" {
		name = cfg.Host
	}
	if in.ReadAllNamespaces {
		src.Namespace = ""
	}
	src.Cluster = &input.Cluster{Config: cfg, Name: name, ReadSecretValues: in.ReadSecretValues, Progress: in.Progress}
	return src, nil
}

// Load reads the inputs through the pipeline and tells the user, on
// standard error, about every problem (file:line: message, or the resource
// and the missing permission), the files skipped as not Kubernetes objects
// and the Kustomize bases read only inside their overlays. Nothing to read,
// or nothing found, is a usage error (exit 2).
func (in *Input) Load(ctx context.Context) (*input.Result, error) {
	src, err := in.Source()
	if err != nil {
		return nil, err
	}
	res, err := input.Load(ctx, src)
	var noObjects *input.NoObjectsError
	switch {
	case errors.Is(err, input.ErrNoInput):
		return nil, UsageErrorf("%v", err)
	case errors.As(err, &noObjects):
		in.notes(res)
		return nil, UsageErrorf("%v", err)
	case err != nil:
		return nil, UsageErrorf("%v", err)
	}
	in.notes(res)
	for _, e := range res.Errors {
		fmt.Fprintf(in.Streams.ErrOut, "error: %v\n", e)
	}
	for _, ne := range res.NotRead {
		fmt.Fprintf(in.Streams.ErrOut, "warning: not evaluated: %s\n", ne)
	}
	return res, nil
}

func (in *Input) notes(res *input.Result) {
	if res == nil {
		return
	}
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(in.Streams.ErrOut, "note: skipped %d file(s) without apiVersion and kind (not Kubernetes objects): %s\n", n, shortList(res.Skipped, 5))
	}
	if n := len(res.Included); n > 0 {
		fmt.Fprintf(in.Streams.ErrOut, "note: %d Kustomize base(s) read only inside the overlays that use them: %s\n", n, shortList(res.Included, 5))
	}
}

// Partial is the partial-result rule of every query command: when some
// input could not be read, the answer is still printed, the problems are
// named, and the command exits 2 unless --allow-partial.
func (in *Input) Partial(res *input.Result) error {
	if res.Problems() == 0 || in.AllowPartial {
		return nil
	}
	fmt.Fprintf(in.Streams.ErrOut, "error: the answer may be incomplete: %d input problem(s) above (use --allow-partial to accept)\n", res.Problems())
	return Exit(ExitUsage)
}

func shortList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
