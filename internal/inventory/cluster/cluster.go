// Package cluster loads the objects of a live cluster with client-go:
// discovery of every served resource (built-in and CRDs: those rules read,
// and the custom resources that run pods from a template), paginated lists
// with bounded concurrency, protobuf for built-in types, retries with
// backoff for transient errors. A resource kguard may not list is never
// treated as empty: it is returned as not evaluated, with the permission
// that was missing.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// Options tune a cluster load.
type Options struct {
	// Namespace limits namespaced resources to one namespace ("" = all).
	// Cluster-scoped resources are always read: RBAC and namespace labels
	// need them.
	Namespace string
	// ReadSecretValues reads the data of every Secret. By default only
	// metadata is read, plus the data of kubernetes.io/tls Secrets for the
	// certificate rules; values never leave the process either way.
	ReadSecretValues bool
	// PageSize is the list page size (default 500).
	PageSize int64
	// Concurrency bounds parallel lists (default 4).
	Concurrency int
	// Retries is how many times a transient error is retried (default 4).
	Retries int
	// Progress, when set, is called as resource types complete.
	Progress func(done, total, objects int)
	// Name labels sources ("cluster <Name>"); default the server URL.
	Name string
	// Resources are the resource types to read, when served; nil means
	// DefaultResources. Types the server does not serve are skipped.
	Resources []schema.GroupResource
	// PodTemplates says which custom resources run pods from a template
	// (nil: extract's well-known table). Their kinds are read too, when
	// served, and the children their controllers make are dropped like
	// a Deployment's ReplicaSets. The caller resolves the templates of the
	// objects read (extract.Templates.Resolve), as for files.
	PodTemplates *extract.Templates
}

// Forbidden is a resource kguard was not allowed to read.
type Forbidden struct {
	Resource   schema.GroupVersionResource
	Namespace  string
	Permission string
	Message    string
}

// Result is what a cluster load produced.
type Result struct {
	Objects []*inventory.Object
	// Forbidden lists what could not be read: the scan is partial.
	Forbidden []Forbidden
	// ServerVersion is "1.31" style, from /version.
	ServerVersion string
	// Resources is how many resource types were listed.
	Resources int
}

// skipped are resources that are high-volume and carry nothing rules read.
var skipped = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:                             true,
	{Group: "events.k8s.io", Resource: "events"}:                true,
	{Group: "coordination.k8s.io", Resource: "leases"}:          true,
	{Group: "", Resource: "endpoints"}:                          true,
	{Group: "discovery.k8s.io", Resource: "endpointslices"}:     true,
	{Group: "", Resource: "componentstatuses"}:                  true,
	{Group: "apps", Resource: "controllerrevisions"}:            true,
	{Group: "wgpolicyk8s.io", Resource: "policyreports"}:        true,
	{Group: "wgpolicyk8s.io", Resource: "clusterpolicyreports"}: true,
}

// workloadOwners are controller kinds whose children repeat their pod
// template; the children are dropped so each problem is reported once, on
// the object users edit. The custom resources of the template table are
// owners too (a Rollout's ReplicaSets, a CloneSet's Pods), and so is a
// Knative Revision, whose Deployment repeats its Service's template.
var workloadOwners = map[string]bool{
	"ReplicaSet": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"Job": true, "CronJob": true, "ReplicationController": true,
}

var knativeRevision = schema.GroupKind{Group: "serving.knative.dev", Kind: "Revision"}

