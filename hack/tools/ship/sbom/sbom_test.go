package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schema compiles CycloneDX 1.6 from the schema files that ship in the
// cyclonedx-go module (draft-07, with the SPDX and JSF schemas it refers
// to).
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("locate cyclonedx-go: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	for id, file := range map[string]string{
		"http://cyclonedx.org/schema/bom-1.6.schema.json":  "bom-1.6.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schemax.json",
	} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestFromBinary describes this test binary, whose modules are known:
// this module's go.mod pins cyclonedx-go v0.12.0 and packageurl-go v0.1.7.
func TestFromBinary(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	bom, err := FromBinary(bin, Options{Version: "v0.1.0", Time: at})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, bom); err != nil {
		t.Fatal(err)
	}

	sch := schema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("not valid CycloneDX 1.6: %v", err)
	}
	// The schema check can fail: a component of an unknown type does.
	var bad map[string]any
	if err := json.Unmarshal(buf.Bytes(), &bad); err != nil {
		t.Fatal(err)
	}
	bad["components"].([]any)[0].(map[string]any)["type"] = "gizmo"
	if err := sch.Validate(bad); err == nil {
		t.Error("a BOM with a component of type gizmo validated: the schema check proves nothing")
	}

	var got cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.SpecVersion != cdx.SpecVersion1_6 || got.Metadata.Timestamp != "2026-12-07T08:00:00Z" {
		t.Errorf("spec %v timestamp %q", got.SpecVersion, got.Metadata.Timestamp)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	subj := got.Metadata.Component
	if subj.Name != "github.com/kguard/kguard/hack/tools/ship" || subj.Version != "v0.1.0" || len(*subj.Hashes) != 1 || (*subj.Hashes)[0].Value != hex.EncodeToString(sum[:]) {
		t.Errorf("subject %s %s hashes %+v", subj.Name, subj.Version, subj.Hashes)
	}
	want := map[string]string{
		"stdlib":                               "pkg:golang/stdlib@" + runtime.Version(),
		"github.com/CycloneDX/cyclonedx-go":    "pkg:golang/github.com/CycloneDX/cyclonedx-go@v0.12.0",
		"github.com/package-url/packageurl-go": "pkg:golang/github.com/package-url/packageurl-go@v0.1.7",
	}
	deps := map[string]bool{}
	for _, r := range *(*got.Dependencies)[0].Dependencies {
		deps[r] = true
	}
	for _, c := range *got.Components {
		if c.Scope != cdx.ScopeRequired || !deps[c.BOMRef] {
			t.Errorf("%s: scope %q, in the subject's dependencies %v", c.Name, c.Scope, deps[c.BOMRef])
		}
		if purl, ok := want[c.Name]; ok {
			if c.PackageURL != purl {
				t.Errorf("%s: purl %s, want %s", c.Name, c.PackageURL, purl)
			}
			delete(want, c.Name)
		}
	}
	for n := range want {
		t.Errorf("no component %s", n)
	}
}

func TestFromBinaryNotGo(t *testing.T) {
	f := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := FromBinary(f, Options{}); err == nil || !strings.Contains(err.Error(), f) {
		t.Errorf("error %v, want one naming %s", err, f)
	}
}
