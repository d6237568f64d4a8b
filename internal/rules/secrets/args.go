package secrets

import (
	"slices"
	"strings"
)

// Redacted replaces a credential in a command line.
const Redacted = "[REDACTED]"

// RedactArgs returns args with credentials replaced by Redacted: the
// value of a flag whose name suggests a credential (--password=V,
// --token V, --client-secret=V), whatever its strength, and anything
// Detect recognises in an argument (tokens and keys of known formats, a
// password in a URL). Command lines end up in alerts and logs; the
// arguments rules look at (flags, paths, hosts) are kept. args is not
// modified.
func RedactArgs(args []string) []string {
	var out []string
	redactNext := false
	for i, a := range args {
		v := a
		switch {
		case redactNext:
			v, redactNext = Redacted, false
		case strings.HasPrefix(a, "-"):
			if name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "="); ok {
				if IsCredentialName(name) && !placeholder(value) {
					v = a[:len(a)-len(value)] + Redacted
				}
			} else if IsCredentialName(name) && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !placeholder(args[i+1]) {
				redactNext = true
			}
		}
		for _, m := range Detect("", v) {
			v = strings.ReplaceAll(v, m.Value, Redacted)
		}
		if v != a {
			if out == nil {
				out = slices.Clone(args)
			}
			out[i] = v
		}
	}
	if out == nil {
		return args
	}
	return out
}