// Load reads the cluster behind cfg.
func Load(ctx context.Context, cfg *rest.Config, opts Options) (*Result, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Retries <= 0 {
		opts.Retries = 4
	}
	if opts.Name == "" {
		opts.Name = cfg.Host
	}
	l, err := newLoader(cfg, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if err := l.retry(ctx, "read server version", func() error {
		v, err := l.disco.ServerVersion()
		if err != nil {
			return err
		}
		res.ServerVersion = fmt.Sprintf("%s.%s", v.Major, strings.TrimSuffix(v.Minor, "+"))
		return nil
	}); err != nil {
		return nil, err
	}
	var lists []*metav1.APIResourceList
	if err := l.retry(ctx, "discover resources", func() error {
		var err error
		lists, err = l.disco.ServerPreferredResources()
		// A broken aggregated API must not stop the scan of everything else.
		if discovery.IsGroupDiscoveryFailedError(err) {
			return nil
		}
		return err
	}); err != nil {
		return nil, err
	}
	wanted := opts.Resources
	if wanted == nil {
		wanted = DefaultResources
	}
	targets := listable(lists, wanted, opts.PodTemplates.GroupKinds())
	res.Resources = len(targets)

	var (
		mu       sync.Mutex
		done     int
		objects  atomic.Int64
		firstErr error
	)
	work := make(chan target)
	var wg sync.WaitGroup
	for w := 0; w < opts.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				objs, forb, err := l.list(ctx, t)
				objects.Add(int64(len(objs)))
				mu.Lock()
				res.Objects = append(res.Objects, objs...)
				res.Forbidden = append(res.Forbidden, forb...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				if opts.Progress != nil {
					opts.Progress(done, len(targets), int(objects.Load()))
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range targets {
		select {
		case work <- t:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	res.Objects = dropOwnedChildren(res.Objects, opts.PodTemplates)
	// Stable order whatever the scheduling: by kind, namespace, name.
	slices.SortFunc(res.Objects, func(a, b *inventory.Object) int {
		return strings.Compare(a.APIVersion+"\x00"+a.Kind+"\x00"+a.Namespace+"\x00"+a.Name,
			b.APIVersion+"\x00"+b.Kind+"\x00"+b.Namespace+"\x00"+b.Name)
	})
	slices.SortFunc(res.Forbidden, func(a, b Forbidden) int {
		return strings.Compare(a.Resource.String()+a.Namespace, b.Resource.String()+b.Namespace)
	})
	return res, nil
}

type target struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
}

// listable picks the wanted resources, and those of the wanted kinds, from
// discovery, each at the server's preferred version.
func listable(lists []*metav1.APIResourceList, wanted []schema.GroupResource, kinds []schema.GroupKind) []target {
	want := map[schema.GroupResource]bool{}
	for _, gr := range wanted {
		want[gr] = true
	}
	wantKind := map[schema.GroupKind]bool{}
	for _, gk := range kinds {
		wantKind[gk] = true
	}
	var out []target
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue
			}
			if !want[schema.GroupResource{Group: gv.Group, Resource: r.Name}] && !wantKind[schema.GroupKind{Group: gv.Group, Kind: r.Kind}] {
				continue
			}
			out = append(out, target{gv.WithResource(r.Name), r.Kind, r.Namespaced})
		}
	}
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.gvr.String(), b.gvr.String()) })
	return out
}

type loader struct {
	cfg   *rest.Config
	opts  Options
	disco *discovery.DiscoveryClient
	dyn   dynamic.Interface
	meta  metadata.Interface

	mu    sync.Mutex
	typed map[schema.GroupVersion]*rest.RESTClient
}

func newLoader(cfg *rest.Config, opts Options) (*loader, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		// Listing is a burst of reads; client-go's default of 5 QPS would
		// make discovery of a few hundred resource types slow.
		cfg.QPS, cfg.Burst = 50, 100
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	return &loader{cfg: cfg, opts: opts, disco: disco, dyn: dyn, meta: md, typed: map[schema.GroupVersion]*rest.RESTClient{}}, nil
}

// typedClient returns a protobuf-speaking client for a group version the
// client-go scheme knows, or nil.
func (l *loader) typedClient(gv schema.GroupVersion) (*rest.RESTClient, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.typed[gv]; ok {
		return c, nil
	}
	if !inventory.Scheme.IsVersionRegistered(gv) {
		l.typed[gv] = nil
		return nil, nil
	}
	cfg := rest.CopyConfig(l.cfg)
	cfg.GroupVersion = &gv
	cfg.APIPath = "/apis"
	if gv.Group == "" {
		cfg.APIPath = "/api"
	}
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cfg.ContentType = runtime.ContentTypeProtobuf
	c, err := rest.RESTClientFor(cfg)
	if err != nil {
		return nil, err
	}
	l.typed[gv] = c
	return c, nil
}

// list reads every object of one resource, page by page.
func (l *loader) list(ctx context.Context, t target) ([]*inventory.Object, []Forbidden, error) {
	ns := ""
	if t.namespaced {
		ns = l.opts.Namespace
	}
	if t.gvr.Group == "" && t.gvr.Resource == "secrets" && !l.opts.ReadSecretValues {
		return l.listSecrets(ctx, t, ns)
	}
	objs, err := l.listPages(ctx, t, ns, "", false)
	if err != nil {
		if f, ok := forbidden(err, t, ns); ok {
			return nil, []Forbidden{f}, nil
		}
		return nil, nil, err
	}
	return objs, nil, nil
}

// listSecrets reads Secret metadata only, plus the full kubernetes.io/tls
// Secrets that the certificate rules need.
func (l *loader) listSecrets(ctx context.Context, t target, ns string) ([]*inventory.Object, []Forbidden, error) {
	metaOnly, err := l.listPages(ctx, t, ns, "", true)
	if err != nil {
		if f, ok := forbidden(err, t, ns); ok {
			return nil, []Forbidden{f}, nil
		}
		return nil, nil, err
	}
	tls, err := l.listPages(ctx, t, ns, "type=kubernetes.io/tls", false)
	if err != nil {
		if f, ok := forbidden(err, t, ns); ok {
			f.Message = "TLS Secrets could not be read: certificate rules were not evaluated (" + f.Message + ")"
			return metaOnly, []Forbidden{f}, nil
		}
		return nil, nil, err
	}
	full := map[string]bool{}
	for _, o := range tls {
		full[o.Namespace+"/"+o.Name] = true
	}
	out := tls
	for _, o := range metaOnly {
		if !full[o.Namespace+"/"+o.Name] {
			out = append(out, o)
		}
	}
	return out, nil, nil
}

