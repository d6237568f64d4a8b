package secrets

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             string // kind of the first match, "" for none
	}{
		{"aws", "", "export AWS_ACCESS_KEY_ID=AKIAQ3EGRT7XMPLW2K5N", "AWS access key"},
		{"aws lowercase is not a key", "", "akiaq3egrt7xmplw2k5n", ""},
		{"pem", "", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----", "private key"},
		{"pem public key is fine", "", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", ""},
		{"certificate is fine", "", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", ""},
		{"gcp", "", `{"type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": "x"}`, "GCP service-account key"},
		{"github", "", "token ghp_R8x2Lq9ZvT4mWc7Yb1Nd5Kf3Hs6Jp0Ua2Ee4", "GitHub token"},
		{"gitlab", "", "glpat-Zq7Xw2Lm9Rt4Vb8Nc1Kd", "GitLab token"},
		{"slack", "", "xoxb-2640513708-5190843712-q9Lr2", "Slack token"},
		{"jwt", "", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "JSON Web Token"},
		{"url password", "", "postgres://app:Wq7!zP4vL9@db.shop.svc:5432/app", "password in a URL"},
		{"url placeholder", "", "postgres://app:$(DB_PASSWORD)@db:5432/app", ""},
		{"url without password", "", "https://user@example.com/path", ""},
		{"entropy under credential key", "DB_PASSWORD", "f3Kq9Lm2Vx7Rt4Zp", "high-entropy value under a credential-like key"},
		{"low entropy under credential key", "DB_PASSWORD", "aaaaaaaaaaaaaaaa", ""},
		{"path under credential key", "TOKEN_FILE", "/var/run/secrets/token", ""},
		{"entropy under ordinary key", "CACHE_ID", "f3Kq9Lm2Vx7Rt4Zp", ""},
		{"config line", "app.properties", "spring.datasource.password=Zx8#kLq2!vR7mW4p\nserver.port=8080", `high-entropy value under "spring.datasource.password"`},
		{"config line placeholder", "app.properties", "spring.datasource.password=${DB_PASSWORD}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(tc.key, tc.value)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("found %q, want nothing", got[0].Kind)
			case tc.want != "" && (len(got) == 0 || got[0].Kind != tc.want):
				t.Errorf("found %v, want %q", got, tc.want)
			}
		})
	}
}

func TestIsCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "apiKey": true, "GITHUB_TOKEN": true, "client_secret": true, "AWS_SECRET_ACCESS_KEY": true,
		"PASSWORD_FILE": false, "TOKEN_PATH": false, "SECRET_NAME": false, "TOKEN_TTL": false, "LOG_LEVEL": false,
	} {
		if got := IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFingerprintHidesTheValue(t *testing.T) {
	const v = "Wq7!zP4vL9secret"
	fp := Fingerprint(v)
	if strings.Contains(fp, v) || strings.Contains(fp, v[:4]) || !strings.HasPrefix(fp, "16 chars, sha256:") {
		t.Errorf("fingerprint %q", fp)
	}
	if Fingerprint(v) != fp || Fingerprint(v+"x") == fp {
		t.Error("fingerprints must be stable and distinguish values")
	}
}
