package alert

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/ecs"
	"github.com/kguard/kguard/internal/finding"
)

// Datasets (event.dataset) by event family.
const (
	DatasetAudit  = "kubernetes.audit"
	DatasetSensor = "kguard.sensor"
)

// Record is one alert as written: ECS field names, flat. It is the shared
// ecs.Record, so alerts and scan findings have one layout; the ecs package
// documentation lists the fields.
type Record = ecs.Record

// SeverityNumber maps a severity to event.severity.
func SeverityNumber(s finding.Severity) int { return ecs.SeverityNumber(s) }

// isTechnique reports whether a tag is a MITRE ATT&CK technique ID:
// T and four digits, optionally with a .NNN sub-technique.
func isTechnique(tag string) bool {
	if len(tag) < 5 || tag[0] != 'T' {
		return false
	}
	for i, c := range tag[1:] {
		if !(c >= '0' && c <= '9') && !(c == '.' && i == 4) {
			return false
		}
	}
	return true
}

// ResourceType is an object reference's resource, with its subresource
// after a slash.
func ResourceType(r *detect.ObjectRef) string {
	if r.Subresource != "" {
		return r.Resource + "/" + r.Subresource
	}
	return r.Resource
}

// Descriptions returns the descriptions of a rule set's rules, by ID.
func Descriptions(rs *detect.RuleSet) map[string]string {
	m := map[string]string{}
	if rs == nil {
		return m
	}
	for _, r := range rs.Rules() {
		m[r.ID] = r.Desc
	}
	return m
}

// NewRecord builds the Record of an alert; desc is the rule's
// description. The caller fills in the kguard.* counts and action.
func NewRecord(a detect.Alert, desc string) Record {
	r := Record{
		Timestamp: a.Time.UTC().Format(time.RFC3339Nano), ECSVersion: ecs.Version, Kind: "alert", Module: "kguard",
		Severity: SeverityNumber(a.Severity), LogLevel: a.Severity.String(),
		RuleID: a.Rule, RuleName: a.Rule, RuleDescription: strings.TrimSpace(desc),
		Message: a.Output, Tags: slices.Clone(a.Tags),
	}
	for _, t := range a.Tags {
		if isTechnique(t) {
			r.Techniques = append(r.Techniques, t)
		}
	}
	if len(r.Techniques) > 0 {
		r.ThreatFramework = "MITRE ATT&CK"
	}
	ev := a.Event
	if e := ev.K8sAudit; e != nil {
		r.Dataset, r.Orchestrator = DatasetAudit, "kubernetes"
		r.Action, r.EventID, r.UserName, r.UserAgent, r.URL = e.Verb, e.AuditID, e.User.Username, e.UserAgent, e.RequestURI
		if e.ImpersonatedUser != nil {
			r.EffectiveUser = e.ImpersonatedUser.Username
		}
		if len(e.SourceIPs) > 0 {
			r.SourceIP = e.SourceIPs[0]
		}
		if e.ResponseStatus != nil {
			r.StatusCode = e.ResponseStatus.Code
		}
		if o := e.ObjectRef; o != nil {
			r.Namespace, r.ResourceType, r.ResourceName = o.Namespace, ResourceType(o), o.Name
		}
		return r
	}
	if !isSensor(a) {
		return r
	}
	r.Dataset = DatasetSensor
	switch {
	case ev.Network != nil:
		r.Action = "connect"
		r.DestIP, r.DestPort, r.Transport = ev.Network.DAddr, ev.Network.DPort, strings.ToLower(ev.Network.Proto)
	case ev.File != nil:
		r.Action = "open"
		r.FilePath = ev.File.Path
	case ev.Process != nil:
		r.Action = "exec"
	}
	if p := ev.Process; p != nil {
		r.PID, r.PPID, r.ProcessName, r.Executable = p.PID, p.PPID, p.Comm, p.Exe
		// ECS process.args starts with the executable; the event's Args
		// leave argv[0] out, so the path (or comm) stands in for it.
		first := p.Exe
		if first == "" {
			first = p.Comm
		}
		if first != "" || len(p.Args) > 0 {
			r.Args = append([]string{first}, p.Args...)
			r.CommandLine = strings.TrimSpace(strings.Join(r.Args, " "))
		}
		r.UserID = strconv.Itoa(p.UID)
		r.CgroupID, r.MntNS = p.CgroupID, p.MntNS
		c := p.Container
		r.ContainerID, r.Image, r.Pod, r.PodUID, r.Namespace = c.ID, c.Image, c.Pod, c.PodUID, c.Namespace
	}
	return r
}

// isSensor reports whether an alert comes from a node sensor event
// (process, file or network) rather than the audit log.
func isSensor(a detect.Alert) bool {
	switch a.Source {
	case detect.SourceProcess, detect.SourceFile, detect.SourceNetwork:
		return true
	case "":
		ev := a.Event
		return ev.K8sAudit == nil && (ev.Process != nil || ev.File != nil || ev.Network != nil)
	}
	return false
}
