package netpol

import (
	"fmt"
	"math/bits"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ExternalAddr stands for "outside the cluster" in the matrix: an address
// of the documentation range TEST-NET-3 (RFC 5737), so it never is a real
// peer, yet falls inside the 0.0.0.0/0 blocks policies use for the internet.
var ExternalAddr = netip.MustParseAddr("203.0.113.10")

// ExternalName is the name of the external row and column.
const ExternalName = "external"

// PortProto is a port and its protocol.
type PortProto struct {
	Port     int32
	Protocol corev1.Protocol
}

func (p PortProto) String() string { return strconv.Itoa(int(p.Port)) + "/" + string(p.Protocol) }

// defaultPort is what is tried on a destination that declares no port.
var defaultPort = PortProto{80, corev1.ProtocolTCP}

// TargetPorts are the ports a destination is tried on: its declared
// container ports, each once, in declaration order (protocol TCP when
// unset), or TCP 80 when it declares none. A nil pod (an external
// address) gets TCP 80.
func TargetPorts(p *Pod) []PortProto {
	var out []PortProto
	if p != nil {
		seen := map[PortProto]bool{}
		for _, cp := range p.Ports {
			pp := PortProto{cp.ContainerPort, cp.Protocol}
			if pp.Protocol == "" {
				pp.Protocol = corev1.ProtocolTCP
			}
			if pp.Port <= 0 || seen[pp] {
				continue
			}
			seen[pp] = true
			out = append(out, pp)
		}
	}
	if len(out) == 0 {
		out = []PortProto{defaultPort}
	}
	return out
}

// Workloads returns the workloads of one namespace (all when namespace is
// empty), sorted by namespace, name and kind. Objects controlled by
// another object of the model (a ReplicaSet of a Deployment, the Pods of a
// ReplicaSet, the Jobs of a CronJob) are left out: their owner stands for
// them.
func (m *Model) Workloads(namespace string) []*Pod {
	owners := make(map[string]bool, len(m.Pods))
	for _, p := range m.Pods {
		owners[p.Namespace+"/"+p.Object.Kind+"/"+p.Name] = true
	}
	var out []*Pod
	for _, p := range m.Pods {
		if namespace != "" && p.Namespace != namespace {
			continue
		}
		if controlledByModel(p, owners) {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Object.Kind < b.Object.Kind
	})
	return out
}

func controlledByModel(p *Pod, owners map[string]bool) bool {
	if p.Object.Meta == nil {
		return false
	}
	for _, ref := range p.Object.Meta.OwnerReferences {
		if ref.Controller != nil && *ref.Controller && owners[p.Namespace+"/"+ref.Kind+"/"+ref.Name] {
			return true
		}
	}
	return false
}

// MatrixEndpoint is a row or column of the matrix.
type MatrixEndpoint struct {
	// Name is "namespace/name" ("namespace/name (Kind)" when two
	// workloads share a name), or ExternalName.
	Name string
	// Pod is nil for the external endpoint.
	Pod *Pod
	// Ports are the ports tried when the endpoint is a destination.
	Ports []PortProto
}

// Matrix is the reachability of every workload pair of a namespace (or of
// the whole model), with an external source row and an external
// destination column, both last.
type Matrix struct {
	Namespace  string
	Rows, Cols []MatrixEndpoint
	// cells[c] holds, for column c, one port mask of words[c] words per
	// row: bit i set when Cols[c].Ports[i] is allowed. Columns whose
	// destinations cannot be told apart share their slice.
	cells [][]uint64
	words []int
}

// Reachable reports whether row may reach column on at least one port.
func (x *Matrix) Reachable(row, col int) bool {
	w := x.words[col]
	for _, v := range x.cells[col][row*w : row*w+w] {
		if v != 0 {
			return true
		}
	}
	return false
}

// Mark is a cell's sign, the same in the table and the HTML heat-map:
// "X" reachable, "." blocked, "-" external to external.
func (x *Matrix) Mark(row, col int) string {
	switch {
	case x.Rows[row].Pod == nil && x.Cols[col].Pod == nil:
		return "-"
	case x.Reachable(row, col):
		return "X"
	}
	return "."
}

// AllowedPorts returns the ports of column that row may reach.
func (x *Matrix) AllowedPorts(row, col int) []PortProto {
	w := x.words[col]
	var out []PortProto
	for i, v := range x.cells[col][row*w : row*w+w] {
		for v != 0 {
			b := bits.TrailingZeros64(v)
			v &^= 1 << b
			out = append(out, x.Cols[col].Ports[i*64+b])
		}
	}
	return out
}

// CountReachable is the number of reachable cells.
func (x *Matrix) CountReachable() int {
	n := 0
	for r := range x.Rows {
		for c := range x.Cols {
			if x.Reachable(r, c) {
				n++
			}
		}
	}
	return n
}

// Matrix computes the reachability matrix of the workloads of namespace
// (all workloads when empty): a cell is reachable when Check allows the
// connection on at least one of the destination's TargetPorts. The
// external row is traffic from ExternalAddr, the external column egress to
// it on TCP 80.
//
// It gives Check's answers without calling it for each pair: every policy
// peer is matched once against all workloads (a bitset), destinations
// whose namespace, labels and ports are equal share one column, and
// sources whose namespace and labels are equal share one egress answer.
func (m *Model) Matrix(namespace string) *Matrix {
	pods := m.Workloads(namespace)
	n := len(pods)
	x := &Matrix{Namespace: namespace}
	names := endpointNames(pods)
	for i, p := range pods {
		ports := TargetPorts(p)
		x.Rows = append(x.Rows, MatrixEndpoint{Name: names[i], Pod: p, Ports: ports})
		x.Cols = append(x.Cols, MatrixEndpoint{Name: names[i], Pod: p, Ports: ports})
	}
	x.Rows = append(x.Rows, MatrixEndpoint{Name: ExternalName, Ports: TargetPorts(nil)})
	x.Cols = append(x.Cols, MatrixEndpoint{Name: ExternalName, Ports: TargetPorts(nil)})
	x.cells = make([][]uint64, n+1)
	x.words = make([]int, n+1)

	ev := newEvaluator(m, pods)

	// Egress classes: sources isolated for egress, by namespace and labels.
	class := make([]int, n) // -1: not isolated for egress
	var classRep []*Pod
	classOf := map[string]int{}
	for i, p := range pods {
		class[i] = -1
		if len(m.egressOf[p]) == 0 {
			continue
		}
		k := p.Namespace + "\x00" + labelKey(p.Labels)
		c, ok := classOf[k]
		if !ok {
			c = len(classRep)
			classOf[k] = c
			classRep = append(classRep, p)
		}
		class[i] = c
	}

	// Destination groups.
	groupOf := map[string]int{}
	var groupCells [][]uint64
	egressOK := make([][]bool, len(classRep))
	for ci, d := range pods {
		k := destKey(d)
		if g, ok := groupOf[k]; ok {
			x.cells[ci], x.words[ci] = groupCells[g], (len(x.Cols[ci].Ports)+63)/64
			continue
		}
		ports := x.Cols[ci].Ports
		w := (len(ports) + 63) / 64
		mask := make([]uint64, (n+1)*w)
		for c, src := range classRep {
			egressOK[c] = ev.egressAllows(src, Endpoint{Pod: d}, ports, egressOK[c][:0])
		}
		for pi, pp := range ports {
			in, ext := ev.ingressBits(d, pp)
			word, bit := pi/64, uint64(1)<<(pi%64)
			for r := 0; r < n; r++ {
				if in[r/64]&(1<<(r%64)) == 0 {
					continue
				}
				if c := class[r]; c >= 0 && !egressOK[c][pi] {
					continue
				}
				mask[r*w+word] |= bit
			}
			if ext {
				mask[n*w+word] |= bit
			}
		}
		groupOf[k] = len(groupCells)
		groupCells = append(groupCells, mask)
		x.cells[ci], x.words[ci] = mask, w
	}

	// External column: egress only; nothing from external to external.
	mask := make([]uint64, n+1)
	extPorts := x.Cols[n].Ports
	for c, src := range classRep {
		egressOK[c] = ev.egressAllows(src, Endpoint{Addr: ExternalAddr}, extPorts, egressOK[c][:0])
	}
	for r := 0; r < n; r++ {
		for pi := range extPorts {
			if c := class[r]; c < 0 || egressOK[c][pi] {
				mask[r] |= 1 << pi
			}
		}
	}
	x.cells[n], x.words[n] = mask, 1
	return x
}

// endpointNames are "ns/name", with the kind added where names collide.
func endpointNames(pods []*Pod) []string {
	count := map[string]int{}
	for _, p := range pods {
		count[p.Namespace+"/"+p.Name]++
	}
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Namespace + "/" + p.Name
		if count[out[i]] > 1 {
			out[i] += " (" + p.Object.Kind + ")"
		}
	}
	return out
}

