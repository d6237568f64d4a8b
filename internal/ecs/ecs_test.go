package ecs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/ecs"
	"github.com/kguard/kguard/internal/finding"
	ecsreport "github.com/kguard/kguard/internal/report/ecs"
	"github.com/kguard/kguard/internal/report/reporttest"
)

const elastic = "../../deploy/elastic"

// ecsFields reads testdata/ecs-fields.txt: ECS name -> type, as the ECS
// reference defines them.
func ecsFields(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("testdata/ecs-fields.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out[f[0]] = f[1]
	}
	return out
}

// recordFields is every key ecs.Record can write, with its Go type.
func recordFields() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	rt := reflect.TypeOf(ecs.Record{})
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out[name] = rt.Field(i).Type
	}
	return out
}

// fits reports whether a Go type can carry an Elasticsearch field type.
func fits(esType string, t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	switch esType {
	case "keyword", "wildcard", "match_only_text", "text", "ip", "date":
		return t.Kind() == reflect.String
	case "long", "unsigned_long", "integer":
		switch t.Kind() {
		case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint32, reflect.Int32:
			return true
		}
	case "double", "float":
		return t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32
	}
	return false
}

// checkRecord: every field of the record layout is an ECS field with a Go
// type that fits its ECS type, a field of Elastic's Kubernetes integration
// (listed with the ECS fields) or a kguard.* field.
func checkRecord(ecsDefs map[string]string, fields map[string]reflect.Type) error {
	var errs []string
	for name, gt := range fields {
		typ, ok := ecsDefs[name]
		switch {
		case !ok && !strings.HasPrefix(name, "kguard."):
			errs = append(errs, fmt.Sprintf("%s is neither an ECS field nor under kguard.", name))
		case ok && !fits(typ, gt):
			errs = append(errs, fmt.Sprintf("%s is ECS %s but the record holds %s", name, typ, gt))
		}
	}
	slices.Sort(errs)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func TestRecordUsesECSNamesAndTypes(t *testing.T) {
	defs := ecsFields(t)
	fields := recordFields()
	if err := checkRecord(defs, fields); err != nil {
		t.Error(err)
	}
	// Negative controls: a made-up top-level field and a wrong type.
	broken := map[string]reflect.Type{"severity": reflect.TypeOf(""), "event.severity": reflect.TypeOf("")}
	if err := checkRecord(defs, broken); err == nil || !strings.Contains(err.Error(), "severity is neither") || !strings.Contains(err.Error(), "event.severity is ECS long") {
		t.Errorf("broken record not caught: %v", err)
	}
}

// templateFields flattens the index template's mappings: field -> type.
func templateFields(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var tpl struct {
		IndexPatterns []string `json:"index_patterns"`
		Template      struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatalf("index template: %v", err)
	}
	if !slices.Equal(tpl.IndexPatterns, []string{"kguard-*"}) {
		t.Errorf("index patterns %v, want [kguard-*]", tpl.IndexPatterns)
	}
	out := map[string]string{}
	var walk func(prefix string, props map[string]any)
	walk = func(prefix string, props map[string]any) {
		for name, v := range props {
			m, _ := v.(map[string]any)
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(prefix+name+".", sub)
				continue
			}
			typ, _ := m["type"].(string)
			out[prefix+name] = typ
		}
	}
	walk("", tpl.Template.Mappings.Properties)
	return out
}

// checkTemplate: every field the template maps is one kguard writes, with
// a type its Go value fits and, for ECS fields, the ECS type; and every
// field kguard writes is mapped (none is left to dynamic mapping).
func checkTemplate(ecsDefs map[string]string, fields map[string]reflect.Type, tpl map[string]string) error {
	var errs []string
	for name, typ := range tpl {
		gt, ok := fields[name]
		switch {
		case !ok:
			errs = append(errs, "template maps "+name+", which kguard never writes")
		case ecsDefs[name] != "" && ecsDefs[name] != typ:
			errs = append(errs, fmt.Sprintf("template maps %s as %s, ECS says %s", name, typ, ecsDefs[name]))
		case !fits(typ, gt):
			errs = append(errs, fmt.Sprintf("template maps %s as %s, kguard writes %s", name, typ, gt))
		}
	}
	for name := range fields {
		if _, ok := tpl[name]; !ok {
			errs = append(errs, "template does not map "+name)
		}
	}
	slices.Sort(errs)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func TestIndexTemplate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(elastic, "index-template.json"))
	if err != nil {
		t.Fatal(err)
	}
	defs, fields := ecsFields(t), recordFields()
	tpl := templateFields(t, raw)
	if err := checkTemplate(defs, fields, tpl); err != nil {
		t.Error(err)
	}
	broken := map[string]string{}
	for k, v := range tpl {
		broken[k] = v
	}
	broken["source.ip"] = "keyword"
	broken["kguard.control.findings"] = "keyword"
	broken["kguard.typo"] = "keyword"
	delete(broken, "message")
	err = checkTemplate(defs, fields, broken)
	for _, want := range []string{"source.ip as keyword, ECS says ip", "kguard.control.findings as keyword, kguard writes int", "kguard.typo, which kguard never writes", "does not map message"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("broken template: %q not reported in %v", want, err)
		}
	}
}

