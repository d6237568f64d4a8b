package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
)

// InstallCRD creates a namespaced CustomResourceDefinition for group and
// kind, served at version with a schema that keeps every field (as the
// loose schemas of many projects' CRDs do), and waits until the API server
// serves the kind. plural is the resource name.
func (a *Applier) InstallCRD(ctx context.Context, group, kind, plural, version string) error {
	doc := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[3]s.%[1]s}
spec:
  group: %[1]s
  scope: Namespaced
  names: {kind: %[2]s, plural: %[3]s, singular: %[4]s, listKind: %[2]sList}
  versions:
    - name: %[5]s
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`, group, kind, plural, strings.ToLower(kind), version)
	objs, errs := inventory.DecodeFile("crd.yaml", []byte(doc))
	if len(errs) > 0 {
		return errs[0]
	}
	if _, _, err := a.Apply(ctx, objs); err != nil {
		return err
	}
	return a.WaitServed(ctx, schema.GroupVersionKind{Group: group, Version: version, Kind: kind})
}

// WaitServed waits until the API server serves gvk (a new CRD's kind is
// served a moment after it is created), for at most a minute.
func (a *Applier) WaitServed(ctx context.Context, gvk schema.GroupVersionKind) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		a.mapper.Reset()
		_, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			return nil
		}
		if !meta.IsNoMatchError(err) {
			return fmt.Errorf("map %s: %w", gvk, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s is not served: %w", gvk, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
