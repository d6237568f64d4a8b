package secrets

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// nameWords splits a key or variable name into lower-case words at
// separators and camelCase boundaries: "spring.datasource.password",
// "DB_PASSWORD", "clientSecret" and "APIKey" give [spring datasource
// password], [db password], [client secret] and [api key].
//
// A key with a prefix ending in "/" (an annotation's domain,
// "secret.reloader.stakater.com/reload") is named by what follows it.
func nameWords(name string) []string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	var words []string
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			words = nameWordsRunes(name)
			break
		}
	}
	if words == nil {
		words = nameWordsASCII(name)
	}
	// secrets[0]: an index says nothing about what the name holds.
	for len(words) > 1 && strings.Trim(words[len(words)-1], "0123456789") == "" {
		words = words[:len(words)-1]
	}
	return words
}

// nameWordsASCII splits an ASCII name without copying it rune by rune:
// names are split for every entry of every object, and this is the scan's
// common case.
func nameWordsASCII(name string) []string {
	words := make([]string, 0, 4)
	start := -1
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !asciiLetter(c) && !asciiDigit(c) {
			if start >= 0 {
				words = append(words, strings.ToLower(name[start:i]))
				start = -1
			}
			continue
		}
		if asciiUpper(c) && start >= 0 {
			prev := name[i-1]
			nextLower := i+1 < len(name) && asciiLower(name[i+1])
			// fooBar -> foo Bar; APIKey -> API Key; but DB_PASSWORD stays.
			if asciiLower(prev) || asciiDigit(prev) || (asciiUpper(prev) && nextLower) {
				words = append(words, strings.ToLower(name[start:i]))
				start = i
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, strings.ToLower(name[start:]))
	}
	return words
}

func asciiUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func asciiLower(c byte) bool  { return 'a' <= c && c <= 'z' }
func asciiLetter(c byte) bool { return asciiUpper(c) || asciiLower(c) }
func asciiDigit(c byte) bool  { return '0' <= c && c <= '9' }

// nameWordsRunes splits any name, rune by rune.
func nameWordsRunes(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// fooBar -> foo Bar; APIKey -> API Key; but DB_PASSWORD stays.
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// credentialWords name a credential on their own.
var credentialWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true, "passwort": true,
	"secret": true, "secrets": true, "token": true, "credential": true, "credentials": true, "creds": true,
	"apikey": true, "privatekey": true, "secretkey": true, "accesstoken": true, "authtoken": true,
	"requirepass": true, "masterauth": true, "masterkey": true, "signingkey": true,
}

// keyQualifiers make "key" a credential when they precede it: an API key,
// a signing key. "access key" is deliberately absent: an access key ID
// (AWS, MinIO, S3 gateways) is an identifier, its secret half is named
// secret.
var keyQualifiers = map[string]bool{
	"api": true, "private": true, "signing": true, "encryption": true, "encrypt": true, "crypt": true,
	"master": true, "hmac": true, "session": true, "license": true, "app": true, "account": true,
	"shared": true, "auth": true, "subscription": true, "cookie": true, "jwt": true, "webhook": true,
	"storage": true, "service": true, "client": true, "cipher": true, "root": true,
}

