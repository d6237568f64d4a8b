package scan

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// Options configure one scan.
type Options struct {
	Registry *rules.Registry
	// Config selects rules and exceptions; nil means defaults.
	Config *config.Config
	// Settings are passed to every rule; nil means defaults.
	Settings *rules.Settings
	// Workers bounds parallelism (default GOMAXPROCS).
	Workers int
	// AtAdmissionOnly runs only the rules that decide from one object alone
	// (rules.Rule.AtAdmission), as the admission webhook does.
	AtAdmissionOnly bool
	// Provided are analysis results computed before the scan (the image
	// scan of `kguard scan --images`).
	Provided []analysis.Provided
}

// Result is the outcome of a scan.
type Result struct {
	// Findings are the findings that count, in stable order.
	Findings []finding.Finding `json:"findings"`
	// Suppressed are findings silenced by an annotation or an exception.
	Suppressed   []finding.Finding      `json:"suppressed,omitempty"`
	NotEvaluated []finding.NotEvaluated `json:"notEvaluated,omitempty"`
	// Rules are the rules that ran, in registry order.
	Rules []*rules.Rule `json:"-"`
	// Evaluations record which objects the rules judged against which of
	// their CIS checks (rules.Pass.Evaluated), for benchmark reports.
	Evaluations []finding.Evaluation `json:"-"`
	// Objects is how many objects were scanned.
	Objects int `json:"-"`
}

// Run scans inv. It returns an error only when ctx ends; problems with
// single rules or objects become NotEvaluated entries.
func Run(ctx context.Context, inv *inventory.Inventory, opts Options) (*Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	settings := opts.Settings
	if settings == nil {
		settings = &rules.Settings{}
	}
	if settings.Now.IsZero() {
		s := *settings
		s.Now = time.Now()
		settings = &s
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	var objectRules, inventoryRules []*rules.Rule
	res := &Result{Objects: inv.Len()}
	for _, r := range opts.Registry.Rules() {
		if !cfg.Enabled(r) || (opts.AtAdmissionOnly && !r.AtAdmission()) {
			continue
		}
		res.Rules = append(res.Rules, r)
		if r.Scope() != rules.ScopeInventory {
			objectRules = append(objectRules, r)
		} else {
			inventoryRules = append(inventoryRules, r)
		}
	}

	analyses := analysis.NewMemo(inv)
	analyses.Provide(opts.Provided...)
	// Each worker keeps its own findings; they are joined once at the end
	// (appending tens of thousands of findings to one shared slice under
	// a lock cost more than the rules themselves).
	perWorker := make([]findingBlocks, workers)
	notEvalPer := make([][]finding.NotEvaluated, workers)
	evalPer := make([][]finding.Evaluation, workers)

	// Work items: chunks of objects for per-object rules, and one item per
	// inventory rule. Both run on the same bounded pool.
	objs := inv.Objects()
	const chunk = 256
	type item struct {
		lo, hi int
		rule   *rules.Rule
	}
	items := make(chan item)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fs findingBlocks
			var ne []finding.NotEvaluated
			var ev []finding.Evaluation
			defer func() { perWorker[w], notEvalPer[w], evalPer[w] = fs, ne, ev }()
			passes := make([]*rules.Pass, len(objectRules))
			for i, r := range objectRules {
				passes[i] = rules.NewPass(r, inv, settings, analyses)
			}
			for it := range items {
				if it.rule != nil {
					p := rules.NewPass(it.rule, inv, settings, analyses)
					ne = append(ne, guard(it.rule, nil, func() { it.rule.CheckInventory(p) })...)
					fs.add(p)
					ev = p.AppendEvaluations(ev)
					continue
				}
				for _, o := range objs[it.lo:it.hi] {
					w, isWorkload := extract.PodSpec(o)
					gk := o.GroupKind()
					for i, r := range objectRules {
						p := passes[i]
						switch {
						case r.CheckWorkload != nil && isWorkload:
							ne = append(ne, guard(r, o, func() { r.CheckWorkload(p, w) })...)
						case r.AppliesTo(gk):
							ne = append(ne, guard(r, o, func() { r.CheckObject(p, o) })...)
						}
						fs.add(p)
						ev = p.AppendEvaluations(ev)
					}
				}
			}
		}()
	}
	var cancelled error
