package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"runtime/debug"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// Options name what the binary's build info cannot tell.
type Options struct {
	// Version overrides the main module's version, which `go build` in
	// a checkout records as "(devel)".
	Version string
	// Time is the BOM's timestamp; the release's commit time keeps the
	// BOM reproducible.
	Time time.Time
}

// FromBinary describes the Go modules compiled into the binary at bin,
// read from its build information (as `go version -m` does), as a
// CycloneDX BOM: the main module as the BOM's subject, with the binary's
// SHA-256, and every dependency and the Go standard library as a
// required library.
func FromBinary(bin string, o Options) (*cdx.BOM, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: read build info: %w", bin, err)
	}
	sum, err := fileSHA256(bin)
	if err != nil {
		return nil, err
	}
	mainVersion := o.Version
	if mainVersion == "" {
		mainVersion = info.Main.Version
	}
	subject := component(cdx.ComponentTypeApplication, info.Main.Path, mainVersion)
	subject.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sum}}
	var props []cdx.Property
	for _, s := range info.Settings {
		switch s.Key {
		case "GOOS", "GOARCH", "GOAMD64", "GOARM64", "CGO_ENABLED", "-trimpath", "-tags", "vcs.revision", "vcs.time":
			props = append(props, cdx.Property{Name: "go.build." + s.Key, Value: s.Value})
		}
	}
	if len(props) > 0 {
		subject.Properties = &props
	}

	// The standard library is compiled in as well, and has advisories of
	// its own: it is named the way vulnerability databases name it.
	std := component(cdx.ComponentTypeLibrary, "stdlib", info.GoVersion)
	std.Scope = cdx.ScopeRequired
	comps := []cdx.Component{std}
	for _, d := range info.Deps {
		m := d
		var orig *debug.Module
		if d.Replace != nil {
			orig, m = d, d.Replace
		}
		c := component(cdx.ComponentTypeLibrary, m.Path, m.Version)
		c.Scope = cdx.ScopeRequired
		if m.Sum != "" {
			// The go.sum hash (h1: base64 SHA-256 of the module's file
			// list) is not one of CycloneDX's hash algorithms: a property.
			c.Properties = &[]cdx.Property{{Name: "go.sum", Value: m.Sum}}
		}
		if orig != nil {
			c.Pedigree = &cdx.Pedigree{Notes: fmt.Sprintf("replaces %s %s", orig.Path, orig.Version)}
		}
		comps = append(comps, c)
	}
	refs := make([]string, len(comps))
	for i, c := range comps {
		refs[i] = c.BOMRef
	}

	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Timestamp: o.Time.UTC().Format(time.RFC3339),
		Component: &subject,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "kguard hack/tools/ship/sbom",
			Description: "CycloneDX from the Go build information of a binary",
		}}},
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: subject.BOMRef, Dependencies: &refs}}
	return bom, nil
}

// component names a Go module (or the standard library) with its purl,
// which is also its BOM reference.
func component(typ cdx.ComponentType, modPath, version string) cdx.Component {
	ns, name := path.Split(modPath)
	purl := packageurl.NewPackageURL(packageurl.TypeGolang, strings.TrimSuffix(ns, "/"), name, version, nil, "").ToString()
	return cdx.Component{BOMRef: purl, Type: typ, Name: modPath, Version: version, PackageURL: purl}
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Write encodes bom as CycloneDX 1.6 JSON.
func Write(w io.Writer, bom *cdx.BOM) error {
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(bom, cdx.SpecVersion1_6)
}
