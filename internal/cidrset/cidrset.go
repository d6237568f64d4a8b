package cidrset

import (
	"fmt"
	"net/netip"
	"strings"
)

// Set is a set of IP addresses. The zero value is the empty set. A Set is
// a value: operations return new sets and never change their operands.
//
// IPv4 and IPv6 addresses are distinct (an IPv4-mapped IPv6 range is
// IPv6), as Kubernetes and the network plugins treat them.
type Set struct {
	// spans are sorted, disjoint and not adjacent; each lies within one
	// address family (netip orders every IPv4 address before IPv6).
	spans []span
}

// span is the addresses from lo to hi, both included.
type span struct{ lo, hi netip.Addr }

// Of returns the set of the given prefixes (their union). Host bits are
// ignored, as the API server's validation requires them unset anyway.
func Of(prefixes ...netip.Prefix) Set {
	var s Set
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		s = Union(s, Set{spans: []span{prefixSpan(p)}})
	}
	return s
}

// MustParse is Of for literal prefixes; it panics on a bad one, so use it
// only with constants.
func MustParse(cidrs ...string) Set {
	ps := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		ps[i] = netip.MustParsePrefix(c)
	}
	return Of(ps...)
}

// Parse reads CIDRs (surrounding spaces allowed) into their union. A bare
// address is taken as a single-address prefix. The entries that are
// neither are returned in bad, in order; the set holds the others.
func Parse(cidrs []string) (s Set, bad []string) {
	var ps []netip.Prefix
	for _, c := range cidrs {
		p, err := ParsePrefix(c)
		if err != nil {
			bad = append(bad, c)
			continue
		}
		ps = append(ps, p)
	}
	return Of(ps...), bad
}

// ParsePrefix reads one CIDR, or one address as a /32 or /128.
func ParsePrefix(c string) (netip.Prefix, error) {
	c = strings.TrimSpace(c)
	if p, err := netip.ParsePrefix(c); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(c)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR or an IP address", c)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Block is the set a NetworkPolicy ipBlock admits: cidr minus the except
// ranges. An unreadable except range is returned as an error with the
// set of the rest; an unreadable cidr gives the empty set and an error.
func Block(cidr string, except []string) (Set, error) {
	p, err := ParsePrefix(cidr)
	if err != nil {
		return Set{}, fmt.Errorf("ipBlock cidr: %w", err)
	}
	holes, bad := Parse(except)
	s := Subtract(Of(p), holes)
	if len(bad) > 0 {
		return s, fmt.Errorf("ipBlock except: %q is not a CIDR", bad[0])
	}
	return s, nil
}

// prefixSpan is the first and last address of p.
func prefixSpan(p netip.Prefix) span {
	p = p.Masked()
	lo := p.Addr()
	b := lo.As16()
	first := 0
	if lo.Is4() {
		first = 12
	}
	for i := first*8 + p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	hi := netip.AddrFrom16(b)
	if lo.Is4() {
		hi = hi.Unmap()
	}
	return span{lo, hi}
}

// adjacent reports whether b starts right after a ends.
func adjacent(a, b span) bool {
	n := a.hi.Next()
	return n.IsValid() && n == b.lo
}

// Union is every address of a or b.
func Union(a, b Set) Set {
	if len(a.spans) == 0 {
		return b
	}
	if len(b.spans) == 0 {
		return a
	}
	out := make([]span, 0, len(a.spans)+len(b.spans))
	i, j := 0, 0
	for i < len(a.spans) || j < len(b.spans) {
		var next span
		if j >= len(b.spans) || (i < len(a.spans) && a.spans[i].lo.Compare(b.spans[j].lo) <= 0) {
			next, i = a.spans[i], i+1
		} else {
			next, j = b.spans[j], j+1
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if next.lo.Compare(last.hi) <= 0 || adjacent(*last, next) {
				if next.hi.Compare(last.hi) > 0 {
					last.hi = next.hi
				}
				continue
			}
		}
		out = append(out, next)
	}
	return Set{spans: out}
}

// Subtract is the addresses of a that are not in b.
func Subtract(a, b Set) Set {
	if len(a.spans) == 0 || len(b.spans) == 0 {
		return a
	}
	var out []span
	j := 0
	for _, s := range a.spans {
		cur := s
		alive := true
		// Skip holes that end before this span.
		for j < len(b.spans) && b.spans[j].hi.Compare(cur.lo) < 0 {
			j++
		}
		for k := j; alive && k < len(b.spans) && b.spans[k].lo.Compare(cur.hi) <= 0; k++ {
			h := b.spans[k]
			if h.lo.Compare(cur.lo) > 0 {
				out = append(out, span{cur.lo, h.lo.Prev()})
			}
			if h.hi.Compare(cur.hi) >= 0 {
				alive = false
				break
			}
			cur.lo = h.hi.Next()
		}
		if alive {
			out = append(out, cur)
		}
	}
	return Set{spans: out}
}

// Intersect is the addresses in both a and b.
func Intersect(a, b Set) Set { return Subtract(a, Subtract(a, b)) }

// Empty reports whether s has no address.
func (s Set) Empty() bool { return len(s.spans) == 0 }

// Contains reports whether a is in s.
func (s Set) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, sp := range s.spans {
		if a.Compare(sp.lo) >= 0 && a.Compare(sp.hi) <= 0 {
			return true
		}
	}
	return false
}

