package html

// pageTemplate is the report page. "top" is everything before the data
// block of the findings explorer, "bottom" the script and what follows.
// Links are in-page only, and the Content-Security-Policy forbids loading
// anything, so the page works offline and leaks nothing when opened.
const pageTemplate = `{{define "top"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
{{.CSS}}
{{.MatrixCSS}}
</style>
</head>
<body>
<header class="top">
<h1>{{.Title}}</h1>
<p>kguard {{.Version}}, {{.Time}}: {{fmt .Objects}} objects, {{fmt .Rules}} rules, {{fmt .Findings}} findings, {{fmt .Suppressed}} suppressed.</p>
</header>
<nav class="sections" aria-label="Sections">
<a href="#overview">Overview</a><a href="#findings">Findings</a><a href="#frameworks">Frameworks</a><a href="#rbac">RBAC paths</a><a href="#network">Network</a><a href="#problems">Not evaluated</a>
</nav>
<main>
{{if .Partial}}<p class="warn" id="partial">The scan was partial: {{len .NotEvaluated}} item(s) could not be evaluated and {{len .InputErrors}} input(s) could not be read (see <a href="#problems">Not evaluated</a>). No finding there does not mean a pass.</p>{{end}}
{{if .Filtered.Count}}<p class="warn">{{fmt .Filtered.Count}} findings are left out by {{.Filtered.By}}.</p>{{end}}
<section class="part" id="overview">
<h2>Overview</h2>
<div class="totals">{{range .Totals}}<span class="pill sev-{{.Name}}">{{.Name}}: {{fmt .Count}}</span>{{end}}</div>
{{with .Baseline}}<p class="note">Since the baseline {{.Name}}: {{fmt .New}} new, {{fmt .Unchanged}} unchanged, {{fmt .Fixed}} fixed.</p>{{end}}
<div class="grid">
<div class="card" id="categories">
<h3>Score per category</h3>
<p class="note">Share of the category's rules that ran and found nothing.</p>
<div class="scroll"><table class="data">
<thead><tr><th>Category</th><th class="num">Score</th><th>Rules passing</th><th class="num">Findings</th></tr></thead>
<tbody>{{range .Categories}}<tr><td><a href="#findings" data-filter="cat" data-value="{{.Category}}">{{.Category}}</a></td><td class="num">{{.Score}}%</td><td><div class="bar{{if lt .Score 50}} bad{{end}}" title="{{.Failing}} of {{.Ran}} rules found something"><span style="width: {{.Score}}%"></span></div></td><td class="num">{{range .Counts}}{{if .Count}}<span class="pill sev-{{.Name}}" title="{{.Name}}">{{fmt .Count}}</span> {{end}}{{end}}</td></tr>{{end}}</tbody>
</table></div>
</div>
<div class="card" id="heatmap">
<h3>Severity by namespace</h3>
<div class="scroll"><table class="data heat">
<thead><tr><th>Namespace</th>{{range $.Totals}}<th class="num" title="{{.Name}}">{{short .Name}}</th>{{end}}<th class="num">all</th></tr></thead>
<tbody>{{range .Heat}}<tr><td>{{if .Value}}<a href="#findings" data-filter="ns" data-value="{{.Value}}">{{.Namespace}}</a>{{else}}{{.Namespace}}{{end}}</td>{{range .Cells}}<td class="cell" style="{{.Style}}" title="{{.Count}} {{.Name}}">{{if .Count}}{{fmt .Count}}{{end}}</td>{{end}}<td class="num">{{fmt .Total}}</td></tr>{{else}}<tr><td colspan="7">No findings.</td></tr>{{end}}</tbody>
</table></div>
</div>
<div class="card" id="toprules">
<h3>Top rules</h3>
<div class="scroll"><table class="data">
<thead><tr><th>Rule</th><th class="num">Findings</th></tr></thead>
<tbody>{{range .TopRules}}<tr><td><span class="pill sev-{{.Severity}}">{{.Severity}}</span> <a href="#findings" data-filter="rule" data-value="{{.ID}}" class="mono">{{.ID}}</a><div class="note">{{.Title}}</div></td><td class="num">{{fmt .Count}}<div class="bar bad"><span style="width: {{.Bar}}%"></span></div></td></tr>{{else}}<tr><td colspan="2">No findings.</td></tr>{{end}}</tbody>
</table></div>
</div>
<div class="card" id="framework-scores">
<h3>Framework scores</h3>
<p class="note">Share of judged controls that pass; <a href="#frameworks">every control</a> below.</p>
<div class="scroll"><table class="data">
<thead><tr><th>Framework</th><th class="num">Score</th><th class="num">Pass</th><th class="num">Fail</th><th class="num">Not eval.</th><th class="num">Manual</th></tr></thead>
<tbody>{{range .Frameworks}}<tr><td>{{.Framework.Title}} {{.Framework.Version}}</td><td class="num score-cell">{{.Score}}</td><td class="num">{{.Pass}}</td><td class="num">{{.Fail}}</td><td class="num">{{.NotEvaluated}}</td><td class="num">{{.Manual}}</td></tr>{{end}}</tbody>
</table></div>
</div>
</div>
</section>
<section class="part" id="findings">
<h2>Findings</h2>
<div class="filters">
<input type="search" id="kg-q" placeholder="Search rule, resource, file, message…" aria-label="Search findings">
{{range .Totals}}<label><input type="checkbox" id="kg-sev-{{.Name}}" checked> {{.Name}}</label>{{end}}
<select id="kg-cat" aria-label="Category"><option value="">every category</option></select>
<select id="kg-ns" aria-label="Namespace"><option value="">every namespace</option></select>
<select id="kg-rule" aria-label="Rule"><option value="">every rule</option></select>
{{if .HasNew}}<label><input type="checkbox" id="kg-new"> new since the baseline only</label>{{end}}
<label><input type="checkbox" id="kg-suppressed"> include suppressed</label>
</div>
<p id="kg-count" class="note">Loading…</p>
<div class="scroll"><table class="data findings">
<thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Finding and fix</th></tr></thead>
<tbody id="kg-rows"></tbody>
</table></div>
<div class="pager"><button type="button" id="kg-prev">← Previous</button><button type="button" id="kg-next">Next →</button></div>
{{with .Baseline}}{{if .FixedList}}<details><summary>Fixed since the baseline ({{len .FixedList}})</summary><ul class="plain">{{range .FixedList}}<li>{{.}}</li>{{end}}</ul></details>{{end}}{{end}}
</section>
{{end}}{{define "bottom"}}<section class="part" id="frameworks">
<h2>Frameworks</h2>
{{if not .FrameworksAsked}}<p class="note">Every framework kguard maps its rules to (kguard frameworks lists them; --framework limits a scan to one).</p>{{end}}
{{range .Frameworks}}<details class="framework"{{if $.FrameworksAsked}} open{{end}}>
<summary><strong>{{.Framework.Title}} {{.Framework.Version}}</strong>: score {{.Score}}, {{.Pass}} pass, {{.Fail}} fail, {{.NotEvaluated}} not evaluated, {{.Manual}} manual</summary>
<p class="note">{{.Framework.Source}}; kguard mapping {{.Framework.Mapping}}.{{if .Partial}} The scan was partial, so a pass may be unearned.{{end}}</p>
<div class="scroll"><table class="data">
<thead><tr><th>Control</th><th>Status</th><th>Rules and reason</th></tr></thead>
<tbody>{{range .Controls}}<tr><td><span class="mono">{{.ID}}</span> {{.Title}}</td><td><span class="pill st-{{.Status}}">{{.Status}}</span></td><td>{{range $i, $r := .Failing}}{{if $i}}, {{end}}<span class="mono">{{$r.Rule}}</span> ({{$r.Findings}}){{end}}{{if and .Rules (not .Failing)}}<span class="mono">{{range $i, $r := .Rules}}{{if $i}}, {{end}}{{$r}}{{end}}</span>{{end}}{{if .Reason}}<div class="note">{{.Reason}}</div>{{end}}</td></tr>{{end}}</tbody>
</table></div>
</details>
{{end}}
</section>
<section class="part" id="rbac">
<h2>RBAC escalation paths</h2>
{{with .Paths}}<p class="note">{{.Paths}} identities reach cluster-admin. Boxes are identities (blue: service accounts), columns the steps left to cluster-admin; hover an arrow for what allows it.</p>
<div class="scroll"><svg class="paths" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="Privilege-escalation paths to cluster-admin">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#57606a"/></marker></defs>
{{range .Edges}}<path class="edge" d="{{.Path}}"><title>{{.Title}}</title></path>
{{end}}{{range .Nodes}}<g class="node"><title>{{.Name}}</title><rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="210" height="30"></rect><text x="{{.X}}" y="{{.Y}}" dx="8" dy="19">{{.Label}}</text></g>
{{end}}</svg></div>{{end}}
{{with .PathsNote}}<p class="note">{{.}}</p>{{end}}
</section>
<section class="part" id="network">
<h2>Network reachability</h2>
{{range .Matrices}}<h3>{{.Title}}</h3>
{{.Figure}}{{end}}
{{with .MatrixNote}}<p class="note">{{.}}</p>{{end}}
</section>
<section class="part" id="problems">
<h2>Not evaluated</h2>
{{if or .NotEvaluated .InputErrors}}{{if .NotEvaluated}}<p>kguard could not check these; no finding here does not mean they pass:</p>
<ul class="plain">{{range .NotEvaluated}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .InputErrors}}<p>These inputs were not scanned:</p>
<ul class="plain">{{range .InputErrors}}<li class="mono">{{.}}</li>{{end}}</ul>{{end}}
{{else}}<p class="note">Everything was evaluated and every input was read.</p>{{end}}
</section>
</main>
<script>
{{.Script}}
</script>
</body>
</html>
{{end}}`
