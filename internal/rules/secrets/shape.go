package secrets

import (
	"math"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Shapes of values that are never credentials, whatever their key says.
// A number, a boolean, a duration or a size is a setting; a path or a URL
// without credentials points at something; a reference or a template
// stands for a value supplied elsewhere; a hash, a public key or a
// certificate is meant to be shared. Known credential formats are looked
// for before shapes are (a URL with a password is not "a URL").
var (
	numberRe   = regexp.MustCompile(`^[+-]?(\d[\d_,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
	hexIntRe   = regexp.MustCompile(`^0[xX][0-9a-fA-F]{1,16}$`)
	durationRe = regexp.MustCompile(`^[+-]?(\d+(\.\d+)?\s?(ns|us|µs|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w|y))+$`)
	isoDurRe   = regexp.MustCompile(`^P(\d+[YMWD])*(T(\d+(\.\d+)?[HMS])+)?$`)
	sizeRe     = regexp.MustCompile(`^\d+(\.\d+)?\s?([KMGTPE]i?|[kmgtpe][bB]?|[KMGTPE][bB]|[bB])$`)
	percentRe  = regexp.MustCompile(`^\d+(\.\d+)?%$`)
	versionRe  = regexp.MustCompile(`^[vV]?\d+(\.\d+){1,3}([-+][0-9A-Za-z.-]+)?$`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$`)
	timeRe     = regexp.MustCompile(`^\d{1,2}:\d{2}(:\d{2})?$`)
	hostRe     = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$`)
	hostPortRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:\d{1,5}$|^:\d{1,5}$`)
	ipRe       = regexp.MustCompile(`^(\d{1,3}\.){3}\d{1,3}(/\d{1,2})?(:\d{1,5})?$|^\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]+\]?(/\d{1,3})?$`)
	emailRe    = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)
	pathRe     = regexp.MustCompile(`^(~|\.{1,2})?/[A-Za-z0-9._@:,~{}$*-]*(/[A-Za-z0-9._@:,~{}$*-]*)*$`)
	relPathRe  = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+/?$`)
	winPathRe  = regexp.MustCompile(`^[A-Za-z]:\\`)
	// Password hashes and digests: what verifies a credential, not the
	// credential (bcrypt, crypt(3) schemes, LDAP schemes, PostgreSQL md5
	// and SCRAM, Django, a "sha256:" digest, an htpasswd line).
	hashRe = regexp.MustCompile(`^(\$(2[abxy]?|1|5|6|apr1|y|7|argon2(id|i|d)|scrypt|pbkdf2[-_a-z0-9]*|sha1|md5)\$|` +
		`\{(SSHA|SHA|SSHA256|SSHA512|CRYPT|PBKDF2[-A-Z0-9]*|ARGON2|MD5|SMD5)\}|` +
		`md5[0-9a-f]{32}$|SCRAM-SHA-256\$\d+:|(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|scrypt)\$|` +
		`(sha1|sha256|sha384|sha512|md5|blake2b|sha3-256):[0-9a-fA-F]{32,128}$|` +
		`[A-Za-z0-9._-]+:(\$(2[abxy]?|1|5|6|apr1|y)\$|\{SHA\}|\{SSHA\}))`)
	publicRe = regexp.MustCompile(`^(-----BEGIN (CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|EC PUBLIC KEY|PGP PUBLIC KEY BLOCK|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST|X509 CRL|TRUSTED CERTIFICATE|SSH2 PUBLIC KEY)-----|` +
		`(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA|` +
		`age1[02-9ac-hj-np-z]{58}$)`)
	cronRe = regexp.MustCompile(`^(@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)|@every \S+)$`)
	// A variable or a template: $(VAR), ${VAR}, $VAR, {{ .Values.x }},
	// %(name)s, #{...}, Grafana's $__file{...}, SOPS ciphertext.
	referenceRe = regexp.MustCompile(`^(\$\(|\$\{|\$__(file|env|vault)\{|\$[A-Za-z_][A-Za-z0-9_]*$|\{\{|\{%|%\(|%\{|#\{|@Microsoft\.KeyVault\(|ENC\[(AES256_GCM|PKCS7)|` +
		`(vault|ref\+[a-z0-9]+|env|file|secret|secretref|sm|awssm|awsssm|gcpsm|azkv|op|bw|doppler|infisical|akv|k8s|kubernetes):|` +
		`arn:aws[a-z-]*:(secretsmanager|ssm|kms):|projects/[^/\s]+/secrets/)`)
	dnsNameRe = regexp.MustCompile(`^[a-z]+(-[a-z]+)+$`)
	// A variable or key name (DATABASE_PASSWORD, GOOGLE_SECRET_MANAGER):
	// what a setting names, such as the key to read in a Secret.
	constNameRe = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z][A-Z0-9]*)+$`)
)

var booleans = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true,
	"enabled": true, "disabled": true, "enable": true, "disable": true, "null": true, "nil": true, "none": true,
	"~": true, "t": true, "f": true,
}

// inert returns why value (trimmed, one line) cannot be a credential,
// or "" when it could be one.
func inert(v string) string {
	switch {
	case v == "":
		return "empty"
	case referenceRe.MatchString(v):
		return "a reference"
	case booleans[strings.ToLower(v)]:
		return "a boolean"
	case numberRe.MatchString(v) || hexIntRe.MatchString(v):
		return "a number"
	case durationRe.MatchString(v) || isoDurRe.MatchString(v) && len(v) > 1:
		return "a duration"
	case sizeRe.MatchString(v) || percentRe.MatchString(v):
		return "a size"
	case versionRe.MatchString(v):
		return "a version"
	case dateRe.MatchString(v) || timeRe.MatchString(v):
		return "a date"
	case hashRe.MatchString(v):
		return "a hash"
	case publicRe.MatchString(v):
		return "public material"
	case cronRe.MatchString(v):
		return "a schedule"
	case constNameRe.MatchString(v):
		return "a variable name"
	case masked(v):
		return "masked"
	case emailRe.MatchString(v):
		return "an e-mail address"
	case ipRe.MatchString(v) || hostPortRe.MatchString(v):
		return "an address"
	case hostRe.MatchString(v):
		return "a host name"
	case (pathRe.MatchString(v) || relPathRe.MatchString(v) || winPathRe.MatchString(v)) && !randomSegment(v):
		return "a path"
	case isURL(v) && !hasURLCredential(v):
		return "a URL without credentials"
	case strings.ContainsAny(v, " \t") && !looksLikeSecretWithSpaces(v):
		return "text"
	case (strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}")) || (strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") && !placeholderBracket(v)):
		return "a structure"
	}
	return ""
}

// masked values hide a credential: "****", "xxxxxx", "...", "••••".
func masked(v string) bool {
	return strings.Trim(v, "*xX.•#-_") == ""
}

// randomSegment reports a path-looking value with a long random segment:
// base64 (which contains "/") rather than a path.
func randomSegment(v string) bool {
	for _, seg := range strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == '\\' }) {
		if len(seg) >= 12 && !strings.ContainsAny(seg, ".-_") && mixedClasses(seg) >= 3 {
			return true
		}
	}
	return false
}

// looksLikeSecretWithSpaces: an Authorization value ("Bearer x") is not
// prose; other values with spaces (sentences, lists, cron lines) are.
func looksLikeSecretWithSpaces(v string) bool {
	f := strings.Fields(v)
	return len(f) == 2 && (strings.EqualFold(f[0], "bearer") || strings.EqualFold(f[0], "basic") || strings.EqualFold(f[0], "token")) && len(f[1]) >= 8
}

func placeholderBracket(v string) bool {
	return strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") && !strings.ContainsAny(v, `",'`)
}

// mixedClasses counts the character classes in s: lower, upper, digit,
// symbol.
func mixedClasses(s string) int {
	var lo, up, di, sy int
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lo = 1
		case unicode.IsUpper(r):
			up = 1
		case unicode.IsDigit(r):
			di = 1
		default:
			sy = 1
		}
	}
	return lo + up + di + sy
}

func isURL(v string) bool {
	i := strings.Index(v, "://")
	if i <= 0 || strings.ContainsAny(v, " \t\n") {
		return false
	}
	for _, r := range v[:i] {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// urlCredential returns the password of a URL's user info, or the value
// of a credential-named query parameter ("?access_token=..."), when it
// could be a credential; "" otherwise. raw is the value as written in v
// (percent-encoded or not), what a redaction must replace; plain is it
// decoded, what is judged. The URL is cut by hand rather than with
// net/url, which rejects URLs that programs accept (a "#" or a bare "%"
// in a password).
func urlCredential(v string) (raw, plain string) {
	i := strings.Index(v, "://")
	if i < 0 {
		return "", ""
	}
	rest := v[i+3:]
	authority := rest
	if j := strings.IndexAny(rest, "/?"); j >= 0 {
		authority = rest[:j]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if _, p, ok := strings.Cut(authority[:at], ":"); ok && p != "" {
			d, err := url.PathUnescape(p)
			if err != nil {
				d = p
			}
			if inert(d) == "" {
				return p, d
			}
		}
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return "", ""
	}
	query, _, _ := strings.Cut(rest[q+1:], "#")
	for _, kv := range strings.Split(query, "&") {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !IsCredentialName(name) {
			continue
		}
		d, err := url.QueryUnescape(val)
		if err != nil {
			d = val
		}
		if d != "" && inert(d) == "" && !placeholder(d) {
			return val, d
		}
	}
	return "", ""
}

func hasURLCredential(v string) bool {
	raw, _ := urlCredential(v)
	return raw != ""
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

// random reports a value that looks generated: at least 16 characters
// without spaces, several character classes and at least 3.5 bits of
// entropy per character (a 32-character random alphanumeric string has
// about 4.7, English words and identifiers less than 3.5).
func random(v string) bool {
	return len(v) >= 16 && !strings.ContainsAny(v, " \t\n") && entropy(v) >= 3.5 && mixedClasses(v) >= 2 &&
		!dnsNameRe.MatchString(v)
}

// Strength says how much a credential is worth to an attacker.
type Strength int

// Strengths, from the weakest.
const (
	// Placeholder stands for a credential to be filled in ("changeme",
	// "your-api-key", "<password>"): nothing leaked, but a deployment that
	// keeps it is open to anyone who reads the manifest.
	Placeholder Strength = iota + 1
	// Default is a product's documented default (guest/guest,
	// minioadmin/minioadmin, elastic/changeme) or a password equal to
	// its user name: guessable by anyone, whether or not it leaks.
	Default
	// Real looks like a credential someone chose or generated.
	Real
)

func (s Strength) String() string {
	switch s {
	case Placeholder:
		return "placeholder"
	case Default:
		return "default"
	case Real:
		return "real"
	}
	return "unknown"
}

// placeholderWords are words that only appear in values standing for a
// credential.
var placeholderWords = []string{
	"changeme", "change-me", "change_me", "changethis", "change-this", "replaceme", "replace-me", "replace_me",
	"placeholder", "example", "dummy", "sample", "your", "notreal", "not-real", "not_a_real", "notarealpassword",
	"insert", "fillme", "fill-me", "fill-in", "todo", "fixme", "tbd", "redacted", "xxxx", "****",
	"fake", "overwrite", "override", "setme", "set-me", "set_me", "enter-", "put-", "-here", "_here", "here-",
}

// placeholderValues are whole values that stand for a credential.
var placeholderValues = map[string]bool{
	"password": true, "passwd": true, "pass": true, "secret": true, "token": true, "apikey": true, "api-key": true,
	"api_key": true, "key": true, "test": true, "testing": true, "none": true, "empty": true, "unset": true,
	"notset": true, "undefined": true, "default": true, "value": true, "string": true, "required": true,
	"mypassword": true, "my-password": true, "mysecret": true, "my-secret": true, "mytoken": true,
}

// placeholder reports a value that stands for a credential rather than
// being one.
func placeholder(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	if len(l) < 4 || placeholderValues[l] || masked(l) || strings.Count(l, l[:1]) == len(l) {
		return true // short, a word for itself, masked or one character repeated
	}
	if (strings.HasPrefix(l, "<") && strings.HasSuffix(l, ">")) || (strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]")) ||
		(strings.HasPrefix(l, "__") && strings.HasSuffix(l, "__")) || (strings.HasPrefix(l, "@") && strings.HasSuffix(l, "@")) {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// defaultPairs are products' documented default credentials, user and
// password, and pairs common enough to be the first guess. The password
// "" entry of a user means any password equal to the user name.
var defaultPairs = map[string][]string{
	"admin":         {"admin", "password", "admin123", "prom-operator", "harbor12345", "changeme", "pass", "secret", "12345", "zabbix", "keycloak", "grafana"},
	"root":          {"root", "password", "toor", "changeme", "secret", "mysql", "admin"},
	"postgres":      {"postgres", "password", "changeme", "secret"},
	"elastic":       {"changeme", "elastic"},
	"kibana":        {"changeme", "kibana"},
	"guest":         {"guest"},
	"minioadmin":    {"minioadmin"},
	"minio":         {"minio123", "minio"},
	"neo4j":         {"neo4j", "password"},
	"cassandra":     {"cassandra"},
	"airflow":       {"airflow"},
	"user":          {"password", "bitnami", "user"},
	"administrator": {"password"},
	"sa":            {"yourstrong(!)password"},
	"tomcat":        {"tomcat", "s3cret"},
	"jenkins":       {"jenkins"},
	"rabbitmq":      {"rabbitmq"},
	"mongo":         {"mongo"},
	"mysql":         {"mysql"},
	"test":          {"test"},
	"demo":          {"demo"},
}

// defaultPasswords are defaults distinctive enough to recognise without
// their user: a product ships them as its initial credential.
var defaultPasswords = map[string]bool{
	"prom-operator": true, "minioadmin": true, "harbor12345": true, "foobared": true, "changeit": true,
	"minio123": true, "admin123": true, "yourstrong(!)password": true, "bitnami": true,
}

// strength judges a credential value, given the user it is paired with
// ("" when none is known).
func strength(v, user string) Strength {
	l := strings.ToLower(strings.TrimSpace(v))
	u := strings.ToLower(strings.TrimSpace(user))
	if u != "" {
		for _, p := range defaultPairs[u] {
			if l == p {
				return Default
			}
		}
		if l == u && len(l) >= 3 {
			return Default // the password is the user name
		}
	}
	if defaultPasswords[l] {
		return Default
	}
	if placeholder(v) {
		return Placeholder
	}
	return Real
}
