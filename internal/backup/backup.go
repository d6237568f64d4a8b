// Package backup models what Velero backs up: from the Schedules, Backups,
// BackupStorageLocations and VolumeSnapshotLocations among the scanned
// objects (velero.io/v1, read as unstructured objects) it computes, for
// every namespace that holds workloads or PersistentVolumeClaims, which
// schedules cover it, whether its volumes are backed up, the recovery
// point objective (RPO) the schedules imply and the latest backup result.
//
// Coverage follows Velero's rules for a backup template: an empty
// includedNamespaces or "*" means every namespace; excludedNamespaces wins
// over includedNamespaces; both accept glob patterns. A labelSelector (or
// orLabelSelectors) limits the backup to matching objects: the namespace
// is then covered only partially, and not at all when none of its
// workloads and claims match.
package backup

import (
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// Group is Velero's API group.
const Group = "velero.io"

// ScheduleLabel is the label Velero puts on the Backups a Schedule creates.
const ScheduleLabel = "velero.io/schedule-name"

// FSBackupAnnotation opts a pod's volumes into file-system backup.
const FSBackupAnnotation = "backup.velero.io/backup-volumes"

// DefaultTTL is how long Velero keeps a backup when the template sets no ttl.
const DefaultTTL = 720 * time.Hour

// Template is the backup spec of a Schedule (or of a Backup).
type Template struct {
	IncludedNamespaces []string
	ExcludedNamespaces []string
	IncludedResources  []string
	ExcludedResources  []string
	// Selectors are labelSelector and orLabelSelectors; an object matches
	// when any does. Empty: every object.
	Selectors []labels.Selector
	// SelectorText describes the selectors for humans.
	SelectorText string
	// SnapshotVolumes is spec.snapshotVolumes; nil when unset (Velero then
	// snapshots volumes when a VolumeSnapshotLocation is configured).
	SnapshotVolumes *bool
	// FSBackup is spec.defaultVolumesToFsBackup (or the older
	// defaultVolumesToRestic).
	FSBackup bool
	// TTL is how long backups are kept; TTLSet says it was written.
	TTL    time.Duration
	TTLSet bool
}

// Schedule is one velero.io Schedule.
type Schedule struct {
	Object *inventory.Object
	Name   string
	// Cron is spec.schedule.
	Cron string
	// Period is the longest interval between two runs (0 when Cron could
	// not be read; PeriodErr says why).
	Period    time.Duration
	PeriodErr error
	Paused    bool
	Template  Template
	// Created is metadata.creationTimestamp (zero in manifests).
	Created time.Time
}

// Backup is one velero.io Backup.
type Backup struct {
	Object *inventory.Object
	Name   string
	// Schedule is the velero.io/schedule-name label ("" for manual backups).
	Schedule  string
	Phase     string
	Started   time.Time
	Completed time.Time
	Created   time.Time
}

// When is the backup's best-known time: completion, start or creation.
func (b *Backup) When() time.Time {
	switch {
	case !b.Completed.IsZero():
		return b.Completed
	case !b.Started.IsZero():
		return b.Started
	}
	return b.Created
}

// Failed reports a backup that failed or only partially succeeded.
func (b *Backup) Failed() bool {
	switch b.Phase {
	case "Failed", "PartiallyFailed", "FailedValidation":
		return true
	}
	return false
}

// Coverage is one schedule covering one namespace.
type Coverage struct {
	Schedule *Schedule
	// Partial is set when a label selector limits what is backed up.
	Partial bool
	// Matched and Total count the namespace's workloads and claims the
	// selector matches, out of all of them (only when Partial).
	Matched, Total int
	// Volumes reports that this schedule backs up the namespace's volumes
	// (snapshots or file-system backup) and includes PVCs.
	Volumes bool
}

// Namespace is what the model knows about one namespace.
type Namespace struct {
	Name string
	// Object is the Namespace object when it was scanned.
	Object *inventory.Object
	// First is the first workload or claim in load order.
	First     *inventory.Object
	Workloads []*inventory.Object
	PVCs      []*inventory.Object
	// FSOptIn is set when a pod template asks for file-system backup of
	// its volumes by annotation.
	FSOptIn bool
	// Covered lists the schedules that back the namespace up, by name.
	Covered []Coverage
}

// Target is where findings about the namespace belong: its Namespace
// object when scanned, else its first workload or claim.
func (n *Namespace) Target() *inventory.Object {
	if n.Object != nil {
		return n.Object
	}
	return n.First
}

// RPO is the shortest period of the covering schedules: the recovery point
// objective the namespace can meet (0 when unknown or not covered).
func (n *Namespace) RPO() (time.Duration, *Schedule) {
	var best time.Duration
	var by *Schedule
	for _, c := range n.Covered {
		if p := c.Schedule.Period; p > 0 && !c.Schedule.Paused && (best == 0 || p < best) {
			best, by = p, c.Schedule
		}
	}
	return best, by
}

// VolumesCovered reports whether some covering schedule backs up volumes.
func (n *Namespace) VolumesCovered() bool {
	for _, c := range n.Covered {
		if c.Volumes {
			return true
		}
	}
	return false
}

// Model is the backup coverage of one inventory.
type Model struct {
	Schedules []*Schedule
	Backups   []*Backup
	// Locations are the BackupStorageLocations; SnapshotLocations the
	// VolumeSnapshotLocations.
	Locations         []*inventory.Object
	SnapshotLocations []*inventory.Object
	// Namespaces holds the namespaces with workloads or claims, by name.
	Namespaces []*Namespace
	// Unnamespaced are workloads and claims without a namespace (the
	// deploying context decides where they land).
	Unnamespaced []*inventory.Object
	// First is the first workload or claim in load order, namespaced or not.
	First *inventory.Object
}

// Analysis gives rules the Model of the scanned inventory, built once.
var Analysis = &analysis.Analysis[*Model]{Name: "backup.model", Build: Build}

// Build reads the Velero objects, workloads and claims of inv.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{}
	for _, o := range inv.ByKind(Group, "Schedule") {
		if u, ok := o.Unstructured(); ok {
			m.Schedules = append(m.Schedules, readSchedule(o, u))
		}
	}
	for _, o := range inv.ByKind(Group, "Backup") {
		if u, ok := o.Unstructured(); ok {
			m.Backups = append(m.Backups, readBackup(o, u))
		}
	}
	m.Locations = inv.ByKind(Group, "BackupStorageLocation")
	m.SnapshotLocations = inv.ByKind(Group, "VolumeSnapshotLocation")

	byName := map[string]*Namespace{}
	get := func(name string) *Namespace {
		n := byName[name]
		if n == nil {
			n = &Namespace{Name: name}
			byName[name] = n
		}
		return n
	}
	for _, o := range inv.Objects() {
		w, isWorkload := extract.PodSpec(o)
		_, isPVC := o.Typed.(*corev1.PersistentVolumeClaim)
		if !isWorkload && !isPVC {
			continue
		}
		if isWorkload && ownedByWorkload(o) {
			continue
		}
		if m.First == nil {
			m.First = o
		}
		if o.Namespace == "" {
			m.Unnamespaced = append(m.Unnamespaced, o)
			continue
		}
		n := get(o.Namespace)
		if n.First == nil {
			n.First = o
		}
		if isPVC {
			n.PVCs = append(n.PVCs, o)
			continue
		}
		n.Workloads = append(n.Workloads, o)
		if w.PodMeta != nil && w.PodMeta.Annotations[FSBackupAnnotation] != "" {
			n.FSOptIn = true
		}
		// StatefulSet volume claim templates become claims at run time.
		if o.Kind == "StatefulSet" && hasClaimTemplates(o) {
			n.PVCs = append(n.PVCs, o)
		}
	}
	for name, n := range byName {
		if obj, ok := inv.Get("", "Namespace", "", name); ok {
			n.Object = obj
		}
		for _, s := range m.Schedules {
			if c, ok := cover(s, n); ok {
				n.Covered = append(n.Covered, c)
			}
		}
		m.Namespaces = append(m.Namespaces, n)
	}
	sort.Slice(m.Namespaces, func(i, j int) bool { return m.Namespaces[i].Name < m.Namespaces[j].Name })
	return m
}