// qualifierWords, as the last word of a name, say that it does not hold
// the credential but refers to one or describes it: where it lives
// (TOKEN_FILE, SECRET_NAME, PASSWORD_RESET_URL), how long it lasts
// (SESSION_TOKEN_TTL), how it is checked (PASSWORD_MIN_LENGTH,
// PASSWORD_HASH_ALGORITHM) or whether it is used (API_KEY_ENABLED).
var qualifierWords = map[string]bool{
	// where
	"file": true, "files": true, "path": true, "dir": true, "directory": true, "location": true, "url": true,
	"uri": true, "endpoint": true, "host": true, "port": true, "ref": true, "reference": true, "name": true,
	"names": true, "header": true, "param": true, "parameter": true, "prefix": true, "suffix": true, "mount": true,
	"volume": true, "namespace": true, "env": true, "var": true, "field": true, "store": true, "backend": true,
	"source": true, "manager": true, "provider": true, "arn": true, "project": true, "region": true,
	"bucket": true, "vault": true, "label": true, "annotation": true, "selector": true, "template": true,
	"config": true, "cfg": true, "settings": true, "class": true, "mapping": true, "cookie": true,
	"audience": true, "issuer": true, "aud": true, "iss": true, "scope": true, "scopes": true, "realm": true,
	// when and how long
	"ttl": true, "timeout": true, "expiry": true, "expires": true, "expiration": true, "lifetime": true,
	"duration": true, "age": true, "maxage": true, "interval": true, "period": true, "seconds": true, "secs": true,
	"sec": true, "ms": true, "millis": true, "minutes": true, "mins": true, "hours": true, "days": true,
	"rotation": true, "refresh": true, "validity": true, "leeway": true, "skew": true, "in": true,
	// how it is checked or stored
	"length": true, "len": true, "size": true, "count": true, "limit": true, "min": true, "max": true,
	"policy": true, "encryption": true, "algorithm": true, "algorithms": true, "alg": true, "algo": true,
	"hash": true, "hashed": true, "digest": true, "checksum": true, "encoding": true, "encoder": true,
	"format": true, "type": true, "kind": true, "mode": true, "method": true, "strategy": true,
	"regex": true, "pattern": true, "complexity": true, "strength": true, "rules": true, "generator": true,
	"cache": true, "version": true, "level": true, "retries": true, "attempts": true,
	"map": true, "maps": true, // Postfix's smtp_sasl_password_maps: a lookup table
	// who and what for
	"owner": true, "owners": true, "contact": true, "team": true, "rotated": true, "hint": true,
	"description": true, "help": true, "doc": true, "docs": true, "runbook": true, "reload": true,
	// whether
	"enabled": true, "enable": true, "disabled": true, "disable": true, "required": true, "optional": true,
	"allowed": true, "auth": true,
	// which one (identifiers, not the secret)
	"id": true, "ids": true, "user": true, "username": true, "login": true,
}

// userWords, as the last word of a name, mark a user name or an
// identifier paired with a credential: POSTGRES_USER, MINIO_ACCESS_KEY,
// AWS_ACCESS_KEY_ID, OIDC_CLIENT_ID.
var userWords = map[string]bool{"user": true, "username": true, "usr": true, "login": true, "uid": true, "account": true}

// IsCredentialName reports whether a key or variable name says it holds a
// credential (PASSWORD, DB_TOKEN, apiKey, SECRET_KEY_BASE,
// AWS_SECRET_ACCESS_KEY), not a reference to one or a setting about one
// (PASSWORD_FILE, TOKEN_PATH, SESSION_TOKEN_TTL, PASSWORD_MIN_LENGTH), nor
// an identifier (MINIO_ACCESS_KEY, CLIENT_ID). The name is only a hint:
// the value's shape decides first (see Detect).
func IsCredentialName(name string) bool {
	return credentialName(name) >= 0
}

// credentialName is credentialWord of a key's words, or -1 when its
// prefix says it describes a value (see prefixQualifies).
func credentialName(name string) int {
	if prefixQualifies(name) {
		return -1
	}
	return credentialWord(nameWords(name))
}

// namesNoCredential reports names that read as credentials but whose
// values authenticate nothing, so that findings leave them out; they stay
// credential names for redaction, which errs on the side of hiding.
// etcd's initial cluster token only keeps clusters apart at bootstrap.
func namesNoCredential(words []string) bool {
	n := len(words)
	return n > 2 && words[n-1] == "token" && words[n-2] == "cluster" && words[n-3] == "initial"
}

// prefixQualifies reports a key whose prefix (before the last "/", the
// domain of an annotation or Helm's checksum/) says the value describes
// something rather than holds it: checksum/secret is a digest.
func prefixQualifies(name string) bool {
	i := strings.LastIndexByte(name, '/')
	if i <= 0 {
		return false
	}
	w := nameWords(name[:i])
	return len(w) > 0 && qualifierWords[w[len(w)-1]]
}

