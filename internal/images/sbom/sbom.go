package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/kguard/kguard/internal/images/inventory"
)

// Formats are the SBOM formats, in the order help lists them.
var Formats = []string{"cyclonedx", "spdx"}

// Options describe the document.
type Options struct {
	ToolVersion string
	// Created is the document's creation time (default now).
	Created time.Time
}

// Write writes inv as an SBOM in format.
func Write(w io.Writer, format string, inv *inventory.Inventory, o Options) error {
	if o.Created.IsZero() {
		o.Created = time.Now().UTC()
	}
	switch format {
	case "cyclonedx":
		return CycloneDX(w, inv, o)
	case "spdx":
		return SPDX(w, inv, o)
	}
	return fmt.Errorf("unknown SBOM format %q (want cyclonedx or spdx)", format)
}

// CycloneDX writes a CycloneDX 1.6 JSON BOM whose subject is the image.
func CycloneDX(w io.Writer, inv *inventory.Inventory, o Options) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidFrom(inv.ConfigDigest+inv.Image)
	image := cdx.Component{
		BOMRef:  "image",
		Type:    cdx.ComponentTypeContainer,
		Name:    inv.Image,
		Version: inv.Digest,
		Hashes:  hashes(inv.Digest),
		Properties: &[]cdx.Property{
			{Name: "kguard:image:configDigest", Value: inv.ConfigDigest},
			{Name: "kguard:image:platform", Value: inv.Platform},
		},
	}
	bom.Metadata = &cdx.Metadata{
		Timestamp: o.Created.Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "kguard", Version: o.ToolVersion,
		}}},
		Component: &image,
	}
	comps := make([]cdx.Component, 0, len(inv.Packages))
	var deps []string
	for i, p := range inv.Packages {
		ref := "pkg-" + strconv.Itoa(i)
		c := cdx.Component{
			BOMRef:     ref,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: p.PURL,
			Properties: &[]cdx.Property{
				{Name: "kguard:package:ecosystem", Value: p.Ecosystem},
				{Name: "kguard:package:type", Value: p.Type},
				{Name: "kguard:package:path", Value: p.Path},
				{Name: "kguard:package:layer", Value: p.Layer},
			},
		}
		if p.SourceName != "" {
			*c.Properties = append(*c.Properties, cdx.Property{Name: "kguard:package:sourceName", Value: p.SourceName})
		}
		if len(p.Licenses) > 0 {
			lc := make(cdx.Licenses, 0, len(p.Licenses))
			for _, l := range p.Licenses {
				lc = append(lc, cdx.LicenseChoice{Expression: l})
			}
			c.Licenses = &lc
		}
		if p.Type == "os/dpkg" || p.Type == "os/apk" || p.Type == "os/rpm" {
			c.Type = cdx.ComponentTypeApplication
		}
		comps = append(comps, c)
		deps = append(deps, ref)
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: "image", Dependencies: &deps}}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// SPDX writes an SPDX 2.3 JSON document: the image is the described
// package and CONTAINS every package found in it.
func SPDX(w io.Writer, inv *inventory.Inventory, o Options) error {
	imageID := common.ElementID("Image")
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      inv.Image,
		DocumentNamespace: "https://kguard.dev/spdx/" + strings.TrimPrefix(inv.ConfigDigest, "sha256:") + "-" + uuidFrom(inv.Image),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "kguard-" + o.ToolVersion}},
			Created:  o.Created.Format(time.RFC3339),
		},
	}
	img := &spdx.Package{
		PackageName:             inv.Image,
		PackageSPDXIdentifier:   imageID,
		PackageVersion:          inv.Digest,
		PackageDownloadLocation: "NOASSERTION",
		PrimaryPackagePurpose:   "CONTAINER",
	}
	if h, ok := strings.CutPrefix(inv.Digest, "sha256:"); ok {
		img.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: h}}
	}
	doc.Packages = append(doc.Packages, img)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(imageID)), Relationship: "DESCRIBES",
	})
	for i, p := range inv.Packages {
		id := common.ElementID("Package-" + strconv.Itoa(i))
		sp := &spdx.Package{
			PackageName:             p.Name,
			PackageSPDXIdentifier:   id,
			PackageVersion:          p.Version,
			PackageDownloadLocation: "NOASSERTION",
			PackageLicenseConcluded: "NOASSERTION",
			PackageLicenseDeclared:  declared(p.Licenses),
			PackageCopyrightText:    "NOASSERTION",
			PackageSourceInfo:       fmt.Sprintf("found by %s in %s (layer %s)", p.Type, p.Path, p.Layer),
		}
		if p.PURL != "" {
			sp.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: p.PURL}}
		}
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(imageID)), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "))
}

// declared is the SPDX declared license: scalibr reports license
// expressions or names as the package database states them; anything that
// is not a plain SPDX-looking token is left NOASSERTION rather than
// written as an invalid expression.
func declared(ls []string) string {
	if len(ls) != 1 {
		return "NOASSERTION"
	}
	l := ls[0]
	for _, r := range l {
		if !(r == '-' || r == '.' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "NOASSERTION"
		}
	}
	if l == "" {
		return "NOASSERTION"
	}
	return l
}

func hashes(digest string) *[]cdx.Hash {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return nil
	}
	return &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
}

// uuidFrom derives a stable version-5-style UUID from s, so the same
// image gives the same serial number.
func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
