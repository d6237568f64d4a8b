// Package enrich tells the node sensor which container and pod a process
// belongs to. The sensor's kernel side reports only the cgroup v2 ID of the
// task (bpf_get_current_cgroup_id); this package turns that number into a
// detect.Container, in three steps, each usable alone:
//
//   - CgroupResolver maps a cgroup ID to the cgroup's path. On cgroup v2 the
//     ID of a cgroup is the inode number of its directory, so the resolver
//     walks the cgroup2 mount (found in /proc/self/mountinfo) and remembers
//     each directory's inode. A miss triggers a rescan, at most once per
//     interval, so a flood of unknown IDs cannot turn into a flood of walks.
//   - ParseCgroupPath reads the container runtime, the container ID, the pod
//     UID and the QoS class out of a path that the kubelet and the runtime
//     made, for both kubelet cgroup drivers (systemd and cgroupfs) and for
//     nodes nested in other cgroups (kind, k3s in a container).
//   - PodIndex watches the API server's pods (optionally only the node's
//     own) and finds a pod by UID and a container by its runtime ID, giving
//     namespace, pod name, container name and image.
//
// Enricher combines them. Without the API server it still returns the
// container ID and pod UID read from the cgroup path, so detection keeps
// working, with less context, when the control plane is unreachable.
//
// The resolver is the only part that touches the host; it needs the host's
// cgroup2 hierarchy (in a pod: a hostPath mount of /sys/fs/cgroup) and
// nothing else.
package enrich