func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}

// destKey identifies destinations that get the same answers: same
// namespace, labels and container ports (names included, for named ports).
func destKey(p *Pod) string {
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteByte(1)
	b.WriteString(labelKey(p.Labels))
	b.WriteByte(1)
	for _, cp := range p.Ports {
		fmt.Fprintf(&b, "%s:%d/%s,", cp.Name, cp.ContainerPort, cp.Protocol)
	}
	return b.String()
}

// matrixEval matches policy peers against the matrix workloads once.
type matrixEval struct {
	m     *Model
	n     int
	words int
	byNS  map[string][]int
	pods  []*Pod
	idx   map[*Pod]int
	peers map[*compiledPeer]*peerSet
	byKey map[string]*peerSet
	all   []uint64
}

// peerSet is what one selector peer matches: workloads, by index.
type peerSet struct {
	bits []uint64
}

func newEvaluator(m *Model, pods []*Pod) *matrixEval {
	ev := &matrixEval{m: m, n: len(pods), words: (len(pods) + 63) / 64, byNS: map[string][]int{}, pods: pods,
		idx: make(map[*Pod]int, len(pods)), peers: map[*compiledPeer]*peerSet{}, byKey: map[string]*peerSet{}}
	for i, p := range pods {
		ev.byNS[p.Namespace] = append(ev.byNS[p.Namespace], i)
		ev.idx[p] = i
	}
	ev.all = make([]uint64, ev.words)
	for i := range ev.all {
		ev.all[i] = ^uint64(0)
	}
	return ev
}

