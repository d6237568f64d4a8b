package rules

import (
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/extract"
)

// AppHardening marks r as a rule that judges how an application workload
// is hardened (Pod Security Standards, read-only root filesystem, resource
// limits, image pinning, host ports) and returns it. Its workload check
// then skips control-plane static pods (controlplane.StaticPod):
// kube-apiserver, etcd and the others need host networking, host paths and
// root by design, and the control-plane rules judge them instead (the
// control-plane-static-pod note says so once per pod). Its CEL form gets
// the same exemption (controlplane.StaticPodCEL, built from the same
// definition), so exported policies and the scan agree, and its rationale
// ends with AppHardeningNote.
func AppHardening(r *Rule) *Rule {
	if check := r.CheckWorkload; check != nil {
		r.CheckWorkload = func(p *Pass, w *extract.Workload) {
			if _, ok := controlplane.StaticPod(w.Object); ok {
				return
			}
			check(p, w)
		}
	}
	if r.CEL != nil {
		c := *r.CEL
		c.Expression = controlplane.StaticPodCEL + " || (" + c.Expression + ")"
		r.CEL = &c
	}
	r.Rationale += " " + AppHardeningNote
	return r
}

// AppHardeningNote is the sentence the rationale of every such rule ends
// with.
const AppHardeningNote = "Control-plane static pods (kube-apiserver, kube-controller-manager, kube-scheduler, etcd " +
	"in kube-system) are not judged by this rule: the control-plane rules judge them (see control-plane-static-pod)."