// kqlField finds the field names of KQL clauses ("a.b : value").
var kqlField = regexp.MustCompile(`([A-Za-z_@][A-Za-z0-9_.@]*)\s*:`)

// dashboardFields returns every field the saved objects use, by object,
// and checks that every reference points at an object of the file.
func dashboardFields(t *testing.T, raw []byte) map[string][]string {
	t.Helper()
	type object struct {
		ID         string         `json:"id"`
		Type       string         `json:"type"`
		Attributes map[string]any `json:"attributes"`
		References []struct {
			ID, Type, Name string
		} `json:"references"`
	}
	var objs []object
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o object
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("saved object is not JSON: %v", err)
		}
		objs = append(objs, o)
	}
	ids := map[string]string{}
	for _, o := range objs {
		ids[o.ID] = o.Type
	}
	used := map[string][]string{}
	use := func(o object, f string) { used[o.ID] = append(used[o.ID], f) }
	embedded := func(o object, key string, v any) map[string]any {
		s, _ := v.(string)
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Errorf("%s: %s is not JSON: %v", o.ID, key, err)
		}
		return m
	}
	for _, o := range objs {
		for _, r := range o.References {
			if ids[r.ID] != r.Type {
				t.Errorf("%s refers to %s %s, which the file does not hold", o.ID, r.Type, r.ID)
			}
		}
		a := o.Attributes
		if tf, ok := a["timeFieldName"].(string); ok {
			use(o, tf)
		}
		if cols, ok := a["columns"].([]any); ok {
			for _, c := range cols {
				use(o, c.(string))
			}
		}
		if meta, ok := a["kibanaSavedObjectMeta"].(map[string]any); ok {
			ss := embedded(o, "searchSourceJSON", meta["searchSourceJSON"])
			if q, ok := ss["query"].(map[string]any); ok {
				for _, m := range kqlField.FindAllStringSubmatch(fmt.Sprint(q["query"]), -1) {
					use(o, m[1])
				}
			}
		}
		if vs, ok := a["visState"]; ok {
			for _, agg := range embedded(o, "visState", vs)["aggs"].([]any) {
				if f, ok := agg.(map[string]any)["params"].(map[string]any)["field"].(string); ok {
					use(o, f)
				}
			}
		}
		if pj, ok := a["panelsJSON"].(string); ok {
			var panels []map[string]any
			if err := json.Unmarshal([]byte(pj), &panels); err != nil {
				t.Errorf("%s: panelsJSON: %v", o.ID, err)
			}
			refs := map[string]bool{}
			for _, r := range o.References {
				refs[r.Name] = true
			}
			for _, p := range panels {
				if !refs[fmt.Sprint(p["panelRefName"])] {
					t.Errorf("%s: panel %v has no reference", o.ID, p["panelRefName"])
				}
			}
		}
	}
	return used
}

func TestDashboardUsesTemplateFields(t *testing.T) {
	tplRaw, _ := os.ReadFile(filepath.Join(elastic, "index-template.json"))
	tpl := templateFields(t, tplRaw)
	raw, err := os.ReadFile(filepath.Join(elastic, "kibana-dashboard.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	used := dashboardFields(t, raw)
	n := 0
	for id, fs := range used {
		for _, f := range fs {
			n++
			if _, ok := tpl[f]; !ok {
				t.Errorf("%s uses field %s, which the template does not map", id, f)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d field uses found: the parser missed the dashboard's fields", n)
	}
	if !bytes.Contains(raw, []byte(`"title":"kguard-*"`)) {
		t.Error("no data view over kguard-*")
	}
	// Negative control: a field the template lacks is caught.
	bad := bytes.Replace(raw, []byte(`\"rule.id\"`), []byte(`\"rule.idd\"`), 1)
	found := false
	for _, fs := range dashboardFields(t, bad) {
		found = found || slices.Contains(fs, "rule.idd")
	}
	if !found {
		t.Error("the dashboard parser does not see aggregation fields")
	}
}

// TestRecordsAsWritten: the records kguard actually writes, findings,
// controls and alerts, hold only mapped fields, with values of the mapped
// type (addresses are IPs, times RFC 3339, numbers integers).
func TestRecordsAsWritten(t *testing.T) {
	tplRaw, _ := os.ReadFile(filepath.Join(elastic, "index-template.json"))
	tpl := templateFields(t, tplRaw)
	opts := reporttest.Options(t)
	opts.Frameworks = reporttest.Frameworks(t)
	opts.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	if err := ecsreport.Write(&buf, reporttest.Result(t), opts); err != nil {
		t.Fatal(err)
	}
	enc := ecs.NewEncoder(&buf)
	proc := detect.Process{PID: 7, PPID: 1, Comm: "sh", Exe: "/bin/sh", Container: detect.Container{ID: "c1", Pod: "p", Namespace: "shop"}}
	for _, a := range []detect.Alert{
		{Rule: "shell", Severity: finding.SeverityHigh, Output: "o", Time: opts.Now, Source: detect.SourceNetwork,
			Event: detect.Event{Process: &proc, Network: &detect.Network{DAddr: "203.0.113.9", DPort: 443, Proto: "TCP"}}},
		{Rule: "audit", Severity: finding.SeverityLow, Output: "o", Time: opts.Now,
			Event: detect.Event{K8sAudit: &detect.AuditEvent{Verb: "get", AuditID: "a1", SourceIPs: []string{"10.0.0.1"}, RequestURI: "/api"}}},
	} {
		r := alert.NewRecord(a, "d")
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 15 {
		t.Fatalf("%d records", len(lines))
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		for k, v := range rec {
			typ, ok := tpl[k]
			if !ok {
				t.Errorf("record %d: %s is not mapped", i, k)
				continue
			}
			if err := valueFits(typ, v); err != nil {
				t.Errorf("record %d: %s: %v", i, k, err)
			}
		}
	}
}

func valueFits(typ string, v any) error {
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if err := valueFits(typ, x); err != nil {
				return err
			}
		}
		return nil
	}
	switch typ {
	case "keyword", "wildcard", "match_only_text", "text":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%v is not a string", v)
		}
	case "ip":
		if _, err := netip.ParseAddr(fmt.Sprint(v)); err != nil {
			return err
		}
	case "date":
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(v)); err != nil {
			return err
		}
	case "long":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return fmt.Errorf("%v is not an integer", v)
		}
	case "double":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%v is not a number", v)
		}
	}
	return nil
}

