// Package cidrset computes with sets of IP addresses: unions of CIDR
// ranges with holes cut out (a NetworkPolicy ipBlock's cidr minus its
// except list), over IPv4 and IPv6 at once, built on net/netip.
//
// Security checks need to know what a list of ranges admits as a whole:
// 0.0.0.0/1 and 128.0.0.0/1 together are every IPv4 address, and
// 0.0.0.0/0 except 10.0.0.0/8 still admits every address on the internet.
// Comparing the ranges as text sees neither. The network rules, the
// NetworkPolicy engine (ipBlock against the pod network) and the exposure
// rules (loadBalancerSourceRanges, external IPs) all answer with this one
// package.
package cidrset
