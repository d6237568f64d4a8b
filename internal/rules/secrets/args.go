package secrets

import (
	"regexp"
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
				if IsCredentialName(name) && !reference(value) {
					v = a[:len(a)-len(value)] + Redacted
				}
			} else if IsCredentialName(name) && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !reference(args[i+1]) {
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

// reference reports a flag value that only points at a credential: a
// variable, a template, a file. RedactArgs keeps those and hides anything
// else, whatever its shape: a log line errs on the side of hiding.
func reference(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.HasPrefix(v, "/") || referenceRe.MatchString(v) || masked(v)
}

// passwordShortFlags are tools whose short flag takes a password: mysql
// and its clients take it attached (-pSECRET), redis-cli and sshpass as
// the next word.
var passwordShortFlags = map[string]string{
	"mysql": "-p", "mysqladmin": "-p", "mysqldump": "-p", "mariadb": "-p", "mariadb-dump": "-p", "mysqlsh": "-p",
	"redis-cli": "-a", "sshpass": "-p", "keydb-cli": "-a",
}

var envAssignRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// judgeArgs finds credentials on a command line: a known format in any
// argument, the value of a credential-named flag (--password=V, --token V,
// -Dapp.db.password=V, NAME=V assignments in scripts), a tool's password
// flag (mysql -pV, redis-cli -a V, curl -u user:pass) and, in a shell
// script passed with -c, the same inside the script. Each match carries
// the index of its argument.
func judgeArgs(args []string, pair users) []Match {
	var out []Match
	tool := ""
	userFlag := func() string {
		for i, a := range args {
			switch {
			case (a == "-u" || a == "--user" || a == "--username") && i+1 < len(args):
				return strings.SplitN(args[i+1], ":", 2)[0]
			case strings.HasPrefix(a, "-u") && len(a) > 2 && !strings.HasPrefix(a, "--"):
				return a[2:]
			case strings.HasPrefix(a, "--user=") || strings.HasPrefix(a, "--username="):
				return a[strings.IndexByte(a, '=')+1:]
			}
		}
		return ""
	}
	argPair := func(name string) string {
		if u := userFlag(); u != "" {
			return u
		}
		if pair != nil {
			return pair(name)
		}
		return ""
	}
	at := func(ms []Match, i int) []Match {
		for k := range ms {
			ms[k].Arg = i
		}
		return ms
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == ";" {
			tool = ""
			continue
		}
		base := a[strings.LastIndexByte(a, '/')+1:]
		if _, ok := passwordShortFlags[base]; ok {
			tool = base
		}
		out = append(out, at(findPatterns(a), i)...)
		switch {
		case strings.ContainsAny(a, " \t\n") && i > 0 && (args[i-1] == "-c" || args[i-1] == "-ec" || args[i-1] == "-euc" || args[i-1] == "-exc"):
			out = append(out, at(judgeArgs(splitCommand(a), pair), i)...)
		case tool != "" && strings.HasPrefix(a, passwordShortFlags[tool]) && !strings.HasPrefix(a, "--"):
			flag := passwordShortFlags[tool]
			v := a[len(flag):]
			if v == "" && flag != "-p" && i+1 < len(args) {
				v = args[i+1]
				i++
			}
			if v != "" {
				out = append(out, at(named("password", v, func(string) string { return argPair("password") }, CommandLineFlag), i)...)
			}
		case (a == "-u" || a == "--user") && i+1 < len(args) && strings.Contains(args[i+1], ":") && !strings.Contains(args[i+1], "://"):
			u, p, _ := strings.Cut(args[i+1], ":") // curl -u user:password
			out = append(out, at(named("password", p, func(string) string { return u }, CommandLineFlag), i+1)...)
			i++
		case strings.HasPrefix(a, "-"):
			flag := strings.TrimLeft(a, "-")
			if strings.HasPrefix(a, "-D") && !strings.HasPrefix(a, "--") {
				flag = a[2:] // a Java system property
			}
			if name, v, ok := strings.Cut(flag, "="); ok {
				out = append(out, at(named(name, v, argPair, CommandLineFlag), i)...)
				if m := envAssignRe.FindStringSubmatch(v); m != nil {
					out = append(out, at(named(m[1], m[2], argPair, CommandLineFlag), i)...)
				}
			} else if credentialName(flag) >= 0 && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				out = append(out, at(named(flag, args[i+1], argPair, CommandLineFlag), i+1)...)
				i++
			}
		default:
			if m := envAssignRe.FindStringSubmatch(a); m != nil {
				out = append(out, at(named(m[1], m[2], argPair, CommandLineFlag), i)...)
			}
		}
	}
	return dedupe(out)
}

func dedupe(ms []Match) []Match {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		if !seen[m.Value] {
			seen[m.Value] = true
			out = append(out, m)
		}
	}
	return out
}

// splitCommand splits a shell command line into words: blanks separate
// them, quotes group them, and ;, &&, || and | end a command. It is not a
// shell: enough to find flags and their values in the scripts that
// manifests pass to sh -c.
func splitCommand(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			if rs[i] != '\n' {
				cur.WriteRune(rs[i])
				inWord = true
			}
		case r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '|' || r == '&':
			flush()
			if r == '\n' || r == ';' || r == '|' || r == '&' {
				if len(words) > 0 && words[len(words)-1] != ";" {
					words = append(words, ";")
				}
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}