// ownedByWorkload reports a Pod or ReplicaSet that a controller manages
// (live data): its owner is counted instead.
func ownedByWorkload(o *inventory.Object) bool {
	if o.Kind != "Pod" && o.Kind != "ReplicaSet" && o.Kind != "Job" {
		return false
	}
	for _, ref := range o.Meta.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			return true
		}
	}
	return false
}

func hasClaimTemplates(o *inventory.Object) bool {
	ss, ok := o.Typed.(*appsv1.StatefulSet)
	return ok && len(ss.Spec.VolumeClaimTemplates) > 0
}

// Covers reports whether the template includes namespace ns, ignoring
// label selectors.
func (t *Template) Covers(ns string) bool {
	if matchAny(t.ExcludedNamespaces, ns) {
		return false
	}
	return len(t.IncludedNamespaces) == 0 || matchAny(t.IncludedNamespaces, ns)
}

// BacksUpVolumes reports whether backups of the template carry volume
// data: snapshots (snapshotVolumes not false) or file-system backup.
// Whether a VolumeSnapshotLocation or CSI driver can actually take the
// snapshot is not checked.
func (t *Template) BacksUpVolumes(fsOptIn bool) bool {
	if !t.IncludesResource("persistentvolumeclaims", "pvc") {
		return false
	}
	return t.FSBackup || fsOptIn || t.SnapshotVolumes == nil || *t.SnapshotVolumes
}

