package drcmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

const (
	fixture = "testdata/cluster.yaml"
	now     = "2024-06-01T12:00:00Z"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, NewCmd, args...)
}

func TestReportTable(t *testing.T) {
	out, errOut, code := run(t, "report", "-f", fixture, "--as-of", now)
	want := `NAMESPACE    WORKLOADS  PVCS  SCHEDULES                                   RPO  VOLUMES  LATEST BACKUP
kube-system  1          0     nightly                                     1d   -        nightly/nightly-20240601020000 Completed 2024-06-01T02:10:00Z
legacy       1          0     NOT COVERED                                 -    -        -
media        0          1     nightly                                     1d   NO       nightly/nightly-20240601020000 Completed 2024-06-01T02:10:00Z
shop         1          1     nightly, db-hourly (partial: tier=db, 1/2)  1h   yes      db-hourly/db-hourly-20240601100000 Failed 2024-06-01T10:00:30Z (stale)

1 of 4 namespaces not covered by any schedule: legacy
`
	if code != 0 || out != want {
		t.Errorf("exit %d (%s):\n%s\nwant:\n%s", code, errOut, out, want)
	}
}

func TestReportNoSchedule(t *testing.T) {
	out, errOut, code := run(t, "report", "-f", "testdata/noschedule.yaml")
	if code != 0 || !strings.Contains(out, "shop       1          0     NOT COVERED") ||
		!strings.Contains(out, "No backup schedule (velero.io Schedule) among the inputs") {
		t.Errorf("exit %d (%s):\n%s", code, errOut, out)
	}
}

func TestReportJSON(t *testing.T) {
	out, errOut, code := run(t, "report", "-f", fixture, "--as-of", now, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Schedules []struct {
			Name          string
			PeriodSeconds int64
			TTL           string
			Latest        *struct {
				Name, Phase string
				Stale       bool
			}
		}
		Namespaces []struct {
			Name           string
			Covered        bool
			RPOSeconds     int64
			VolumesCovered *bool
			Schedules      []struct {
				Schedule string
				Partial  bool
				Matched  int
				Total    int
				Volumes  bool
			}
			Latest *struct{ Schedule, Phase string }
		}
		NotCovered []string
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(doc.Schedules) != 2 || doc.Schedules[0].PeriodSeconds != 86400 || doc.Schedules[0].TTL != "7d" ||
		doc.Schedules[1].PeriodSeconds != 3600 || doc.Schedules[1].Latest == nil || !doc.Schedules[1].Latest.Stale ||
		doc.Schedules[0].Latest == nil || doc.Schedules[0].Latest.Stale {
		t.Errorf("schedules: %+v", doc.Schedules)
	}
	if strings.Join(doc.NotCovered, ",") != "legacy" || len(doc.Namespaces) != 4 {
		t.Fatalf("namespaces: %+v not covered %v", doc.Namespaces, doc.NotCovered)
	}
	media, shop := doc.Namespaces[2], doc.Namespaces[3]
	if media.Name != "media" || media.VolumesCovered == nil || *media.VolumesCovered {
		t.Errorf("media: %+v", media)
	}
	if shop.Name != "shop" || shop.RPOSeconds != 3600 || shop.VolumesCovered == nil || !*shop.VolumesCovered || len(shop.Schedules) != 2 ||
		!shop.Schedules[1].Partial || shop.Schedules[1].Matched != 1 || shop.Schedules[1].Total != 2 ||
		shop.Latest == nil || shop.Latest.Phase != "Failed" {
		t.Errorf("shop: %+v", shop)
	}
	if legacy := doc.Namespaces[1]; legacy.Covered || legacy.RPOSeconds != 0 || legacy.VolumesCovered != nil {
		t.Errorf("legacy: %+v", legacy)
	}
}

func TestReportUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"report"}, "no input"},
		{[]string{"report", "-f", fixture, "--cluster"}, "give no paths"},
		{[]string{"report", "-f", fixture, "-o", "yaml"}, "unknown output format"},
		{[]string{"report", "-f", fixture, "--as-of", "yesterday"}, "YYYY-MM-DD"},
		{[]string{"report", "extra", "-f", fixture}, "extra: no such file or directory"},
	} {
		out, errOut, code := run(t, c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, want %d; message %q lacks %q (out %q)", c.args, code, cmdutil.ExitUsage, errOut, c.msg, out)
		}
	}
}
