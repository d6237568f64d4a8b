// Package backup holds the backup rule family: backup and disaster-recovery
// readiness, read from the Velero objects (velero.io/v1 Schedule, Backup,
// BackupStorageLocation) among the inputs through the internal/backup
// coverage model, and from the control plane's etcd backup jobs.
package backup

import (
	"fmt"
	"strings"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/backup"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// Rules returns the backup family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		noSchedule(),
		namespaceNotCovered(),
		pvcWithoutVolumeBackup(),
		retentionTooShort(),
		latestFailedOrStale(),
		noEtcdSnapshot(),
	}
}

const (
	veleroDocs = "https://velero.io/docs/"
	etcdDocs   = "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#backing-up-an-etcd-cluster"
	nsaBackup  = "Upgrading and application security practices"
)

// The cluster's own namespaces (inventory.IsSystemNamespace) are rebuilt
// rather than restored; coverage is not required of them.

func noSchedule() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-no-schedule",
		Requires: []analysis.Key{backup.Analysis, analysis.Manifest},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityHigh,
		Title:    "Workloads are deployed but no backup schedule exists",
		Rationale: "Without scheduled backups, deleted namespaces, corrupted volumes, a ransomware attack or a botched " +
			"upgrade cannot be undone: manifests in Git do not hold the data in PersistentVolumes nor the objects " +
			"created at run time (Secrets, certificates, custom resources). A one-off backup ages immediately; only a " +
			"schedule bounds how much is lost.",
		Remediation: "Install Velero (or an equivalent tool) with a BackupStorageLocation outside the cluster and create a " +
			"Schedule covering every application namespace, for example `velero schedule create daily --schedule \"0 2 * * *\" --ttl 720h`. " +
			"Scan the Velero objects together with the workloads (or the live cluster) so that kguard can see them. " +
			"Plain application manifests without any Velero object are not judged.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{veleroDocs},
		},
		CheckInventory: checkNoSchedule,
	}
}

func checkNoSchedule(p *rules.Pass) {
	m := rules.Use(p, backup.Analysis)
	if len(m.Schedules) > 0 || m.First == nil {
		return
	}
	// Application manifests do not carry the cluster's backup setup:
	// judge only a live cluster, or inputs that include Velero itself.
	if !fromCluster(p) && len(m.Backups) == 0 && len(m.Locations) == 0 {
		return
	}
	target := m.First
	n := 0
	for _, ns := range m.Namespaces {
		if inventory.IsSystemNamespace(ns.Name) {
			continue
		}
		if n == 0 {
			target = ns.Target()
		}
		n++
	}
	what := "workloads or PersistentVolumeClaims"
	if n > 0 {
		what = fmt.Sprintf("workloads or PersistentVolumeClaims in %s", countNoun(n, "namespace"))
	}
	extra := ""
	if len(m.Backups) > 0 {
		extra = fmt.Sprintf(" (%s, but none made by a schedule)", countNoun(len(m.Backups), "Backup"))
	}
	p.Reportf(target, "", "%s are deployed but no backup schedule exists among the inputs: no velero.io Schedule%s", what, extra)
}

// fromCluster reports an inventory read from a live cluster.
func fromCluster(p *rules.Pass) bool {
	objs := p.Inventory().Objects()
	return len(objs) > 0 && p.Manifest(objs[0]).Cluster != ""
}

func namespaceNotCovered() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-namespace-not-covered",
		Requires: []analysis.Key{backup.Analysis},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityMedium,
		Title:    "Namespace with workloads or volumes is covered by no backup schedule",
		Rationale: "Backup schedules are often written for the namespaces that existed when they were set up; a namespace " +
			"added later, excluded by a pattern, or whose objects the schedule's label selector does not match is silently " +
			"left out, and is discovered only when a restore is needed.",
		Remediation: "Add the namespace to a Schedule's spec.template.includedNamespaces (or use \"*\" and list exceptions in " +
			"excludedNamespaces), remove it from excludedNamespaces, or label its objects to match the schedule's labelSelector.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{veleroDocs + "main/resource-filtering/"},
		},
		CheckInventory: checkNamespaceNotCovered,
	}
}