// ContainsPrefix reports whether every address of p is in s.
func (s Set) ContainsPrefix(p netip.Prefix) bool {
	return p.IsValid() && Covers(s, Of(p))
}

// Overlaps reports whether some address of p is in s.
func (s Set) Overlaps(p netip.Prefix) bool {
	return p.IsValid() && !Intersect(s, Of(p)).Empty()
}

// Covers reports whether every address of b is in a.
func Covers(a, b Set) bool { return Subtract(b, a).Empty() }

// Prefixes returns s as the fewest CIDR prefixes, in address order.
func (s Set) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, sp := range s.spans {
		lo := sp.lo
		for {
			p := largestAt(lo, sp.hi)
			out = append(out, p)
			end := prefixSpan(p).hi
			if end.Compare(sp.hi) >= 0 {
				break
			}
			lo = end.Next()
		}
	}
	return out
}

// largestAt is the largest prefix that starts at lo and ends at or
// before hi.
func largestAt(lo, hi netip.Addr) netip.Prefix {
	for bits := 0; bits < lo.BitLen(); bits++ {
		p := netip.PrefixFrom(lo, bits)
		if p.Masked().Addr() == lo && prefixSpan(p).hi.Compare(hi) <= 0 {
			return p
		}
	}
	return netip.PrefixFrom(lo, lo.BitLen())
}

// String lists the set as CIDRs, comma-separated ("" when empty).
func (s Set) String() string {
	ps := s.Prefixes()
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}

// Well-known sets.
var (
	// All4 and All6 are every IPv4 and every IPv6 address.
	All4 = MustParse("0.0.0.0/0")
	All6 = MustParse("::/0")
	// All is every address.
	All = Union(All4, All6)

	// NotGlobal are the special-purpose ranges of the IANA registries
	// (RFC 6890 and its updates) whose addresses are not reachable on
	// the public internet: "this network", private (RFC 1918), shared
	// (RFC 6598, carrier-grade NAT), loopback, link-local (which holds the
	// cloud metadata address), documentation, benchmarking, IETF protocol
	// assignments, multicast and reserved; for IPv6 the unspecified and
	// loopback addresses, IPv4-mapped and discard-only ranges,
	// documentation, unique local (fc00::/7), link-local and multicast.
	NotGlobal = MustParse(
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "::ffff:0:0/96", "100::/64", "2001:db8::/32", "3fff::/20", "fc00::/7",
		"fe80::/10", "ff00::/8",
	)
	// Internet4 and Internet6 are the addresses of each family that can
	// appear as a source or destination on the public internet: IPv4
	// outside NotGlobal, and the IPv6 global unicast space 2000::/3
	// outside it (the rest of IPv6 is not allocated).
	Internet4 = Subtract(All4, NotGlobal)
	Internet6 = Subtract(MustParse("2000::/3"), NotGlobal)

	// Internal are the ranges a cluster and its private network use and
	// that do not route on the internet: private, shared (CGNAT),
	// loopback and link-local addresses of both families, and IPv6
	// unique local addresses.
	Internal = MustParse(
		"10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
		"::1/128", "fc00::/7", "fe80::/10",
	)
)

// Reach says how much of the address space s admits, family by family.
type Reach struct {
	// Everything4 (Everything6): every IPv4 (IPv6) address.
	Everything4, Everything6 bool
	// Internet4 (Internet6): every address of the family on the public
	// internet, though not every address (private ranges cut out).
	Internet4, Internet6 bool
}

// Reach measures s.
func (s Set) Reach() Reach {
	var r Reach
	r.Everything4 = Covers(s, All4)
	r.Everything6 = Covers(s, All6)
	r.Internet4 = r.Everything4 || Covers(s, Internet4)
	r.Internet6 = r.Everything6 || Covers(s, Internet6)
	return r
}

// Everything reports a set holding every address of at least one family.
func (r Reach) Everything() bool { return r.Everything4 || r.Everything6 }

// Internet reports a set holding every internet address of at least one
// family.
func (r Reach) Internet() bool { return r.Internet4 || r.Internet6 }
