package extract

import (
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

// Every workload kind, each with one init, one regular and (for Pod) one
// ephemeral container, checked by container paths.
const workloads = `
apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  initContainers: [{name: i, image: x}]
  containers: [{name: c, image: x}]
  ephemeralContainers: [{name: e, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: deploy}
spec: {template: {spec: {initContainers: [{name: i, image: x}], containers: [{name: c, image: x}]}}}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old-deploy}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: job}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cron}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: old-cron}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc-without-template}
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
`

func TestPodSpecOfEveryKind(t *testing.T) {
	objs, errs := inventory.DecodeFile("w.yaml", []byte(workloads))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]string{
		"pod":        "spec.initContainers[0] spec.containers[0] spec.ephemeralContainers[0]",
		"deploy":     "spec.template.spec.initContainers[0] spec.template.spec.containers[0]",
		"old-deploy": "spec.template.spec.containers[0]",
		"sts":        "spec.template.spec.containers[0]",
		"ds":         "spec.template.spec.containers[0]",
		"rs":         "spec.template.spec.containers[0]",
		"job":        "spec.template.spec.containers[0]",
		"cron":       "spec.jobTemplate.spec.template.spec.containers[0]",
		"old-cron":   "spec.jobTemplate.spec.template.spec.containers[0]",
		"rc":         "spec.template.spec.containers[0]",
	}
	seen := 0
	for _, o := range objs {
		w, ok := PodSpec(o)
		exp, isWorkload := want[o.Name]
		if ok != isWorkload {
			t.Errorf("%s: PodSpec ok=%v, want %v", o.Name, ok, isWorkload)
			continue
		}
		if !ok {
			continue
		}
		seen++
		var paths []string
		for _, c := range w.Containers() {
			paths = append(paths, c.Path)
		}
		if got := strings.Join(paths, " "); got != exp {
			t.Errorf("%s: paths %q, want %q", o.Name, got, exp)
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d workloads, want %d", seen, len(want))
	}
}

func TestEphemeralContainerIsACopy(t *testing.T) {
	objs, _ := inventory.DecodeFile("w.yaml", []byte(workloads))
	w, _ := PodSpec(objs[0])
	cs := w.Containers()
	if cs[2].Kind != KindEphemeral || cs[2].Container.Name != "e" {
		t.Fatalf("third container = %+v", cs[2])
	}
}
