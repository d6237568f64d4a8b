package enrich

import "github.com/kguard/kguard/internal/detect"

// Identity is everything known about where a cgroup's processes run.
type Identity struct {
	Cgroup Cgroup
	// Pod is set when the pod index knows the pod.
	Pod    PodInfo
	HasPod bool
	// Container is set when the pod index knows the container (its status
	// carries the ID; it may not yet, just after the container started).
	Container    ContainerInfo
	HasContainer bool
}

// Enricher turns a cgroup ID into the container and pod it belongs to. It
// is safe for concurrent use.
type Enricher struct {
	cgroups *CgroupResolver
	pods    *PodIndex
}

// NewEnricher combines a resolver and a pod index. pods may be nil (no API
// server): Enrich then gives what the cgroup path says.
func NewEnricher(cgroups *CgroupResolver, pods *PodIndex) *Enricher {
	return &Enricher{cgroups: cgroups, pods: pods}
}

// Lookup returns what is known about a cgroup; false when the cgroup is
// unknown (gone, or made after the last rescan and the rescan was rate
// limited). A known cgroup outside any container is the host's:
// Cgroup.InContainer is false.
func (e *Enricher) Lookup(cgroupID uint64) (Identity, bool) {
	cg, ok := e.cgroups.Lookup(cgroupID)
	if !ok {
		return Identity{}, false
	}
	id := Identity{Cgroup: cg}
	if !cg.InContainer || e.pods == nil {
		return id, true
	}
	if c, ok := e.pods.Container(cg.Container.ID); ok {
		id.Container, id.HasContainer = c, true
		id.Pod, id.HasPod = c.Pod, true
		return id, true
	}
	id.Pod, id.HasPod = e.pods.Pod(cg.Container.PodUID)
	return id, true
}

// Enrich returns the container a process of the cgroup runs in, for
// detect.Process.Container. The zero value means the host, or a cgroup
// that could not be resolved (use Lookup to tell them apart). Without the
// pod index (or before it knows the pod), ID and PodUID come from the
// cgroup path alone; PodUID is then the kubelet's, which for a static pod
// is its config hash rather than the mirror pod's UID.
func (e *Enricher) Enrich(cgroupID uint64) detect.Container {
	id, ok := e.Lookup(cgroupID)
	if !ok || !id.Cgroup.InContainer {
		return detect.Container{}
	}
	c := detect.Container{ID: id.Cgroup.Container.ID, PodUID: id.Cgroup.Container.PodUID}
	if id.HasPod {
		c.Pod, c.Namespace, c.PodUID = id.Pod.Name, id.Pod.Namespace, id.Pod.UID
	}
	if id.HasContainer {
		c.Image = id.Container.Image
	}
	return c
}
