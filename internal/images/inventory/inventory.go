package inventory

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	scalibrimage "github.com/google/osv-scalibr/artifact/image"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/trace"
	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrfs "github.com/google/osv-scalibr/fs"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/stats"

	"github.com/kguard/kguard/internal/images/access"
)

// SchemaVersion changes whenever extraction changes what it finds, so that
// cached inventories from an older kguard are not reused.
const SchemaVersion = 1

// Package is one installed package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem, with the distribution release for
	// OS packages ("Debian:12", "Alpine:v3.20", "Go", "npm", "PyPI").
	Ecosystem string `json:"ecosystem"`
	// SourceName and SourceVersion are the source package of an OS
	// package: Debian, Ubuntu and Alpine advisories name source packages.
	SourceName    string `json:"sourceName,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	PURL          string `json:"purl,omitempty"`
	// Type is the extractor that found it ("os/dpkg", "go/binary", ...).
	Type string `json:"type"`
	// Path is the file it was read from (package database, binary,
	// lockfile, archive).
	Path string `json:"path,omitempty"`
	// Layer is the diff ID of the layer that added it, and LayerIndex its
	// position (0 is the bottom layer).
	Layer      string   `json:"layer,omitempty"`
	LayerIndex int      `json:"layerIndex"`
	Licenses   []string `json:"licenses,omitempty"`
}

// Inventory is what one image holds.
type Inventory struct {
	Schema int `json:"schema"`
	// Image is the reference as given; Digest the platform manifest's and
	// ConfigDigest the image ID.
	Image        string    `json:"image"`
	Digest       string    `json:"digest"`
	ConfigDigest string    `json:"configDigest"`
	Platform     string    `json:"platform,omitempty"`
	Packages     []Package `json:"packages"`
	// Problems are parts that could not be read (a corrupt package
	// database), each naming the file and the layer it came from. The
	// packages found elsewhere are still listed.
	Problems []string `json:"problems,omitempty"`
}

// Options configure extraction.
type Options struct {
	// MaxFileBytes skips files larger than this (default 512 MiB), which
	// bounds memory and temporary disk use on hostile images.
	MaxFileBytes int64
}

func init() {
	// scalibr logs to standard error by default; kguard reports problems
	// itself, naming the image and layer.
	scalibrlog.SetLogger(quietLogger{})
}

// extractors are the package extractors kguard runs: OS package databases
// and the language ecosystems found in images. They are called through
// scalibr's filesystem runner, not its top-level scanner, whose plugin
// lists would link every extractor and secret detector scalibr has.
func extractors() ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{}
	var out []filesystem.Extractor
	for _, mk := range []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		dpkg.New, apk.New, rpm.New, gobinary.New, packagelockjson.New, wheelegg.New, archive.New,
	} {
		e, err := mk(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Extract lists the packages of img by reading its layers in order,
// honouring whiteouts. Nothing in the image is run. An error means the
// image's layers could not be read; problems with single files are in
// Inventory.Problems.
func Extract(ctx context.Context, img *access.Image, o Options) (*Inventory, error) {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 512 << 20
	}
	inv := &Inventory{
		Schema:       SchemaVersion,
		Image:        img.Ref,
		Digest:       img.Digest.String(),
		ConfigDigest: img.ConfigDigest.String(),
	}
	if img.Platform != nil {
		inv.Platform = img.Platform.String()
	} else if cf, err := img.Image.ConfigFile(); err == nil && cf.OS != "" {
		inv.Platform = cf.Platform().String()
	}
	simg, err := image.FromV1Image(img.Image, &image.Config{MaxFileBytes: o.MaxFileBytes, MaxSymlinkDepth: image.DefaultMaxSymlinkDepth})
	if err != nil {
		return nil, layerError(img, err)
	}
	defer simg.CleanUp()
	exs, err := extractors()
	if err != nil {
		return nil, err
	}
	cfg := &filesystem.Config{
		Extractors:  exs,
		ScanRoots:   []*scalibrfs.ScanRoot{{FS: simg.FS()}},
		MaxFileSize: int(o.MaxFileBytes),
		Stats:       stats.NoopCollector{},
	}
	found, statuses, err := filesystem.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", img.Ref, err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Which layer added each package: scalibr re-runs the extractors on
	// the files a package came from in each layer.
	if chain, err := simg.ChainLayers(); err == nil {
		trace.PopulateLayerDetails(ctx, &found, chain, exs, cfg)
	}
	layers, _ := simg.Layers()
	for _, st := range statuses {
		if st.Status == nil {
			continue
		}
		for _, fe := range st.Status.FileErrors {
			inv.Problems = append(inv.Problems, fmt.Sprintf("image %s: %s: %s (%s): %s",
				img.Ref, layerOf(layers, fe.FilePath), fe.FilePath, st.Name, fe.ErrorMessage))
		}
		if st.Status.Status == plugin.ScanStatusFailed && len(st.Status.FileErrors) == 0 {
			inv.Problems = append(inv.Problems, fmt.Sprintf("image %s: %s: %s", img.Ref, st.Name, st.Status.FailureReason))
		}
	}
	for _, p := range found.Packages {
		inv.Packages = append(inv.Packages, convert(p))
	}
	slices.SortFunc(inv.Packages, func(a, b Package) int {
		return cmpStrings(a.Ecosystem, b.Ecosystem, a.Name, b.Name, a.Version, b.Version, a.Path, b.Path)
	})
	return inv, nil
}

// layerError names the layer being read when scalibr's unpacking failed
// (its errors say what, not where).
func layerError(img *access.Image, err error) error {
	msg := err.Error()
	if last := img.LastLayer(); last != "" && !strings.Contains(msg, last) {
		return fmt.Errorf("%s: %w", last, err)
	}
	if strings.Contains(msg, "image "+img.Ref) {
		return err
	}
	return fmt.Errorf("image %s: %w", img.Ref, err)
}

// layerOf names the topmost layer that holds path.
func layerOf(layers []scalibrimage.Layer, path string) string {
	path = strings.TrimPrefix(path, "/")
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		if l.IsEmpty() {
			continue
		}
		if _, err := fs.Stat(l.FS(), path); err == nil {
			return fmt.Sprintf("layer %d of %d (%s)", i+1, len(layers), l.DiffID())
		}
	}
	return "unknown layer"
}

func convert(p *extractor.Package) Package {
	out := Package{
		Name:      p.Name,
		Version:   p.Version,
		Ecosystem: p.Ecosystem().String(),
		Path:      p.Location.PathOrEmpty(),
		Licenses:  p.Licenses,
	}
	if len(p.Plugins) > 0 {
		out.Type = p.Plugins[0]
	}
	if u := p.PURL(); u != nil {
		out.PURL = u.String()
	}
	if out.Path != "" && !strings.HasPrefix(out.Path, "/") {
		out.Path = "/" + out.Path
	}
	if lm := p.LayerMetadata; lm != nil {
		out.Layer, out.LayerIndex = lm.DiffID.String(), lm.Index
	}
	// scalibr names the Go standard library "go"; OSV names it "stdlib".
	if out.Ecosystem == "Go" && out.Name == "go" {
		out.Name = "stdlib"
	}
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		out.SourceName, out.SourceVersion = m.SourceName, m.SourceVersion
	case *apkmeta.Metadata:
		out.SourceName = m.OriginName
	case *rpmmeta.Metadata:
		// OSV's RPM ecosystems write epoch:version-release.
		if m.Epoch > 0 {
			out.Version = strconv.Itoa(m.Epoch) + ":" + p.Version
		}
	}
	return out
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// quietLogger drops scalibr's log lines.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Warn(...any)           {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Debug(...any)          {}
