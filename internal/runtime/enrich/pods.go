package enrich

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Annotations the kubelet puts on a static pod's mirror: the hash that is
// the static pod's UID on the node (and so in its cgroup path).
const (
	annotationConfigMirror = "kubernetes.io/config.mirror"
	annotationConfigHash   = "kubernetes.io/config.hash"
)

// Index names of the pod informer.
const (
	indexPodUID      = "kguard.io/pod-uid"
	indexContainerID = "kguard.io/container-id"
)

// PodIndexOptions configure a PodIndex.
type PodIndexOptions struct {
	// NodeName, when set, watches only the pods bound to that node (a
	// field selector on spec.nodeName), which is all a node sensor needs
	// and keeps the API server's and the sensor's load independent of
	// the cluster's size.
	NodeName string
	// ResyncPeriod is the informer's resync period; zero means none.
	ResyncPeriod time.Duration
}

// PodInfo identifies a pod.
type PodInfo struct {
	UID       string
	Namespace string
	Name      string
	NodeName  string
	QOSClass  corev1.PodQOSClass
}

// ContainerInfo identifies a container and its pod.
type ContainerInfo struct {
	Pod PodInfo
	// ID is the runtime's container ID, without the runtime's scheme.
	ID string
	// Runtime is the scheme of the status' containerID ("containerd").
	Runtime string
	// Name is the container's name in the pod spec.
	Name string
	// Image is the image as the pod spec names it (what was deployed);
	// the status' image when the spec has no container of that name.
	Image string
	// ImageID is the image the runtime resolved, usually by digest.
	ImageID string
}

// PodIndex is an informer's view of pods, indexed by pod UID and by
// container ID. It is safe for concurrent use. Only the fields this
// package reads are kept, so that watching every pod of a large cluster
// costs little memory.
type PodIndex struct {
	informer cache.SharedIndexInformer
}

// NewPodIndex makes an index over client's pods; call Run to fill it.
func NewPodIndex(client kubernetes.Interface, opts PodIndexOptions) *PodIndex {
	var tweak func(*metav1.ListOptions)
	if opts.NodeName != "" {
		sel := fields.OneTermEqualSelector("spec.nodeName", opts.NodeName).String()
		tweak = func(o *metav1.ListOptions) { o.FieldSelector = sel }
	}
	inf := coreinformers.NewFilteredPodInformer(client, metav1.NamespaceAll, opts.ResyncPeriod, cache.Indexers{
		indexPodUID:      podUIDKeys,
		indexContainerID: containerIDKeys,
	}, tweak)
	// SetTransform fails only once the informer runs; it has not started.
	_ = inf.SetTransform(slimPod)
	return &PodIndex{informer: inf}
}

// Run watches pods until ctx ends.
func (p *PodIndex) Run(ctx context.Context) { p.informer.RunWithContext(ctx) }

// HasSynced reports whether the first list has been read.
func (p *PodIndex) HasSynced() bool { return p.informer.HasSynced() }

// WaitForSync waits until the first list has been read (Run must be
// running) or ctx ends.
func (p *PodIndex) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), p.informer.HasSynced) {
		return fmt.Errorf("pod index: not synced: %w", context.Cause(ctx))
	}
	return nil
}

// Pod returns the pod with the given UID: the API object's UID, or for a
// static pod the UID the kubelet gave it (the mirror pod's config hash).
func (p *PodIndex) Pod(uid string) (PodInfo, bool) {
	pod := p.first(indexPodUID, uid)
	if pod == nil {
		return PodInfo{}, false
	}
	return podInfo(pod), true
}

// Container returns the container with the given runtime ID (with or
// without a "runtime://" scheme).
func (p *PodIndex) Container(id string) (ContainerInfo, bool) {
	if _, bare, ok := ParseContainerID(id); ok {
		id = bare
	}
	pod := p.first(indexContainerID, id)
	if pod == nil {
		return ContainerInfo{}, false
	}
	for _, st := range allStatuses(pod) {
		rt, cid, ok := ParseContainerID(st.ContainerID)
		if !ok || cid != id {
			continue
		}
		image := specImage(pod, st.Name)
		if image == "" {
			image = st.Image
		}
		return ContainerInfo{Pod: podInfo(pod), ID: cid, Runtime: rt, Name: st.Name, Image: image, ImageID: st.ImageID}, true
	}
	return ContainerInfo{}, false // the index and the object disagree: never, as both come from the same object
}

