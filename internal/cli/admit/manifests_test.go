package admit

import (
	"bytes"
	"context"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// TestManifestsInterceptCustomWorkloads: the webhook configuration sends
// every custom resource of kguard's pod template table to the webhook, so
// that a privileged Rollout is judged like a privileged Deployment. (The
// end-to-end test in internal/admission registers these rules with a real
// API server.)
func TestManifestsInterceptCustomWorkloads(t *testing.T) {
	var out bytes.Buffer
	o := &ManifestOptions{Streams: &cmdutil.Streams{Out: &out}, Namespace: "kguard-system", Image: "kguard:test", Replicas: 2, FailurePolicy: "Fail", Timeout: 5}
	if err := RunManifests(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile("manifests.yaml", out.Bytes())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	intercepted := map[[2]string]bool{}
	found := false
	for _, obj := range objs {
		vwc, ok := obj.Typed.(*admissionregistrationv1.ValidatingWebhookConfiguration)
		if !ok {
			continue
		}
		found = true
		for _, wh := range vwc.Webhooks {
			for _, r := range wh.Rules {
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						intercepted[[2]string{g, res}] = createAndUpdate(r.Operations)
					}
				}
			}
		}
	}
	if !found {
		t.Fatal("no ValidatingWebhookConfiguration")
	}
	for _, k := range extract.WellKnownTemplates() {
		if !intercepted[[2]string{k.Group, k.Resource}] {
			t.Errorf("the webhook does not see %s %s (%s) on create and update", k.Group, k.Kind, k.Resource)
		}
	}
	// The built-in workloads are still there.
	for _, gr := range [][2]string{{"apps", "deployments"}, {"", "pods"}, {"batch", "cronjobs"}} {
		if !intercepted[gr] {
			t.Errorf("the webhook does not see %v", gr)
		}
	}
}

// createAndUpdate reports whether ops holds both CREATE and UPDATE.
func createAndUpdate(ops []admissionregistrationv1.OperationType) bool {
	var c, u bool
	for _, op := range ops {
		c = c || op == admissionregistrationv1.Create
		u = u || op == admissionregistrationv1.Update
	}
	return c && u
}
