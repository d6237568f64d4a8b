// Package policyreport renders scan results as Policy Report objects
// (wgpolicyk8s.io/v1alpha2): one PolicyReport per namespace and one
// ClusterPolicyReport for cluster-scoped objects, so that dashboards and
// tools that read the Policy Report API show kguard's findings. Reports are
// compact (one result per finding, no per-resource reports) and bounded in
// size: etcd objects have a size limit and reports must not fill it.
package policyreport

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/scan"
)

// API identity of the objects written.
const (
	APIVersion = "wgpolicyk8s.io/v1alpha2"
	// Name of every report kguard owns; one per namespace.
	Name = "kguard"
	// ManagedByLabel marks reports kguard owns (and may replace or delete).
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "kguard"
	// MaxResults bounds the results in one report. Past it, the report
	// keeps the most severe results and says how many were left out.
	MaxResults = 1000
)

// Build turns a result into reports, in a stable order: the cluster report
// (if any cluster-scoped finding) first, then namespaces sorted.
// Suppressed findings become "skip" results, not-evaluated items "error"
// results on the cluster report, so a partial scan never reads as clean.
func Build(res *scan.Result, now time.Time) []*unstructured.Unstructured {
	byNS := map[string][]map[string]any{}
	summary := map[string]map[string]int64{}
	add := func(ns, result string, f *finding.Finding) {
		if summary[ns] == nil {
			summary[ns] = map[string]int64{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}
		}
		summary[ns][result]++
		byNS[ns] = append(byNS[ns], resultOf(f, result, now))
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		add(namespaceOf(f), "fail", f)
	}
	for i := range res.Suppressed {
		f := &res.Suppressed[i]
		add(namespaceOf(f), "skip", f)
	}
	for _, ne := range res.NotEvaluated {
		f := &finding.Finding{Rule: "not-evaluated", Message: report.DescribeNotEvaluated(ne), Severity: finding.SeverityHigh}
		add(ne.Namespace, "error", f)
	}
	var namespaces []string
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	out := make([]*unstructured.Unstructured, 0, len(namespaces))
	for _, ns := range namespaces {
		results := byNS[ns]
		omitted := 0
		if len(results) > MaxResults {
			// Keep the most severe results; the order within a severity
			// stays the report order.
			slices.SortStableFunc(results, func(a, b map[string]any) int {
				return cmp.Compare(sevRank(b["severity"]), sevRank(a["severity"]))
			})
			omitted = len(results) - MaxResults
			results = results[:MaxResults]
		}
		items := make([]any, len(results))
		for i, r := range results {
			items[i] = r
		}
		sum := map[string]any{}
		for k, v := range summary[ns] {
			sum[k] = v
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": APIVersion,
			"metadata": map[string]any{
				"name":   Name,
				"labels": map[string]any{ManagedByLabel: ManagedBy},
			},
			"summary": sum,
			"results": items,
		}}
		if ns == "" {
			u.SetKind("ClusterPolicyReport")
		} else {
			u.SetKind("PolicyReport")
			u.SetNamespace(ns)
		}
		if omitted > 0 {
			u.SetAnnotations(map[string]string{"kguard.io/omitted-results": fmt.Sprint(omitted)})
		}
		out = append(out, u)
	}
	return out
}

// namespaceOf is the report a finding belongs in. A namespaced object
// written without a namespace (common in manifests) lands in "default" when
// applied, so its results go there.
func namespaceOf(f *finding.Finding) string {
	gk := schema.GroupKind{Group: f.Resource.Group(), Kind: f.Resource.Kind}
	if f.Resource.Namespace == "" && f.Resource.Kind != "" && !inventory.BuiltinClusterScoped(gk) && f.Resource.Kind != "ClusterPolicyReport" {
		return "default"
	}
	return f.Resource.Namespace
}

