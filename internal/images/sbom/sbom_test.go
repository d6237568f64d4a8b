package sbom

import (
	"bytes"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/kguard/kguard/internal/images/inventory"
)

var inv = &inventory.Inventory{
	Image: "registry.example/app:1", Digest: "sha256:" + strings.Repeat("a", 64), ConfigDigest: "sha256:" + strings.Repeat("b", 64),
	Platform: "linux/amd64",
	Packages: []inventory.Package{
		{Name: "libssl3", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", SourceName: "openssl", Type: "os/dpkg",
			PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm", Path: "/var/lib/dpkg/status", Layer: "sha256:cc", Licenses: []string{"Apache-2.0"}},
		{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go", Type: "go/binary", PURL: "pkg:golang/golang.org/x/text@0.3.5", Path: "/app", Licenses: []string{"BSD 3-Clause, with odd text"}},
	},
}

// TestCycloneDX: the official library reads back what kguard wrote.
func TestCycloneDX(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "cyclonedx", inv, Options{ToolVersion: "test", Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(&buf, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Component.Name != inv.Image || bom.Metadata.Component.Type != cdx.ComponentTypeContainer {
		t.Errorf("metadata: %v %+v", bom.SpecVersion, bom.Metadata.Component)
	}
	if len(*bom.Components) != 2 {
		t.Fatalf("%d components", len(*bom.Components))
	}
	c := (*bom.Components)[1]
	if c.Name != "golang.org/x/text" || c.Version != "0.3.5" || c.PackageURL != "pkg:golang/golang.org/x/text@0.3.5" {
		t.Errorf("component %+v", c)
	}
	if deps := (*bom.Dependencies)[0]; deps.Ref != "image" || len(*deps.Dependencies) != 2 {
		t.Errorf("dependencies %+v", deps)
	}
}

// TestSPDX: the official library reads back the document and its own
// validator accepts it.
func TestSPDX(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "spdx", inv, Options{ToolVersion: "test", Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Errorf("invalid SPDX: %v", err)
	}
	if len(doc.Packages) != 3 || len(doc.Relationships) != 3 {
		t.Fatalf("%d packages %d relationships", len(doc.Packages), len(doc.Relationships))
	}
	p := doc.Packages[1]
	if p.PackageName != "libssl3" || p.PackageLicenseDeclared != "Apache-2.0" || p.PackageExternalReferences[0].Locator != inv.Packages[0].PURL {
		t.Errorf("package %+v", p)
	}
	if doc.Packages[2].PackageLicenseDeclared != "NOASSERTION" {
		t.Errorf("free-text license written as an expression: %q", doc.Packages[2].PackageLicenseDeclared)
	}
	if err := Write(&buf, "xml", inv, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
}
