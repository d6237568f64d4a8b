package images

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/extract"
)

// container is the little the image rules need from a container.
type container struct {
	Name, Image string
	PullPolicy  corev1.PullPolicy
	Kind        extract.ContainerKind
	Index       int
}

// eachContainer calls fn for the init, regular and ephemeral containers of
// w, in that order. Unlike w.Containers() it builds no slice and no field
// paths: the image rules run on every workload of every scan and almost
// always report nothing, so paths are made only for findings (fieldPath).
func eachContainer(w *extract.Workload, fn func(c container)) {
	s := w.Spec
	for i := range s.InitContainers {
		c := &s.InitContainers[i]
		fn(container{c.Name, c.Image, c.ImagePullPolicy, extract.KindInit, i})
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		fn(container{c.Name, c.Image, c.ImagePullPolicy, extract.KindRegular, i})
	}
	for i := range s.EphemeralContainers {
		c := &s.EphemeralContainers[i]
		fn(container{c.Name, c.Image, c.ImagePullPolicy, extract.KindEphemeral, i})
	}
}

// fieldPath is the path of one of the container's fields, relative to the
// object, such as "spec.template.spec.containers[1].image" (the same form
// extract.ContainerRef.Path uses).
func fieldPath(w *extract.Workload, c container, field string) string {
	return w.SpecPath + "." + string(c.Kind) + "[" + strconv.Itoa(c.Index) + "]." + field
}
