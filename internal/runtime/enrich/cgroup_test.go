package enrich

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Identifiers shaped like real ones.
const (
	cid        = "8e4b0b5ad8f4c3e2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8"
	cid2       = "f00dfacecafebeefdeadbeef0123456789abcdef0123456789abcdef01234567"
	podUID     = "6a3c6e8e-0f7b-4d5c-9a4e-2b6f0c1d2e3f"
	podUIDUnit = "6a3c6e8e_0f7b_4d5c_9a4e_2b6f0c1d2e3f" // as systemd unit names spell it
	static     = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"     // a static pod's UID: its manifest's hash
	sandbox    = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
	kindNode   = "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
)

func TestParseCgroupPath(t *testing.T) {
	ref := func(rt, id, uid string, qos corev1.PodQOSClass) *ContainerRef {
		return &ContainerRef{Runtime: rt, ID: id, PodUID: uid, QOSClass: qos}
	}
	const (
		g  = corev1.PodQOSGuaranteed
		bu = corev1.PodQOSBurstable
		be = corev1.PodQOSBestEffort
	)
	tests := []struct {
		name string
		path string
		want *ContainerRef // nil: must not match
	}{
		// systemd driver.
		{"containerd burstable", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, bu)},
		{"containerd besteffort", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, be)},
		{"containerd guaranteed, directly under kubepods.slice", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, g)},
		{"cri-o", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice/crio-" + cid + ".scope",
			ref(RuntimeCRIO, cid, podUID, bu)},
		{"cri-o with crun's container sub-cgroup", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/crio-" + cid + ".scope/container",
			ref(RuntimeCRIO, cid, podUID, g)},
		{"docker (cri-dockerd)", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDUnit + ".slice/docker-" + cid + ".scope",
			ref(RuntimeDocker, cid, podUID, be)},
		{"pause container", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDUnit + ".slice/cri-containerd-" + sandbox + ".scope",
			ref(RuntimeContainerd, sandbox, podUID, be)},
		{"static pod (hash UID)", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + static + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, static, bu)},
		{"no leading slash", "kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, g)},
		{"trailing slash", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope/",
			ref(RuntimeContainerd, cid, podUID, g)},
		{"cgroup made inside the container", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope/init.scope/nested",
			ref(RuntimeContainerd, cid, podUID, g)},

		// cgroupfs driver.
		{"cgroupfs burstable", "/kubepods/burstable/pod" + podUID + "/" + cid, ref("", cid, podUID, bu)},
		{"cgroupfs besteffort", "/kubepods/besteffort/pod" + podUID + "/" + cid, ref("", cid, podUID, be)},
		{"cgroupfs guaranteed", "/kubepods/pod" + podUID + "/" + cid, ref("", cid, podUID, g)},
		{"cgroupfs cri-o", "/kubepods/besteffort/pod" + podUID + "/crio-" + cid, ref(RuntimeCRIO, cid, podUID, be)},
		{"cgroupfs static pod", "/kubepods/burstable/pod" + static + "/" + cid, ref("", cid, static, bu)},

		// Nested layouts.
		{"kind node, seen from inside", "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, be)},
		{"kind guaranteed", "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, g)},
		{"kind node, seen from the host: the node's docker scope is not the container", "/system.slice/docker-" + kindNode + ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope",
			ref(RuntimeContainerd, cid, podUID, bu)},
		{"k3d: cgroupfs kubelet in a docker container", "/docker/" + kindNode + "/kubepods/besteffort/pod" + podUID + "/" + cid,
			ref("", cid, podUID, be)},
		{"slice:prefix:id form under containerd.service", "/system.slice/containerd.service/kubepods-burstable-pod" + podUIDUnit + ".slice:cri-containerd:" + cid,
			ref(RuntimeContainerd, cid, podUID, bu)},
		{"slice:prefix:id, guaranteed, cri-o", "/kubepods-pod" + podUIDUnit + ".slice:crio:" + cid, ref(RuntimeCRIO, cid, podUID, g)},
		{"outer pod wins when a cluster runs in a pod", "/kubepods/burstable/pod" + podUID + "/" + cid + "/kubepods/besteffort/pod" + static + "/" + cid2,
			ref("", cid, podUID, bu)},

		// Not a container.
		{"root", "/", nil},
		{"empty", "", nil},
		{"system service", "/system.slice/containerd.service", nil},
		{"kubelet", "/system.slice/kubelet.service", nil},
		{"user session", "/user.slice/user-1000.slice/session-3.scope", nil},
		{"docker container outside Kubernetes", "/system.slice/docker-" + cid + ".scope", nil},
		{"kind node itself", "/system.slice/docker-" + kindNode + ".scope/init.scope", nil},
		{"kubepods root", "/kubepods.slice", nil},
		{"QoS slice", "/kubepods.slice/kubepods-burstable.slice", nil},
		{"pod slice without container", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice", nil},
		{"cgroupfs pod without container", "/kubepods/burstable/pod" + podUID, nil},
		{"cri-o conmon", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice/crio-conmon-" + cid + ".scope", nil},
		{"short ID", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-8e4b0b5ad8f4.scope", nil},
		{"63 digits", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid[:63] + ".scope", nil},
		{"65 digits", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + "0.scope", nil},
		{"upper-case ID", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + strings.ToUpper(cid) + ".scope", nil},
		{"non-hex ID", "/kubepods/pod" + podUID + "/" + strings.Repeat("g", 64), nil},
		{"unknown runtime prefix", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/runc-" + cid + ".scope", nil},
		{"bare ID with .scope", "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/" + cid + ".scope", nil},
		{"malformed pod UID", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podnot_a_uid.slice/cri-containerd-" + cid + ".scope", nil},
		{"pod UID with dashes in wrong places", "/kubepods/pod6a3c6e8e0-f7b-4d5c-9a4e-2b6f0c1d2e3f/" + cid, nil},
		{"upper-case pod UID", "/kubepods/pod" + strings.ToUpper(podUID) + "/" + cid, nil},
		{"pod slice not under kubepods", "/machine.slice/machine-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope", nil},
		{"cgroupfs pod not under kubepods", "/tenants/pod" + podUID + "/" + cid, nil},
		{"cgroupfs QoS not under kubepods", "/burstable/pod" + podUID + "/" + cid, nil},
		{"slice:prefix:id with an unknown runtime", "/system.slice/containerd.service/kubepods-burstable-pod" + podUIDUnit + ".slice:runc:" + cid, nil},
		{"slice:prefix:id with a bad ID", "/system.slice/containerd.service/kubepods-burstable-pod" + podUIDUnit + ".slice:cri-containerd:xyz", nil},
		{"slice:prefix without ID", "/kubepods-pod" + podUIDUnit + ".slice:cri-containerd", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseCgroupPath(tt.path)
			switch {
			case tt.want == nil && ok:
				t.Errorf("ParseCgroupPath(%q) = %+v, want no match", tt.path, got)
			case tt.want != nil && !ok:
				t.Errorf("ParseCgroupPath(%q): no match, want %+v", tt.path, *tt.want)
			case tt.want != nil && got != *tt.want:
				t.Errorf("ParseCgroupPath(%q) =\n  %+v\nwant\n  %+v", tt.path, got, *tt.want)
			}
		})
	}
}

func TestParseContainerID(t *testing.T) {
	tests := []struct {
		in, rt, id string
		ok         bool
	}{
		{"containerd://" + cid, RuntimeContainerd, cid, true},
		{"cri-o://" + cid, RuntimeCRIO, cid, true},
		{"docker://" + cid, RuntimeDocker, cid, true},
		{cid, "", "", false},
		{"containerd://", "", "", false},
		{"://" + cid, "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		rt, id, ok := ParseContainerID(tt.in)
		if rt != tt.rt || id != tt.id || ok != tt.ok {
			t.Errorf("ParseContainerID(%q) = %q, %q, %v; want %q, %q, %v", tt.in, rt, id, ok, tt.rt, tt.id, tt.ok)
		}
	}
}

func FuzzParseCgroupPath(f *testing.F) {
	f.Add("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope")
	f.Add("/kubepods/pod" + podUID + "/" + cid)
	f.Add("/system.slice/containerd.service/kubepods-pod" + podUIDUnit + ".slice:crio:" + cid)
	f.Fuzz(func(t *testing.T, path string) {
		ref, ok := ParseCgroupPath(path)
		if !ok {
			return
		}
		// Whatever matched, the ID and UID are well formed and appear in
		// the path (the UID possibly with underscores).
		if !isContainerID(ref.ID) || !isPodUID(ref.PodUID) {
			t.Fatalf("%q: malformed %+v", path, ref)
		}
		if !strings.Contains(path, ref.ID) || !strings.Contains(strings.ReplaceAll(path, "_", "-"), ref.PodUID) {
			t.Fatalf("%q: %+v not from the path", path, ref)
		}
		switch ref.QOSClass {
		case corev1.PodQOSGuaranteed, corev1.PodQOSBurstable, corev1.PodQOSBestEffort:
		default:
			t.Fatalf("%q: QoS %q", path, ref.QOSClass)
		}
	})
}
