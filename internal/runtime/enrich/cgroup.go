package enrich

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Container runtimes, named as in a container status' containerID scheme
// ("containerd://<id>").
const (
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimeDocker     = "docker"
)

// ContainerRef is what a cgroup path says about the container it belongs
// to.
type ContainerRef struct {
	// Runtime is RuntimeContainerd, RuntimeCRIO or RuntimeDocker; empty
	// when the path does not say (the cgroupfs driver names a container's
	// cgroup by its bare ID for containerd and docker).
	Runtime string
	// ID is the runtime's container ID: 64 lower-case hex digits.
	ID string
	// PodUID is the pod's UID as the kubelet knows it, with dashes: the API
	// object's UID, or for a static pod the hash of its manifest (which the
	// API server's mirror pod carries in its kubernetes.io/config.mirror
	// annotation).
	PodUID string
	// QOSClass is the pod's QoS class, from the cgroup it sits in.
	QOSClass corev1.PodQOSClass
}

// runtimePrefixes are the prefixes runtimes give a container's cgroup name
// ("cri-containerd-<id>.scope") or, in the "slice:prefix:id" form, the
// middle field.
var runtimePrefixes = map[string]string{
	"cri-containerd": RuntimeContainerd,
	"crio":           RuntimeCRIO,
	"docker":         RuntimeDocker,
}

// ParseCgroupPath reads the container and pod a cgroup path belongs to.
// It accepts the layouts of both kubelet cgroup drivers:
//
//	systemd:  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
//	          /kubepods.slice/kubepods-pod<uid>.slice/crio-<id>.scope           (Guaranteed)
//	cgroupfs: /kubepods/burstable/pod<uid>/<id>
//	          /kubepods/pod<uid>/<id>                                         (Guaranteed)
//
// with any prefix before the kubelet's root (a node running in a container,
// as kind and k3d do, or a kubelet under its own slice), the runtime-made
// "<pod slice>:<prefix>:<id>" form, and cgroups a container made below its
// own. The first pod in the path wins: for a cluster nested in a pod, the
// outer pod is the one the node's API server knows.
//
// It returns false for a path that is not inside a container: system
// services, a pod's own cgroup, CRI-O's conmon monitor, and names whose ID
// or UID is malformed.
func ParseCgroupPath(path string) (ContainerRef, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range segs {
		if podPart, rest, ok := strings.Cut(seg, ":"); ok {
			// "<pod slice>:<runtime prefix>:<id>", made by a runtime using
			// systemd cgroups when systemd does not manage the path.
			uid, qos, ok := systemdPodSlice(podPart)
			if !ok {
				continue
			}
			prefix, id, ok := strings.Cut(rest, ":")
			rt, known := runtimePrefixes[prefix]
			if !ok || !known || !isContainerID(id) {
				return ContainerRef{}, false
			}
			return ContainerRef{Runtime: rt, ID: id, PodUID: uid, QOSClass: qos}, true
		}
		uid, qos, ok := podSegment(segs[:i], seg)
		if !ok {
			continue
		}
		if i+1 == len(segs) {
			return ContainerRef{}, false // the pod's own cgroup
		}
		rt, id, ok := containerSegment(segs[i+1])
		if !ok {
			return ContainerRef{}, false
		}
		return ContainerRef{Runtime: rt, ID: id, PodUID: uid, QOSClass: qos}, true
	}
	return ContainerRef{}, false
}

// podSegment recognises a pod's cgroup name, given the names above it.
func podSegment(parents []string, seg string) (uid string, qos corev1.PodQOSClass, ok bool) {
	if strings.HasSuffix(seg, ".slice") {
		return systemdPodSlice(seg)
	}
	raw, found := strings.CutPrefix(seg, "pod")
	if !found || !isPodUID(raw) || len(parents) == 0 {
		return "", "", false
	}
	// cgroupfs: kubepods/pod<uid> or kubepods/{burstable,besteffort}/pod<uid>.
	parent := parents[len(parents)-1]
	switch {
	case parent == "kubepods":
		return raw, corev1.PodQOSGuaranteed, true
	case len(parents) >= 2 && parents[len(parents)-2] == "kubepods" && parent == "burstable":
		return raw, corev1.PodQOSBurstable, true
	case len(parents) >= 2 && parents[len(parents)-2] == "kubepods" && parent == "besteffort":
		return raw, corev1.PodQOSBestEffort, true
	}
	return "", "", false
}

// systemdPodSlice recognises "<...>kubepods[-<qos>]-pod<uid>.slice", where
// the UID's dashes are underscores (systemd reserves the dash). A kubelet
// with its own cgroup root prefixes the name ("kubelet-kubepods-...").
func systemdPodSlice(seg string) (uid string, qos corev1.PodQOSClass, ok bool) {
	name, found := strings.CutSuffix(seg, ".slice")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(name, "-pod")
	if i < 0 {
		return "", "", false
	}
	parent, raw := name[:i], strings.ReplaceAll(name[i+len("-pod"):], "_", "-")
	if !isPodUID(raw) {
		return "", "", false
	}
	switch {
	case hasNamePart(parent, "kubepods-burstable"):
		return raw, corev1.PodQOSBurstable, true
	case hasNamePart(parent, "kubepods-besteffort"):
		return raw, corev1.PodQOSBestEffort, true
	case hasNamePart(parent, "kubepods"):
		return raw, corev1.PodQOSGuaranteed, true
	}
	return "", "", false
}

// hasNamePart reports whether a systemd unit name is part, or ends with
// "-"+part (systemd nests slices by joining names with dashes).
func hasNamePart(name, part string) bool {
	return name == part || strings.HasSuffix(name, "-"+part)
}

// containerSegment recognises a container's cgroup name directly below
// its pod's: "<prefix>-<id>.scope" (systemd driver), "<id>" or
// "<prefix>-<id>" (cgroupfs driver).
func containerSegment(seg string) (runtime, id string, ok bool) {
	name := strings.TrimSuffix(seg, ".scope")
	if isContainerID(name) {
		if name != seg {
			return "", "", false // a bare ID with .scope is no runtime's
		}
		return "", name, true
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return "", "", false
	}
	// CRI-O's monitor, "crio-conmon-<id>.scope", has an unknown prefix
	// here ("crio-conmon") and is left out: it is not the container.
	rt, known := runtimePrefixes[name[:i]]
	if !known || !isContainerID(name[i+1:]) {
		return "", "", false
	}
	return rt, name[i+1:], true
}

// isContainerID reports whether s is 64 lower-case hex digits, the ID
// every CRI runtime uses.
func isContainerID(s string) bool {
	return len(s) == 64 && isLowerHex(s)
}

// isPodUID accepts a UUID in its canonical form (the UID of every API
// object) or 32 hex digits (the UID the kubelet gives a static pod).
func isPodUID(s string) bool {
	switch len(s) {
	case 32:
		return isLowerHex(s)
	case 36:
		for i := 0; i < len(s); i++ {
			switch i {
			case 8, 13, 18, 23:
				if s[i] != '-' {
					return false
				}
			default:
				if !isLowerHex(s[i : i+1]) {
					return false
				}
			}
		}
		return true
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
