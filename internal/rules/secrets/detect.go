package secrets

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kguard/kguard/internal/finding"
)

// Detector names one way of recognising a credential. The names are
// stable: the precision and recall of each are measured on labelled
// corpora (see corpus_test.go and docs/secrets.md).
type Detector string

// Detectors of known formats: a fixed prefix or structure that ordinary
// configuration does not have.
const (
	PrivateKey        Detector = "private-key"
	AWSAccessKey      Detector = "aws-access-key"
	AWSSecretKey      Detector = "aws-secret-key"
	GCPServiceAccount Detector = "gcp-service-account"
	AzureStorageKey   Detector = "azure-storage-key"
	GitHubToken       Detector = "github-token"
	GitLabToken       Detector = "gitlab-token"
	SlackToken        Detector = "slack-token"
	SlackWebhook      Detector = "slack-webhook"
	StripeKey         Detector = "stripe-key"
	GoogleAPIKey      Detector = "google-api-key"
	SendGridKey       Detector = "sendgrid-key"
	NPMToken          Detector = "npm-token"
	JWT               Detector = "jwt"
	URLPassword       Detector = "url-password"
	DSNPassword       Detector = "dsn-password"
	ConnStringPass    Detector = "connection-string-password"
	AuthHeader        Detector = "authorization-header"
	RegistryAuth      Detector = "registry-auth"
)

// Detectors that need a name: the value alone does not say it is a
// credential, its name does, and its shape must allow it.
const (
	// NamedValue is a value under a credential-like key or variable name.
	NamedValue Detector = "named-value"
	// ConfigAssignment is "name = value" (or "name: value", "name value")
	// inside a configuration file, a credential-like name with a value.
	ConfigAssignment Detector = "config-assignment"
	// CommandLineFlag is a credential-like flag's value on a command line
	// (--password=V, -p V for tools that take a password that way).
	CommandLineFlag Detector = "command-line-flag"
	// SecretData is a random-looking value in a Secret under a name that
	// says nothing (a Secret's values are meant to be secret).
	SecretData Detector = "secret-data"
)

// Detectors lists every detector, the order reports use.
var Detectors = []Detector{
	PrivateKey, AWSAccessKey, AWSSecretKey, GCPServiceAccount, AzureStorageKey, GitHubToken, GitLabToken,
	SlackToken, SlackWebhook, StripeKey, GoogleAPIKey, SendGridKey, NPMToken, JWT, URLPassword, DSNPassword,
	ConnStringPass, AuthHeader, RegistryAuth, NamedValue, ConfigAssignment, CommandLineFlag, SecretData,
}

// Match is one credential found in a value. Value is kept for tests and
// fingerprints only; it must never be printed.
type Match struct {
	Detector Detector
	// Kind names the credential for humans ("AWS access key", "value of
	// \"spring.datasource.password\"").
	Kind     string
	Value    string
	Strength Strength
	// Severity follows what the credential can do: its detector's power
	// for a real-looking value, high for a known default, low for a
	// placeholder.
	Severity finding.Severity
	// Arg is the index of the argument the match is in, for command
	// lines; -1 otherwise.
	Arg int
}

// Note describes the match's strength and fingerprint for messages, never
// its value.
func (m Match) Note() string {
	switch m.Strength {
	case Placeholder:
		return "a placeholder, " + Fingerprint(m.Value)
	case Default:
		return "a known default credential, guessable, " + Fingerprint(m.Value)
	}
	return Fingerprint(m.Value)
}

// Fingerprint identifies a secret without revealing it: its length and
// the first 12 hex digits of its SHA-256.
func Fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return strconv.Itoa(len(v)) + " chars, sha256:" + hex.EncodeToString(sum[:])[:12]
}

// power is what a real-looking credential of each detector can do: cloud
// and source-hosting keys, private keys and passwords open accounts and
// data (high); chat tokens, webhook URLs, bearer tokens of one service and
// pull credentials reach less (medium).
var power = map[Detector]finding.Severity{
	SlackToken: finding.SeverityMedium, SlackWebhook: finding.SeverityMedium, GoogleAPIKey: finding.SeverityMedium,
	SendGridKey: finding.SeverityMedium, JWT: finding.SeverityMedium, RegistryAuth: finding.SeverityMedium,
}

func newMatch(d Detector, kind, value string, s Strength) Match {
	m := Match{Detector: d, Kind: kind, Value: value, Strength: s, Severity: finding.SeverityHigh, Arg: -1}
	if p, ok := power[d]; ok {
		m.Severity = p
	}
	switch s {
	case Placeholder:
		m.Severity = finding.SeverityLow
	case Default:
		m.Severity = finding.SeverityHigh
	}
	return m
}