// IncludesResource reports whether a resource (by plural or short name) is
// in the backup, from includedResources and excludedResources.
func (t *Template) IncludesResource(names ...string) bool {
	has := func(list []string) bool {
		for _, r := range list {
			r = strings.ToLower(r)
			if r == "*" {
				return true
			}
			r, _, _ = strings.Cut(r, ".")
			if slices.Contains(names, r) {
				return true
			}
		}
		return false
	}
	if has(t.ExcludedResources) {
		return false
	}
	return len(t.IncludedResources) == 0 || has(t.IncludedResources)
}

func matchAny(patterns []string, ns string) bool {
	for _, p := range patterns {
		if p == "*" || p == ns {
			return true
		}
		if ok, err := path.Match(p, ns); err == nil && ok {
			return true
		}
	}
	return false
}

// cover decides whether s covers n.
func cover(s *Schedule, n *Namespace) (Coverage, bool) {
	t := &s.Template
	if !t.Covers(n.Name) {
		return Coverage{}, false
	}
	c := Coverage{Schedule: s}
	fsOptIn := n.FSOptIn
	if len(t.Selectors) > 0 {
		c.Partial = true
		var pvcMatched bool
		objs := append(append([]*inventory.Object{}, n.Workloads...), n.PVCs...)
		seen := map[*inventory.Object]bool{}
		for _, o := range objs {
			if seen[o] {
				continue
			}
			seen[o] = true
			c.Total++
			set := labels.Set(o.Meta.Labels)
			for _, sel := range t.Selectors {
				if sel.Matches(set) {
					c.Matched++
					if slices.Contains(n.PVCs, o) {
						pvcMatched = true
					}
					break
				}
			}
		}
		if c.Matched == 0 {
			return Coverage{}, false
		}
		if !pvcMatched {
			c.Volumes = false
			return c, true
		}
	}
	c.Volumes = len(n.PVCs) > 0 && t.BacksUpVolumes(fsOptIn)
	return c, true
}