func resultOf(f *finding.Finding, result string, now time.Time) map[string]any {
	r := map[string]any{
		"source":    "kguard",
		"policy":    f.Rule,
		"rule":      f.Rule,
		"result":    result,
		"severity":  f.Severity.String(),
		"message":   f.Message,
		"scored":    true,
		"timestamp": map[string]any{"seconds": now.Unix(), "nanos": int64(0)},
	}
	if f.Category != "" {
		r["category"] = string(f.Category)
	}
	if f.Resource.Kind != "" {
		r["resources"] = []any{map[string]any{
			"apiVersion": f.Resource.APIVersion,
			"kind":       f.Resource.Kind,
			"namespace":  f.Resource.Namespace,
			"name":       f.Resource.Name,
		}}
	}
	props := map[string]any{}
	if f.Field != "" {
		props["field"] = f.Field
	}
	if f.Source.File != "" {
		props["source"] = f.Source.String()
	}
	if f.Suppressed != nil {
		props["suppressedBy"] = f.Suppressed.By
		if f.Suppressed.Reason != "" {
			props["suppressionReason"] = f.Suppressed.Reason
		}
	}
	if len(props) > 0 {
		r["properties"] = props
	}
	return r
}

func sevRank(v any) int {
	s, _ := v.(string)
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return -1
	}
	return int(sev)
}

// frameworkStatus maps a control's status to a Policy Report result.
var frameworkStatus = map[framework.Status]string{
	framework.Pass: "pass", framework.Fail: "fail", framework.NotEvaluated: "skip", framework.Manual: "skip",
}

// BuildFrameworks turns framework verdicts into one ClusterPolicyReport
// each, named kguard-framework-<name>: one result per control (policy: the
// framework, rule: the control ID; not evaluated and manual controls are
// "skip" with the reason), the score in an annotation.
func BuildFrameworks(frs []*framework.Result, now time.Time) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, fr := range frs {
		f := fr.Framework
		sum := map[string]any{"pass": int64(0), "fail": int64(0), "warn": int64(0), "error": int64(0), "skip": int64(0)}
		items := make([]any, 0, len(fr.Controls))
		for _, c := range fr.Controls {
			result := frameworkStatus[c.Status]
			sum[result] = sum[result].(int64) + 1
			msg := c.Title
			if c.Reason != "" {
				msg += ": " + c.Reason
			}
			props := map[string]any{"status": string(c.Status), "framework": f.Title + " " + f.Version}
			if len(c.Rules) > 0 {
				props["rules"] = strings.Join(c.Rules, ",")
			}
			if c.Findings > 0 {
				props["findings"] = fmt.Sprint(c.Findings)
			}
			items = append(items, map[string]any{
				"source": "kguard", "policy": f.Name, "rule": c.ID, "category": c.Section,
				"result": result, "message": msg, "scored": c.Status == framework.Pass || c.Status == framework.Fail,
				"timestamp":  map[string]any{"seconds": now.Unix(), "nanos": int64(0)},
				"properties": props,
			})
		}
		ann := map[string]any{"kguard.io/framework-version": f.Version, "kguard.io/framework-mapping": fmt.Sprint(f.Mapping)}
		if fr.HasScore {
			ann["kguard.io/framework-score"] = fmt.Sprintf("%.1f", fr.Score)
		}
		out = append(out, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": APIVersion,
			"kind":       "ClusterPolicyReport",
			"metadata": map[string]any{
				"name":        Name + "-framework-" + f.Name,
				"labels":      map[string]any{ManagedByLabel: ManagedBy},
				"annotations": ann,
			},
			"summary": sum,
			"results": items,
		}})
	}
	return out
}

// Write prints the reports as a YAML stream that kubectl apply accepts,
// with a report per framework asked for. Timestamps come from the clock;
// tests use WriteAt.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	return WriteAt(w, res, now, opts.Frameworks...)
}

// WriteAt is Write with a fixed time.
func WriteAt(w io.Writer, res *scan.Result, now time.Time, frs ...*framework.Result) error {
	for i, u := range append(Build(res, now), BuildFrameworks(frs, now)...) {
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
