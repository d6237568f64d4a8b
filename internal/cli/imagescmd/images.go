// Package imagescmd implements `kguard images`: vulnerability scans of
// container images against the offline database, SBOMs, and signature
// verification.
package imagescmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/dbcmd"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/images/imagereport"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/images/sbom"
	"github.com/kguard/kguard/internal/images/vulnscan"
	"github.com/kguard/kguard/internal/version"
	"github.com/kguard/kguard/internal/vulndb"
)

// NewCmd returns `kguard images`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Scan container images for vulnerabilities, write SBOMs, verify signatures",
		Long: `Work on container images directly. An image is a registry reference
(registry/repo:tag or @sha256:...), an OCI layout directory
(oci-layout:PATH or oci-layout:PATH@sha256:...) or a docker save archive
(docker-archive:PATH). Nothing in an image is run: packages are read from
its layers.`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(newScanCmd(s, RunScan), newSBOMCmd(s, RunSBOM), newVerifyCmd(s, RunVerify))
	return cmd
}

// ScanOptions are the flags of `kguard images scan`.
type ScanOptions struct {
	Streams *cmdutil.Streams
	AccessFlags
	Refs        []string
	Output      string
	OutputFile  string
	FailOn      string
	ConfigFile  string
	ShowIgnored bool
	Now         time.Time
}

func newScanCmd(s *cmdutil.Streams, run func(context.Context, *ScanOptions) error) *cobra.Command {
	o := &ScanOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "scan REF...",
		Short: "List each image's packages' known vulnerabilities",
		Long: `List, per image, the known vulnerabilities of its packages: advisory ID
and aliases, package, installed and fixed versions, severity from CVSS
where the advisory has a vector. Advisories come from the offline
database ('kguard db import' or 'kguard db update').

Exit status: 0 when no vulnerability is at or above --fail-on, 1 when
one is, 2 when an image could not be read completely or the database is
missing (the other images are still scanned and reported).`,
		Example: `  kguard images scan registry.example.com/shop/web:2.1
  kguard images scan oci-layout:./build/web docker-archive:web.tar -o sarif
  kguard images scan --platform linux/arm64 --ignore-unfixed ghcr.io/acme/api@sha256:...`,
		Args: cmdutil.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.AccessFlags.AddFlags(f)
	f.StringVarP(&o.Output, "output", "o", "table", "output format: "+strings.Join(imagereport.Formats, ", "))
	f.StringVar(&o.OutputFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&o.FailOn, "fail-on", "high", "exit 1 when a vulnerability is at or above this severity: critical, high, medium, low, info (also counts advisories of unknown severity) or none")
	f.StringVar(&o.ConfigFile, "config", "", "config file (default ./.kguard.yaml when present): images.vulnerabilities ignores")
	f.BoolVar(&o.ShowIgnored, "show-ignored", false, "also list vulnerabilities silenced by ignores in the config")
	return cmd
}

