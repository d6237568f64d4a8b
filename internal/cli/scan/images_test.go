package scan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/vulndb"
)

func alpineImage(t *testing.T) v1.Image {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("..", "..", "images", "inventory", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: read("alpine/os-release")},
		imagetest.File{Path: "lib/apk/db/installed", Content: read("alpine/installed")},
	))
}

// TestScanImages: manifests whose workloads run images from an
// in-process registry. Each distinct image is read once; findings of
// image-vulnerable land on the workloads that run the vulnerable image,
// the exposed one ranked higher; an unreachable image is an error (exit 2)
// and the rest is still reported.
func TestScanImages(t *testing.T) {
	r := imagetest.NewRegistry(t)
	ref := r.Push(t, "alpine:3.20", alpineImage(t))
	dead := imagetest.NewRegistry(t)
	dead.Server.Close()
	db := t.TempDir()
	now := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	if _, err := vulndb.Import(db, []vulndb.Input{{Name: "t", Path: "../../vulndb/testdata/osv"}}, now); err != nil {
		t.Fatal(err)
	}
	manifests := `apiVersion: apps/v1
kind: Deployment
metadata: {name: internal, namespace: shop}
spec:
  selector: {matchLabels: {app: internal}}
  template:
    metadata: {labels: {app: internal}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: app, image: "` + ref + `"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: public, namespace: shop}
spec:
  selector: {matchLabels: {app: public}}
  template:
    metadata: {labels: {app: public}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: app, image: "` + ref + `"}]
---
apiVersion: v1
kind: Service
metadata: {name: public, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: public}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: gone, namespace: shop}
spec:
  automountServiceAccountToken: false
  containers: [{name: app, image: "` + dead.Host + `/gone:1"}]
`
	file := write(t, "app.yaml", manifests)
	out, errOut, code := run(t, "", "--images", "--db", db, "--no-cache", "--as-of", "2026-10-05", "-o", "json", "--fail-on", "none", file)
	if code != 2 || !strings.Contains(errOut, "image "+dead.Host+"/gone:1") {
		t.Errorf("exit %d, stderr %s", code, errOut)
	}
	manifestGets := 0
	for _, q := range r.Requests() {
		if strings.HasPrefix(q, "GET /v2/alpine/manifests/3.20") {
			manifestGets++
		}
	}
	if manifestGets != 1 {
		t.Errorf("the shared image's manifest was fetched %d times, want once", manifestGets)
	}
	var rep struct {
		Findings []struct {
			Rule, Severity, Message string
			Resource                struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if f.Rule == "image-vulnerable" {
			got[f.Resource.Name] = f.Severity + " " + f.Message
		}
	}
	// Alpine's advisories in the test data carry no CVSS: low, raised to
	// medium for the workload behind the LoadBalancer.
	if !strings.HasPrefix(got["internal"], "low container \"app\" runs image") || !strings.Contains(got["internal"], "2 known vulnerabilities") {
		t.Errorf("internal: %q", got["internal"])
	}
	if !strings.HasPrefix(got["public"], "medium ") || !strings.Contains(got["public"], "reachable from outside the cluster (Service shop/public, LoadBalancer)") {
		t.Errorf("public: %q", got["public"])
	}
	if _, ok := got["gone"]; ok || len(got) != 2 {
		t.Errorf("findings: %v", got)
	}

	// Without --images, the rule reports nothing and no image is read.
	before := len(r.Requests())
	out, _, _ = run(t, "", "-o", "json", "--fail-on", "none", file)
	if strings.Contains(out, "image-vulnerable") || len(r.Requests()) != before {
		t.Errorf("without --images: %d requests, findings %s", len(r.Requests())-before, out)
	}
}