feed:
	for _, r := range inventoryRules {
		select {
		case items <- item{rule: r}:
		case <-ctx.Done():
			cancelled = ctx.Err()
			break feed
		}
	}
	for lo := 0; lo < len(objs) && cancelled == nil; lo += chunk {
		select {
		case items <- item{lo: lo, hi: min(lo+chunk, len(objs))}:
		case <-ctx.Done():
			cancelled = ctx.Err()
		}
	}
	close(items)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("scan: %w", cancelled)
	}

	total := 0
	for _, fs := range perWorker {
		total += fs.len()
	}
	findings := make([]finding.Finding, 0, total)
	var notEval []finding.NotEvaluated
	for w := range perWorker {
		findings = perWorker[w].appendTo(findings)
		notEval = append(notEval, notEvalPer[w]...)
		res.Evaluations = append(res.Evaluations, evalPer[w]...)
		perWorker[w] = findingBlocks{}
	}
	// Split in place: the findings that count keep the front of the slice.
	res.Findings = findings[:0]
	for i := range findings {
		f := &findings[i]
		f.Severity = cfg.Severity(f.Rule, f.Severity)
		if f.Suppressed == nil {
			if e, ok := cfg.Except(f.Rule, f.Resource, settings.Now); ok {
				f.Suppressed = &finding.Suppression{By: "config", Reason: e.Reason, Expires: e.Expires}
			}
		}
		if f.Suppressed != nil {
			res.Suppressed = append(res.Suppressed, *f)
		} else {
			res.Findings = append(res.Findings, *f)
		}
	}
	finding.SortFindings(res.Findings)
	finding.SortFindings(res.Suppressed)
	sortNotEvaluated(notEval)
	res.NotEvaluated = notEval
	sortEvaluations(res.Evaluations)
	return res, nil
}

// AddNotEvaluated records things checked nowhere (resources that could not
// be read, say), keeping the stable order.
func (r *Result) AddNotEvaluated(ne ...finding.NotEvaluated) {
	if len(ne) == 0 {
		return
	}
	r.NotEvaluated = append(r.NotEvaluated, ne...)
	sortNotEvaluated(r.NotEvaluated)
}

// guard runs a rule's check and turns a panic into a NotEvaluated entry: a
// bug in one rule must neither crash the scan nor pass silently.
func guard(r *rules.Rule, o *inventory.Object, check func()) (ne []finding.NotEvaluated) {
	defer func() {
		if v := recover(); v != nil {
			subject := "rule " + r.ID
			if o != nil {
				subject += " on " + o.Ref.String()
			}
			ne = []finding.NotEvaluated{{Subject: subject, Reason: fmt.Sprintf("internal error: %v", v)}}
		}
	}()
	check()
	return nil
}

// findingBlocks collects a worker's findings in fixed-size blocks, so that
// tens of thousands of findings are copied once (into the result), not
// again at every doubling of one growing slice.
type findingBlocks struct {
	full [][]finding.Finding
	cur  []finding.Finding
}

const findingBlock = 1024

func (b *findingBlocks) add(p *rules.Pass) {
	if n := p.Len(); n > cap(b.cur)-len(b.cur) {
		if len(b.cur) > 0 {
			b.full = append(b.full, b.cur)
		}
		b.cur = make([]finding.Finding, 0, max(findingBlock, n))
	}
	b.cur = p.AppendFindings(b.cur)
}

func (b *findingBlocks) len() int {
	n := len(b.cur)
	for _, f := range b.full {
		n += len(f)
	}
	return n
}

func (b *findingBlocks) appendTo(dst []finding.Finding) []finding.Finding {
	for _, f := range b.full {
		dst = append(dst, f...)
	}
	return append(dst, b.cur...)
}
