package rbaccmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rbac"
)

// requestFlags are the parts of a request given as flags.
type requestFlags struct {
	namespace, name, subresource string
}

func (r *requestFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&r.namespace, "namespace", "n", "", "namespace of the request (empty: cluster scope)")
	cmd.Flags().StringVar(&r.name, "name", "", "name of the object (for rules with resourceNames)")
	cmd.Flags().StringVar(&r.subresource, "subresource", "", "subresource, such as exec or log (or write RESOURCE/SUBRESOURCE)")
}

// parseRequest reads VERB and RESOURCE as kubectl does: "pods",
// "pods/exec", "deployments.apps", "deployments.apps/scale", or a
// non-resource URL starting with "/".
func (r *requestFlags) parseRequest(verb, resource string) (rbac.Request, error) {
	req := rbac.Request{Verb: strings.ToLower(verb), Namespace: r.namespace, Name: r.name, Subresource: r.subresource}
	if strings.HasPrefix(resource, "/") {
		if r.namespace != "" || r.name != "" || r.subresource != "" {
			return req, cmdutil.UsageErrorf("a non-resource URL takes no namespace, name or subresource")
		}
		req.NonResourceURL = resource
		return req, nil
	}
	res, sub, _ := strings.Cut(resource, "/")
	if sub != "" {
		if r.subresource != "" && r.subresource != sub {
			return req, cmdutil.UsageErrorf("subresource given twice: %q and --subresource %q", sub, r.subresource)
		}
		req.Subresource = sub
	}
	req.Resource, req.APIGroup, _ = strings.Cut(res, ".")
	if req.Resource == "" || req.Verb == "" {
		return req, cmdutil.UsageErrorf("want VERB RESOURCE, such as: get secrets")
	}
	return req, nil
}

func newWhoCanCmd(s *cmdutil.Streams) *cobra.Command {
	in := &Input{Input: cmdutil.Input{Streams: s}}
	var rf requestFlags
	var output string
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE",
		Short: "List every subject that may make a request, with the binding and role that allow it",
		Long: `List every user, group and service account that may make the request, and
through which binding and role. Group subjects stand for all their
members; members of system:masters may do anything and are listed only
when a binding names them.`,
		Example: `  kguard rbac who-can get secrets -n shop -f deploy/
  kguard rbac who-can create pods/exec -n shop --cluster
  kguard rbac who-can update deployments.apps/scale -n shop -f deploy/
  kguard rbac who-can get /metrics --cluster`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := rf.parseRequest(args[0], args[1])
			if err != nil {
				return err
			}
			_, m, err := in.Load(cmd.Context())
			if err != nil {
				return err
			}
			return writeWhoCan(s.Out, output, req, m.WhoCan(req))
		},
	}
	in.addFlags(cmd)
	rf.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
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

func newCanICmd(s *cmdutil.Streams) *cobra.Command {
	in := &Input{Input: cmdutil.Input{Streams: s}}
	var rf requestFlags
	cmd := &cobra.Command{
		Use:   "can-i SUBJECT VERB RESOURCE",
		Short: "Say whether a subject may make a request, and why",
		Long: `Answer yes or no for one subject and request, naming the bindings and
rules that allow it. The exit status is 0 for yes and 1 for no, so scripts
can use it.`,
		Example: `  kguard rbac can-i serviceaccount:shop:web list secrets -n shop -f deploy/
  kguard rbac can-i user:alice create pods/exec -n shop --cluster
  kguard rbac can-i group:developers delete namespaces --cluster`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, ok := rbac.ParseSubject(args[0])
			if !ok {
				return cmdutil.UsageErrorf("subject %q: want serviceaccount:NS:NAME, user:NAME or group:NAME", args[0])
			}
			req, err := rf.parseRequest(args[1], args[2])
			if err != nil {
				return err
			}
			_, m, err := in.Load(cmd.Context())
			if err != nil {
				return err
			}
			allowed, grants := m.Allowed(u, req)
			if !allowed {
				fmt.Fprintf(s.Out, "no: %s may not %s\n", u, req)
				return cmdutil.Exit(cmdutil.ExitFindings)
			}
			if len(grants) == 0 {
				fmt.Fprintf(s.Out, "yes: %s is in %s, which may do anything\n", u, rbac.Masters)
				return nil
			}
			fmt.Fprintf(s.Out, "yes: %s may %s\n", u, req)
			for _, g := range grants {
				fmt.Fprintf(s.Out, "  via %s -> %s (rule: %s)\n", refString(bindingRef(g.Binding)), refString(roleRef(g.Binding)), rbac.DescribeRule(g.Rule))
			}
			return nil
		},
	}
	in.addFlags(cmd)
	rf.add(cmd)
	return cmd
}

func newPermissionsCmd(s *cmdutil.Streams) *cobra.Command {
	in := &Input{Input: cmdutil.Input{Streams: s}}
	var output string
	cmd := &cobra.Command{
		Use:   "permissions SUBJECT",
		Short: "List every rule a subject holds, binding by binding",
		Example: `  kguard rbac permissions serviceaccount:shop:web -f deploy/
  kguard rbac permissions group:system:authenticated --cluster -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, ok := rbac.ParseSubject(args[0])
			if !ok {
				return cmdutil.UsageErrorf("subject %q: want serviceaccount:NS:NAME, user:NAME or group:NAME", args[0])
			}
			_, m, err := in.Load(cmd.Context())
			if err != nil {
				return err
			}
			perms := m.Permissions(u)
			if output == "json" {
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
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"subject": u.String(), "permissions": out})
			}
			if output != "table" {
				return cmdutil.UsageErrorf("unknown output format %q (want table or json)", output)
			}
			if len(perms) == 0 {
				_, err := fmt.Fprintf(s.Out, "%s holds no RBAC permissions\n", u)
				return err
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tRULE\tBINDING\tROLE")
			for _, p := range perms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", scope(p.Binding), rbac.DescribeRule(p.Rule), refString(bindingRef(p.Binding)), refString(roleRef(p.Binding)))
			}
			return tw.Flush()
		},
	}
	in.addFlags(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func scope(b *rbac.Binding) string {
	if b.Namespace == "" {
		return "cluster"
	}
	return "namespace " + b.Namespace
}
