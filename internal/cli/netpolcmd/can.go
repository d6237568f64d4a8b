package netpolcmd

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/netpol"
)

// CanOptions are the arguments and flags of `kguard netpol can`.
type CanOptions struct {
	Input
	From, To string
	Port     string
}

func newCanCmd(s *cmdutil.Streams, run func(context.Context, *CanOptions) error) *cobra.Command {
	o := &CanOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "can FROM TO [PATH...]",
		Short: "Say whether FROM may reach TO, and which policies decide it",
		Long: `Answer allowed or denied for a connection and name the policies that
decide each side: egress at the source, ingress at the destination.

FROM and TO are NAMESPACE/NAME (a Pod or a workload) or an address outside
the cluster: an IP address, or a CIDR, which is allowed only when every
address in it is. Without --port, every port the destination's containers
declare is tried (TCP 80 when there is none, or for an address); the
answer is allowed when at least one port is.

The exit status is 0 when allowed, 1 when denied and 2 for usage errors
(and when some input could not be read, unless --allow-partial).`,
		Example: `  kguard netpol can shop/frontend shop/api deploy/
  kguard netpol can shop/api shop/db --port 5432 -f deploy/
  kguard netpol can monitoring/prometheus shop/api --port metrics -f deploy/
  kguard netpol can shop/api 8.8.8.8 --port 53/udp --cluster
  kguard netpol can 0.0.0.0/0 shop/frontend --port 8080 -f deploy/`,
		Args: cmdutil.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.From, o.To, o.Args = args[0], args[1], args[2:]
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd, "namespace of FROM and TO written without one")
	cmd.Flags().StringVar(&o.Port, "port", "", "port to check: a number or a container port name, with /TCP, /UDP or /SCTP (default TCP); default every declared port of TO")
	return cmd
}