// credentialWord returns the index of the word that makes words a
// credential name, or -1.
func credentialWord(words []string) int {
	n := len(words)
	switch {
	case n == 0:
		return -1
	case n > 1 && words[n-1] == "auth" && (words[n-2] == "redis" || words[n-2] == "master" || words[n-2] == "basic"):
		return n - 1 // REDIS_AUTH, MASTERAUTH: Redis's password; BASIC_AUTH: user:password
	case n > 1 && words[n-1] == "id" && words[n-2] == "secret":
		return n - 2 // Vault AppRole's SECRET_ID is the credential (ROLE_ID is not)
	case qualifierWords[words[n-1]]:
		return -1
	case slices.Contains(words, "existing"):
		return -1 // Helm's existingSecret, existingSecretPasswordKey: an object's name
	case n > 1 && words[n-1] == "key" && keyNameOf[words[n-2]]:
		return -1 // passwordKey, password.key: the key holding the password in a Secret
	}
	for i, w := range words {
		if credentialWords[w] || w == "key" && i > 0 && keyQualifiers[words[i-1]] {
			// secretKeyRef.key, apiTokenSecretRef.key: a reference.
			if slices.ContainsFunc(words[i+1:], func(x string) bool { return x == "ref" || x == "reference" }) {
				return -1
			}
			// passwordSecretKey, bearerTokenSecret.key: the key holding
			// the credential in a Secret.
			if n-i > 2 && words[n-1] == "key" && words[n-2] == "secret" && w != "secret" {
				return -1
			}
			return i
		}
	}
	return -1
}

// keyNameOf are the credential words that, followed by "key" at the end
// of a name, name the key of a Secret that holds the credential rather
// than a key ("secret key" and "api key" are credentials).
var keyNameOf = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "token": true, "credential": true, "credentials": true,
}

// isUserName reports a name that holds the user half of a credential pair.
func isUserName(name string) bool {
	w := nameWords(name)
	if len(w) == 0 {
		return false
	}
	last := w[len(w)-1]
	switch {
	case userWords[last]:
		return true
	case last == "key" && len(w) > 1 && w[len(w)-2] == "access":
		return true // MINIO_ACCESS_KEY: the access key ID
	case last == "id" && len(w) > 2 && w[len(w)-2] == "key" && w[len(w)-3] == "access":
		return true
	case last == "name" && len(w) > 1 && userWords[w[len(w)-2]]:
		return true // USER_NAME
	}
	return false
}

// nameIsOnlySecret reports a name whose credential word is "secret" and
// which ends with it (DB_SECRET, TLS_SECRET, IMAGE_PULL_SECRET): such
// names often hold the name of a Secret object rather than a secret.
func nameIsOnlySecret(name string) bool {
	w := nameWords(name)
	i := credentialWord(w)
	if i < 0 || w[i] != "secret" && w[i] != "secrets" {
		return false
	}
	// No other credential word after it: "secret", "secrets", "secret key"
	// (auth.oidc.secretKey: client-secret), not "secret token".
	return !slices.ContainsFunc(w[i+1:], func(x string) bool { return credentialWords[x] && x != "secret" && x != "secrets" })
}

// stem is the part of a name before its credential or user word, used to
// pair POSTGRES_USER with POSTGRES_PASSWORD and MINIO_ACCESS_KEY with
// MINIO_SECRET_KEY.
func stem(name string) string {
	w := nameWords(name)
	for i, x := range w {
		if credentialWords[x] || userWords[x] || x == "access" || x == "secret" || (x == "key" && i > 0 && keyQualifiers[w[i-1]]) {
			return strings.Join(w[:i], " ")
		}
	}
	if len(w) > 0 {
		return strings.Join(w[:len(w)-1], " ")
	}
	return ""
}
