package enrich

import (
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/kguard/kguard/internal/detect"
)

func TestEnricher(t *testing.T) {
	root := t.TempDir()
	webPath := "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope"
	pausePath := "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDUnit + ".slice/cri-containerd-" + sandbox + ".scope"
	strangerPath := "/kubepods/burstable/pod" + static + "/" + cid2
	mkdirs(t, root, webPath, pausePath, strangerPath, "/system.slice/sshd.service")
	r, err := NewCgroupResolver(ResolverOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	idx := startIndex(t, fake.NewClientset(
		withStatuses(testPod("shop", "web-1", podUID, "node-a"), "containerd://"+cid, ""),
	), PodIndexOptions{})

	tests := []struct {
		name  string
		pods  *PodIndex
		cgrp  uint64
		want  detect.Container
		known bool
	}{
		{"container and pod known", idx, ino(t, root+webPath),
			detect.Container{ID: cid, Image: "nginx:1.27", Pod: "web-1", Namespace: "shop", PodUID: podUID}, true},
		{"pod known, container not in its status (the pause container)", idx, ino(t, root+pausePath),
			detect.Container{ID: sandbox, Pod: "web-1", Namespace: "shop", PodUID: podUID}, true},
		{"pod unknown to the API", idx, ino(t, root+strangerPath),
			detect.Container{ID: cid2, PodUID: static}, true},
		{"no API server: what the cgroup says", nil, ino(t, root+webPath),
			detect.Container{ID: cid, PodUID: podUID}, true},
		{"host process", idx, ino(t, root+"/system.slice/sshd.service"), detect.Container{}, true},
		{"unknown cgroup", idx, 1 << 60, detect.Container{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEnricher(r, tt.pods)
			if got := e.Enrich(tt.cgrp); got != tt.want {
				t.Errorf("Enrich = %+v, want %+v", got, tt.want)
			}
			if _, ok := e.Lookup(tt.cgrp); ok != tt.known {
				t.Errorf("Lookup known = %v, want %v", ok, tt.known)
			}
		})
	}
}

// TestPodUIDRuleVariable: the pod UID an Enricher sets is what rules see
// as process.container.pod_uid, in conditions and outputs.
func TestPodUIDRuleVariable(t *testing.T) {
	rs, err := detect.LoadSources(detect.Source{Name: "pod-uid.yaml", Data: []byte(`
- rule: shell-in-unidentified-pod
  desc: A shell in a container whose pod the API server did not name.
  condition: process.container.pod_uid != '' && process.container.pod == '' && process.comm == 'sh'
  output: "shell in pod {process.container.pod_uid} container {process.container.id}"
  severity: medium
  source: process
`)})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	path := "/kubepods/besteffort/pod" + podUID + "/" + cid
	mkdirs(t, root, path)
	r, err := NewCgroupResolver(ResolverOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	id := ino(t, root+path)
	proc := &detect.Process{PID: 42, Comm: "sh", CgroupID: id, Container: NewEnricher(r, nil).Enrich(id)}
	alerts := rs.Evaluate(detect.Event{Process: proc})
	if len(alerts) != 1 || alerts[0].Output != "shell in pod "+podUID+" container "+cid {
		t.Fatalf("alerts %+v", alerts)
	}
}