// RunScan runs `kguard images scan`.
func RunScan(ctx context.Context, o *ScanOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var failOn *finding.Severity
	if !strings.EqualFold(o.FailOn, "none") {
		sev, err := finding.ParseSeverity(o.FailOn)
		if err != nil {
			return cmdutil.UsageErrorf("--fail-on: %v", err)
		}
		failOn = &sev
	}
	cfg, err := LoadConfig(o.ConfigFile)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	so, err := o.ScanOptions(cfg)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	so.Now = o.Now
	db, err := o.OpenDB(cfg)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	defer db.Close()
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	note := StaleNote(db, now)
	if note != "" {
		fmt.Fprintln(o.Streams.ErrOut, "warning: "+note)
	}
	images := vulnscan.Scan(ctx, o.Refs, vulndb.NewMatcher(db), so)
	out := o.Streams.Out
	if o.OutputFile != "" {
		f, err := os.Create(o.OutputFile)
		if err != nil {
			return cmdutil.UsageErrorf("output file: %v", err)
		}
		defer f.Close()
		out = f
	}
	if err := imagereport.Write(out, o.Output, images, imagereport.Options{ToolVersion: version.String(), ShowIgnored: o.ShowIgnored}); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if c, ok := out.(io.Closer); ok && o.OutputFile != "" {
		if err := c.Close(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	failed := false
	worst := -1
	for _, img := range images {
		if img.Error != "" {
			failed = true
			fmt.Fprintf(o.Streams.ErrOut, "error: %s\n", img.Error)
		}
		for _, p := range img.Problems {
			failed = true
			fmt.Fprintf(o.Streams.ErrOut, "error: %s\n", p)
		}
		for _, v := range img.Vulnerabilities {
			worst = max(worst, vulnscan.SeverityRank(v.Severity))
		}
	}
	if failed {
		return cmdutil.Exit(cmdutil.ExitUsage)
	}
	if failOn != nil && worst >= 0 && worst >= SeverityRankOf(*failOn) {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

// SeverityRankOf maps kguard's severities onto vulnscan's ranks (info is
// below low: everything counts).
func SeverityRankOf(s finding.Severity) int {
	switch s {
	case finding.SeverityCritical:
		return 4
	case finding.SeverityHigh:
		return 3
	case finding.SeverityMedium:
		return 2
	case finding.SeverityLow:
		return 1
	}
	return 0
}

// StaleNote is a warning when the database's data is older than
// vulndb.StaleAfter, else "".
func StaleNote(db *vulndb.DB, now time.Time) string {
	age := db.Meta().Age(now)
	if age <= vulndb.StaleAfter {
		return ""
	}
	return fmt.Sprintf("the vulnerability data is %s old; run `kguard db update` (or import fresh exports)", dbcmd.Days(age))
}

// SBOMOptions are the argument and flags of `kguard images sbom`.
type SBOMOptions struct {
	Streams *cmdutil.Streams
	AccessFlags
	Ref        string
	Output     string
	OutputFile string
}

func newSBOMCmd(s *cmdutil.Streams, run func(context.Context, *SBOMOptions) error) *cobra.Command {
	o := &SBOMOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "sbom REF",
		Short: "Write an image's packages as a CycloneDX or SPDX SBOM",
		Example: `  kguard images sbom registry.example.com/shop/web:2.1 -o cyclonedx > web.cdx.json
  kguard images sbom oci-layout:./build/web -o spdx --output-file web.spdx.json`,
		Args: cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref = args[0]
			return run(cmd.Context(), o)
		},
	}
	o.AccessFlags.AddFlags(cmd.Flags())
	// Shared with scans, meaningless for an SBOM.
	cmd.Flags().MarkHidden("db")
	cmd.Flags().MarkHidden("ignore-unfixed")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "cyclonedx", "SBOM format: "+strings.Join(sbom.Formats, " or "))
	cmd.Flags().StringVar(&o.OutputFile, "output-file", "", "write the SBOM to this file instead of standard output")
	return cmd
}

// RunSBOM writes the image's SBOM.
func RunSBOM(ctx context.Context, o *SBOMOptions) error {
	if o.Output != "cyclonedx" && o.Output != "spdx" {
		return cmdutil.UsageErrorf("unknown SBOM format %q (want cyclonedx or spdx)", o.Output)
	}
	ao, err := o.Access()
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	inv, _, err := inventory.Load(ctx, o.Ref, ao, inventory.Cache{Dir: ao.CacheDir}, inventory.Options{})
	if err != nil && inv == nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	out := o.Streams.Out
	if o.OutputFile != "" {
		file, err := os.Create(o.OutputFile)
		if err != nil {
			return cmdutil.UsageErrorf("output file: %v", err)
		}
		defer file.Close()
		out = file
	}
	if err := sbom.Write(out, o.Output, inv, sbom.Options{ToolVersion: version.String()}); err != nil {
		return fmt.Errorf("write SBOM: %w", err)
	}
	for _, p := range inv.Problems {
		fmt.Fprintf(o.Streams.ErrOut, "error: %s\n", p)
	}
	if len(inv.Problems) > 0 {
		return cmdutil.Exit(cmdutil.ExitUsage)
	}
	return nil
}
