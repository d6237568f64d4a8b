package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kguard/kguard/internal/finding"
)

// Version is the ECS version kguard's records follow (ecs.version).
const Version = "8.17.0"

// Record is one event as kguard writes it for Elasticsearch: ECS field
// names, flat (dotted keys), empty values left out. Runtime alerts and scan
// findings share it, so one index template and one dashboard serve both.
// The package documentation lists the fields.
type Record struct {
	Timestamp       string   `json:"@timestamp"`
	ECSVersion      string   `json:"ecs.version,omitempty"`
	Kind            string   `json:"event.kind"`
	Module          string   `json:"event.module"`
	Dataset         string   `json:"event.dataset,omitempty"`
	Category        []string `json:"event.category,omitempty"`
	Type            []string `json:"event.type,omitempty"`
	Outcome         string   `json:"event.outcome,omitempty"`
	Severity        int      `json:"event.severity"`
	Action          string   `json:"event.action,omitempty"`
	EventID         string   `json:"event.id,omitempty"`
	LogLevel        string   `json:"log.level"`
	RuleID          string   `json:"rule.id"`
	RuleName        string   `json:"rule.name"`
	RuleDescription string   `json:"rule.description,omitempty"`
	RuleCategory    string   `json:"rule.category,omitempty"`
	RuleReference   string   `json:"rule.reference,omitempty"`
	RuleRuleset     string   `json:"rule.ruleset,omitempty"`
	RuleVersion     string   `json:"rule.version,omitempty"`
	Message         string   `json:"message"`
	Tags            []string `json:"tags,omitempty"`
	ThreatFramework string   `json:"threat.framework,omitempty"`
	Techniques      []string `json:"threat.technique.id,omitempty"`
	UserName        string   `json:"user.name,omitempty"`
	EffectiveUser   string   `json:"user.effective.name,omitempty"`
	UserID          string   `json:"user.id,omitempty"`
	SourceIP        string   `json:"source.ip,omitempty"`
	UserAgent       string   `json:"user_agent.original,omitempty"`
	URL             string   `json:"url.original,omitempty"`
	StatusCode      int      `json:"http.response.status_code,omitempty"`

	PID         int      `json:"process.pid,omitempty"`
	PPID        int      `json:"process.parent.pid,omitempty"`
	ProcessName string   `json:"process.name,omitempty"`
	Executable  string   `json:"process.executable,omitempty"`
	Args        []string `json:"process.args,omitempty"`
	CommandLine string   `json:"process.command_line,omitempty"`
	FilePath    string   `json:"file.path,omitempty"`
	DestIP      string   `json:"destination.ip,omitempty"`
	DestPort    int      `json:"destination.port,omitempty"`
	Transport   string   `json:"network.transport,omitempty"`
	ContainerID string   `json:"container.id,omitempty"`
	Image       string   `json:"container.image.name,omitempty"`
	Pod         string   `json:"kubernetes.pod.name,omitempty"`
	PodUID      string   `json:"kubernetes.pod.uid,omitempty"`

	Namespace    string `json:"kubernetes.namespace,omitempty"`
	Orchestrator string `json:"orchestrator.type,omitempty"`
	ResourceType string `json:"orchestrator.resource.type,omitempty"`
	ResourceName string `json:"orchestrator.resource.name,omitempty"`
	// OrchestratorNamespace, APIVersion and Cluster describe the object a
	// finding is about.
	OrchestratorNamespace string `json:"orchestrator.namespace,omitempty"`
	APIVersion            string `json:"orchestrator.api_version,omitempty"`
	Cluster               string `json:"orchestrator.cluster.name,omitempty"`

	CgroupID     uint64 `json:"kguard.cgroup_id,omitempty"`
	MntNS        uint64 `json:"kguard.mnt_ns,omitempty"`
	KguardAction string `json:"kguard.action,omitempty"`
	Suppressed   int    `json:"kguard.suppressed,omitempty"`
	Count        int    `json:"kguard.count,omitempty"`

	// Findings (event.dataset kguard.findings).
	Fingerprint       string `json:"kguard.fingerprint,omitempty"`
	Field             string `json:"kguard.field,omitempty"`
	Remediation       string `json:"kguard.remediation,omitempty"`
	SourceLine        int    `json:"kguard.source.line,omitempty"`
	SourceOrigin      string `json:"kguard.source.origin,omitempty"`
	SuppressedBy      string `json:"kguard.suppression.by,omitempty"`
	SuppressionReason string `json:"kguard.suppression.reason,omitempty"`
	SuppressionExpiry string `json:"kguard.suppression.expires,omitempty"`
	BaselineStatus    string `json:"kguard.baseline,omitempty"`

	// Framework controls (event.dataset kguard.frameworks).
	ControlStatus    string   `json:"kguard.control.status,omitempty"`
	ControlSection   string   `json:"kguard.control.section,omitempty"`
	ControlReason    string   `json:"kguard.control.reason,omitempty"`
	ControlRules     []string `json:"kguard.control.rules,omitempty"`
	ControlFindings  int      `json:"kguard.control.findings,omitempty"`
	FrameworkScore   *float64 `json:"kguard.framework.score,omitempty"`
	FrameworkMapping int      `json:"kguard.framework.mapping,omitempty"`
}

// SeverityNumber maps a severity to event.severity.
func SeverityNumber(s finding.Severity) int {
	switch s {
	case finding.SeverityCritical:
		return 99
	case finding.SeverityHigh:
		return 73
	case finding.SeverityMedium:
		return 47
	case finding.SeverityLow:
		return 21
	}
	return 1
}

// Encoder writes Records as JSON lines, each with a single Write, with <, >
// and & left readable (messages quote commands and URLs).
type Encoder struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	e := &Encoder{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// Encode writes r as one line. Not safe for concurrent use.
func (e *Encoder) Encode(r *Record) error {
	e.buf.Reset()
	if err := e.enc.Encode(r); err != nil {
		return fmt.Errorf("encode ECS record: %w", err)
	}
	_, err := e.w.Write(e.buf.Bytes())
	return err
}
