package all

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/scan"
)

// hardeningRules are the rules that judge how an application workload is
// hardened. Control-plane static pods need host namespaces, host paths,
// root and host probes by design and are judged by the control-plane rules
// instead: none of these may report on them.
func hardeningRule(id string) bool {
	return strings.HasPrefix(id, "pss-") || slices.Contains([]string{
		"container-readonly-rootfs-missing", "container-resource-limits-missing",
		"image-not-pinned-by-digest", "image-pull-policy-not-always", "image-latest-tag",
		"workload-host-network-port", "namespace-without-resource-limits", "service-account-token-automount",
	}, id)
}

// TestControlPlaneStaticPods scans kubeadm's static pods with every rule:
// no workload-hardening finding, and one info note per pod that says why.
// The same pods outside kube-system are ordinary pods, and must get the
// hardening findings (the negative control: the exemption, not the
// manifests, is what silences them).
func TestControlPlaneStaticPods(t *testing.T) {
	file := filepath.Join("testdata", "kubeadm-static-pods.yaml")
	run := func(ns string) []finding.Finding {
		loaded, err := input.Load(context.Background(), input.Source{Paths: []string{file}})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range loaded.Inventory.Objects() {
			if ns != "" {
				o.Namespace, o.Ref.Namespace, o.Meta.Namespace = ns, ns, ns
			}
		}
		reg, err := Registry()
		if err != nil {
			t.Fatal(err)
		}
		res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}
	notes := map[string]int{}
	for _, f := range run("") {
		if hardeningRule(f.Rule) {
			t.Errorf("%s on control-plane static pod %s: %s", f.Rule, f.Resource.Name, f.Message)
		}
		if f.Rule == "control-plane-static-pod" {
			notes[f.Resource.Name]++
			if f.Severity != finding.SeverityInfo {
				t.Errorf("note on %s has severity %s", f.Resource.Name, f.Severity)
			}
		}
	}
	for _, pod := range []string{"kube-apiserver", "etcd", "kube-scheduler"} {
		if notes[pod] != 1 {
			t.Errorf("pod %s: %d control-plane-static-pod notes, want 1", pod, notes[pod])
		}
	}
	hardening := 0
	for _, f := range run("tools") {
		if hardeningRule(f.Rule) {
			hardening++
		}
		if f.Rule == "control-plane-static-pod" {
			t.Errorf("note on a pod outside kube-system: %s", f.Resource.Name)
		}
	}
	if hardening < 15 {
		t.Errorf("the same pods in namespace tools get %d hardening findings; the control needs them judged as workloads", hardening)
	}
}
