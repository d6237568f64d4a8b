package controlplane

import (
	"testing"
	"time"

	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

// fixtureNow is when the fixtures are scanned: the day after Kubernetes
// 1.29 reached end of life.
var fixtureNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", &rules.Settings{Now: fixtureNow})
}

func TestImageRelease(t *testing.T) {
	for image, want := range map[string]string{
		"registry.k8s.io/kube-apiserver:v1.31.4":             "1.31",
		"localhost:5000/kube-apiserver:v1.30.0-rc.1":         "1.30",
		"registry.k8s.io/kube-apiserver:v1.29.1@sha256:abcd": "1.29",
		"localhost:5000/kube-apiserver":                      "",
		"registry.k8s.io/kube-apiserver:latest":              "",
	} {
		r, ok := imageRelease(image)
		if got := r.String(); (ok && got != want) || (!ok && want != "") {
			t.Errorf("imageRelease(%q) = %s, %v; want %q", image, got, ok, want)
		}
	}
}
