package cidrset

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestSetOperations(t *testing.T) {
	block := func(cidr string, except ...string) Set {
		s, err := Block(cidr, except)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		set  Set
		// want is the set as prefixes, worked out by hand.
		want string
		in   []string
		out  []string
	}{
		{name: "two halves are every IPv4 address", set: MustParse("0.0.0.0/1", "128.0.0.0/1"), want: "0.0.0.0/0",
			in: []string{"0.0.0.0", "127.255.255.255", "128.0.0.0", "255.255.255.255"}, out: []string{"::1"}},
		{name: "adjacent halves merge", set: MustParse("10.0.0.128/25", "10.0.0.0/25"), want: "10.0.0.0/24"},
		{name: "overlapping prefixes", set: MustParse("10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/9"), want: "10.0.0.0/8"},
		{name: "host bits are ignored", set: MustParse("10.1.2.3/16"), want: "10.1.0.0/16"},
		{name: "except cuts a hole", set: block("10.0.0.0/8", "10.1.0.0/16"),
			want: "10.0.0.0/16, 10.2.0.0/15, 10.4.0.0/14, 10.8.0.0/13, 10.16.0.0/12, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9",
			in:   []string{"10.0.0.0", "10.0.255.255", "10.2.0.0", "10.255.255.255"},
			out:  []string{"10.1.0.0", "10.1.2.3", "10.1.255.255", "11.0.0.0", "9.255.255.255"}},
		{name: "a hole filled by another block", set: Union(block("0.0.0.0/0", "10.0.0.0/8"), block("10.0.0.0/8")), want: "0.0.0.0/0"},
		{name: "IPv6 except", set: block("2001:db8::/32", "2001:db8:1::/48"),
			in:  []string{"2001:db8::1", "2001:db8:2::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
			out: []string{"2001:db8:1::5", "2001:db8:1:ffff::1", "2001:db9::", "10.0.0.1"}},
		{name: "families do not merge at the top of IPv4", set: MustParse("255.255.255.255/32", "::/128"), want: "255.255.255.255/32, ::/128"},
		{name: "every address", set: All, want: "0.0.0.0/0, ::/0"},
		{name: "except everything", set: block("10.0.0.0/8", "0.0.0.0/0"), want: ""},
		{name: "several holes", set: block("192.168.0.0/24", "192.168.0.0/26", "192.168.0.128/26", "192.168.0.255/32"),
			want: "192.168.0.64/26, 192.168.0.192/27, 192.168.0.224/28, 192.168.0.240/29, 192.168.0.248/30, 192.168.0.252/31, 192.168.0.254/32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != "" || tt.set.Empty() {
				if got := tt.set.String(); got != tt.want {
					t.Errorf("set = %q, want %q", got, tt.want)
				}
			}
			for _, a := range tt.in {
				if !tt.set.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s not in the set", a)
				}
			}
			for _, a := range tt.out {
				if tt.set.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s in the set", a)
				}
			}
		})
	}
}

