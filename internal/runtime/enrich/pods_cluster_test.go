package enrich

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunShared(m)) }

// TestPodIndexOnAPIServer runs the index against a real API server: the
// field selector on the node, status updates carrying container IDs (as
// the kubelet writes them), and deletion.
func TestPodIndexOnAPIServer(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	const ns = "enrich-test"
	if err := c.EnsureServiceAccount(ctx, ns, "default"); err != nil {
		t.Fatal(err)
	}
	pods := c.Admin().CoreV1().Pods(ns)
	create := func(p *corev1.Pod) *corev1.Pod {
		t.Helper()
		got, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pods.Delete(context.Background(), p.Name, metav1.DeleteOptions{}) })
		return got
	}
	// The server assigns UIDs; the test's are placeholders.
	mine := create(testPod(ns, "web", "", "node-a"))
	other := create(testPod(ns, "elsewhere", "", "node-b"))

	idx := startIndex(t, c.Admin(), PodIndexOptions{NodeName: "node-a"})
	uid := string(mine.UID)
	eventually(t, "pod indexed by UID", func() bool { _, ok := idx.Pod(uid); return ok })
	if p, _ := idx.Pod(uid); p.Namespace != ns || p.Name != "web" || p.NodeName != "node-a" {
		t.Errorf("Pod(%s) = %+v", uid, p)
	}
	if _, ok := idx.Container(cid); ok {
		t.Error("container found before the status names it")
	}

	// The kubelet reports the containers it started through the status
	// subresource.
	mine.Status.Phase = corev1.PodRunning
	mine.Status.InitContainerStatuses = []corev1.ContainerStatus{{
		Name: "setup", ContainerID: "containerd://" + sandbox, Image: "docker.io/library/busybox:1.36", ImageID: "docker.io/library/busybox@sha256:" + cid2,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}},
	}}
	mine.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "web", ContainerID: "containerd://" + cid, Image: "docker.io/library/nginx:1.27", ImageID: "docker.io/library/nginx@sha256:" + cid2,
		Ready: true, Started: new(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
	}}
	if _, err := pods.UpdateStatus(ctx, mine, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The other node's pod gets a status too; the index must not see it.
	other.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", ContainerID: "containerd://" + cid2, Image: "nginx:1.27", ImageID: "x"}}
	if _, err := pods.UpdateStatus(ctx, other, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, "container indexed from the status", func() bool { _, ok := idx.Container(cid); return ok })
	got, _ := idx.Container(cid)
	if got.Pod.UID != uid || got.Pod.Namespace != ns || got.Pod.Name != "web" || got.Name != "web" ||
		got.Image != "nginx:1.27" || got.Runtime != RuntimeContainerd || got.Pod.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("Container(%s) = %+v", cid, got)
	}
	if c, ok := idx.Container(sandbox); !ok || c.Name != "setup" {
		t.Errorf("init container: %+v, %v", c, ok)
	}
	if _, ok := idx.Pod(string(other.UID)); ok {
		t.Error("a pod of another node is in the node's index")
	}
	if _, ok := idx.Container(cid2); ok {
		t.Error("a container of another node is in the node's index")
	}

	// What the sensor does with it: a cgroup of that container, enriched.
	root := t.TempDir()
	path := "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + underscores(uid) + ".slice/cri-containerd-" + cid + ".scope"
	mkdirs(t, root, path)
	r, err := NewCgroupResolver(ResolverOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnricher(r, idx)
	if c := e.Enrich(ino(t, root+path)); c.ID != cid || c.Pod != "web" || c.Namespace != ns || c.Image != "nginx:1.27" || c.PodUID != uid {
		t.Errorf("Enrich = %+v", c)
	}

	if err := pods.Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted pod forgotten", func() bool {
		_, c := idx.Container(cid)
		_, p := idx.Pod(uid)
		return !c && !p
	})
}

func underscores(uid string) string {
	b := []byte(uid)
	for i := range b {
		if b[i] == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}
