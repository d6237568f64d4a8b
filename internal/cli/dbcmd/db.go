// Package dbcmd implements `kguard db`: import OSV data into the offline
// vulnerability database, download the exports when the network allows,
// and show what the database holds and how old it is.
package dbcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/vulndb"
)

// Options are the flags every db verb shares (each verb's Options embed
// them).
type Options struct {
	Streams *cmdutil.Streams
	DB      string
	// Now fixes the clock (tests).
	Now time.Time
}

func (o *Options) dir() (string, error) {
	if o.DB != "" {
		return o.DB, nil
	}
	return vulndb.DefaultDir()
}

func (o *Options) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.DB, "db", o.DB, "vulnerability database directory (default: kguard/vulndb in the user cache directory)")
}

func (o *Options) now() time.Time {
	if !o.Now.IsZero() {
		return o.Now
	}
	return time.Now().UTC()
}

// NewCmd returns `kguard db`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	return newCmd(Options{Streams: s})
}

// newCmd builds the group; base is copied into every verb's Options (tests
// fix the clock there).
func newCmd(base Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline vulnerability database used by image scans",
		Long: `kguard matches image packages against OSV advisories kept on disk, in a
database you control: import OSV files, directories or the per-ecosystem
zip exports (for air-gapped use, copy the exports in), or let
'kguard db update' download the exports when the network allows.

The database lives in kguard/vulndb under your cache directory unless
--db names another directory.`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(newImportCmd(base, RunImport), newUpdateCmd(base, RunUpdate), newInfoCmd(base, RunInfo))
	return cmd
}

// ImportOptions are the arguments and flags of `kguard db import`.
type ImportOptions struct {
	Options
	Paths []string
}

func newImportCmd(base Options, run func(context.Context, *ImportOptions) error) *cobra.Command {
	o := &ImportOptions{Options: base}
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV records from files, directories or zip exports",
		Example: `  # OSV exports copied from a connected machine
  kguard db import Debian-all.zip Go-all.zip
  # A directory of OSV JSON files (e.g. an internal advisory feed)
  kguard db import ./advisories/`,
		Args: cmdutil.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	return cmd
}

// RunImport imports the OSV records of every path.
func RunImport(_ context.Context, o *ImportOptions) error {
	dir, err := o.dir()
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	var inputs []vulndb.Input
	for _, a := range o.Paths {
		abs, err := filepath.Abs(a)
		if err != nil {
			abs = a
		}
		inputs = append(inputs, vulndb.Input{Name: abs, Path: a})
	}
	res, err := vulndb.Import(dir, inputs, o.now())
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return o.reportImport(res)
}

func (o *Options) reportImport(res *vulndb.ImportResult) error {
	for _, p := range res.Problems {
		fmt.Fprintf(o.Streams.ErrOut, "error: %v\n", p)
	}
	fmt.Fprintf(o.Streams.Out, "read %d records (%d withdrawn); the database holds %d advisories for %d packages\n",
		res.Read, res.Withdrawn, res.Meta.Advisories, res.Meta.Packages)
	if len(res.Problems) > 0 {
		return cmdutil.Exit(cmdutil.ExitUsage)
	}
	return nil
}

// UpdateOptions are the flags of `kguard db update`.
type UpdateOptions struct {
	Options
	URL        string
	Ecosystems []string
}

func newUpdateCmd(base Options, run func(context.Context, *UpdateOptions) error) *cobra.Command {
	o := &UpdateOptions{Options: base}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the OSV exports and import them",
		Long: `Download each ecosystem's OSV export (ECOSYSTEM/all.zip under --url) and
import it. Offline, copy the exports from a connected machine and use
'kguard db import' instead; a mirror of the exports can be named with --url.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.URL, "url", vulndb.DefaultExportURL, "where the exports are (a mirror works)")
	cmd.Flags().StringSliceVar(&o.Ecosystems, "ecosystem", vulndb.DefaultEcosystems, "ecosystems to download")
	return cmd
}

// RunUpdate downloads the exports and imports them.
func RunUpdate(ctx context.Context, o *UpdateOptions) error {
	dir, err := o.dir()
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	uo := vulndb.UpdateOptions{BaseURL: o.URL, Ecosystems: o.Ecosystems}
	if o.Streams.ErrIsTerminal {
		uo.Progress = func(eco string, n int64) {
			fmt.Fprintf(o.Streams.ErrOut, "downloaded %s (%d MB)\n", eco, n>>20)
		}
	}
	res, err := vulndb.Update(ctx, dir, uo, o.now())
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return o.reportImport(res)
}

// InfoOptions are the flags of `kguard db info`.
type InfoOptions struct {
	Options
	Output string
}

func newInfoCmd(base Options, run func(context.Context, *InfoOptions) error) *cobra.Command {
	o := &InfoOptions{Options: base}
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the database's sources, counts and age",
		Example: `  kguard db info
  kguard db info --db ./vulndb -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// RunInfo prints what the database holds and how old it is.
func RunInfo(_ context.Context, o *InfoOptions) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	dir, err := o.dir()
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	defer db.Close()
	m := db.Meta()
	age := m.Age(o.now())
	if o.Output == "json" {
		enc := json.NewEncoder(o.Streams.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Path string `json:"path"`
			vulndb.Meta
			AgeHours int  `json:"ageHours"`
			Stale    bool `json:"stale"`
		}{db.Path(), m, int(age.Hours()), age > vulndb.StaleAfter})
	}
	w := tabwriter.NewWriter(o.Streams.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "database\t%s\n", db.Path())
	fmt.Fprintf(w, "advisories\t%d (for %d packages)\n", m.Advisories, m.Packages)
	fmt.Fprintf(w, "written\t%s\n", m.Written.Format(time.RFC3339))
	fmt.Fprintf(w, "age\t%s (newest advisory change)\n", Days(age))
	var ecos []string
	for e, n := range m.Ecosystems {
		ecos = append(ecos, fmt.Sprintf("%s %d", e, n))
	}
	sort.Strings(ecos)
	fmt.Fprintf(w, "ecosystems\t%s\n", strings.Join(ecos, ", "))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "SOURCE\tADVISORIES\tIMPORTED\tNEWEST CHANGE")
	for _, s := range m.Sources {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", s.Name, s.Advisories, s.Imported.Format(time.DateOnly), s.Newest.Format(time.DateOnly))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if age > vulndb.StaleAfter {
		fmt.Fprintf(o.Streams.ErrOut, "warning: the vulnerability data is %s old; run `kguard db update` (or import fresh exports)\n", Days(age))
	}
	return nil
}

// Days renders a duration as whole days ("12 days").
func Days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
