package rbaccmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rbac"
)

// RequestFlags are the parts of a request given as flags; the request's
// namespace is the input's -n.
type RequestFlags struct {
	Name, Subresource string
}

func (r *RequestFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.Name, "name", "", "name of the object (for rules with resourceNames)")
	cmd.Flags().StringVar(&r.Subresource, "subresource", "", "subresource, such as exec or log (or write RESOURCE/SUBRESOURCE)")
}

// parseRequest reads VERB and RESOURCE as kubectl does: "pods",
// "pods/exec", "deployments.apps", "deployments.apps/scale", or a
// non-resource URL starting with "/".
func (r *RequestFlags) parseRequest(namespace, verb, resource string) (rbac.Request, error) {
	req := rbac.Request{Verb: strings.ToLower(verb), Namespace: namespace, Name: r.Name, Subresource: r.Subresource}
	if strings.HasPrefix(resource, "/") {
		if namespace != "" || r.Name != "" || r.Subresource != "" {
			return req, cmdutil.UsageErrorf("a non-resource URL takes no namespace, name or subresource")
		}
		req.NonResourceURL = resource
		return req, nil
	}
	res, sub, _ := strings.Cut(resource, "/")
	if sub != "" {
		if r.Subresource != "" && r.Subresource != sub {
			return req, cmdutil.UsageErrorf("subresource given twice: %q and --subresource %q", sub, r.Subresource)
		}
		req.Subresource = sub
	}
	req.Resource, req.APIGroup, _ = strings.Cut(res, ".")
	if req.Resource == "" || req.Verb == "" {
		return req, cmdutil.UsageErrorf("want VERB RESOURCE, such as: get secrets")
	}
	return req, nil
}

// WhoCanOptions are the arguments and flags of `kguard rbac who-can`.
type WhoCanOptions struct {
	Input
	Request        RequestFlags
	Verb, Resource string
	Output         string
}

func newWhoCanCmd(s *cmdutil.Streams, run func(context.Context, *WhoCanOptions) error) *cobra.Command {
	o := &WhoCanOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE [PATH...]",
		Short: "List every subject that may make a request, with the binding and role that allow it",
		Long: `List every user, group and service account that may make the request, and
through which binding and role. Group subjects stand for all their
members; members of system:masters may do anything and are listed only
when a binding names them.`,
		Example: `  kguard rbac who-can get secrets -n shop deploy/
  kguard rbac who-can create pods/exec -n shop --cluster
  kguard rbac who-can update deployments.apps/scale -n shop -f deploy/
  kguard rbac who-can get /metrics --cluster`,
		Args: cmdutil.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Verb, o.Resource, o.Args = args[0], args[1], args[2:]
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	o.Request.add(cmd)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// RunWhoCan answers who may make the request.
func RunWhoCan(ctx context.Context, o *WhoCanOptions) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	req, err := o.Request.parseRequest(o.Namespace, o.Verb, o.Resource)
	if err != nil {
		return err
	}
	res, m, err := o.Load(ctx)
	if err != nil {
		return err
	}
	if err := writeWhoCan(o.Streams.Out, o.Output, req, m.WhoCan(req)); err != nil {
		return err
	}
	return o.Partial(res)
}

type subjectJSON struct {
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace,omitempty"`
	Binding   refJSON  `json:"binding"`
	Role      refJSON  `json:"role"`
	Rule      ruleJSON `json:"rule"`
}

type refJSON struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Builtin: the object is the built-in policy's, not in the input
	// files (see --no-builtin-rbac).
	Builtin bool `json:"builtin,omitempty"`
}

type ruleJSON struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

func bindingRef(b *rbac.Binding) refJSON {
	return refJSON{Kind: b.Object.Kind, Namespace: b.Object.Namespace, Name: b.Object.Name, Builtin: b.Builtin}
}

func roleRef(b *rbac.Binding) refJSON {
	r := refJSON{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name, Builtin: b.RoleBuiltin}
	if r.Kind == "Role" {
		r.Namespace = b.Namespace
	}
	return r
}

func writeWhoCan(w io.Writer, format string, req rbac.Request, subs []rbac.Subject) error {
	switch format {
	case "json":
		out := make([]subjectJSON, 0, len(subs))
		for _, s := range subs {
			r := s.Grant.Rule
			out = append(out, subjectJSON{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace,
				Binding: bindingRef(s.Grant.Binding), Role: roleRef(s.Grant.Binding),
				Rule: ruleJSON{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs}})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"request": req.String(), "subjects": out})
	case "table":
		if len(subs) == 0 {
			_, err := fmt.Fprintf(w, "nobody may %s (besides system:masters)\n", req)
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SUBJECT\tBINDING\tROLE")
		for _, s := range subs {
			name := s.Kind + " " + s.Name
			if s.Namespace != "" {
				name = s.Kind + " " + s.Namespace + "/" + s.Name
			}
			b := bindingRef(s.Grant.Binding)
			r := roleRef(s.Grant.Binding)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, refString(b), refString(r))
		}
		return tw.Flush()
	}
	return cmdutil.UsageErrorf("unknown output format %q (want table or json)", format)
}

