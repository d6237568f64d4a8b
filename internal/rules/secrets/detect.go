package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Match is one credential found in a value. Value is kept for tests and
// fingerprints only; it must never be printed.
type Match struct {
	// Kind names the credential type for humans ("AWS access key").
	Kind  string
	Value string
}

// Fingerprint identifies a secret without revealing it: its length and
// the first 12 hex digits of its SHA-256.
func Fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return strconv.Itoa(len(v)) + " chars, sha256:" + hex.EncodeToString(sum[:])[:12]
}

// pattern is a credential format with few false positives: a fixed prefix
// or structure that ordinary configuration does not have.
type pattern struct {
	kind string
	// hints are substrings of which every match contains one: values
	// without any skip the regular expression (most hold no credential).
	hints []string
	// need, when set, must also be in the value.
	need string
	re   *regexp.Regexp
	// group is the submatch holding the secret (0: the whole match).
	group int
}

var patterns = []pattern{
	{kind: "private key", hints: []string{"PRIVATE KEY"}, re: regexp.MustCompile(`-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----`)},
	{kind: "AWS access key", hints: []string{"AKIA", "ASIA"}, re: regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{kind: "GCP service-account key", hints: []string{"service_account"}, re: regexp.MustCompile(`"type"\s*:\s*"service_account"[\s\S]*"private_key"\s*:`)},
	{kind: "Azure storage key", hints: []string{"AccountKey="}, re: regexp.MustCompile(`AccountKey=([A-Za-z0-9+/]{86}==)`), group: 1},
	{kind: "GitHub token", hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b`)},
	{kind: "GitLab token", hints: []string{"glpat-"}, re: regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20}\b`)},
	{kind: "Slack token", hints: []string{"xox"}, re: regexp.MustCompile(`\bxox[baprs]-[0-9A-Za-z-]{10,}`)},
	{kind: "JSON Web Token", hints: []string{"eyJ"}, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	// scheme://user:password@host; the password is the secret.
	{kind: "password in a URL", hints: []string{"://"}, need: "@", re: regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]+:([^/\s@'"]+)@[^\s/'"]+`), group: 1},
}

// credentialKey matches names of keys and variables that hold credentials.
var credentialKey = regexp.MustCompile(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key|client[_-]?secret)`)

// notCredentialSuffix marks names that only refer to a credential (a file,
// a path, a header name, a lifetime) rather than hold one.
var notCredentialSuffix = regexp.MustCompile(`(?i)([_.-](file|path|dir|location|url|uri|ref|name|header|ttl|timeout|expiry|expiration|length|len|size|enabled|type|mode|policy)|_secs?|_ms)$`)

// IsCredentialName reports whether a key or variable name suggests it
// holds a credential (PASSWORD, DB_TOKEN, apiKey), not a reference to one
// (PASSWORD_FILE, TOKEN_PATH).
func IsCredentialName(name string) bool {
	return mayNameCredential(name) && credentialKey.MatchString(name) && !notCredentialSuffix.MatchString(name)
}

// credentialWords are fragments every credentialKey match contains; a
// cheap case-insensitive scan for them spares most values the regexp.
var credentialWords = []string{"pass", "secret", "token", "key", "credential", "auth"}

func mayNameCredential(s string) bool {
	for i := 0; i < len(s); i++ {
		for _, w := range credentialWords {
			if len(s)-i >= len(w) && (s[i]|0x20) == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// placeholder reports values that stand for a secret rather than being
// one: variable references, templates, masks and empty strings.
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, "/") {
		return true
	}
	for _, p := range []string{"$(", "${", "{{", "<", "%(", "vault:", "ref+", "arn:aws:secretsmanager", "projects/"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	if strings.Trim(v, "*xX.") == "" {
		return true // "****", "xxxx", "..."
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "none", "changeme-in-secret", "redacted":
		return true
	}
	return false
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// highEntropy reports a value that looks generated: long enough, no
// spaces, and at least 3 bits of entropy per character (a 32-character
// hex key has about 3.7; English words and paths have less).
func highEntropy(v string) bool {
	return len(v) >= 12 && !strings.ContainsAny(v, " \t\n") && entropy(v) >= 3.0
}

// Detect finds credentials in value, which sits under key (a ConfigMap
// key, an env name, an annotation); key may be "". Known formats are
// found anywhere in value. A high-entropy value is a finding only under a
// credential-like key, either key itself or a "name: value" or
// "name=value" line inside value (configuration files in ConfigMaps).
func Detect(key, value string) []Match {
	var out []Match
	for _, p := range patterns {
		if !slices.ContainsFunc(p.hints, func(h string) bool { return strings.Contains(value, h) }) ||
			p.need != "" && !strings.Contains(value, p.need) {
			continue
		}
		for _, m := range p.re.FindAllStringSubmatch(value, -1) {
			v := m[p.group]
			if p.kind == "password in a URL" && placeholder(v) {
				continue
			}
			out = append(out, Match{Kind: p.kind, Value: v})
		}
	}
	if len(out) > 0 {
		return out
	}
	if key != "" && IsCredentialName(key) && !strings.Contains(value, "\n") {
		if v := strings.TrimSpace(value); !placeholder(v) && highEntropy(v) {
			return []Match{{Kind: "high-entropy value under a credential-like key", Value: v}}
		}
	}
	if !mayNameCredential(value) {
		return out
	}
	for _, m := range assignment.FindAllStringSubmatch(value, -1) {
		name, v := m[1], strings.Trim(m[2], `"'`)
		if IsCredentialName(name) && !placeholder(v) && highEntropy(v) {
			out = append(out, Match{Kind: "high-entropy value under " + strconv.Quote(name), Value: v})
		}
	}
	return out
}

// assignment matches "name: value" and "name=value" lines of config files.
var assignment = regexp.MustCompile(`(?m)^\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*("[^"\n]*"|'[^'\n]*'|[^\s;]+)`)
