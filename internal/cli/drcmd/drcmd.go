// Package drcmd implements `kguard dr`: backup and disaster-recovery
// readiness, from the Velero objects among the inputs.
package drcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/backup"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
)

// NewCmd returns `kguard dr`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dr",
		Short: "Backup and disaster-recovery readiness: which namespaces Velero backs up, and how often",
		Long: `Read the Velero objects (velero.io/v1 Schedule, Backup, BackupStorageLocation)
among manifests (-f) or in a live cluster (--cluster) and report, for every
namespace with workloads or PersistentVolumeClaims, which backup schedules
cover it, the recovery point objective they imply and whether volume data
is backed up.`,
		Example: `  kguard dr report --cluster
  kguard dr report velero/ deploy/ -o json`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(newReportCmd(s, RunReport))
	return cmd
}

// ReportOptions are the flags of `kguard dr report`.
type ReportOptions struct {
	cmdutil.Input
	Output string
	AsOf   time.Time
}

func newReportCmd(s *cmdutil.Streams, run func(context.Context, *ReportOptions) error) *cobra.Command {
	o := &ReportOptions{Input: cmdutil.Input{Streams: s}}
	cmd := &cobra.Command{
		Use:   "report [PATH...]",
		Short: "Per namespace: covering schedules, RPO, volume backup and the latest backup",
		Long: `Print one row per namespace that holds workloads or PersistentVolumeClaims:

  SCHEDULES      the Velero Schedules that back it up; "(partial: SELECTOR)"
                 when a label selector limits them to some objects; NOT
                 COVERED when none does
  RPO            the recovery point objective: the shortest interval between
                 runs of a covering schedule (the longest gap its cron
                 expression allows; paused schedules do not count)
  VOLUMES        whether a covering schedule backs up the claims' data
                 (volume snapshots or file-system backup): yes, NO, or - when
                 there are no claims
  LATEST BACKUP  the newest Backup of the covering schedules, with its phase
                 and time, when Backup objects are among the inputs (a live
                 cluster); "stale" when the last successful one is older than
                 twice the RPO

Namespaces kube-system, kube-public and kube-node-lease are listed but not
counted as uncovered: the cluster's own components are rebuilt, not
restored. The schedule periods come from a simple cron reader: standard
five-field expressions, @every and the @daily-style descriptors.`,
		Example: `  kguard dr report --cluster
  kguard dr report velero/ deploy/ -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	o.AddFlags(cmd, cmdutil.InputFlags{What: "the workloads, PersistentVolumeClaims and Velero objects"})
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	cmd.Flags().Var(cmdutil.AsOf{T: &o.AsOf}, "as-of", "judge backup age as of this day, YYYY-MM-DD or RFC 3339 (default: now)")
	return cmd
}

// RunReport prints the disaster-recovery report.
func RunReport(ctx context.Context, o *ReportOptions) error {
	switch o.Output {
	case "table", "json":
	default:
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	now := time.Now()
	if !o.AsOf.IsZero() {
		now = o.AsOf
	}
	res, err := o.Load(ctx)
	if err != nil {
		return err
	}
	r := buildReport(analysis.Get(analysis.NewMemo(res.Inventory), backup.Analysis), now)
	if o.Output == "json" {
		enc := json.NewEncoder(o.Streams.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = writeTable(o.Streams.Out, r)
	}
	if err != nil {
		return err
	}
	return o.Partial(res)
}

type report struct {
	Now        time.Time        `json:"now"`
	Schedules  []scheduleReport `json:"schedules"`
	Namespaces []nsReport       `json:"namespaces"`
	// NotCovered lists the namespaces no schedule covers (system
	// namespaces left out).
	NotCovered []string `json:"notCovered"`
	// Unnamespaced counts workloads and claims without a namespace.
	Unnamespaced int `json:"unnamespaced,omitempty"`
}

type scheduleReport struct {
	Name            string        `json:"name"`
	Namespace       string        `json:"namespace,omitempty"`
	Schedule        string        `json:"schedule"`
	Period          string        `json:"period,omitempty"`
	PeriodSeconds   int64         `json:"periodSeconds,omitempty"`
	PeriodError     string        `json:"periodError,omitempty"`
	Paused          bool          `json:"paused,omitempty"`
	TTL             string        `json:"ttl"`
	Selector        string        `json:"selector,omitempty"`
	SnapshotVolumes *bool         `json:"snapshotVolumes,omitempty"`
	FSBackup        bool          `json:"defaultVolumesToFsBackup,omitempty"`
	Latest          *backupReport `json:"latest,omitempty"`
}

type backupReport struct {
	Schedule string    `json:"schedule"`
	Name     string    `json:"name"`
	Phase    string    `json:"phase"`
	Time     time.Time `json:"time,omitempty"`
	// LastSuccess is when the newest successful backup completed.
	LastSuccess time.Time `json:"lastSuccess,omitempty"`
	Stale       bool      `json:"stale"`
}

type coverReport struct {
	Schedule string `json:"schedule"`
	Partial  bool   `json:"partial,omitempty"`
	Selector string `json:"selector,omitempty"`
	Matched  int    `json:"matched,omitempty"`
	Total    int    `json:"total,omitempty"`
	Volumes  bool   `json:"volumes"`
}

type nsReport struct {
	Name       string        `json:"name"`
	System     bool          `json:"system,omitempty"`
	Workloads  int           `json:"workloads"`
	PVCs       int           `json:"pvcs"`
	Covered    bool          `json:"covered"`
	Schedules  []coverReport `json:"schedules"`
	RPO        string        `json:"rpo,omitempty"`
	RPOSeconds int64         `json:"rpoSeconds,omitempty"`
	// VolumesCovered is null when the namespace has no claims.
	VolumesCovered *bool         `json:"volumesCovered"`
	Latest         *backupReport `json:"latest,omitempty"`
}

func buildReport(m *backup.Model, now time.Time) *report {
	r := &report{Now: now.UTC(), Schedules: []scheduleReport{}, Namespaces: []nsReport{}, NotCovered: []string{}, Unnamespaced: len(m.Unnamespaced)}
	latest := map[*backup.Schedule]*backupReport{}
	for _, s := range m.Schedules {
		sr := scheduleReport{Name: s.Name, Namespace: s.Object.Namespace, Schedule: s.Cron, Paused: s.Paused,
			TTL: backup.Human(s.Template.TTL), Selector: s.Template.SelectorText, SnapshotVolumes: s.Template.SnapshotVolumes, FSBackup: s.Template.FSBackup}
		if s.PeriodErr != nil {
			sr.PeriodError = s.PeriodErr.Error()
		} else {
			sr.Period, sr.PeriodSeconds = backup.Human(s.Period), int64(s.Period/time.Second)
		}
		if l, ok := m.Latest(s); l != nil {
			br := &backupReport{Schedule: s.Name, Name: l.Name, Phase: l.Phase, Time: l.When().UTC()}
			if ok != nil {
				br.LastSuccess = ok.When().UTC()
			}
			br.Stale = s.Period > 0 && (ok == nil || now.Sub(ok.When()) > 2*s.Period)
			sr.Latest, latest[s] = br, br
		}
		r.Schedules = append(r.Schedules, sr)
	}
	for _, ns := range m.Namespaces {
		nr := nsReport{Name: ns.Name, System: inventory.IsSystemNamespace(ns.Name), Workloads: len(ns.Workloads), PVCs: len(ns.PVCs),
			Covered: len(ns.Covered) > 0, Schedules: []coverReport{}}
		for _, c := range ns.Covered {
			cr := coverReport{Schedule: c.Schedule.Name, Partial: c.Partial, Volumes: c.Volumes}
			if c.Partial {
				cr.Selector, cr.Matched, cr.Total = c.Schedule.Template.SelectorText, c.Matched, c.Total
			}
			nr.Schedules = append(nr.Schedules, cr)
			if l := latest[c.Schedule]; l != nil && (nr.Latest == nil || l.Time.After(nr.Latest.Time)) {
				nr.Latest = l
			}
		}
		if rpo, _ := ns.RPO(); rpo > 0 {
			nr.RPO, nr.RPOSeconds = backup.Human(rpo), int64(rpo/time.Second)
		}
		if len(ns.PVCs) > 0 {
			v := ns.VolumesCovered()
			nr.VolumesCovered = &v
		}
		if !nr.Covered && !nr.System {
			r.NotCovered = append(r.NotCovered, ns.Name)
		}
		r.Namespaces = append(r.Namespaces, nr)
	}
	return r
}

func writeTable(w io.Writer, r *report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOADS\tPVCS\tSCHEDULES\tRPO\tVOLUMES\tLATEST BACKUP")
	for _, ns := range r.Namespaces {
		scheds := "NOT COVERED"
		if ns.System && !ns.Covered {
			scheds = "- (system)"
		}
		if ns.Covered {
			var parts []string
			for _, c := range ns.Schedules {
				p := c.Schedule
				if c.Partial {
					p += fmt.Sprintf(" (partial: %s, %d/%d)", c.Selector, c.Matched, c.Total)
				}
				parts = append(parts, p)
			}
			scheds = strings.Join(parts, ", ")
		}
		volumes := "-"
		if ns.VolumesCovered != nil {
			volumes = "NO"
			if *ns.VolumesCovered {
				volumes = "yes"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", ns.Name, ns.Workloads, ns.PVCs, scheds, dash(ns.RPO), volumes, latestText(ns.Latest))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case len(r.Schedules) == 0:
		fmt.Fprintln(w, "\nNo backup schedule (velero.io Schedule) among the inputs: nothing is backed up on a schedule.")
	case len(r.NotCovered) > 0:
		fmt.Fprintf(w, "\n%d of %d namespaces not covered by any schedule: %s\n", len(r.NotCovered), len(r.Namespaces), strings.Join(r.NotCovered, ", "))
	default:
		fmt.Fprintf(w, "\nEvery namespace with workloads or claims is covered by a schedule.\n")
	}
	if r.Unnamespaced > 0 {
		fmt.Fprintf(w, "%d workloads or claims have no namespace: their coverage depends on where they are deployed.\n", r.Unnamespaced)
	}
	return nil
}

func latestText(b *backupReport) string {
	if b == nil {
		return "-"
	}
	t := b.Schedule + "/" + b.Name + " " + b.Phase
	if !b.Time.IsZero() {
		t += " " + b.Time.Format(time.RFC3339)
	}
	if b.Stale {
		t += " (stale)"
	}
	return t
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