// Latest returns the newest Backup created by schedule s (nil when none is
// among the inputs), and the newest one that completed successfully.
func (m *Model) Latest(s *Schedule) (latest, completed *Backup) {
	for _, b := range m.Backups {
		if b.Schedule != s.Name || (b.Object.Namespace != "" && s.Object.Namespace != "" && b.Object.Namespace != s.Object.Namespace) {
			continue
		}
		if latest == nil || b.When().After(latest.When()) {
			latest = b
		}
		if b.Phase == "Completed" && (completed == nil || b.When().After(completed.When())) {
			completed = b
		}
	}
	return latest, completed
}

// HasBackups reports live data: Backup objects are among the inputs.
func (m *Model) HasBackups() bool { return len(m.Backups) > 0 }

// Namespace returns the namespace named name.
func (m *Model) Namespace(name string) (*Namespace, bool) {
	i := sort.Search(len(m.Namespaces), func(i int) bool { return m.Namespaces[i].Name >= name })
	if i < len(m.Namespaces) && m.Namespaces[i].Name == name {
		return m.Namespaces[i], true
	}
	return nil, false
}

func readSchedule(o *inventory.Object, u *unstructured.Unstructured) *Schedule {
	s := &Schedule{Object: o, Name: o.Name, Created: u.GetCreationTimestamp().Time}
	s.Cron, _, _ = unstructured.NestedString(u.Object, "spec", "schedule")
	s.Paused, _, _ = unstructured.NestedBool(u.Object, "spec", "paused")
	s.Period, s.PeriodErr = ParsePeriod(s.Cron)
	if tmpl, ok, _ := unstructured.NestedMap(u.Object, "spec", "template"); ok {
		s.Template = readTemplate(tmpl)
	} else {
		s.Template = readTemplate(nil)
	}
	return s
}

func readTemplate(t map[string]any) Template {
	var out Template
	strs := func(key string) []string {
		v, _, _ := unstructured.NestedStringSlice(t, key)
		return v
	}
	out.IncludedNamespaces = strs("includedNamespaces")
	out.ExcludedNamespaces = strs("excludedNamespaces")
	out.IncludedResources = strs("includedResources")
	out.ExcludedResources = strs("excludedResources")
	if v, ok, err := unstructured.NestedBool(t, "snapshotVolumes"); ok && err == nil {
		out.SnapshotVolumes = &v
	}
	fs, _, _ := unstructured.NestedBool(t, "defaultVolumesToFsBackup")
	restic, _, _ := unstructured.NestedBool(t, "defaultVolumesToRestic")
	out.FSBackup = fs || restic
	out.TTL = DefaultTTL
	if v, ok, _ := unstructured.NestedString(t, "ttl"); ok && v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			out.TTL, out.TTLSet = d, true
		}
	}
	var texts []string
	addSel := func(m map[string]any) {
		var ls metav1.LabelSelector
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls); err != nil {
			return
		}
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			return
		}
		out.Selectors = append(out.Selectors, sel)
		texts = append(texts, sel.String())
	}
	if m, ok, _ := unstructured.NestedMap(t, "labelSelector"); ok {
		addSel(m)
	}
	if list, ok, _ := unstructured.NestedSlice(t, "orLabelSelectors"); ok {
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				addSel(m)
			}
		}
	}
	out.SelectorText = strings.Join(texts, " or ")
	return out
}

func readBackup(o *inventory.Object, u *unstructured.Unstructured) *Backup {
	b := &Backup{Object: o, Name: o.Name, Schedule: o.Meta.Labels[ScheduleLabel], Created: u.GetCreationTimestamp().Time}
	b.Phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
	b.Started = timestamp(u, "status", "startTimestamp")
	b.Completed = timestamp(u, "status", "completionTimestamp")
	return b
}

func timestamp(u *unstructured.Unstructured, fields ...string) time.Time {
	v, ok, _ := unstructured.NestedString(u.Object, fields...)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}
	}
	return t
}
