package secrets

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The detectors' precision and recall, measured on labelled corpora:
//
//   - a negative corpus of ordinary configuration written for the
//     purpose (testdata/corpus/negative): env and ConfigMap settings of
//     applications and platform components, Secret values that are not
//     credentials (*.secret), and whole configuration files; no entry holds
//     a credential, so every match is a false positive;
//   - a positive corpus of credentials planted in every detector's format,
//     generated here from a fixed seed (no complete token sits in the
//     repository for secret scanners to flag).
//
// The test fails when fewer than 99.9% of negative entries are clean or
// fewer than 99% of planted credentials are found by their detector. Run
// with -v to print the figures recorded in docs/secrets.md.

// minNegatives keeps the negative corpus from silently shrinking.
const minNegatives = 600

func TestCorpusPrecisionAndRecall(t *testing.T) {
	neg := negativeCorpus(t)
	if len(neg) < minNegatives {
		t.Fatalf("negative corpus has %d entries, want at least %d", len(neg), minNegatives)
	}
	fp := map[Detector]int{}
	falseEntries := 0
	for _, e := range neg {
		ms := e.Detect()
		for _, m := range ms {
			fp[m.Detector]++
		}
		if len(ms) > 0 {
			falseEntries++
			// The key names the entry; the value is ordinary configuration.
			t.Logf("false positive: %s: %s (%s)", e.Where, ms[0].Detector, ms[0].Kind)
		}
	}

	pos := positiveCorpus()
	found, planted := map[Detector]int{}, map[Detector]int{}
	for _, p := range pos {
		planted[p.det]++
		if slices.ContainsFunc(p.entry.Detect(), func(m Match) bool { return m.Detector == p.det }) {
			found[p.det]++
		} else {
			t.Logf("missed: %s planted under %q (%s)", p.det, p.entry.Key, Fingerprint(p.entry.Value))
		}
	}

	t.Logf("negative corpus: %d entries, %d with a match: %.2f%% clean", len(neg), falseEntries, 100*float64(len(neg)-falseEntries)/float64(len(neg)))
	t.Logf("%-28s %8s %8s %8s %10s %10s", "detector", "planted", "found", "recall", "false pos", "precision")
	var totalFound int
	for _, d := range Detectors {
		if planted[d] == 0 {
			t.Errorf("no credential planted for detector %s", d)
			continue
		}
		totalFound += found[d]
		t.Logf("%-28s %8d %8d %7.1f%% %10d %9.1f%%", d, planted[d], found[d], 100*float64(found[d])/float64(planted[d]), fp[d],
			100*float64(found[d])/float64(max(1, found[d]+fp[d])))
		if float64(found[d]) < 0.99*float64(planted[d]) {
			t.Errorf("detector %s: recall %d/%d, below 99%%", d, found[d], planted[d])
		}
	}
	t.Logf("positive corpus: %d planted, %d found: recall %.2f%%", len(pos), totalFound, 100*float64(totalFound)/float64(len(pos)))
	if float64(len(neg)-falseEntries) < 0.999*float64(len(neg)) {
		t.Errorf("precision on the negative corpus: %d of %d entries flagged, above 0.1%%", falseEntries, len(neg))
	}
}

// negativeCorpus reads testdata/corpus/negative: KEY=VALUE lines of *.env
// files are env entries, of *.secret files Secret entries, of
// *.annotations annotations; any other file is one ConfigMap entry named
// after it.
func negativeCorpus(t *testing.T) []Entry {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/negative/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no negative corpus: %v", err)
	}
	var out []Entry
	for _, f := range files {
		base := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		kind := EnvEntry
		switch filepath.Ext(base) {
		case ".secret":
			kind = SecretEntry
		case ".annotations":
			kind = AnnotationEntry
		case ".env":
		default:
			out = append(out, Entry{Kind: ConfigMapEntry, Where: base, Key: base, Value: string(data)})
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: not KEY=VALUE", f, n)
			}
			out = append(out, Entry{Kind: kind, Where: fmt.Sprintf("%s:%d %s", base, n, k), Key: k, Value: v})
		}
	}
	return out
}

