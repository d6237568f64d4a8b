package cmdutil

import (
	"fmt"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// ResolveTemplates is the step every input takes after its objects are read
// (files, charts, Kustomize, a live cluster) and before anything judges
// them: the pod templates of custom resources (Argo Rollouts, OpenKruise,
// Knative, ..., and the podTemplates of .kguard.yaml, through t; nil is
// the well-known table) are decoded once, so that every rule sees those
// objects as workloads. A template that does not decode is an input error:
// printed like LoadManifests' and added to res.Errors.
func ResolveTemplates(s *Streams, res *inventory.Result, t *extract.Templates) {
	for _, e := range t.Resolve(res.Inventory.Objects()) {
		fmt.Fprintf(s.ErrOut, "error: %v\n", e)
		res.Errors = append(res.Errors, e)
	}
}
