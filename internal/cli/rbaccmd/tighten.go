package rbaccmd

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/rbac"
)

// TightenOptions are the flags of `kguard rbac tighten`.
type TightenOptions struct {
	Input
	AuditLogs []string
	Subject   string
	Output    string
}

// newTightenCmd is `kguard rbac tighten`: least privilege from an audit log.
func newTightenCmd(s *cmdutil.Streams, run func(context.Context, *TightenOptions) error) *cobra.Command {
	o := &TightenOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "tighten --audit-log FILE [--subject SUBJECT] [PATH... | --cluster]",
		Short: "Generate least-privilege RBAC from what an audit log shows was used",
		Long: `Read the API server's audit log (JSON lines of audit.k8s.io/v1 Event, as
written with --audit-log-format=json, at Metadata level or above) and
generate, for each subject, the smallest RBAC that allows exactly the
requests it was allowed to make: a Role per namespace and a ClusterRole for
cluster-scoped, all-namespace and non-resource requests, with their
bindings, named kguard-tightened-NAME. Rules are one per API group and
resource, verbs sorted; resourceNames are kept when a verb was only ever
used on up to 5 named objects (never for list, watch or create).

With the RBAC objects (-f or --cluster), the subject's current grants that
were never used are listed: whole rules, verbs, resources, or verb and
resource pairs. Requests that the API server's default bindings already
allow (such as discovery) are not granted again.

The manifests go to standard output, ready for kubectl apply, with the
unused permissions as comments at the top; -o json writes both as JSON.
The log only shows what happened while it was written: code paths that
did not run in that time are not covered.`,
		Example: `  kguard rbac tighten --audit-log /var/log/kubernetes/audit.log --subject serviceaccount:shop:web --cluster
  kguard rbac tighten --audit-log audit.log --audit-log audit-2024-06-01.log.gz -f deploy/
  kguard rbac tighten --audit-log audit.log --subject user:alice -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.AuditLogs, "audit-log", nil, "API server audit log, JSON lines; .gz is read compressed, - is standard input (repeatable)")
	f.StringVar(&o.Subject, "subject", "", "only this subject: serviceaccount:NS:NAME, user:NAME or group:NAME (default: every subject in the log)")
	f.StringVarP(&o.Output, "output", "o", "yaml", "output format: yaml or json")
	return cmd
}

// RunTighten generates the least-privilege RBAC.
func RunTighten(ctx context.Context, o *TightenOptions) error {
	s := o.Streams
	if o.Output != "yaml" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want yaml or json)", o.Output)
	}
	if len(o.AuditLogs) == 0 {
		return cmdutil.UsageErrorf("no audit log: give --audit-log FILE (the API server's --audit-log-path, written with --audit-log-format=json)")
	}
	var filter *rbac.User
	if o.Subject != "" {
		u, ok := rbac.ParseSubject(o.Subject)
		if !ok {
			return cmdutil.UsageErrorf("subject %q: want serviceaccount:NS:NAME, user:NAME or group:NAME", o.Subject)
		}
		filter = &u
	}
	usage := rbac.NewAuditUsage(filter)
	for _, path := range o.AuditLogs {
		if err := readAuditLog(usage, path, s.In); err != nil {
			return err
		}
	}
	for _, f := range usage.Files {
		if f.Skipped > 0 {
			fmt.Fprintf(s.ErrOut, "warning: %s: %d lines skipped (first at %s)\n", f.File, f.Skipped, f.FirstSkipped)
		}
	}
	if usage.Events() == 0 {
		msg := fmt.Sprintf("%s: %v", strings.Join(o.AuditLogs, ", "), rbac.ErrNoAuditEvents)
		for _, f := range usage.Files {
			if f.FirstSkipped != nil {
				msg += fmt.Sprintf("; first bad line at %s", f.FirstSkipped)
				break
			}
		}
		return cmdutil.UsageErrorf("%s", msg)
	}
	var model *rbac.Model
	var loaded *input.Result
	if o.Cluster || len(o.Paths()) > 0 {
		res, m, err := o.Input.Load(ctx)
		if err != nil {
			return err
		}
		model, loaded = m, res
	}
	var results []*rbac.Tightened
	for _, sub := range usage.Subjects() {
		results = append(results, rbac.Tighten(sub, model))
	}
	write := writeTightenYAML
	if o.Output == "json" {
		write = writeTightenJSON
	}
	if err := write(s.Out, usage, results); err != nil {
		return err
	}
	if loaded != nil {
		return o.Partial(loaded)
	}
	return nil
}

// readAuditLog reads one log into usage; path "-" is standard input and
// a ".gz" name is decompressed.
func readAuditLog(usage *rbac.AuditUsage, path string, stdin io.Reader) error {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return cmdutil.UsageErrorf("audit log: %v", err)
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && info.IsDir() {
			return cmdutil.UsageErrorf("audit log %s is a directory", path)
		}
		r = f
	} else if stdin == nil {
		return cmdutil.UsageErrorf("audit log -: no standard input")
	}
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return cmdutil.UsageErrorf("audit log %s: %v", path, err)
		}
		defer gz.Close()
		r = gz
	}
	if err := usage.Read(r, path); err != nil {
		return cmdutil.UsageErrorf("audit log: %v", err)
	}
	return nil
}

func writeTightenYAML(w io.Writer, usage *rbac.AuditUsage, results []*rbac.Tightened) error {
	var b strings.Builder
	b.WriteString("# Least privilege generated by kguard rbac tighten from the audit log.\n")
	for _, f := range usage.Files {
		fmt.Fprintf(&b, "# %s: %d lines, %d events, %d requests of the subjects (%d not allowed)", comment(f.File), f.Lines, f.Events, f.Requests, f.Denied)
		if f.Skipped > 0 {
			fmt.Fprintf(&b, ", %d lines skipped (first at %s)", f.Skipped, comment(f.FirstSkipped.String()))
		}
		b.WriteString("\n")
	}
	if usage.Superusers > 0 {
		fmt.Fprintf(&b, "# %d requests by members of system:masters left out: RBAC does not apply to them.\n", usage.Superusers)
	}
	if len(results) == 0 {
		b.WriteString("# No subject made an allowed request.\n")
	}
	for _, t := range results {
		fmt.Fprintf(&b, "#\n# %s: %d allowed requests\n", comment(t.Subject.String()), t.Subject.Requests)
		if len(t.Objects()) == 0 {
			b.WriteString("#   it made no request that needs an RBAC grant\n")
		}
		if len(t.Inherited) > 0 {
			fmt.Fprintf(&b, "#   already allowed by the API server's default bindings, not granted again: %s\n", comment(strings.Join(t.Inherited, "; ")))
		}
		if !t.HasModel {
			b.WriteString("#   unused permissions: give -f or --cluster with the RBAC objects to list them\n")
			continue
		}
		if len(t.Unused) == 0 {
			b.WriteString("#   unused permissions: none, every permission it holds was used\n")
			continue
		}
		b.WriteString("#   unused permissions (held, never used in the audit log):\n")
		for _, u := range t.Unused {
			where := scope(u.Binding)
			if u.Via != "" {
				where += ", via group " + u.Via
			}
			fmt.Fprintf(&b, "#   - %s -> %s (%s): %s\n", comment(refString(bindingRef(u.Binding))), comment(refString(roleRef(u.Binding))), comment(where), comment(rbac.DescribeRule(u.Rule)))
			if u.All {
				b.WriteString("#       entirely unused\n")
				continue
			}
			if len(u.Verbs) > 0 {
				fmt.Fprintf(&b, "#       unused verbs: %s\n", comment(strings.Join(u.Verbs, ", ")))
			}
			if len(u.Resources) > 0 {
				fmt.Fprintf(&b, "#       unused resources: %s\n", comment(strings.Join(u.Resources, ", ")))
			}
			if len(u.Pairs) > 0 {
				fmt.Fprintf(&b, "#       also unused: %s\n", comment(strings.Join(u.Pairs, ", ")))
			}
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, t := range results {
		for _, obj := range t.Objects() {
			y, err := yaml.Marshal(obj)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "---\n%s", y); err != nil {
				return err
			}
		}
	}
	return nil
}

// comment keeps a value on its comment line.
func comment(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

type tightenJSON struct {
	AuditLogs  []auditLogJSON       `json:"auditLogs"`
	Superusers int                  `json:"superuserRequests"`
	Subjects   []tightenSubjectJSON `json:"subjects"`
}

type auditLogJSON struct {
	File         string       `json:"file"`
	Lines        int          `json:"lines"`
	Events       int          `json:"events"`
	Requests     int          `json:"requests"`
	NotAllowed   int          `json:"notAllowed"`
	Skipped      int          `json:"skipped"`
	FirstSkipped *skippedJSON `json:"firstSkipped,omitempty"`
}

type skippedJSON struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

type tightenSubjectJSON struct {
	Subject   string        `json:"subject"`
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace,omitempty"`
	Name      string        `json:"name"`
	Requests  int           `json:"requests"`
	Used      []string      `json:"used"`
	Manifests []any         `json:"manifests"`
	Inherited []string      `json:"inherited,omitempty"`
	Unused    *[]unusedJSON `json:"unused,omitempty"`
}