// TestShippers: both shipper configurations read the findings and the
// alerts files and write them to indices the template covers.
func TestShippers(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(elastic, "vector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Sources map[string]struct {
			Type    string
			Include []string
		} `yaml:"sources"`
		Transforms map[string]struct {
			Type   string
			Inputs []string
			Source string
		} `yaml:"transforms"`
		Sinks map[string]struct {
			Type   string
			Inputs []string
			Bulk   struct{ Index string } `yaml:"bulk"`
		} `yaml:"sinks"`
	}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("vector.yaml: %v", err)
	}
	// Follow each sink back to its files.
	files := map[string][]string{} // index -> file patterns
	for name, s := range v.Sinks {
		if s.Type != "elasticsearch" || !strings.HasPrefix(s.Bulk.Index, "kguard-") {
			t.Errorf("vector sink %s: type %s, index %q", name, s.Type, s.Bulk.Index)
		}
		for _, in := range s.Inputs {
			tr, ok := v.Transforms[in]
			if !ok || !strings.Contains(tr.Source, "parse_json!") {
				t.Errorf("vector sink %s: input %s is no JSON-parsing transform", name, in)
				continue
			}
			for _, src := range tr.Inputs {
				if v.Sources[src].Type != "file" {
					t.Errorf("vector transform %s: input %s is no file source", in, src)
				}
				files[s.Bulk.Index] = append(files[s.Bulk.Index], v.Sources[src].Include...)
			}
		}
	}
	checkRoutes(t, "vector", files)

	raw, err = os.ReadFile(filepath.Join(elastic, "fluent-bit.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var sections []map[string]string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			sections = append(sections, map[string]string{"section": strings.Trim(line, "[]")})
		default:
			k, val, _ := strings.Cut(line, " ")
			sections[len(sections)-1][strings.ToLower(k)] = strings.TrimSpace(val)
		}
	}
	tags := map[string]string{} // tag -> path
	files = map[string][]string{}
	for _, s := range sections {
		if s["section"] == "INPUT" {
			if s["name"] != "tail" || s["parser"] != "json" {
				t.Errorf("fluent-bit input %v: want tail with the json parser", s)
			}
			tags[s["tag"]] = s["path"]
		}
	}
	for _, s := range sections {
		if s["section"] == "OUTPUT" {
			if s["name"] != "es" || !strings.HasPrefix(s["index"], "kguard-") || tags[s["match"]] == "" {
				t.Errorf("fluent-bit output %v: want es into kguard-* matching an input tag", s)
			}
			files[s["index"]] = append(files[s["index"]], tags[s["match"]])
		}
	}
	checkRoutes(t, "fluent-bit", files)
}

// checkRoutes: findings files go to kguard-findings, alerts files to
// kguard-alerts.
func checkRoutes(t *testing.T, shipper string, files map[string][]string) {
	t.Helper()
	for index, want := range map[string]string{"kguard-findings": "findings-", "kguard-alerts": "alerts"} {
		ok := len(files[index]) > 0
		for _, f := range files[index] {
			ok = ok && strings.Contains(filepath.Base(f), want)
		}
		if !ok {
			t.Errorf("%s: index %s gets %v, want the %s files", shipper, index, files[index], want)
		}
	}
}
