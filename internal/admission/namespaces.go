package admission

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listerscorev1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// LabelModes reads each namespace's kguard.io/enforce label from a watch
// cache, so a review never waits on the API server.
type LabelModes struct {
	lister listerscorev1.NamespaceLister
	synced cache.InformerSynced
}

// NewLabelModes starts a namespace informer and waits (bounded) for its
// first sync.
func NewLabelModes(ctx context.Context, cfg *rest.Config) (*LabelModes, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("namespace labels: %w", err)
	}
	f := informers.NewSharedInformerFactory(cs, 10*time.Minute)
	inf := f.Core().V1().Namespaces()
	m := &LabelModes{lister: inf.Lister(), synced: inf.Informer().HasSynced}
	f.Start(ctx.Done())
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if !cache.WaitForCacheSync(sctx.Done(), m.synced) {
		return nil, fmt.Errorf("namespace labels: cache did not sync within 30s (can the service account list namespaces?)")
	}
	return m, nil
}

// Mode implements NamespaceModes. An unparsable label value falls back to
// the default mode (the namespace's author meant something; the cluster
// admin's default is the safe reading).
func (m *LabelModes) Mode(_ context.Context, ns string) (Mode, bool) {
	n, err := m.lister.Get(ns)
	if err != nil {
		return "", false
	}
	mode, err := ParseMode(n.Labels[ModeLabel])
	if err != nil {
		return "", false
	}
	return mode, true
}