func (p *PodIndex) first(index, key string) *corev1.Pod {
	objs, err := p.informer.GetIndexer().ByIndex(index, key)
	if err != nil || len(objs) == 0 {
		return nil
	}
	pod, _ := objs[0].(*corev1.Pod)
	return pod
}

// ParseContainerID splits a container status' containerID,
// "<runtime>://<id>", into runtime and ID.
func ParseContainerID(s string) (runtime, id string, ok bool) {
	rt, id, ok := strings.Cut(s, "://")
	if !ok || rt == "" || id == "" {
		return "", "", false
	}
	return rt, id, true
}

func podInfo(pod *corev1.Pod) PodInfo {
	return PodInfo{UID: string(pod.UID), Namespace: pod.Namespace, Name: pod.Name, NodeName: pod.Spec.NodeName, QOSClass: pod.Status.QOSClass}
}

func allStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	s := pod.Status
	out := make([]corev1.ContainerStatus, 0, len(s.ContainerStatuses)+len(s.InitContainerStatuses)+len(s.EphemeralContainerStatuses))
	out = append(out, s.ContainerStatuses...)
	out = append(out, s.InitContainerStatuses...)
	return append(out, s.EphemeralContainerStatuses...)
}

func specImage(pod *corev1.Pod, name string) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return c.Image
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

// podUIDKeys indexes a pod by its UID and, for a mirror pod, by the UID
// the kubelet gave the static pod.
func podUIDKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	keys := []string{string(pod.UID)}
	for _, a := range []string{annotationConfigMirror, annotationConfigHash} {
		if h := pod.Annotations[a]; h != "" && h != string(pod.UID) {
			keys = append(keys, h)
			break
		}
	}
	return keys, nil
}

// containerIDKeys indexes a pod by the runtime IDs of its containers.
func containerIDKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, st := range allStatuses(pod) {
		if _, id, ok := ParseContainerID(st.ContainerID); ok {
			keys = append(keys, id)
		}
	}
	return keys, nil
}

// slimPod keeps the fields this package reads and drops the rest (managed
// fields, volumes, environment, probes...) before the informer stores it.
func slimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil // a tombstone: its pod was slimmed when stored
	}
	out := &corev1.Pod{
		TypeMeta: pod.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion,
		},
		Spec: corev1.PodSpec{NodeName: pod.Spec.NodeName},
		Status: corev1.PodStatus{
			QOSClass:                   pod.Status.QOSClass,
			ContainerStatuses:          slimStatuses(pod.Status.ContainerStatuses),
			InitContainerStatuses:      slimStatuses(pod.Status.InitContainerStatuses),
			EphemeralContainerStatuses: slimStatuses(pod.Status.EphemeralContainerStatuses),
		},
	}
	for _, a := range []string{annotationConfigMirror, annotationConfigHash} {
		if v, ok := pod.Annotations[a]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[a] = v
		}
	}
	for _, c := range pod.Spec.Containers {
		out.Spec.Containers = append(out.Spec.Containers, corev1.Container{Name: c.Name, Image: c.Image})
	}
	for _, c := range pod.Spec.InitContainers {
		out.Spec.InitContainers = append(out.Spec.InitContainers, corev1.Container{Name: c.Name, Image: c.Image})
	}
	for _, c := range pod.Spec.EphemeralContainers {
		out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, Image: c.Image},
		})
	}
	return out, nil
}

func slimStatuses(in []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(in))
	for i, s := range in {
		out[i] = corev1.ContainerStatus{Name: s.Name, ContainerID: s.ContainerID, Image: s.Image, ImageID: s.ImageID}
	}
	return out
}
