package controlplane

import (
	"testing"
	"time"

	"github.com/kguard/kguard/internal/k8sversions"
)

func TestLifecycleTable(t *testing.T) {
	for i, l := range lifecycles {
		if i > 0 && l.Release.Compare(lifecycles[i-1].Release) <= 0 {
			t.Errorf("%s is out of order", l.Release)
		}
		if !l.EndOfLife.After(l.Released) {
			t.Errorf("%s ends before it starts", l.Release)
		}
		if months := l.EndOfLife.Sub(l.Released).Hours() / 24 / 30.4; months < 13 || months > 16 {
			t.Errorf("%s is supported for %.1f months, not about 14", l.Release, months)
		}
	}
	if last := lifecycles[len(lifecycles)-1].Release; last.Compare(k8sversions.Latest) < 0 {
		t.Errorf("table ends at %s, before the latest known release %s", last, k8sversions.Latest)
	}
}

func TestSupported(t *testing.T) {
	rel := func(s string) k8sversions.Release {
		r, err := k8sversions.ParseRelease(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	at := func(s string) time.Time { return eolDay(s).Add(12 * time.Hour) }
	for _, tc := range []struct {
		release, asOf string
		want          bool
	}{
		{"1.31", "2025-10-28", true}, // the end-of-life day itself
		{"1.31", "2025-10-29", false},
		{"1.32", "2025-10-29", true},
		{"1.24", "2022-01-01", false}, // older than the table
		{"1.99", "2030-01-01", true},  // newer than the table
	} {
		if got := Supported(rel(tc.release), at(tc.asOf)); got != tc.want {
			t.Errorf("Supported(%s, %s) = %v, want %v", tc.release, tc.asOf, got, tc.want)
		}
	}
	if _, ok := LifecycleOf(rel("1.20")); ok {
		t.Error("1.20 listed")
	}
}
