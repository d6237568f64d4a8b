package backup

import (
	"testing"
	"time"

	"github.com/kguard/kguard/internal/inventory"
)

func TestParsePeriod(t *testing.T) {
	h := time.Hour
	for _, c := range []struct {
		expr string
		want time.Duration
	}{
		{"0 2 * * *", 24 * h},
		{"@daily", 24 * h},
		{"@midnight", 24 * h},
		{"@hourly", h},
		{"@weekly", 7 * 24 * h},
		{"@monthly", 31 * 24 * h},
		{"@every 6h", 6 * h},
		{"@every 90m", 90 * time.Minute},
		{"*/15 * * * *", 15 * time.Minute},
		{"0 */6 * * *", 6 * h},
		{"0 0,12 * * *", 12 * h},
		{"0 1 * * MON-FRI", 72 * h},
		{"30 1 * * 1-5", 72 * h},
		{"0 3 * * sun", 7 * 24 * h},
		{"0 3 * * 7", 7 * 24 * h},
		{"0 3 1,15 * *", 17 * 24 * h}, // 15th to the 1st after a 31-day month
		{"0 0 1 */3 *", 92 * 24 * h},
		{"CRON_TZ=Europe/Paris 0 2 * * *", 24 * h},
		{"0 9-17 * * *", 16 * h},
	} {
		got, err := ParsePeriod(c.expr)
		if err != nil || got != c.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0 2 * *", "0 0 2 * * *", "61 * * * *", "@often", "@every soon", "0 0 30 2 *", "a * * * *", "*/0 * * * *"} {
		if d, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", bad, d)
		}
	}
}

const fixture = `apiVersion: velero.io/v1
kind: Schedule
metadata: {name: apps, namespace: velero}
spec:
  schedule: "0 */4 * * *"
  template:
    includedNamespaces: ["*"]
    excludedNamespaces: [dev-*]
    snapshotVolumes: false
    ttl: 72h
---
apiVersion: velero.io/v1
kind: Schedule
metadata: {name: db, namespace: velero}
spec:
  schedule: "@hourly"
  template:
    includedNamespaces: [shop]
    labelSelector: {matchLabels: {tier: db}}
    defaultVolumesToFsBackup: true
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pg, namespace: shop, labels: {tier: db}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: scratch, namespace: dev-alice}
spec: {containers: [{name: x, image: busybox}]}
`

func TestBuild(t *testing.T) {
	objs, errs := inventory.DecodeFile("f.yaml", []byte(fixture))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := Build(inventory.New(objs))
	if len(m.Schedules) != 2 || len(m.Namespaces) != 2 {
		t.Fatalf("%d schedules, %d namespaces", len(m.Schedules), len(m.Namespaces))
	}
	dev, _ := m.Namespace("dev-alice")
	if len(dev.Covered) != 0 {
		t.Errorf("dev-alice covered by %v", dev.Covered)
	}
	shop, ok := m.Namespace("shop")
	if !ok || len(shop.Covered) != 2 {
		t.Fatalf("shop: %+v", shop)
	}
	if c := shop.Covered[1]; !c.Partial || c.Matched != 1 || c.Total != 2 || !c.Volumes {
		t.Errorf("db coverage: %+v", c)
	}
	if c := shop.Covered[0]; c.Partial || c.Volumes {
		t.Errorf("apps coverage: %+v", c)
	}
	if rpo, by := shop.RPO(); rpo != time.Hour || by.Name != "db" {
		t.Errorf("RPO %v by %v", rpo, by)
	}
	if !shop.VolumesCovered() {
		t.Error("shop volumes not covered")
	}
	if s := m.Schedules[0]; s.Template.TTL != 72*time.Hour || !s.Template.TTLSet || s.Period != 4*time.Hour {
		t.Errorf("apps: %+v", s)
	}
	if got := Human(36*time.Hour + 30*time.Minute); got != "1d12h30m" {
		t.Errorf("Human = %q", got)
	}
}