type unusedJSON struct {
	Binding         refJSON  `json:"binding"`
	Role            refJSON  `json:"role"`
	Scope           string   `json:"scope"`
	Via             string   `json:"viaGroup,omitempty"`
	Rule            ruleJSON `json:"rule"`
	EntirelyUnused  bool     `json:"entirelyUnused"`
	UnusedVerbs     []string `json:"unusedVerbs,omitempty"`
	UnusedResources []string `json:"unusedResources,omitempty"`
	UnusedPairs     []string `json:"unusedPairs,omitempty"`
}

func writeTightenJSON(w io.Writer, usage *rbac.AuditUsage, results []*rbac.Tightened) error {
	out := tightenJSON{AuditLogs: []auditLogJSON{}, Superusers: usage.Superusers, Subjects: []tightenSubjectJSON{}}
	for _, f := range usage.Files {
		l := auditLogJSON{File: f.File, Lines: f.Lines, Events: f.Events, Requests: f.Requests, NotAllowed: f.Denied, Skipped: f.Skipped}
		if fs := f.FirstSkipped; fs != nil {
			l.FirstSkipped = &skippedJSON{fs.File, fs.Line, fs.Reason}
		}
		out.AuditLogs = append(out.AuditLogs, l)
	}
	for _, t := range results {
		sub := t.Subject
		sj := tightenSubjectJSON{Subject: sub.String(), Kind: sub.Subject.Kind, Namespace: sub.Subject.Namespace, Name: sub.Subject.Name,
			Requests: sub.Requests, Used: sub.Used(), Manifests: t.Objects(), Inherited: t.Inherited}
		if sj.Used == nil {
			sj.Used = []string{}
		}
		if sj.Manifests == nil {
			sj.Manifests = []any{}
		}
		if t.HasModel {
			unused := []unusedJSON{}
			for _, u := range t.Unused {
				r := u.Rule
				unused = append(unused, unusedJSON{
					Binding: bindingRef(u.Binding), Role: roleRef(u.Binding), Scope: scope(u.Binding), Via: u.Via,
					Rule:           ruleJSON{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs},
					EntirelyUnused: u.All, UnusedVerbs: u.Verbs, UnusedResources: u.Resources, UnusedPairs: u.Pairs,
				})
			}
			sj.Unused = &unused
		}
		out.Subjects = append(out.Subjects, sj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
