package formats

import (
	"strings"

	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/cis"
	"github.com/kguard/kguard/internal/report/ecs"
	"github.com/kguard/kguard/internal/report/html"
	"github.com/kguard/kguard/internal/report/json"
	"github.com/kguard/kguard/internal/report/junit"
	"github.com/kguard/kguard/internal/report/policyreport"
	"github.com/kguard/kguard/internal/report/sarif"
	"github.com/kguard/kguard/internal/report/table"
)

// All returns every format, the default (table) first.
func All() []report.Format {
	return []report.Format{
		{Name: "table", Description: "findings grouped by resource, for people (default)", Write: table.Write},
		{Name: "json", Description: "kguard's stable JSON contract, for scripts and other tools", Write: json.Write},
		{Name: "sarif", Description: "SARIF 2.1.0, for GitHub code scanning and SARIF viewers", Write: sarif.Write},
		{Name: "junit", Description: "JUnit XML, for CI test reports (GitLab, Jenkins)", Write: junit.Write},
		{Name: "policyreport", Description: "wgpolicyk8s.io/v1alpha2 PolicyReports per namespace, for kubectl apply and Policy Report tools", Write: policyreport.Write},
		{Name: "cis", Description: "CIS Kubernetes Benchmark " + cis.Version + ": PASS, FAIL, MANUAL or NOT EVALUATED per check", Write: cis.Write},
		{Name: "html", Description: "one self-contained HTML page: overview, searchable findings, frameworks, RBAC paths and the network matrix, to hand to someone", Write: html.Write, Analyses: true},
		{Name: "ecs", Description: "Elastic Common Schema JSON lines (the layout of kguard's alerts), for Elasticsearch and log shippers", Write: ecs.Write},
	}
}

// Get returns the format called name, ignoring case.
func Get(name string) (report.Format, bool) {
	for _, f := range All() {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return report.Format{}, false
}

// Lookup returns the writer of the format called name, ignoring case.
func Lookup(name string) (report.WriteFunc, bool) {
	f, ok := Get(name)
	return f.Write, ok
}

// Names lists the format names in the order of All, for help texts and
// error messages.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	return names
}
