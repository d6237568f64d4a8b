package secrets

import (
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
)

// Test values are assembled from parts so that no complete token sits in
// the source for scanners of this repository to flag.
const (
	ghToken   = "ghp_" + "R8x2Lq9ZvT4mWc7Yb1Nd5Kf3Hs6Jp0Ua2Ee4"
	awsKeyID  = "AKIA" + "Q3EGRT7XMPLW2K5N"
	awsSecret = "Zq8vLm2Rt7Wx9Kp3Nd5H" + "s6Jp0Ua2Ee4QwErTyUiO"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		det              Detector // "" for nothing found
		str              Strength
	}{
		// Known formats, found anywhere.
		{"aws", "", "export AWS_ACCESS_KEY_ID=" + awsKeyID, AWSAccessKey, Real},
		{"aws documentation example", "", "AKIAIOSFODNN7" + "EXAMPLE", AWSAccessKey, Placeholder},
		{"aws lowercase is not a key", "", strings.ToLower(awsKeyID), "", 0},
		{"aws secret in a credentials file", "credentials", "[default]\naws_access_key_id = " + awsKeyID + "\naws_secret_access_key = " + awsSecret + "\n", AWSAccessKey, Real},
		{"aws secret under its name", "AWS_SECRET_ACCESS_KEY", awsSecret, AWSSecretKey, Real},
		{"pem", "", "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("MIIEowIBAAKCAQEAx3v9", 4) + "\n-----END RSA PRIVATE KEY-----", PrivateKey, Real},
		{"pem truncated example", "", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----", PrivateKey, Placeholder},
		{"pem public key is fine", "signing.pub", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", "", 0},
		{"certificate is fine", "ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "", 0},
		{"gcp", "", `{"type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": "-----BEGIN PRIVATE KEY-----\n` + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 4) + `\n-----END PRIVATE KEY-----\n"}`, GCPServiceAccount, Real},
		{"github", "", "token " + ghToken, GitHubToken, Real},
		{"gitlab", "", "glpat-" + "Zq7Xw2Lm9Rt4Vb8Nc1Kd", GitLabToken, Real},
		{"slack", "", "xoxb-" + "2640513708-5190843712-q9Lr2xT", SlackToken, Real},
		{"slack webhook", "", "https://hooks.slack.com/services/" + "T04QX2L7M/B05R9K3N1/q8Zr2Lm9Xv4Tw7Yb1Nd5Kf3H", SlackWebhook, Real},
		{"slack webhook documentation", "", "https://hooks.slack.com/services/T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX", SlackWebhook, Placeholder},
		{"stripe live", "", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", StripeKey, Real},
		{"google api key", "", "AIza" + "SyD8x2Lq9ZvT4mWc7Yb1Nd5Kf3Hs6Jp0Ua2", GoogleAPIKey, Real},
		{"google api key ending in a dash", "", "AIza" + "SyD8x2Lq9ZvT4mWc7Yb1Nd5Kf3Hs6Jp0Ua-", GoogleAPIKey, Real},
		{"sendgrid key ending in a dash", "", "SG." + "q8Zr2Lm9Xv4Tw7Yb1Nd5K-.x9Lm2Zq8vRt7Wx9Kp3Nd5Hs6Jp0Ua2Ee4QwErTyUiO-", SendGridKey, Real},
		{"jwt", "", "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", JWT, Real},
		{"url password", "", "postgres://app:Wq7!zP4vL9@db.shop.svc:5432/app", URLPassword, Real},
		{"url password net/url rejects", "", "redis://:Wq7#zP4%vL9@cache:6379/0", URLPassword, Real},
		{"url password percent-encoded", "", "amqp://orders:Wq7%23zP4%40vL9@rabbitmq:5672/", URLPassword, Real},
		{"url default pair percent-encoded", "", "amqp://guest:gu%65st@rabbitmq:5672/", URLPassword, Default},
		{"url default pair", "", "amqp://guest:guest@rabbitmq:5672/", URLPassword, Default},
		{"url placeholder", "", "postgres://app:$(DB_PASSWORD)@db:5432/app", "", 0},
		{"url without password", "", "https://user@example.com/path", "", 0},
		{"url query token", "WEBHOOK", "https://hooks.example.com/notify?access_token=q8Zr2Lm9Xv4Tw7Yb", URLPassword, Real},
		{"mysql dsn", "DATA_SOURCE_NAME", "exporter:Xq9vL2mZ7r@tcp(mysql:3306)/", DSNPassword, Real},
		{"connection string", "ConnectionStrings__Default", "Server=sql;Database=shop;User Id=sa;Password=Rt7Wx9Kp3Nd5;", ConnStringPass, Real},
		{"basic auth header", "nginx.conf", "location / {\n  proxy_set_header Authorization \"Basic YWRtaW46YWRtaW4=\";\n}\n", AuthHeader, Default},
		{"registry auth", ".dockerconfigjson", `{"auths":{"registry.example.com":{"auth":"ZGVwbG95OlE4ejJMbTlYdjRUdzdZYjE="}}}`, RegistryAuth, Real},

		// A name says "credential", the shape decides.
		{"credential key", "DB_PASSWORD", "f3Kq9Lm2Vx7Rt4Zp", NamedValue, Real},
		{"low entropy is still a password", "DB_PASSWORD", "billing", NamedValue, Real},
		{"repeated character", "DB_PASSWORD", "aaaaaaaaaaaaaaaa", NamedValue, Placeholder},
		{"placeholder", "DB_PASSWORD", "changeme", NamedValue, Placeholder},
		{"placeholder phrase", "API_KEY", "your-api-key", NamedValue, Placeholder},
		{"known default", "GF_SECURITY_ADMIN_PASSWORD", "prom-operator", NamedValue, Default},
		{"implied user", "MYSQL_ROOT_PASSWORD", "root", NamedValue, Default},
		{"number", "SESSION_TOKEN_TTL", "3600", "", 0},
		{"number under a credential name", "REDIS_PASSWORD", "6379", "", 0},
		{"boolean", "API_KEY_REQUIRED", "true", "", 0},
		{"duration", "TOKEN_REFRESH", "15m", "", 0},
		{"path", "TOKEN_FILE", "/var/run/secrets/token", "", 0},
		{"path under a bare name", "SECRET", "/etc/app/secret.json", "", 0},
		{"url under a credential name", "OAUTH_TOKEN", "https://id.example.com/oauth2/token", "", 0},
		{"bcrypt hash", "admin.password", "$2a$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "", 0},
		{"reference", "API_TOKEN", "$(TOKEN_FROM_VAULT)", "", 0},
		{"grafana file reference", "GF_SECURITY_ADMIN_PASSWORD", "$__file{/etc/secrets/admin}", "", 0},
		{"secret object name", "IMAGE_PULL_SECRET", "registry-credentials", "", 0},
		{"sentence", "PASSWORD_HINT_TEXT", "Use at least twelve characters", "", 0},
		{"entropy under ordinary key", "CACHE_ID", "f3Kq9Lm2Vx7Rt4Zp", "", 0},
		{"access key is an identifier", "MINIO_ACCESS_KEY", "minio", "", 0},
		{"etcd's cluster token authenticates nothing", "ETCD_INITIAL_CLUSTER_TOKEN", "etcd-cluster-shop", "", 0},
		{"key of a Secret to read", "DATABASE_PASSWORD_SECRET_KEY", "DATABASE_PASSWORD", "", 0},
		{"a provider named in capitals", "SECRET_PERSISTENCE", "GOOGLE_SECRET_MANAGER", "", 0},
		{"upper-case password", "DB_PASSWORD", "KQ7ZR2LM9XV4", NamedValue, Real},
		{"names of Secrets in a list", "prometheusSpec.secrets[1]", "etcd-client-cert", "", 0},
		{"a Secret's key named under secretKey", "auth.oidc.secretKey", "client-secret", "", 0},
		{"secret key", "SECRET_KEY", "q8Zr2Lm9Xv4Tw7Yb1Nd5", NamedValue, Real},

		// Configuration files, line by line.
		{"config line", "app.properties", "spring.datasource.password=Zx8#kLq2!vR7mW4p\nserver.port=8080", ConfigAssignment, Real},
		{"config line placeholder", "app.properties", "spring.datasource.password=${DB_PASSWORD}", "", 0},
		{"exporter pair", ".my.cnf", "[client]\nuser=exporter\npassword=exporter42\n", ConfigAssignment, Real},
		{"default pair", "grafana.ini", "[security]\nadmin_user = admin\nadmin_password = admin\n", ConfigAssignment, Default},
		{"redis directive", "redis.conf", "port 6379\nrequirepass Kq83nd02mzl4\n", ConfigAssignment, Real},
		{"postgresql.conf setting", "postgresql.conf", "password_encryption = scram-sha-256\nshared_buffers = 128MB\n", "", 0},
		{"prometheus token file", "prometheus.yml", "scrape_configs:\n  - job_name: k8s\n    bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n", "", 0},
		{"json", "config.json", `{"db": {"user": "app", "password": "Q8z2Lm9Xv4"}}`, ConfigAssignment, Real},
		{"xml attribute", "tomcat-users.xml", `<tomcat-users>` + "\n" + `  <user username="tomcat" password="tomcat" roles="manager-gui"/>` + "\n</tomcat-users>", ConfigAssignment, Default},
		{"java options", "JAVA_OPTS", "-Xmx512m -Djavax.net.ssl.keyStorePassword=changeit", CommandLineFlag, Default},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(tc.key, tc.value)
			switch {
			case tc.det == "" && len(got) > 0:
				t.Errorf("found %s (%s), want nothing", got[0].Detector, got[0].Strength)
			case tc.det != "" && len(got) == 0:
				t.Errorf("found nothing, want %s", tc.det)
			case tc.det != "" && (got[0].Detector != tc.det || got[0].Strength != tc.str):
				t.Errorf("found %s (%s), want %s (%s)", got[0].Detector, got[0].Strength, tc.det, tc.str)
			}
		})
	}
}

func TestSeverityFollowsPower(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             finding.Severity
	}{
		{"cloud key", "", awsKeyID, finding.SeverityHigh},
		{"chat token", "", "xoxb-" + "2640513708-5190843712-q9Lr2xT", finding.SeverityMedium},
		{"stripe test key", "", "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", finding.SeverityLow},
		{"placeholder", "DB_PASSWORD", "changeme", finding.SeverityLow},
		{"default pair", "RABBITMQ_DEFAULT_PASS", "guest", finding.SeverityHigh},
		{"real password", "DB_PASSWORD", "Wq7zP4vL9sK2mX8r", finding.SeverityHigh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(tc.key, tc.value)
			if len(got) == 0 || got[0].Severity != tc.want {
				t.Errorf("Detect(%q) = %v, want severity %s", tc.key, got, tc.want)
			}
		})
	}
}

func TestIsCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "apiKey": true, "GITHUB_TOKEN": true, "client_secret": true, "AWS_SECRET_ACCESS_KEY": true,
		"SECRET_KEY_BASE": true, "signingKey": true, "REDIS_AUTH": true, "requirepass": true, "VAULT_SECRET_ID": true,
		"spring.datasource.password": true, "HTTP_Passwd": true, "MINIO_SECRET_KEY": true,
		"PASSWORD_FILE": false, "TOKEN_PATH": false, "SECRET_NAME": false, "TOKEN_TTL": false, "LOG_LEVEL": false,
		"SESSION_TOKEN_TTL": false, "PASSWORD_MIN_LENGTH": false, "MINIO_ACCESS_KEY": false, "AWS_ACCESS_KEY_ID": false,
		"password_encryption": false, "bearer_token_file": false, "OAUTH_TOKEN_ENDPOINT": false, "API_KEY_HEADER": false,
		"tls.key": false, "VAULT_ROLE_ID": false, "ETCD_INITIAL_CLUSTER_TOKEN": true, "initial-cluster-token": true,
		"smtp_sasl_password_maps": false, "ETCD_PEER_TOKEN": true,
		"secret.reloader.stakater.com/reload": false, "checksum/secret": false, "secret-owner": false,
		"vault.hashicorp.com/agent-inject-secret-db": true, "//registry.npmjs.org/:_authToken": true,
		"auth.existingSecret": false, "auth.existingSecretPasswordKey": false, "admin.passwordKey": false,
		"metrics.basicAuth.password.key": false, "GF_SMTP_PASSWORD.secretKeyRef.key": false,
		"keycloak.auth.passwordSecretKey": false, "bearerTokenSecret.key": false, "secrets[0]": true,
		"SECRET_KEY": true, "JWT_SECRET_KEY": true, "adminPassword": true,
	} {
		if got := IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNameWords(t *testing.T) {
	for in, want := range map[string]string{
		"DB_PASSWORD": "db password", "clientSecret": "client secret", "APIKey": "api key",
		"spring.datasource.password": "spring datasource password", "HTTP_Passwd": "http passwd", "s3AccessKey": "s3 access key",
	} {
		if got := strings.Join(nameWords(in), " "); got != want {
			t.Errorf("nameWords(%q) = %q, want %q", in, got, want)
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

// TestSecretData checks the detector of random values in Secrets under
// names that say nothing: identifiers are not secrets.
func TestSecretData(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       bool
	}{
		{"value", "q8Zr2Lm9Xv4Tw7Yb1Nd5Kf3H", true},
		{"erlang-cookie", "q8Zr2Lm9Xv4Tw7Yb1Nd5Kf3H", true},
		{"tenant-id", "4f1c2a9e-8b7d-4c3e-9a1f-2d6b5e8c7a90", false},
		{"endpoint", "q8zr2lm9xv4tw7yb.example.com", false},
		{"username", "q8Zr2Lm9Xv4Tw7Yb1Nd5Kf3H", false},
		{"base64 with padding", "c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==", true},
		{"ldap-bind-dn", "cn=grafana,ou=services,dc=corp,dc=example,dc=com", false},
		{"role", "arn:aws:iam::123456789012:role/backup", false},
	} {
		e := Entry{Kind: SecretEntry, Key: tc.key, Value: tc.value}
		got := slices.ContainsFunc(e.Detect(), func(m Match) bool { return m.Detector == SecretData })
		if got != tc.want {
			t.Errorf("%s: secret-data %v, want %v", tc.key, got, tc.want)
		}
	}
}