// pattern is a credential format with few false positives.
type pattern struct {
	det  Detector
	kind string
	// hints are substrings of which every match contains one: values
	// without any skip the regular expression (most hold no credential).
	hints []string
	re    *regexp.Regexp
	// group is the submatch holding the secret (0: the whole match).
	group int
	// judge, when set, turns a match into the secret and its strength, or
	// "" to drop it.
	judge func(m []string) (string, Strength)
}

// plainStrength judges a token that has no user.
func plainStrength(v string) Strength { return strength(v, "") }

var patterns = []pattern{
	{det: GCPServiceAccount, kind: "GCP service-account key", hints: []string{"service_account"},
		re: regexp.MustCompile(`"type"\s*:\s*"service_account"[\s\S]*?"private_key"\s*:\s*"([^"]*)"|"private_key"\s*:\s*"([^"]*)"[\s\S]*?"type"\s*:\s*"service_account"`),
		judge: func(m []string) (string, Strength) {
			key := m[1] + m[2]
			if len(key) < 100 {
				return key, Placeholder
			}
			return key, Real
		}},
	{det: PrivateKey, kind: "private key", hints: []string{"PRIVATE KEY"},
		re: regexp.MustCompile(`-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?:[^-]|-[^-])*(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----)?`),
		judge: func(m []string) (string, Strength) {
			body := m[0][strings.Index(m[0], "-----\n")+1:]
			if strings.Contains(body, "-----END") {
				body = body[:strings.Index(body, "-----END")]
			}
			n := 0
			for _, r := range body {
				if r != '\n' && r != '\r' && r != ' ' && r != '\\' {
					n++
				}
			}
			if n < 64 || placeholder(body) && n < 200 {
				return m[0], Placeholder // "...", a truncated example
			}
			return m[0], Real
		}},
	{det: AWSAccessKey, kind: "AWS access key", hints: []string{"AKIA", "ASIA", "ABIA", "ACCA"},
		re: regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`)},
	{det: AWSSecretKey, kind: "AWS secret access key", hints: []string{"ecret", "ECRET"},
		re:    regexp.MustCompile(`(?i)aws_?secret(?:_?access)?_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`),
		group: 1},
	{det: AzureStorageKey, kind: "Azure storage account key", hints: []string{"AccountKey="},
		re: regexp.MustCompile(`AccountKey=([A-Za-z0-9+/]{86}==)`), group: 1},
	{det: GitHubToken, kind: "GitHub token", hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})\b`)},
	{det: GitLabToken, kind: "GitLab token", hints: []string{"glpat-", "glrt-", "gldt-", "glptt-"},
		re: regexp.MustCompile(`\b(?:glpat|glrt|gldt|glptt)-[A-Za-z0-9_-]{20,}`)},
	{det: SlackToken, kind: "Slack token", hints: []string{"xox"},
		re: regexp.MustCompile(`\bxox[baprse]-[0-9]{6,}-[0-9A-Za-z-]{6,}`)},
	{det: SlackWebhook, kind: "Slack webhook URL", hints: []string{"hooks.slack.com"},
		re: regexp.MustCompile(`https://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{20,})`), group: 1},
	{det: StripeKey, kind: "Stripe secret key", hints: []string{"k_live_", "k_test_"},
		re:    regexp.MustCompile(`\b[rs]k_(live|test)_[0-9A-Za-z]{24,}\b`),
		judge: func(m []string) (string, Strength) { return m[0], plainStrength(m[0]) }},
	// These two may end with "-", after which \b does not match: the end
	// is "no further key character" instead.
	{det: GoogleAPIKey, kind: "Google API key", hints: []string{"AIza"},
		re: regexp.MustCompile(`\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)`), group: 1},
	{det: SendGridKey, kind: "SendGrid API key", hints: []string{"SG."},
		re: regexp.MustCompile(`\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)`), group: 1},
	{det: NPMToken, kind: "npm access token", hints: []string{"npm_"},
		re: regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{det: JWT, kind: "JSON Web Token", hints: []string{"eyJ"},
		re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	// Go's MySQL driver DSN: user:password@tcp(host:3306)/db.
	{det: DSNPassword, kind: "password in a database DSN", hints: []string{"@tcp(", "@unix(", "@tcp6("},
		re: regexp.MustCompile(`(?:^|[\s"'=,])([^\s:@/"'=,]+):([^\s@"']+)@(?:tcp6?|unix)\(`),
		judge: func(m []string) (string, Strength) {
			if inert(m[2]) != "" {
				return "", 0
			}
			return m[2], strength(m[2], m[1])
		}},
	{det: AuthHeader, kind: "credential in an Authorization header", hints: []string{"uthorization", "UTHORIZATION"},
		re: regexp.MustCompile(`(?i)\bauthorization["']?\s*[:=]?\s*["']?(basic|bearer|token)\s+([A-Za-z0-9+/=._~-]{8,})`),
		judge: func(m []string) (string, Strength) {
			if strings.EqualFold(m[1], "basic") {
				if raw, err := base64.StdEncoding.DecodeString(m[2]); err == nil {
					if u, p, ok := strings.Cut(string(raw), ":"); ok {
						return m[2], strength(p, u)
					}
				}
			}
			return m[2], plainStrength(m[2])
		}},
	{det: RegistryAuth, kind: "container registry credentials", hints: []string{`"auths"`},
		re: regexp.MustCompile(`"auth"\s*:\s*"([A-Za-z0-9+/=]{4,})"`),
		judge: func(m []string) (string, Strength) {
			raw, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				return m[1], plainStrength(m[1])
			}
			u, p, ok := strings.Cut(string(raw), ":")
			if !ok || p == "" || inert(p) != "" {
				return "", 0
			}
			return m[1], strength(p, u)
		}},
}