func TestReach(t *testing.T) {
	block := func(cidr string, except ...string) Set {
		s, err := Block(cidr, except)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		set  Set
		want Reach
	}{
		{"0.0.0.0/0", MustParse("0.0.0.0/0"), Reach{Everything4: true, Internet4: true}},
		{"::/0", MustParse("::/0"), Reach{Everything6: true, Internet6: true}},
		{"two halves", MustParse("0.0.0.0/1", "128.0.0.0/1"), Reach{Everything4: true, Internet4: true}},
		{"the internet without private ranges", block("0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), Reach{Internet4: true}},
		{"without the metadata address", block("0.0.0.0/0", "169.254.169.254/32"), Reach{Internet4: true}},
		{"without a public range", block("0.0.0.0/0", "8.8.8.0/24"), Reach{}},
		{"private ranges only", MustParse("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), Reach{}},
		{"IPv6 global unicast", MustParse("2000::/3"), Reach{Internet6: true}},
		{"half of the IPv6 internet", MustParse("2000::/4"), Reach{}},
	}
	for _, tt := range tests {
		if got := tt.set.Reach(); got != tt.want {
			t.Errorf("%s: Reach() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	s, bad := Parse([]string{" 10.0.0.0/8", "192.168.1.1", "not-a-cidr", "2001:db8::/33 ", "10.0.0.0/33"})
	if want := []string{"not-a-cidr", "10.0.0.0/33"}; !slices.Equal(bad, want) {
		t.Errorf("bad = %q, want %q", bad, want)
	}
	if got, want := s.String(), "10.0.0.0/8, 192.168.1.1/32, 2001:db8::/33"; got != want {
		t.Errorf("set = %q, want %q", got, want)
	}
	if _, err := Block("nope", nil); err == nil {
		t.Error("Block accepted a bad cidr")
	}
	if s, err := Block("10.0.0.0/8", []string{"x", "10.0.0.0/9"}); err == nil || s.String() != "10.128.0.0/9" {
		t.Errorf("Block with a bad except: %v, %s", err, s)
	}
}

func TestContainsPrefixAndOverlaps(t *testing.T) {
	s := MustParse("10.0.0.0/8", "192.168.0.0/24")
	for _, tt := range []struct {
		p                 string
		contains, overlap bool
	}{
		{"10.1.0.0/16", true, true},
		{"10.0.0.0/7", false, true},
		{"192.168.0.0/23", false, true},
		{"172.16.0.0/12", false, false},
		{"::/0", false, false},
	} {
		p := netip.MustParsePrefix(tt.p)
		if got := s.ContainsPrefix(p); got != tt.contains {
			t.Errorf("ContainsPrefix(%s) = %v", tt.p, got)
		}
		if got := s.Overlaps(p); got != tt.overlap {
			t.Errorf("Overlaps(%s) = %v", tt.p, got)
		}
	}
}

// TestAgainstBruteForce compares unions and differences of random
// prefixes inside 10.0.0.0/24 and 2001:db8::/120 with membership counted
// address by address, and checks that Prefixes gives back the same set.
func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, base := range []string{"10.0.0.0/24", "2001:db8::/120"} {
		basePfx := netip.MustParsePrefix(base)
		addrs := make([]netip.Addr, 256)
		addrs[0] = basePfx.Addr()
		for i := 1; i < 256; i++ {
			addrs[i] = addrs[i-1].Next()
		}
		randPrefix := func() netip.Prefix {
			bits := basePfx.Bits() + rng.IntN(9)
			p, _ := addrs[rng.IntN(256)].Prefix(bits)
			return p
		}
		for round := 0; round < 300; round++ {
			var want [256]bool
			var s Set
			for k := 0; k < 1+rng.IntN(5); k++ {
				p := randPrefix()
				remove := rng.IntN(3) == 0
				if remove {
					s = Subtract(s, Of(p))
				} else {
					s = Union(s, Of(p))
				}
				for i, a := range addrs {
					if p.Contains(a) {
						want[i] = !remove
					}
				}
			}
			back := Of(s.Prefixes()...)
			for i, a := range addrs {
				if s.Contains(a) != want[i] {
					t.Fatalf("%s round %d: Contains(%s) = %v, want %v (set %s)", base, round, a, !want[i], want[i], s)
				}
				if back.Contains(a) != want[i] {
					t.Fatalf("%s round %d: Prefixes() %s loses %s", base, round, s, a)
				}
			}
			// Spans stay sorted, disjoint and not adjacent.
			for i := 1; i < len(s.spans); i++ {
				if s.spans[i].lo.Compare(s.spans[i-1].hi.Next()) <= 0 {
					t.Fatalf("spans not normal: %v", s.spans)
				}
			}
		}
	}
}

func TestWellKnownSets(t *testing.T) {
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2606:4700::1111"} {
		if NotGlobal.Contains(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as not global", a)
		}
	}
	for _, a := range []string{"10.1.2.3", "169.254.169.254", "100.64.0.1", "fd00:ec2::254", "::1", "224.0.0.1"} {
		if !NotGlobal.Contains(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as global", a)
		}
	}
	if !strings.HasPrefix(Internet4.String(), "1.0.0.0/8, 2.0.0.0/7") {
		t.Errorf("Internet4 = %.40s...", Internet4.String())
	}
}

func BenchmarkReach(b *testing.B) {
	s, _ := Block("0.0.0.0/0", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"})
	for b.Loop() {
		_ = s.Reach()
	}
}
