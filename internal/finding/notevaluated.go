package finding

// NotEvaluated is something the scan could not check. It is never a pass:
// every report shows it and the summary marks the scan partial.
type NotEvaluated struct {
	// Subject is what was not evaluated: a resource type ("secrets"), an
	// object, or a rule.
	Subject string `json:"subject"`
	// Namespace is set when only one namespace was affected.
	Namespace string `json:"namespace,omitempty"`
	Reason    string `json:"reason"`
	// Permission names the missing RBAC permission, when that is the cause.
	Permission string `json:"permission,omitempty"`
}

func (ne NotEvaluated) String() string {
	s := ne.Subject
	if ne.Namespace != "" {
		s += " in namespace " + ne.Namespace
	}
	s += ": " + ne.Reason
	if ne.Permission != "" {
		s += " (needs " + ne.Permission + ")"
	}
	return s
}
