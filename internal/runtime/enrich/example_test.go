package enrich_test

import (
	"fmt"

	"github.com/kguard/kguard/internal/runtime/enrich"
)

func ExampleParseCgroupPath() {
	// A container of a Burstable pod, as the kubelet's systemd cgroup driver
	// and containerd name it.
	ref, ok := enrich.ParseCgroupPath("/kubepods.slice/kubepods-burstable.slice/" +
		"kubepods-burstable-pod6a3c6e8e_0f7b_4d5c_9a4e_2b6f0c1d2e3f.slice/" +
		"cri-containerd-8e4b0b5ad8f4c3e2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8.scope")
	fmt.Println(ok, ref.Runtime, ref.PodUID, ref.QOSClass)
	fmt.Println(ref.ID)

	// A system service is no container.
	_, ok = enrich.ParseCgroupPath("/system.slice/containerd.service")
	fmt.Println(ok)
	// Output:
	// true containerd 6a3c6e8e-0f7b-4d5c-9a4e-2b6f0c1d2e3f Burstable
	// 8e4b0b5ad8f4c3e2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8
	// false
}