func checkNamespaceNotCovered(p *rules.Pass) {
	m := rules.Use(p, backup.Analysis)
	if len(m.Schedules) == 0 {
		return // backup-no-schedule reports it
	}
	for _, ns := range m.Namespaces {
		if inventory.IsSystemNamespace(ns.Name) || len(ns.Covered) > 0 {
			continue
		}
		p.Reportf(ns.Target(), "", "namespace %q has %s but no backup schedule covers it (%s)", ns.Name, contents(ns), scheduleNames(m))
	}
}

func pvcWithoutVolumeBackup() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-pvc-without-volume-backup",
		Requires: []analysis.Key{backup.Analysis},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityMedium,
		Title:    "PersistentVolumeClaims are backed up without their data",
		Rationale: "A Velero backup with snapshotVolumes: false and no file-system backup saves the PersistentVolumeClaim " +
			"objects but not the data on the volumes: a restore recreates empty volumes. This is easy to miss because " +
			"the backups complete successfully.",
		Remediation: "Let the schedule snapshot volumes (remove snapshotVolumes: false and configure a VolumeSnapshotLocation " +
			"or CSI snapshots), or set spec.template.defaultVolumesToFsBackup: true, or annotate the pods with " +
			"backup.velero.io/backup-volumes. Make sure persistentvolumeclaims are not left out by includedResources or excludedResources.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{veleroDocs + "main/file-system-backup/", veleroDocs + "main/csi/"},
		},
		CheckInventory: checkPVCWithoutVolumeBackup,
	}
}

func checkPVCWithoutVolumeBackup(p *rules.Pass) {
	m := rules.Use(p, backup.Analysis)
	for _, ns := range m.Namespaces {
		if len(ns.PVCs) == 0 || len(ns.Covered) == 0 || ns.VolumesCovered() {
			continue
		}
		var names []string
		for _, c := range ns.Covered {
			names = append(names, c.Schedule.Name)
		}
		p.Reportf(ns.Target(), "", "namespace %q has %s but its backup schedules (%s) neither snapshot volumes nor use file-system backup: the volume data is not backed up",
			ns.Name, countNoun(len(ns.PVCs), "persistent volume claim"), strings.Join(names, ", "))
	}
}

func retentionTooShort() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-retention-too-short",
		Requires: []analysis.Key{backup.Analysis},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityLow,
		Title:    "Backups expire before two later backups exist",
		Rationale: "When a backup's ttl is shorter than twice the schedule's interval, at most one restore point exists at a " +
			"time: if the newest backup is bad (taken after the corruption, or failed), there is nothing older to fall back to.",
		Remediation: "Set spec.template.ttl to several schedule periods (Velero's default is 720h), for example seven daily " +
			"backups or more.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{veleroDocs + "main/how-velero-works/#set-a-backup-to-expire"},
		},
		CheckInventory: checkRetention,
	}
}

func checkRetention(p *rules.Pass) {
	m := rules.Use(p, backup.Analysis)
	for _, s := range m.Schedules {
		if s.Period <= 0 || s.Template.TTL >= 2*s.Period {
			continue
		}
		field := "spec.template.ttl"
		ttl := "ttl " + human(s.Template.TTL)
		if !s.Template.TTLSet {
			field, ttl = "spec.template", "the default ttl "+human(s.Template.TTL)
		}
		p.Reportf(s.Object, field, "schedule %q keeps backups for %s, less than twice its period of %s (%q)", s.Name, ttl, human(s.Period), s.Cron)
	}
}

func latestFailedOrStale() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-latest-failed-or-stale",
		Requires: []analysis.Key{backup.Analysis},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityHigh,
		Title:    "The latest backup of a schedule failed or is overdue",
		Rationale: "A schedule only protects the data when its backups succeed. A failed or partially failed latest backup, " +
			"or no successful backup for more than two periods (a paused schedule, an unreachable storage location, " +
			"an expired credential), means the recovery point is older than planned.",
		Remediation: "Inspect the backup with `velero backup describe NAME --details` and `velero backup logs NAME`, check the " +
			"BackupStorageLocation is Available, fix the cause and run `velero backup create --from-schedule NAME`. " +
			"Alert on Velero's backup failure metrics.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{veleroDocs + "main/troubleshooting/"},
		},
		CheckInventory: checkLatest,
	}
}