type plantedCredential struct {
	det   Detector
	entry Entry
}

// perDetector is how many credentials are planted in each format.
const perDetector = 50

// positiveCorpus plants perDetector credentials of each detector's
// format, each in the kind of entry where it is found in manifests.
func positiveCorpus() []plantedCredential {
	r := rand.New(rand.NewPCG(16, 2026))
	const (
		upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower = "abcdefghijklmnopqrstuvwxyz"
		digit = "0123456789"
		alnum = upper + lower + digit
		b64   = alnum + "+/"
	)
	s := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	// password is random, with letters of both cases and a digit, as a
	// person or a generator chooses one.
	password := func() string {
		return s(upper, 1) + s(lower, 2) + s(digit, 1) + s(alnum+"!#%&*-_", 8+r.IntN(12))
	}
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	pem := func(label string) string {
		var b strings.Builder
		b.WriteString("-----BEGIN " + label + "-----\n")
		for range 6 + r.IntN(20) {
			b.WriteString(s(b64, 64) + "\n")
		}
		return b.String() + "-----END " + label + "-----\n"
	}
	b64url := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }
	env := func(k, v string) Entry { return Entry{Kind: EnvEntry, Key: k, Value: v} }
	cm := func(k, v string) Entry { return Entry{Kind: ConfigMapEntry, Key: k, Value: v} }

	gen := map[Detector]func() Entry{
		PrivateKey: func() Entry {
			return cm(pick("tls.key", "deploy-key", "id_rsa", "signing.pem"), pem(pick("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY")))
		},
		AWSAccessKey: func() Entry {
			return env(pick("AWS_ACCESS_KEY_ID", "S3_KEY", "BACKUP_ID"), pick("AKIA", "ASIA")+s(upper+"234567", 16))
		},
		AWSSecretKey: func() Entry {
			return cm("credentials", "[default]\naws_access_key_id = "+pick("AKIA", "ASIA")+s(upper+"234567", 16)+"\naws_secret_access_key = "+s(b64, 40)+"\n")
		},
		GCPServiceAccount: func() Entry {
			key := strings.ReplaceAll(pem("PRIVATE KEY"), "\n", `\n`)
			return cm("key.json", `{"type": "service_account", "project_id": "acme-`+s(lower, 6)+`", "private_key_id": "`+s("0123456789abcdef", 40)+`", "private_key": "`+key+`", "client_email": "ci@acme.iam.gserviceaccount.com"}`)
		},
		AzureStorageKey: func() Entry {
			return env("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=acme"+s(lower, 6)+";AccountKey="+s(b64, 86)+"==;EndpointSuffix=core.windows.net")
		},
		GitHubToken: func() Entry {
			if r.IntN(4) == 0 {
				return env("GH_TOKEN", "github_pat_"+s(alnum+"_", 82))
			}
			return env(pick("GITHUB_TOKEN", "RENOVATE_TOKEN", "GIT_CREDENTIALS"), pick("ghp_", "gho_", "ghs_", "ghu_")+s(alnum, 36))
		},
		GitLabToken: func() Entry {
			return env(pick("GITLAB_TOKEN", "CI_JOB_AUTH", "RUNNER_REGISTRATION"), pick("glpat-", "glrt-")+s(alnum+"_-", 20))
		},
		SlackToken: func() Entry {
			return env(pick("SLACK_BOT_TOKEN", "SLACK_APP"), pick("xoxb-", "xoxp-")+s(digit, 11)+"-"+s(digit, 12)+"-"+s(alnum, 24))
		},
		SlackWebhook: func() Entry {
			return cm("alertmanager.yml", "global:\n  slack_api_url: https://hooks.slack.com/services/T"+s(upper+digit, 8)+"/B"+s(upper+digit, 8)+"/"+s(alnum, 24)+"\n")
		},
		StripeKey: func() Entry {
			return env(pick("STRIPE_SECRET_KEY", "PAYMENTS_KEY"), pick("sk_live_", "rk_live_")+s(alnum, 24+r.IntN(75)))
		},
		GoogleAPIKey: func() Entry {
			return env(pick("GOOGLE_MAPS_API_KEY", "FIREBASE_KEY"), "AIza"+s(alnum+"_-", 35))
		},
		SendGridKey: func() Entry {
			return env(pick("SENDGRID_API_KEY", "MAIL_KEY"), "SG."+s(alnum+"_-", 22)+"."+s(alnum+"_-", 43))
		},
		NPMToken: func() Entry {
			return cm(".npmrc", "//registry.npmjs.org/:_authToken=npm_"+s(alnum, 36)+"\n")
		},
		JWT: func() Entry {
			h := b64url(`{"alg":"HS256","typ":"JWT"}`)
			p := b64url(fmt.Sprintf(`{"sub":"%s","iat":%d}`, s(lower, 8), 1700000000+r.IntN(1e8)))
			return env(pick("SERVICE_JWT", "UPSTREAM_AUTH", "BOOTSTRAP"), h+"."+p+"."+s(alnum+"_-", 43))
		},
		URLPassword: func() Entry {
			// As written by hand or percent-encoded as net/url writes it.
			user := s(lower, 6) + ":" + password()
			if r.IntN(2) == 0 {
				user = url.UserPassword(s(lower, 6), password()).String()
			}
			return env(pick("DATABASE_URL", "BROKER_URL", "CACHE_URL"), pick("postgres", "mysql", "amqp", "redis", "mongodb")+"://"+user+"@"+s(lower, 8)+".shop.svc:5432/"+s(lower, 5))
		},
		DSNPassword: func() Entry {
			return env(pick("DATA_SOURCE_NAME", "MYSQL_DSN"), s(lower, 7)+":"+password()+"@tcp("+s(lower, 6)+".shop.svc:3306)/"+s(lower, 5)+"?parseTime=true")
		},
		ConnStringPass: func() Entry {
			return env("ConnectionStrings__Default", "Server="+s(lower, 6)+".shop.svc;Database="+s(lower, 6)+";User Id="+s(lower, 6)+";Password="+password()+";Encrypt=True;")
		},
		AuthHeader: func() Entry {
			return cm("nginx.conf", "location /upstream/ {\n  proxy_set_header Authorization \""+pick("Bearer ", "Token ")+s(alnum, 32)+"\";\n  proxy_pass http://upstream;\n}\n")
		},
		RegistryAuth: func() Entry {
			auth := base64.StdEncoding.EncodeToString([]byte(s(lower, 7) + ":" + password()))
			return Entry{Kind: SecretEntry, Key: ".dockerconfigjson", Value: `{"auths":{"registry.example.com":{"auth":"` + auth + `"}}}`}
		},
		NamedValue: func() Entry {
			return env(pick("DB_PASSWORD", "API_KEY", "CLIENT_SECRET", "ADMIN_TOKEN", "REDIS_AUTH", "SMTP_PASS", "JWT_SECRET", "SECRET_KEY_BASE"), password())
		},
		ConfigAssignment: func() Entry {
			return cm(pick("app.properties", "settings.ini", "config.yaml"), "host = db.shop.svc\n"+pick("password", "db.password", "client_secret", "api_key")+" = "+password()+"\nport = 5432\n")
		},
		CommandLineFlag: func() Entry {
			return env("JAVA_OPTS", "-Xmx1g -D"+pick("spring.datasource.password", "javax.net.ssl.keyStorePassword", "app.api.token")+"="+password())
		},
		SecretData: func() Entry {
			return Entry{Kind: SecretEntry, Key: pick("value", "key", "data", "cookie"), Value: s(alnum, 32)}
		},
	}
	var out []plantedCredential
	for _, d := range Detectors {
		g, ok := gen[d]
		if !ok {
			continue
		}
		for range perDetector {
			out = append(out, plantedCredential{det: d, entry: g()})
		}
	}
	return out
}
