package policyreport

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var (
	reportGVR        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	clusterReportGVR = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
)

// ApplyResult counts what Apply changed.
type ApplyResult struct {
	Created, Updated, Deleted int
}

// Apply writes reports into the cluster: each is created, or replaced in
// place when it exists, and kguard's reports in namespaces that no longer
// have results are deleted, so old results never linger.
func Apply(ctx context.Context, client dynamic.Interface, reports []*unstructured.Unstructured) (ApplyResult, error) {
	var out ApplyResult
	keep := map[string]bool{}
	for _, r := range reports {
		ri := resourceFor(client, r)
		keep[r.GetNamespace()+"/"+r.GetName()+"/"+r.GetKind()] = true
		cur, err := ri.Get(ctx, r.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if _, err := ri.Create(ctx, r, metav1.CreateOptions{}); err != nil {
				return out, fmt.Errorf("create %s %s: %w", r.GetKind(), where(r), err)
			}
			out.Created++
		case err != nil:
			return out, fmt.Errorf("read %s %s: %w", r.GetKind(), where(r), err)
		default:
			r.SetResourceVersion(cur.GetResourceVersion())
			if _, err := ri.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
				return out, fmt.Errorf("replace %s %s: %w", r.GetKind(), where(r), err)
			}
			out.Updated++
		}
	}
	selector := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}
	for _, gvr := range []schema.GroupVersionResource{reportGVR, clusterReportGVR} {
		list, err := client.Resource(gvr).List(ctx, selector)
		if err != nil {
			return out, fmt.Errorf("list old %s: %w", gvr.Resource, err)
		}
		for _, old := range list.Items {
			if keep[old.GetNamespace()+"/"+old.GetName()+"/"+old.GetKind()] {
				continue
			}
			ri := resourceFor(client, &old)
			if err := ri.Delete(ctx, old.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return out, fmt.Errorf("delete stale %s %s: %w", old.GetKind(), where(&old), err)
			}
			out.Deleted++
		}
	}
	return out, nil
}

func resourceFor(client dynamic.Interface, u *unstructured.Unstructured) dynamic.ResourceInterface {
	if u.GetKind() == "ClusterPolicyReport" {
		return client.Resource(clusterReportGVR)
	}
	return client.Resource(reportGVR).Namespace(u.GetNamespace())
}

func where(u *unstructured.Unstructured) string {
	if u.GetNamespace() != "" {
		return u.GetNamespace() + "/" + u.GetName()
	}
	return u.GetName()
}
