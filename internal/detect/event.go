package detect

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event sources. A rule names the one it applies to; events of other
// sources never reach it.
const (
	SourceK8sAudit = "k8s_audit"
	SourceProcess  = "process"
	SourceFile     = "file"
	SourceNetwork  = "network"
)

var sources = []string{SourceK8sAudit, SourceProcess, SourceFile, SourceNetwork}

// Event is one observation: a Kubernetes audit event, or a process, file
// or network event from a node sensor. File and network events carry the
// Process that caused them.
type Event struct {
	Time     time.Time
	Source   string // k8s_audit, process, file or network; inferred when empty
	K8sAudit *AuditEvent
	Process  *Process
	File     *File
	Network  *Network
}

// source returns the event's source, inferring it from the set fields.
func (ev *Event) source() string {
	switch {
	case ev.Source != "":
		return ev.Source
	case ev.K8sAudit != nil:
		return SourceK8sAudit
	case ev.Network != nil:
		return SourceNetwork
	case ev.File != nil:
		return SourceFile
	case ev.Process != nil:
		return SourceProcess
	}
	return ""
}

// UserInfo is an authenticated (or impersonated) user.
type UserInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// ObjectRef names the object a request is about.
type ObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
}

// AuditEvent holds the fields of an audit.k8s.io/v1 Event that rules use.
// Response bodies are never kept.
type AuditEvent struct {
	AuditID          string            `json:"auditID,omitempty"`
	Stage            string            `json:"stage,omitempty"`
	RequestURI       string            `json:"requestURI,omitempty"`
	Verb             string            `json:"verb"`
	User             UserInfo          `json:"user"`
	ImpersonatedUser *UserInfo         `json:"impersonatedUser,omitempty"`
	SourceIPs        []string          `json:"sourceIPs,omitempty"`
	UserAgent        string            `json:"userAgent,omitempty"`
	ObjectRef        *ObjectRef        `json:"objectRef,omitempty"`
	ResponseStatus   *ResponseStatus   `json:"responseStatus,omitempty"`
	RequestObject    map[string]any    `json:"requestObject,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// ResponseStatus is the part of the response status rules use.
type ResponseStatus struct {
	Code int `json:"code"`
}

// Container identifies the container a process runs in; the zero value
// means the host.
type Container struct {
	ID        string
	Image     string
	Pod       string
	Namespace string
	// PodUID is the pod's UID. A node sensor reads it (with ID) from the
	// process' cgroup, so it is set even when the API server could not be
	// asked for Pod and Namespace.
	PodUID string
}

// Process is a process event (exec) or the process behind a file or
// network event.
type Process struct {
	PID      int
	PPID     int
	UID      int
	Comm     string
	Exe      string
	Args     []string // argv, without argv[0]
	CgroupID uint64
	// MntNS is the mount namespace's inode number: processes of one
	// container share it, and it differs from the host's.
	MntNS     uint64
	Container Container
}

// File is a file open. Flags are open(2) flags.
type File struct {
	Path  string
	Flags int
}

// Open flags that make an open a write (Linux values).
const (
	oWronly = 0o1
	oRdwr   = 0o2
	oCreat  = 0o100
	oTrunc  = 0o1000
)

// Write reports whether the open can modify the file.
func (f *File) Write() bool { return f.Flags&(oWronly|oRdwr|oCreat|oTrunc) != 0 }

// Network is an outbound connection.
type Network struct {
	DAddr string
	DPort int
	Proto string // tcp or udp
}

// auditLine is what ParseAuditEvent decodes: responseObject is left out
// so response bodies are skipped by the decoder and never kept.
type auditLine struct {
	Kind                     string    `json:"kind"`
	APIVersion               string    `json:"apiVersion"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time `json:"stageTimestamp"`
	AuditEvent
}

// ParseAuditEvent decodes one audit.k8s.io/v1 Event, as written one per
// line by the API server's log backend or sent by its webhook backend.
func ParseAuditEvent(line []byte) (Event, error) {
	var l auditLine
	if err := json.Unmarshal(line, &l); err != nil {
		return Event{}, fmt.Errorf("audit event: %w", err)
	}
	if l.Kind != "" && l.Kind != "Event" {
		return Event{}, fmt.Errorf("audit event: kind %q, want Event", l.Kind)
	}
	if l.APIVersion != "" && !strings.HasPrefix(l.APIVersion, "audit.k8s.io/") {
		return Event{}, fmt.Errorf("audit event: apiVersion %q, want audit.k8s.io/v1", l.APIVersion)
	}
	if l.Verb == "" {
		return Event{}, fmt.Errorf("audit event: no verb")
	}
	t := l.StageTimestamp
	if t.IsZero() {
		t = l.RequestReceivedTimestamp
	}
	a := l.AuditEvent
	return Event{Time: t, Source: SourceK8sAudit, K8sAudit: &a}, nil
}
