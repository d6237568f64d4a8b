package enrich

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

// testPod is a pod bound to node with one init and one app container,
// whose status carries runtime IDs.
func testPod(ns, name, uid, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			AutomountServiceAccountToken: new(bool),
			InitContainers:               []corev1.Container{{Name: "setup", Image: "busybox:1.36"}},
			Containers:                   []corev1.Container{{Name: "web", Image: "nginx:1.27"}},
		},
	}
}

func withStatuses(p *corev1.Pod, web, setup string) *corev1.Pod {
	p.Status.QOSClass = corev1.PodQOSBestEffort
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "setup", ContainerID: setup, Image: "docker.io/library/busybox:1.36", ImageID: "docker.io/library/busybox@sha256:" + cid}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", ContainerID: web, Image: "docker.io/library/nginx:1.27", ImageID: "docker.io/library/nginx@sha256:" + cid2}}
	return p
}

// eventually polls cond for up to ten seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startIndex(t *testing.T, client kubernetes.Interface, opts PodIndexOptions) *PodIndex {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	idx := NewPodIndex(client, opts)
	go idx.Run(ctx)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := idx.WaitForSync(wctx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestPodIndexFake(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(
		withStatuses(testPod("shop", "web-1", podUID, "node-a"), "containerd://"+cid, "containerd://"+sandbox),
	)
	idx := startIndex(t, client, PodIndexOptions{})

	c, ok := idx.Container(cid)
	want := ContainerInfo{
		Pod: PodInfo{UID: podUID, Namespace: "shop", Name: "web-1", NodeName: "node-a", QOSClass: corev1.PodQOSBestEffort},
		ID:  cid, Runtime: RuntimeContainerd, Name: "web", Image: "nginx:1.27", ImageID: "docker.io/library/nginx@sha256:" + cid2,
	}
	if !ok || c != want {
		t.Fatalf("Container(%s) = %+v, %v\nwant %+v", cid, c, ok, want)
	}
	if c, ok := idx.Container("containerd://" + sandbox); !ok || c.Name != "setup" || c.Image != "busybox:1.36" {
		t.Errorf("init container by scheme-prefixed ID: %+v, %v", c, ok)
	}
	if p, ok := idx.Pod(podUID); !ok || p != want.Pod {
		t.Errorf("Pod(%s) = %+v, %v", podUID, p, ok)
	}
	if _, ok := idx.Container(cid2); ok {
		t.Error("unknown container found")
	}

	// A static pod's mirror is found by the UID the kubelet uses.
	mirror := testPod("kube-system", "etcd-node-a", "11111111-2222-3333-4444-555555555555", "node-a")
	mirror.Annotations = map[string]string{annotationConfigMirror: static, annotationConfigHash: static, "unrelated": "dropped"}
	if _, err := client.CoreV1().Pods("kube-system").Create(ctx, mirror, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mirror pod indexed", func() bool { _, ok := idx.Pod(static); return ok })
	if p, _ := idx.Pod(static); p.Name != "etcd-node-a" || p.UID != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("mirror pod: %+v", p)
	}

	// A container that starts later is indexed when the status says so.
	late := withStatuses(testPod("shop", "web-2", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "node-b"), "cri-o://"+cid2, "")
	late.Status.InitContainerStatuses[0].ContainerID = "" // not started: no ID
	if _, err := client.CoreV1().Pods("shop").Create(ctx, late, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second pod indexed", func() bool { _, ok := idx.Container(cid2); return ok })
	if c, _ := idx.Container(cid2); c.Runtime != RuntimeCRIO || c.Pod.Name != "web-2" {
		t.Errorf("cri-o container: %+v", c)
	}

	// Stored pods are slimmed: only the fields the index reads.
	objs := idx.informer.GetStore().List()
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if _, ok := p.Annotations["unrelated"]; ok {
			t.Errorf("%s: unrelated annotation kept", p.Name)
		}
		if p.Spec.AutomountServiceAccountToken != nil {
			t.Errorf("%s: spec fields kept beyond names and images", p.Name)
		}
	}

	if err := client.CoreV1().Pods("shop").Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted pod forgotten", func() bool {
		_, c := idx.Container(cid)
		_, p := idx.Pod(podUID)
		return !c && !p
	})
}

func TestPodIndexWaitForSyncEndsWithContext(t *testing.T) {
	idx := NewPodIndex(fake.NewClientset(), PodIndexOptions{NodeName: "n"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// Run was never started: the wait can only end with ctx.
	if err := idx.WaitForSync(ctx); err == nil {
		t.Fatal("WaitForSync succeeded without a running informer")
	}
	if idx.HasSynced() {
		t.Error("HasSynced without a list")
	}
}