func (ev *matrixEval) peer(p *compiledPeer, policyNS string) *peerSet {
	if s, ok := ev.peers[p]; ok {
		return s
	}
	key := policyNS + "\x00" + selString(p.pods) + "\x00" + selString(p.namespaces)
	if s, ok := ev.byKey[key]; ok {
		ev.peers[p] = s
		return s
	}
	s := &peerSet{bits: make([]uint64, ev.words)}
	for ns, idxs := range ev.byNS {
		if p.namespaces != nil {
			if !p.namespaces.Matches(ev.m.nsLabelsOf(ns)) {
				continue
			}
		} else if ns != policyNS {
			continue
		}
		for _, i := range idxs {
			if p.pods == nil || p.pods.Matches(labels.Set(ev.pods[i].Labels)) {
				s.bits[i/64] |= 1 << (i % 64)
			}
		}
	}
	ev.byKey[key] = s
	ev.peers[p] = s
	return s
}

func selString(s labels.Selector) string {
	if s == nil {
		return "<nil>"
	}
	return "[" + s.String() + "]"
}

// ingressBits returns which workloads (and whether the external address)
// the ingress side of d lets in on pp. The result must not be modified.
func (ev *matrixEval) ingressBits(d *Pod, pp PortProto) ([]uint64, bool) {
	pols := ev.m.ingressOf[d]
	if len(pols) == 0 {
		return ev.all, true
	}
	out := make([]uint64, ev.words)
	ext := false
	for _, pol := range pols {
		ns := namespaceOf(pol.Object)
		rules := ev.m.compiled[pol].ingress
		for i := range rules {
			r := &rules[i]
			if !portsMatch(r.ports, d, pp.Port, pp.Protocol) {
				continue
			}
			if r.all {
				return ev.all, true
			}
			ext = ext || r.addrs.Contains(ExternalAddr)
			if r.blockPods {
				copy(out, ev.all) // the ipBlocks cover a whole pod network
				continue
			}
			for j := range r.peers {
				ps := ev.peer(&r.peers[j], ns)
				for k, v := range ps.bits {
					out[k] |= v
				}
			}
		}
	}
	return out, ext
}

// egressAllows appends, for each port, whether the egress side of src
// lets it reach dst there.
func (ev *matrixEval) egressAllows(src *Pod, dst Endpoint, ports []PortProto, out []bool) []bool {
	pols := ev.m.egressOf[src]
	di := -1
	if dst.Pod != nil {
		di = ev.idx[dst.Pod]
	}
	for _, pp := range ports {
		ok := false
	pols:
		for _, pol := range pols {
			ns := namespaceOf(pol.Object)
			rules := ev.m.compiled[pol].egres
			for i := range rules {
				r := &rules[i]
				if !portsMatch(r.ports, dst.Pod, pp.Port, pp.Protocol) {
					continue
				}
				if r.all || (di < 0 && r.addrs.Contains(dst.Addr)) || (di >= 0 && r.blockPods) {
					ok = true
					break pols
				}
				if di < 0 {
					continue
				}
				for j := range r.peers {
					ps := ev.peer(&r.peers[j], ns)
					if ps.bits[di/64]&(1<<(di%64)) != 0 {
						ok = true
						break pols
					}
				}
			}
		}
		out = append(out, ok)
	}
	return out
}
