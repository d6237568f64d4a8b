package controlplane

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/controlplane"
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

// TestEveryCISCheckFiresAndPasses: across the family's fixtures, each CIS
// check a rule lists is evaluated somewhere and failed by some finding,
// so the per-finding attribution that benchmark reports rely on is tested
// for every check. The file rules are tested per role below.
func TestEveryCISCheckFiresAndPasses(t *testing.T) {
	for _, r := range Rules() {
		if len(r.References.CIS) == 0 || r.ID == "node-file-permissions" || r.ID == "node-file-owner" {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.yaml"))
			failed, evaluated := map[string]bool{}, map[string]bool{}
			for _, f := range files {
				res := rulestest.Scan(t, f, []*rules.Rule{r}, &rules.Settings{Now: fixtureNow})
				for _, fd := range res.Findings {
					for _, id := range fd.CIS {
						failed[id] = true
					}
				}
				for _, e := range res.Evaluations {
					for _, id := range e.CIS {
						evaluated[id] = true
					}
				}
			}
			for _, id := range r.References.CIS {
				if !failed[id] {
					t.Errorf("no fixture finding fails CIS %s", id)
				}
				if !evaluated[id] {
					t.Errorf("no fixture evaluates CIS %s", id)
				}
			}
		})
	}
}

// TestNodeFileCIS checks the CIS checks of each file role against the
// benchmark's sections 1.1 and 4.1 (written out by hand from it).
func TestNodeFileCIS(t *testing.T) {
	for _, tc := range []struct {
		role       string
		typ        controlplane.FileType
		mode, user string
	}{
		{controlplane.RoleAPIServerManifest, controlplane.FileStaticPodManifest, "1.1.1", "1.1.2"},
		{controlplane.RoleControllerManagerManifest, controlplane.FileStaticPodManifest, "1.1.3", "1.1.4"},
		{controlplane.RoleSchedulerManifest, controlplane.FileStaticPodManifest, "1.1.5", "1.1.6"},
		{controlplane.RoleEtcdManifest, controlplane.FileStaticPodManifest, "1.1.7", "1.1.8"},
		{controlplane.RoleEtcdDataDir, controlplane.FileEtcdDataDir, "1.1.11", "1.1.12"},
		{controlplane.RoleAdminKubeconfig, controlplane.FileKubeconfig, "1.1.13", "1.1.14"},
		{controlplane.RoleSchedulerKubeconfig, controlplane.FileKubeconfig, "1.1.15", "1.1.16"},
		{controlplane.RoleControllerManagerKubeconfig, controlplane.FileKubeconfig, "1.1.17", "1.1.18"},
		{controlplane.RolePKI, controlplane.FileDirectory, "", "1.1.19"},
		{controlplane.RolePKI, controlplane.FileCertificate, "1.1.20", "1.1.19"},
		{controlplane.RolePKI, controlplane.FilePrivateKey, "1.1.21", "1.1.19"},
		{controlplane.RoleKubeletService, controlplane.FileServiceUnit, "4.1.1", "4.1.2"},
		{controlplane.RoleProxyKubeconfig, controlplane.FileKubeconfig, "4.1.3", "4.1.4"},
		{controlplane.RoleKubeletKubeconfig, controlplane.FileKubeconfig, "4.1.5", "4.1.6"},
		{controlplane.RoleKubeletClientCA, controlplane.FileCertificate, "4.1.7", "4.1.8"},
		{controlplane.RoleKubeletConfig, controlplane.FileConfig, "4.1.9", "4.1.10"},
	} {
		doc := fmt.Sprintf("apiVersion: node.kguard.io/v1alpha1\nkind: NodeFile\nmetadata: {name: f}\nspec: {path: /f, type: %s, roles: [%s]}\nstatus: {mode: \"0777\", uid: 1000, gid: 1000}\n", tc.typ, tc.role)
		file := filepath.Join(t.TempDir(), "f.yaml")
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		res := rulestest.Scan(t, file, []*rules.Rule{nodeFilePermissions(), nodeFileOwner()}, nil)
		got := map[string][]string{}
		for _, f := range res.Findings {
			got[f.Rule] = append(got[f.Rule], f.CIS...)
		}
		var wantMode []string
		if tc.mode != "" {
			wantMode = []string{tc.mode}
		}
		if !slices.Equal(got["node-file-permissions"], wantMode) || !slices.Equal(got["node-file-owner"], []string{tc.user}) {
			t.Errorf("%s %s: mode %v owner %v; want %v %s", tc.role, tc.typ, got["node-file-permissions"], got["node-file-owner"], wantMode, tc.user)
		}
		if len(res.Evaluations) != len(wantMode)+1 {
			t.Errorf("%s %s: evaluations %+v", tc.role, tc.typ, res.Evaluations)
		}
	}
}
