package finding

// References ties a rule to the standards that motivate it.
type References struct {
	// CIS lists the check IDs of the CIS Kubernetes Benchmark (version
	// 1.12, see docs/cis.md) the rule covers, such as "5.2.2".
	CIS []string `json:"cis,omitempty"`
	// NSA lists sections of the NSA-CISA Kubernetes Hardening Guide.
	NSA []string `json:"nsa,omitempty"`
	// MITRE lists MITRE ATT&CK technique IDs, such as "T1611".
	MITRE []string `json:"mitre,omitempty"`
	// PSS names the Pod Security Standards control, such as
	// "baseline: Privileged Containers".
	PSS string `json:"pss,omitempty"`
	// URLs are further reading.
	URLs []string `json:"urls,omitempty"`
}

// Empty reports whether no reference is set.
func (r References) Empty() bool {
	return len(r.CIS) == 0 && len(r.NSA) == 0 && len(r.MITRE) == 0 && r.PSS == "" && len(r.URLs) == 0
}

// List renders the references as human-readable strings, in a fixed order:
// CIS, NSA-CISA, MITRE ATT&CK, Pod Security Standards, URLs.
func (r References) List() []string {
	var out []string
	for _, s := range r.CIS {
		out = append(out, "CIS Kubernetes Benchmark "+s)
	}
	for _, s := range r.NSA {
		out = append(out, "NSA-CISA Kubernetes Hardening Guide: "+s)
	}
	for _, s := range r.MITRE {
		out = append(out, "MITRE ATT&CK "+s)
	}
	if r.PSS != "" {
		out = append(out, "Pod Security Standards, "+r.PSS)
	}
	return append(out, r.URLs...)
}
