package extract

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/inventory"
)

// Workload is the pod-level view of a workload object.
type Workload struct {
	Object *inventory.Object
	// PodMeta is the pod template's metadata (the Pod's own for a Pod).
	PodMeta *metav1.ObjectMeta
	Spec    *corev1.PodSpec
	// SpecPath is the field path of Spec inside the object, for example
	// "spec.template.spec" or "spec.jobTemplate.spec.template.spec".
	SpecPath string

	// containers caches Containers(): the scan engine hands one Workload
	// to every rule, and most of them walk the containers.
	containers []ContainerRef
}

// PodSpec returns the pod template of obj, or false when obj is not a
// workload. Workloads are the built-in kinds and the untyped objects
// (custom resources) whose template Templates.Resolve found when they were
// loaded.
func PodSpec(obj *inventory.Object) (*Workload, bool) {
	const tmpl = "spec.template"
	w := &Workload{Object: obj}
	var t *corev1.PodTemplateSpec
	switch o := obj.Typed.(type) {
	case *corev1.Pod:
		w.PodMeta, w.Spec, w.SpecPath = &o.ObjectMeta, &o.Spec, "spec"
		return w, true
	case *corev1.PodTemplate:
		t = &o.Template
		w.SpecPath = "template.spec"
		w.PodMeta, w.Spec = &t.ObjectMeta, &t.Spec
		return w, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, false
		}
		t = o.Spec.Template
	case *appsv1.Deployment:
		t = &o.Spec.Template
	case *appsv1.StatefulSet:
		t = &o.Spec.Template
	case *appsv1.DaemonSet:
		t = &o.Spec.Template
	case *appsv1.ReplicaSet:
		t = &o.Spec.Template
	case *appsv1beta1.Deployment:
		t = &o.Spec.Template
	case *appsv1beta1.StatefulSet:
		t = &o.Spec.Template
	case *appsv1beta2.Deployment:
		t = &o.Spec.Template
	case *appsv1beta2.StatefulSet:
		t = &o.Spec.Template
	case *appsv1beta2.DaemonSet:
		t = &o.Spec.Template
	case *appsv1beta2.ReplicaSet:
		t = &o.Spec.Template
	case *extv1beta1.Deployment:
		t = &o.Spec.Template
	case *extv1beta1.DaemonSet:
		t = &o.Spec.Template
	case *extv1beta1.ReplicaSet:
		t = &o.Spec.Template
	case *batchv1.Job:
		t = &o.Spec.Template
	case *batchv1.CronJob:
		t = &o.Spec.JobTemplate.Spec.Template
		w.PodMeta, w.Spec, w.SpecPath = &t.ObjectMeta, &t.Spec, "spec.jobTemplate.spec.template.spec"
		return w, true
	case *batchv1beta1.CronJob:
		t = &o.Spec.JobTemplate.Spec.Template
		w.PodMeta, w.Spec, w.SpecPath = &t.ObjectMeta, &t.Spec, "spec.jobTemplate.spec.template.spec"
		return w, true
	default:
		// A custom resource whose template Templates.Resolve decoded.
		return podTemplateWorkload(obj)
	}
	w.PodMeta, w.Spec, w.SpecPath = &t.ObjectMeta, &t.Spec, tmpl+".spec"
	return w, true
}

// ContainerKind tells which list of a pod spec a container is in.
type ContainerKind string

// Container lists of a pod spec.
const (
	KindInit      ContainerKind = "initContainers"
	KindRegular   ContainerKind = "containers"
	KindEphemeral ContainerKind = "ephemeralContainers"
)

// ContainerRef is one container of a pod spec with its location.
type ContainerRef struct {
	// Container is the container. For ephemeral containers it is a copy of
	// the common fields, so changes to it do not reach the object.
	Container *corev1.Container
	Kind      ContainerKind
	Index     int
	// Path is the field path relative to the object, such as
	// "spec.template.spec.containers[1]".
	Path string
}

// Containers lists the init, regular and ephemeral containers of the
// workload, in that order.
// The list is built once per Workload and shared: callers must not
// modify it.
func (w *Workload) Containers() []ContainerRef {
	if w.containers == nil {
		w.containers = Containers(w.Spec, w.SpecPath)
	}
	return w.containers
}

// Containers lists the containers of spec; specPath prefixes the paths.
func Containers(spec *corev1.PodSpec, specPath string) []ContainerRef {
	out := make([]ContainerRef, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	for i := range spec.InitContainers {
		out = append(out, ContainerRef{&spec.InitContainers[i], KindInit, i, fmt.Sprintf("%s.initContainers[%d]", specPath, i)})
	}
	for i := range spec.Containers {
		out = append(out, ContainerRef{&spec.Containers[i], KindRegular, i, fmt.Sprintf("%s.containers[%d]", specPath, i)})
	}
	for i := range spec.EphemeralContainers {
		c := corev1.Container(spec.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, ContainerRef{&c, KindEphemeral, i, fmt.Sprintf("%s.ephemeralContainers[%d]", specPath, i)})
	}
	return out
}