// urlRe finds URLs in text; each is parsed to find a password or a
// credential in its query.
var urlRe = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"<>` + "`" + `]+`)

// Detect finds credentials in value, which sits under key (a ConfigMap
// key, an env name, an annotation); key may be "". The value's shape comes
// first: known formats are found anywhere in it; a value that is a
// number, a boolean, a duration, a path, a URL without credentials, a
// hash or public material is never a credential whatever its key says;
// other values are credentials when their key says so, with a strength
// (placeholder, known default, real-looking). Configuration files
// (multi-line values, JSON) are read line by line the same way.
func Detect(key, value string) []Match {
	return detect(key, value, nil)
}

// users finds the user paired with a credential-named key among its
// siblings (the env of the same container, the keys of the same
// ConfigMap or Secret); nil when there are none.
type users func(name string) string

func detect(key, value string, pair users) []Match {
	var out []Match
	seen := map[string]bool{}
	add := func(m Match) {
		if m.Value != "" && !seen[m.Value] {
			seen[m.Value] = true
			out = append(out, m)
		}
	}
	for _, m := range findPatterns(value) {
		add(m)
	}
	v := strings.TrimSpace(value)
	if !strings.Contains(v, "\n") && !looksStructured(v) {
		if key != "" {
			for _, m := range named(key, v, pair, NamedValue) {
				add(m)
			}
		}
		if strings.ContainsAny(v, " \t") {
			for _, m := range judgeArgs(splitCommand(v), nil) {
				add(m)
			}
		}
		return out
	}
	for _, m := range configFile(v) {
		add(m)
	}
	return out
}

// findPatterns finds known formats and URLs with credentials.
func findPatterns(value string) []Match {
	var out []Match
	for _, p := range patterns {
		if !slices.ContainsFunc(p.hints, func(h string) bool { return strings.Contains(value, h) }) {
			continue
		}
		for _, m := range p.re.FindAllStringSubmatch(value, -1) {
			v, s := m[p.group], Strength(0)
			if p.judge != nil {
				v, s = p.judge(m)
				if v == "" {
					continue
				}
			}
			if s == 0 {
				s = plainStrength(v)
			}
			kind := p.kind
			if p.det == StripeKey && strings.Contains(v, "_test_") {
				kind = "Stripe test-mode key"
			}
			mt := newMatch(p.det, kind, v, s)
			switch {
			case p.det == StripeKey && strings.Contains(v, "_test_") && s == Real:
				mt.Severity = finding.SeverityLow // test mode moves no money
			case p.det == PrivateKey && strings.Contains(m[1], "ENCRYPTED") && s == Real:
				mt.Severity = finding.SeverityMedium // useless without its passphrase
			}
			out = append(out, mt)
		}
	}
	out = overlapping(out)
	if strings.Contains(value, ";") && strings.Contains(value, "=") {
		out = append(out, connStrings(value)...)
	}
	// A URL carries a credential only in its userinfo (before an "@") or
	// in its query (after a "?"): urlCredential looks nowhere else.
	if strings.Contains(value, "://") && strings.ContainsAny(value, "@?") {
		for _, u := range urlRe.FindAllString(value, -1) {
			u = strings.TrimRight(u, ".,;)]}")
			if raw, plain := urlCredential(u); raw != "" {
				out = append(out, newMatch(URLPassword, "password in a URL", raw, strength(plain, urlUser(u))))
			}
		}
	}
	return out
}

func urlUser(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			user, _, _ := strings.Cut(rest[:at], ":")
			return user
		}
	}
	return ""
}

func looksStructured(v string) bool {
	return strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}")
}

// named judges a value under a name: nothing when the name says nothing
// or the value's shape rules a credential out; otherwise a match of
// detector d with the value's strength.
func named(name, v string, pair users, d Detector) []Match {
	v = unquote(strings.TrimSpace(v))
	words := nameWords(name)
	if credentialName(name) < 0 || namesNoCredential(words) {
		return nil
	}
	if why := inert(v); why != "" && !looksLikeSecretWithSpaces(v) {
		return nil
	}
	if nameIsOnlySecret(name) && dnsNameRe.MatchString(v) {
		return nil // IMAGE_PULL_SECRET: regcred-like names of Secret objects
	}
	if f := strings.Fields(v); len(f) == 2 {
		v = f[1] // "Bearer x": the token
	}
	user := ""
	if pair != nil {
		user = pair(name)
	}
	if user == "" {
		user = impliedUser(words)
	}
	if basic := len(words) > 1 && words[len(words)-1] == "auth" && words[len(words)-2] == "basic"; basic {
		if u, p, ok := strings.Cut(v, ":"); ok {
			return []Match{newMatch(d, credentialKind(name, d), p, strength(p, u))}
		}
	}
	if slices.Contains(words, "aws") && slices.Contains(words, "secret") && awsSecretRe.MatchString(v) {
		return []Match{newMatch(AWSSecretKey, "AWS secret access key", v, plainStrength(v))}
	}
	return []Match{newMatch(d, credentialKind(name, d), v, strength(v, user))}
}

var awsSecretRe = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)

func credentialKind(name string, d Detector) string {
	switch d {
	case ConfigAssignment:
		return "value of " + strconv.Quote(name)
	case CommandLineFlag:
		return "value of flag " + name
	}
	return "literal value of " + name
}

// impliedUser is the user a name implies when no sibling names one:
// MYSQL_ROOT_PASSWORD is root's, GF_SECURITY_ADMIN_PASSWORD admin's,
// POSTGRES_PASSWORD postgres's.
func impliedUser(words []string) string {
	for _, w := range words {
		switch w {
		case "root", "admin", "administrator", "superuser":
			if w == "superuser" {
				return "postgres"
			}
			return w
		}
	}
	if len(words) > 1 {
		switch words[0] {
		case "postgres", "postgresql", "pg":
			return "postgres"
		case "elastic", "elasticsearch":
			return "elastic"
		case "rabbitmq":
			return "guest"
		case "minio":
			return "minioadmin"
		case "neo4j":
			return "neo4j"
		}
	}
	return ""
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

var twoWordKeys = []string{"user id", "data source", "initial catalog"}

// connStrings finds passwords in ADO.NET, ODBC and JDBC-style connection
// strings: one line of ";"-separated key=value pairs with a server or user
// key and a Password (or Pwd) key.
func connStrings(value string) []Match {
	var out []Match
	for _, line := range strings.Split(value, "\n") {
		if !strings.Contains(line, ";") {
			continue
		}
		kv := map[string]string{}
		for _, part := range strings.Split(line, ";") {
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			k = strings.ToLower(strings.TrimSpace(k))
			// A key quoted in JSON or YAML ("Default": "Server=...") keeps
			// only its last word; the two-word keys are kept whole.
			if i := slices.IndexFunc(twoWordKeys, func(s string) bool { return strings.HasSuffix(k, s) }); i >= 0 {
				k = twoWordKeys[i]
			} else if i := strings.LastIndexAny(k, " \t\"'"); i >= 0 {
				k = k[i+1:]
			}
			kv[k] = strings.Trim(strings.TrimSpace(v), `"', `)
		}
		pass, ok := kv["password"]
		if !ok {
			pass, ok = kv["pwd"]
		}
		if !ok || len(kv) < 2 || inert(pass) != "" {
			continue
		}
		user := kv["user id"] + kv["uid"] + kv["user"] + kv["username"]
		_, server := kv["server"]
		_, host := kv["host"]
		_, ds := kv["data source"]
		_, db := kv["database"]
		if !(server || host || ds || db || user != "") {
			continue
		}
		out = append(out, newMatch(ConnStringPass, "password in a connection string", pass, strength(pass, user)))
	}
	return out
}

// overlapping drops a match whose value overlaps an earlier one's: the
// patterns are ordered from the most specific (a GCP key file holds a
// private key).
func overlapping(ms []Match) []Match {
	out := ms[:0]
	for _, m := range ms {
		if !slices.ContainsFunc(out, func(o Match) bool {
			return strings.Contains(o.Value, m.Value) || strings.Contains(m.Value, strings.ReplaceAll(o.Value, `\n`, "\n"))
		}) {
			out = append(out, m)
		}
	}
	return out
}
