package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/formats"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
	"github.com/kguard/kguard/internal/version"
)

// Report is the one way every command that produces findings writes them:
// -o over the report registry (internal/report/formats), --output-file,
// --fail-on and --show-suppressed, with the same meaning and the same exit
// statuses everywhere.
type Report struct {
	Output         string
	OutputFile     string
	FailOn         string
	ShowSuppressed bool

	// DefaultFailOn is used when --fail-on is not given ("high" if empty).
	DefaultFailOn string
}

// AddFlags registers -o, --output-file, --fail-on and --show-suppressed.
func (r *Report) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&r.Output, "output", "o", "table", "output format: "+strings.Join(formats.Names(), ", "))
	f.StringVar(&r.OutputFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&r.FailOn, "fail-on", "", "exit 1 when a finding is at or above this severity: critical, high, medium, low, info or none (default high)")
	f.BoolVar(&r.ShowSuppressed, "show-suppressed", false, "also list findings silenced by annotations or config exceptions")
}

// Validate checks the flags before any work is done, so that a typo fails
// at once rather than after a long scan. It returns the fail-on threshold
// (nil for none).
func (r *Report) Validate() (*finding.Severity, error) {
	if _, ok := formats.Get(r.Output); !ok {
		return nil, UsageErrorf("unknown output format %q (want one of %s)", r.Output, strings.Join(formats.Names(), ", "))
	}
	failOn := r.FailOn
	if failOn == "" {
		failOn = r.DefaultFailOn
	}
	if failOn == "" {
		failOn = "high"
	}
	sev, err := ParseFailOn(failOn)
	if err != nil {
		return nil, UsageErrorf("--fail-on: %v", err)
	}
	return sev, nil
}

// ParseFailOn reads a --fail-on value; nil means "none".
func ParseFailOn(s string) (*finding.Severity, error) {
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "want one of", "want none or one of", 1))
	}
	return &sev, nil
}

// Write renders res in the chosen format to standard output or
// --output-file. opts may leave Color, ShowSuppressed and ToolVersion
// unset: Write fills them from the flags and the streams.
func (r *Report) Write(s *Streams, res *scan.Result, reg *rules.Registry, opts report.Options) error {
	format, ok := formats.Get(r.Output)
	if !ok {
		return UsageErrorf("unknown output format %q (want one of %s)", r.Output, strings.Join(formats.Names(), ", "))
	}
	opts.ShowSuppressed = r.ShowSuppressed
	opts.ToolVersion = version.String()
	if opts.Registry == nil {
		opts.Registry = reg
	}
	var out io.Writer = s.Out
	opts.Color = s.OutIsTerminal && os.Getenv("NO_COLOR") == ""
	var file *os.File
	if r.OutputFile != "" {
		f, err := os.Create(r.OutputFile)
		if err != nil {
			return UsageErrorf("output file: %v", err)
		}
		file, out, opts.Color = f, f, false
	}
	err := format.Write(out, res, opts)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ExitStatus is the status every findings command ends with: 2 when inputs
// failed or something was not evaluated (unless allowPartial), 1 when a
// finding is at or above failOn, else 0. It prints why on standard error
// for the partial case.
func ExitStatus(s *Streams, res *scan.Result, inputErrors int, failOn *finding.Severity, allowPartial bool) error {
	switch {
	case inputErrors > 0 && !allowPartial:
		return Exit(ExitUsage)
	case len(res.NotEvaluated) > 0 && !allowPartial:
		fmt.Fprintf(s.ErrOut, "error: the scan was partial: %d item(s) could not be evaluated (use --allow-partial to accept)\n", len(res.NotEvaluated))
		return Exit(ExitUsage)
	}
	if worst, any := res.Worst(); any && failOn != nil && worst >= *failOn {
		return Exit(ExitFindings)
	}
	return nil
}