func checkLatest(p *rules.Pass) {
	m := rules.Use(p, backup.Analysis)
	if !m.HasBackups() {
		return // manifests: no run-time state to judge
	}
	now := p.Now()
	for _, s := range m.Schedules {
		latest, completed := m.Latest(s)
		if latest != nil && latest.Failed() {
			p.Reportf(s.Object, "", "the latest backup of schedule %q, %s, ended %s at %s", s.Name, latest.Name, latest.Phase, stamp(latest.When()))
			continue
		}
		if s.Period <= 0 {
			continue
		}
		limit := 2 * s.Period
		switch {
		case completed != nil:
			if age := now.Sub(completed.When()); age > limit {
				p.Reportf(s.Object, "", "the last successful backup of schedule %q, %s, completed %s ago at %s, more than twice its period of %s",
					s.Name, completed.Name, human(age), stamp(completed.When()), human(s.Period))
			}
		case !s.Created.IsZero() && now.Sub(s.Created) > limit:
			p.Reportf(s.Object, "", "schedule %q has no successful backup among the inputs although it was created %s ago, more than twice its period of %s",
				s.Name, human(now.Sub(s.Created)), human(s.Period))
		}
	}
}

func noEtcdSnapshot() *rules.Rule {
	return &rules.Rule{
		ID:       "backup-no-etcd-snapshot",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryBackup,
		Severity: finding.SeverityInfo,
		Title:    "Self-managed control plane without a visible etcd snapshot job",
		Rationale: "On a self-managed control plane etcd holds the whole cluster state; losing its members without a snapshot " +
			"means rebuilding the cluster. Object-level backups (Velero) do not replace an etcd snapshot for disaster " +
			"recovery of the control plane. The snapshot may be taken outside the cluster (a cron job on the control-plane " +
			"hosts), which kguard cannot see: check it exists.",
		Remediation: "Take regular `etcdctl snapshot save` snapshots (a CronJob on the control-plane nodes or a host cron job), " +
			"copy them off the cluster, encrypt them (they contain every Secret) and rehearse `etcdutl snapshot restore`.",
		References: finding.References{
			NSA:  []string{nsaBackup},
			URLs: []string{etcdDocs},
		},
		CheckInventory: checkEtcdSnapshot,
	}
}

func checkEtcdSnapshot(p *rules.Pass) {
	facts := rules.Use(p, controlplane.FactsAnalysis)
	// An API server seen as a process (kguard node) comes with no workload
	// objects at all: the absence of a snapshot job says nothing there.
	if len(facts.APIServers) == 0 || facts.APIServers[0].Object.Kind != "Pod" {
		return
	}
	for _, kind := range []string{"CronJob", "Job"} {
		for _, o := range p.Inventory().ByKind("batch", kind) {
			w, ok := extract.PodSpec(o)
			if !ok {
				continue
			}
			for _, c := range w.Containers() {
				line := strings.Join(append(append([]string{}, c.Container.Command...), c.Container.Args...), " ")
				if strings.Contains(line, "etcdctl") && strings.Contains(line, "snapshot") {
					return
				}
			}
		}
	}
	api := facts.APIServers[0]
	p.Reportf(api.Object, "", "the control plane is self-managed (kube-apiserver static pod %s) but no CronJob or Job among the inputs runs etcdctl snapshot: make sure etcd is backed up", api.Object.Name)
}

// contents describes a namespace's workloads and claims.
func contents(ns *backup.Namespace) string {
	var parts []string
	if n := len(ns.Workloads); n > 0 {
		parts = append(parts, countNoun(n, "workload"))
	}
	if n := len(ns.PVCs); n > 0 {
		parts = append(parts, countNoun(n, "persistent volume claim"))
	}
	return strings.Join(parts, " and ")
}

func scheduleNames(m *backup.Model) string {
	var names []string
	for _, s := range m.Schedules {
		names = append(names, s.Name)
	}
	return "schedules: " + strings.Join(names, ", ")
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

// human prints a duration in days and hours when it is long.
func human(d time.Duration) string { return backup.Human(d) }
