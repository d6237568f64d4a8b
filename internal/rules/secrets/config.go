package secrets

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// assignment is one "name = value" found in a configuration file.
type assignment struct {
	name, value string
	line        int
	section     int
}

// headerDirectives set an HTTP header: the next word is the header's name
// and the rest its value (nginx, Envoy-style YAML is read as name: value).
var headerDirectives = map[string]bool{
	"proxy_set_header": true, "add_header": true, "grpc_set_header": true, "more_set_headers": true,
	"more_set_input_headers": true, "fastcgi_param": true, "uwsgi_param": true, "header": true, "-H": true, "--header": true,
}

var (
	xmlElemRe = regexp.MustCompile(`<([A-Za-z_][A-Za-z0-9_.:-]*)>([^<]*)</([A-Za-z_][A-Za-z0-9_.:-]*)>`)
	xmlAttrRe = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_.:-]*)\s*=\s*"([^"]*)"`)
)

// configFile finds credentials written in a configuration file: a JSON
// document is walked key by key, any other text is read line by line as
// "name = value", "name: value" or "name value" (INI, properties, YAML,
// TOML, .env, nginx, Redis, Fluent Bit and PostgreSQL styles), XML
// elements and attributes. A password is paired with the nearest user
// name of the same section, to recognise known default pairs.
func configFile(text string) []Match {
	if t := strings.TrimSpace(text); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
		var doc any
		if json.Unmarshal([]byte(t), &doc) == nil {
			return jsonCredentials(doc)
		}
	}
	as := assignments(text)
	var out []Match
	for i, a := range as {
		if credentialName(a.name) < 0 {
			continue
		}
		pair := func(string) string { return nearestUser(as, i) }
		out = append(out, named(a.name, a.value, pair, ConfigAssignment)...)
	}
	return out
}

// nearestUser is the value of the user-like assignment closest to as[i]
// in its section, within six lines; one with the same stem wins.
func nearestUser(as []assignment, i int) string {
	best, bestDist := "", 7
	st := stem(as[i].name)
	for j, b := range as {
		if j == i || b.section != as[i].section || !isUserName(b.name) {
			continue
		}
		d := b.line - as[i].line
		if d < 0 {
			d = -d
		}
		if stem(b.name) == st {
			d = 0
		}
		if d < bestDist {
			best, bestDist = b.value, d
		}
	}
	return unquote(best)
}

// assignments parses text into name/value pairs, one or more per line.
func assignments(text string) []assignment {
	var out []assignment
	section := 0
	for n, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || isComment(t):
			continue
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && !strings.Contains(t, "="):
			section++ // [client], [OUTPUT], [[inputs.x]]
			continue
		case strings.HasPrefix(t, "<"):
			for _, m := range xmlElemRe.FindAllStringSubmatch(t, -1) {
				if m[1] == m[3] {
					out = append(out, assignment{m[1], m[2], n, section})
				}
			}
			for _, m := range xmlAttrRe.FindAllStringSubmatch(t, -1) {
				out = append(out, assignment{m[1], m[2], n, section})
			}
			continue
		}
		for _, p := range []string{"export ", "- ", "set ", "SET ", "ENV ", "env "} {
			t = strings.TrimPrefix(t, p)
		}
		if f := strings.Fields(t); len(f) >= 3 && headerDirectives[f[0]] {
			out = append(out, assignment{strings.Trim(f[1], `"':`), cleanValue(strings.Join(f[2:], " ")), n, section})
			continue
		}
		name, sep, rest, ok := splitNameValue(t)
		if !ok {
			continue
		}
		if sep != ":" && sep != "=" {
			// "requirepass foo", "HTTP_Passwd foo": a directive and one word.
			f := strings.Fields(rest)
			if len(f) != 1 && !(len(f) > 1 && (rest[0] == '"' || rest[0] == '\'')) {
				continue
			}
		}
		v := cleanValue(rest)
		if v == "|" || v == ">" || strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">") && len(v) <= 3 {
			continue // a YAML block scalar: its text is on the next lines
		}
		out = append(out, assignment{name, v, n, section})
	}
	return out
}

// splitNameValue reads one line as NAME SEP REST: an optionally quoted
// name of letters, digits and _.-[]@/, then ":" or "=" (with blanks
// around it) or blanks alone (sep is then the last blank). It is the
// regular expression ^["']?([A-Za-z0-9_.\-\[\]@/]+)["']?\s*([:=]|\s)\s*(.*)$
// written out: every line of every config file goes through it, and the
// regexp's backtracking was most of the secrets rules' time. A test
// checks the two agree.
func splitNameValue(t string) (name, sep, rest string, ok bool) {
	i := 0
	if i < len(t) && (t[i] == '"' || t[i] == '\'') {
		i++
	}
	j := i
	for j < len(t) && configNameByte(t[j]) {
		j++
	}
	if j == i {
		return "", "", "", false
	}
	name = t[i:j]
	if j < len(t) && (t[j] == '"' || t[j] == '\'') {
		j++
	}
	k := j
	for k < len(t) && reSpace(t[k]) {
		k++
	}
	switch {
	case k < len(t) && (t[k] == ':' || t[k] == '='):
		sep = t[k : k+1]
		k++
		for k < len(t) && reSpace(t[k]) {
			k++
		}
	case k > j:
		sep = t[k-1 : k]
	default:
		return "", "", "", false
	}
	return name, sep, t[k:], true
}

func configNameByte(c byte) bool {
	return asciiLetter(c) || asciiDigit(c) || strings.IndexByte("_.-[]@/", c) >= 0
}

// reSpace is regexp's \s: tab, newline, form feed, carriage return, space.
func reSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isComment(t string) bool {
	for _, p := range []string{"#", ";", "//", "--", "!", "<!--", "/*", "* "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// cleanValue takes the value out of the rest of a line: a quoted string,
// or the text up to an inline comment, without a trailing ";" or ",".
func cleanValue(rest string) string {
	rest = strings.TrimSpace(rest)
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		if end := strings.IndexByte(rest[1:], rest[0]); end >= 0 {
			return rest[1 : end+1]
		}
	}
	for _, c := range []string{" #", "\t#", " //", " ;"} {
		if i := strings.Index(rest, c); i >= 0 {
			rest = rest[:i]
		}
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(rest), ";,"))
}

// jsonCredentials walks a JSON document: every string under a credential
// name is judged, paired with a user name of the same object.
func jsonCredentials(doc any) []Match {
	var out []Match
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				s, ok := x[k].(string)
				if !ok {
					walk(x[k])
					continue
				}
				if credentialName(k) >= 0 {
					pair := func(string) string {
						for _, u := range keys {
							if us, ok := x[u].(string); ok && isUserName(u) {
								return us
							}
						}
						return ""
					}
					out = append(out, named(k, s, pair, ConfigAssignment)...)
				}
				if strings.Contains(s, "\n") {
					out = append(out, configFile(s)...)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}