func (l *loader) listPages(ctx context.Context, t target, ns, fieldSelector string, metadataOnly bool) ([]*inventory.Object, error) {
	var out []*inventory.Object
	cont := ""
	restarted := false
	for {
		lo := metav1.ListOptions{Limit: l.opts.PageSize, Continue: cont, FieldSelector: fieldSelector}
		var items []runtime.Object
		var next string
		err := l.retry(ctx, "list "+t.gvr.GroupResource().String(), func() error {
			var err error
			items, next, err = l.page(ctx, t, ns, lo, metadataOnly)
			return err
		})
		if apierrors.IsResourceExpired(err) && !restarted {
			// The continue token expired mid-list: start this resource over
			// once rather than return a half list.
			out, cont, restarted = nil, "", true
			continue
		}
		if err != nil {
			return nil, err
		}
		gvk := t.gvr.GroupVersion().WithKind(t.kind)
		for _, it := range items {
			it.GetObjectKind().SetGroupVersionKind(gvk)
			o, err := inventory.Wrap(it, inventory.Source{Cluster: l.opts.Name})
			if err != nil {
				continue
			}
			out = append(out, o)
		}
		if next == "" {
			return out, nil
		}
		cont = next
	}
}

// page reads one page with the best client for the resource.
func (l *loader) page(ctx context.Context, t target, ns string, lo metav1.ListOptions, metadataOnly bool) ([]runtime.Object, string, error) {
	if metadataOnly {
		list, err := l.meta.Resource(t.gvr).Namespace(ns).List(ctx, lo)
		if err != nil {
			return nil, "", err
		}
		items := make([]runtime.Object, 0, len(list.Items))
		for i := range list.Items {
			// A metadata-only Secret: typed, with no data at all.
			items = append(items, &corev1.Secret{ObjectMeta: list.Items[i].ObjectMeta})
		}
		return items, list.Continue, nil
	}
	c, err := l.typedClient(t.gvr.GroupVersion())
	if err != nil {
		return nil, "", err
	}
	if c == nil {
		list, err := l.dyn.Resource(t.gvr).Namespace(ns).List(ctx, lo)
		if err != nil {
			return nil, "", err
		}
		items := make([]runtime.Object, 0, len(list.Items))
		for i := range list.Items {
			items = append(items, &list.Items[i])
		}
		return items, list.GetContinue(), nil
	}
	obj, err := c.Get().NamespaceIfScoped(ns, t.namespaced && ns != "").Resource(t.gvr.Resource).
		VersionedParams(&lo, scheme.ParameterCodec).Do(ctx).Get()
	if err != nil {
		return nil, "", err
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", t.gvr.GroupResource(), err)
	}
	lm, err := meta.ListAccessor(obj)
	if err != nil {
		return nil, "", err
	}
	return items, lm.GetContinue(), nil
}

// retry runs fn, retrying transient failures with exponential backoff.
func (l *loader) retry(ctx context.Context, what string, fn func() error) error {
	delay := 200 * time.Millisecond
	var err error
	for attempt := 0; ; attempt++ {
		err = fn()
		if err == nil || !transient(err) || attempt >= l.opts.Retries {
			break
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
		delay *= 2
	}
	if err != nil && transient(err) {
		return fmt.Errorf("%s: %w (gave up after %d attempts)", what, err, l.opts.Retries+1)
	}
	if err != nil && !apierrors.IsForbidden(err) && !apierrors.IsResourceExpired(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// transient tells errors worth retrying: the network, server overload and
// server-side timeouts. Authorization and validation errors are final.
func transient(err error) bool {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == http.StatusTooManyRequests || code >= 500 || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err)
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func forbidden(err error, t target, ns string) (Forbidden, bool) {
	if !apierrors.IsForbidden(err) {
		return Forbidden{}, false
	}
	scope := "cluster-wide"
	if ns != "" {
		scope = "in namespace " + ns
	}
	res := t.gvr.Resource
	if t.gvr.Group != "" {
		res += "." + t.gvr.Group
	}
	return Forbidden{
		Resource:   t.gvr,
		Namespace:  ns,
		Permission: fmt.Sprintf("list %s %s", res, scope),
		Message:    err.Error(),
	}, true
}

// dropOwnedChildren removes objects created by a workload controller from
// another workload's template (ReplicaSets of Deployments, Pods of
// ReplicaSets, Jobs of CronJobs): their problems are the owner's.
func dropOwnedChildren(objs []*inventory.Object, templates *extract.Templates) []*inventory.Object {
	return slices.DeleteFunc(objs, func(o *inventory.Object) bool {
		for _, ref := range o.Meta.OwnerReferences {
			if ref.Controller == nil || !*ref.Controller {
				continue
			}
			gk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
			if workloadOwners[ref.Kind] || templates.Has(gk) || gk == knativeRevision {
				return true
			}
		}
		return false
	})
}