func refString(r refJSON) string {
	s := r.Kind + " " + r.Name
	if r.Namespace != "" {
		s = r.Kind + " " + r.Namespace + "/" + r.Name
	}
	if r.Builtin {
		s += " " + rbac.BuiltinMark
	}
	return s
}

// CanIOptions are the arguments and flags of `kguard rbac can-i`.
type CanIOptions struct {
	Input
	Request                 RequestFlags
	Subject, Verb, Resource string
}

func newCanICmd(s *cmdutil.Streams, run func(context.Context, *CanIOptions) error) *cobra.Command {
	o := &CanIOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "can-i SUBJECT VERB RESOURCE [PATH...]",
		Short: "Say whether a subject may make a request, and why",
		Long: `Answer yes or no for one subject and request, naming the bindings and
rules that allow it. The exit status is 0 for yes and 1 for no, so scripts
can use it (2 when some input could not be read, unless --allow-partial).`,
		Example: `  kguard rbac can-i serviceaccount:shop:web list secrets -n shop deploy/
  kguard rbac can-i user:alice create pods/exec -n shop --cluster
  kguard rbac can-i group:developers delete namespaces --cluster`,
		Args: cmdutil.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Subject, o.Verb, o.Resource, o.Args = args[0], args[1], args[2], args[3:]
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	o.Request.add(cmd)
	return cmd
}

// RunCanI answers whether the subject may make the request: exit 0 for
// yes, 1 for no.
func RunCanI(ctx context.Context, o *CanIOptions) error {
	u, err := subjectArg(o.Subject)
	if err != nil {
		return err
	}
	req, err := o.Request.parseRequest(o.Namespace, o.Verb, o.Resource)
	if err != nil {
		return err
	}
	res, m, err := o.Load(ctx)
	if err != nil {
		return err
	}
	w := o.Streams.Out
	allowed, grants := m.Allowed(u, req)
	switch {
	case !allowed:
		fmt.Fprintf(w, "no: %s may not %s\n", u, req)
	case len(grants) == 0:
		fmt.Fprintf(w, "yes: %s is in %s, which may do anything\n", u, rbac.Masters)
	default:
		fmt.Fprintf(w, "yes: %s may %s\n", u, req)
		for _, g := range grants {
			fmt.Fprintf(w, "  via %s -> %s (rule: %s)\n", refString(bindingRef(g.Binding)), refString(roleRef(g.Binding)), rbac.DescribeRule(g.Rule))
		}
	}
	if err := o.Partial(res); err != nil {
		return err
	}
	if !allowed {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

// PermissionsOptions are the arguments and flags of `kguard rbac permissions`.
type PermissionsOptions struct {
	Input
	Subject string
	Output  string
}

func newPermissionsCmd(s *cmdutil.Streams, run func(context.Context, *PermissionsOptions) error) *cobra.Command {
	o := &PermissionsOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "permissions SUBJECT [PATH...]",
		Short: "List every rule a subject holds, binding by binding",
		Example: `  kguard rbac permissions serviceaccount:shop:web deploy/
  kguard rbac permissions group:system:authenticated --cluster -o json`,
		Args: cmdutil.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Subject, o.Args = args[0], args[1:]
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// RunPermissions lists what the subject holds.
func RunPermissions(ctx context.Context, o *PermissionsOptions) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	u, err := subjectArg(o.Subject)
	if err != nil {
		return err
	}
	res, m, err := o.Load(ctx)
	if err != nil {
		return err
	}
	if err := writePermissions(o.Streams.Out, o.Output, u, m.Permissions(u)); err != nil {
		return err
	}
	return o.Partial(res)
}

func writePermissions(w io.Writer, format string, u rbac.User, perms []rbac.Permission) error {
	if format == "json" {
		type perm struct {
			Binding refJSON  `json:"binding"`
			Role    refJSON  `json:"role"`
			Scope   string   `json:"scope"`
			Rule    ruleJSON `json:"rule"`
		}
		out := make([]perm, 0, len(perms))
		for _, p := range perms {
			r := p.Rule
			out = append(out, perm{bindingRef(p.Binding), roleRef(p.Binding), scope(p.Binding),
				ruleJSON{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs}})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"subject": u.String(), "permissions": out})
	}
	if len(perms) == 0 {
		_, err := fmt.Fprintf(w, "%s holds no RBAC permissions\n", u)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tRULE\tBINDING\tROLE")
	for _, p := range perms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", scope(p.Binding), rbac.DescribeRule(p.Rule), refString(bindingRef(p.Binding)), refString(roleRef(p.Binding)))
	}
	return tw.Flush()
}

func scope(b *rbac.Binding) string {
	if b.Namespace == "" {
		return "cluster"
	}
	return "namespace " + b.Namespace
}