// RunCan answers whether From may reach To: exit 0 when allowed, 1 when
// denied.
func RunCan(ctx context.Context, o *CanOptions) error {
	// Parse what needs no input first, so usage errors come early.
	if _, _, err := parsePortSpec(o.Port); err != nil {
		return err
	}
	res, m, err := o.Model(ctx)
	if err != nil {
		return err
	}
	from, err := parseEndpoint(m, o.qualify(o.From))
	if err != nil {
		return err
	}
	to, err := parseEndpoint(m, o.qualify(o.To))
	if err != nil {
		return err
	}
	if from.pod == nil && to.pod == nil {
		return cmdutil.UsageErrorf("FROM and TO are both outside the cluster: one must be a workload (NAMESPACE/NAME)")
	}
	ports, err := portsFor(o.Port, to.pod)
	if err != nil {
		return err
	}
	allowed := writeCan(o.Streams.Out, m, from, to, ports)
	if err := o.Partial(res); err != nil {
		return err
	}
	if !allowed {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

// qualify puts a workload written without a namespace into -n's (or
// default), as kubectl would; addresses are left alone.
func (o *CanOptions) qualify(arg string) string {
	if strings.Contains(arg, "/") {
		return arg
	}
	if _, err := netip.ParseAddr(arg); err == nil {
		return arg
	}
	ns := o.Namespace
	if ns == "" {
		ns = "default"
	}
	return ns + "/" + arg
}

// endpoint is one side of the question: a workload, or external addresses
// (one, or the test points of a CIDR).
type endpoint struct {
	name   string
	pod    *netpol.Pod
	prefix netip.Prefix // external: the address (a /32 or /128) or CIDR
}

func parseEndpoint(m *netpol.Model, arg string) (endpoint, error) {
	if p, err := netip.ParsePrefix(arg); err == nil {
		return endpoint{name: p.Masked().String(), prefix: p.Masked()}, nil
	}
	if a, err := netip.ParseAddr(arg); err == nil {
		return endpoint{name: a.String(), prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	ns, name, ok := strings.Cut(arg, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return endpoint{}, cmdutil.UsageErrorf("%q: want NAMESPACE/NAME, an IP address or a CIDR", arg)
	}
	p, ok := m.Pod(ns, name)
	if !ok {
		var known []string
		for _, w := range m.Workloads(ns) {
			known = append(known, w.Name)
		}
		if len(known) == 0 {
			return endpoint{}, cmdutil.UsageErrorf("%s: no workload in namespace %q in the input", arg, ns)
		}
		if len(known) > 10 {
			known = append(known[:10], "...")
		}
		return endpoint{}, cmdutil.UsageErrorf("%s: no such workload (namespace %s has: %s)", arg, ns, strings.Join(known, ", "))
	}
	return endpoint{name: ns + "/" + name, pod: p}, nil
}

// parsePortSpec reads P[/PROTO]: P is a number or a port name (number 0).
func parsePortSpec(spec string) (port string, proto corev1.Protocol, err error) {
	if spec == "" {
		return "", "", nil
	}
	p, pr, hasProto := strings.Cut(spec, "/")
	if hasProto {
		switch strings.ToUpper(pr) {
		case "TCP", "UDP", "SCTP":
			proto = corev1.Protocol(strings.ToUpper(pr))
		default:
			return "", "", cmdutil.UsageErrorf("--port %s: protocol must be TCP, UDP or SCTP", spec)
		}
	}
	if p == "" {
		return "", "", cmdutil.UsageErrorf("--port %s: want PORT[/PROTOCOL], such as 8080, 53/udp or http", spec)
	}
	if n, err := strconv.Atoi(p); err == nil {
		if n < 1 || n > 65535 {
			return "", "", cmdutil.UsageErrorf("--port %s: port out of range 1-65535", spec)
		}
	}
	return p, proto, nil
}

// portsFor turns --port into the ports to try on dst.
func portsFor(spec string, dst *netpol.Pod) ([]netpol.PortProto, error) {
	p, proto, err := parsePortSpec(spec)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return netpol.TargetPorts(dst), nil
	}
	if n, err := strconv.Atoi(p); err == nil {
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		return []netpol.PortProto{{Port: int32(n), Protocol: proto}}, nil
	}
	if dst == nil {
		return nil, cmdutil.UsageErrorf("--port %s: a port name needs a workload as TO", spec)
	}
	var out []netpol.PortProto
	for _, pp := range netpol.TargetPorts(dst) {
		for _, cp := range dst.Ports {
			cproto := cp.Protocol
			if cproto == "" {
				cproto = corev1.ProtocolTCP
			}
			if cp.Name == p && cp.ContainerPort == pp.Port && cproto == pp.Protocol && (proto == "" || proto == cproto) {
				out = append(out, pp)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, cmdutil.UsageErrorf("--port %s: %s/%s declares no container port of that name", spec, dst.Namespace, dst.Name)
	}
	return out, nil
}

// testPoints are the addresses that stand for every address of an
// external prefix: the answer for an address depends only on which policy
// CIDRs and except ranges contain it, and that changes only where one of
// them starts or ends.
func testPoints(m *netpol.Model, p netip.Prefix) []netip.Addr {
	points := map[netip.Addr]bool{p.Addr(): true}
	if p.Bits() < p.Addr().BitLen() {
		add := func(s string) {
			q, err := netip.ParsePrefix(s)
			if err != nil || q.Addr().Is4() != p.Addr().Is4() {
				return
			}
			q = q.Masked()
			if p.Contains(q.Addr()) {
				points[q.Addr()] = true
			}
			if next := lastAddr(q).Next(); next.IsValid() && p.Contains(next) {
				points[next] = true
			}
		}
		for _, pol := range m.Policies {
			for _, r := range pol.Spec.Ingress {
				for _, peer := range r.From {
					if peer.IPBlock != nil {
						add(peer.IPBlock.CIDR)
						for _, x := range peer.IPBlock.Except {
							add(x)
						}
					}
				}
			}
			for _, r := range pol.Spec.Egress {
				for _, peer := range r.To {
					if peer.IPBlock != nil {
						add(peer.IPBlock.CIDR)
						for _, x := range peer.IPBlock.Except {
							add(x)
						}
					}
				}
			}
		}
	}
	out := make([]netip.Addr, 0, len(points))
	for a := range points {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// decision is the answer on one port.
type decision struct {
	port    netpol.PortProto
	verdict netpol.Verdict
	// addr is the external address the verdict is for (a denied one when
	// any is, for a CIDR); from says whether it is the source.
	addr netip.Addr
}

// decide checks one port: for a CIDR, every test point must be allowed.
func decide(m *netpol.Model, from, to endpoint, pp netpol.PortProto) decision {
	var ext endpoint
	if from.pod == nil {
		ext = from
	} else if to.pod == nil {
		ext = to
	}
	points := []netip.Addr{{}}
	if ext.prefix.IsValid() {
		points = testPoints(m, ext.prefix)
	}
	var first decision
	for i, a := range points {
		c := netpol.Connection{From: netpol.Endpoint{Pod: from.pod}, To: netpol.Endpoint{Pod: to.pod}, Port: pp.Port, Protocol: pp.Protocol}
		if from.pod == nil {
			c.From.Addr = a
		}
		if to.pod == nil {
			c.To.Addr = a
		}
		d := decision{port: pp, verdict: m.Check(c), addr: a}
		if !d.verdict.Allowed() {
			return d
		}
		if i == 0 {
			first = d
		}
	}
	return first
}

// writeCan prints the answer and reports whether it is allowed.
func writeCan(w io.Writer, m *netpol.Model, from, to endpoint, ports []netpol.PortProto) bool {
	var ds []decision
	var allowed, denied []string
	for _, pp := range ports {
		d := decide(m, from, to, pp)
		ds = append(ds, d)
		if d.verdict.Allowed() {
			allowed = append(allowed, pp.String())
		} else {
			denied = append(denied, pp.String())
		}
	}
	if len(allowed) > 0 {
		fmt.Fprintf(w, "allowed: %s -> %s on %s", from.name, to.name, strings.Join(allowed, ", "))
		if len(denied) > 0 {
			fmt.Fprintf(w, " (denied on %s)", strings.Join(denied, ", "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "denied: %s -> %s on %s\n", from.name, to.name, strings.Join(denied, ", "))
	}
	for _, d := range ds {
		state := "denied"
		if d.verdict.Allowed() {
			state = "allowed"
		}
		fmt.Fprintf(w, "  %s: %s", d.port, state)
		if ext := externalOf(from, to); ext.prefix.IsValid() && ext.prefix.Bits() < ext.prefix.Addr().BitLen() {
			if d.verdict.Allowed() {
				fmt.Fprintf(w, " for every address of %s", ext.prefix)
			} else {
				fmt.Fprintf(w, " for %s", d.addr)
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "    egress  (%s): %s\n", from.name, describeSide(d.verdict.Egress, from.pod == nil))
		fmt.Fprintf(w, "    ingress (%s): %s\n", to.name, describeSide(d.verdict.Ingress, to.pod == nil))
	}
	return len(allowed) > 0
}

func externalOf(from, to endpoint) endpoint {
	if from.pod == nil {
		return from
	}
	return to
}

// describeSide says how one side decides: "not isolated", "allowed by
// ns/p", or "denied: selected by ns/p1, ns/p2, none allows".
func describeSide(s netpol.Side, external bool) string {
	switch {
	case external:
		return "outside the cluster, no policy applies"
	case !s.Isolated:
		return "not isolated"
	case len(s.AllowedBy) > 0:
		return "allowed by " + policyList(s.AllowedBy)
	}
	return "denied: selected by " + policyList(s.Selecting) + ", none allows"
}

func policyList(ps []*netpol.Policy) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Object.Namespace + "/" + p.Object.Name
		if p.Object.Namespace == "" {
			names[i] = "default/" + p.Object.Name
		}
	}
	return strings.Join(names, ", ")
}
