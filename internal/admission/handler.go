package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// NamespaceModes tells the enforcement mode of a namespace (from its
// kguard.io/enforce label).
type NamespaceModes interface {
	Mode(ctx context.Context, namespace string) (Mode, bool)
}

// StaticModes is a fixed namespace-to-mode map (tests, single-namespace setups).
type StaticModes map[string]Mode

// Mode implements NamespaceModes.
func (s StaticModes) Mode(_ context.Context, ns string) (Mode, bool) {
	m, ok := s[ns]
	return m, ok
}

// DefaultMaxBodyBytes bounds a request body. The API server caps objects at
// about 1.5 MiB in etcd; an AdmissionReview carries the object and possibly
// the old one, so a few MiB is ample.
const DefaultMaxBodyBytes = 4 << 20

// Handler answers AdmissionReview requests.
type Handler struct {
	Registry *rules.Registry
	Config   *config.Config
	Settings *rules.Settings
	Policy   *Policy
	// Modes gives per-namespace modes; DefaultMode applies elsewhere.
	Modes       NamespaceModes
	DefaultMode Mode
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Timeout bounds one review (default 5s, well inside the webhook's
	// timeoutSeconds).
	Timeout time.Duration
	Logger  *slog.Logger
	Metrics *Metrics
	// Signatures, when set, denies images without a valid signature where
	// the signature policy requires one (signatures.go).
	Signatures *Signatures
}

// ServeHTTP implements the webhook endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code, uid := h.serve(w, r)
	h.Metrics.observeRequest(code, time.Since(start))
	if code >= 400 {
		h.logger().Warn("bad admission request", "code", code, "uid", uid, "remote", r.RemoteAddr)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	if r.Method != http.MethodPost {
		return fail(w, http.StatusMethodNotAllowed, "use POST with an admission.k8s.io/v1 AdmissionReview"), ""
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fail(w, http.StatusUnsupportedMediaType, "content type must be application/json"), ""
	}
	max := h.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", max)), ""
		}
		return fail(w, http.StatusBadRequest, "read body: "+err.Error()), ""
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return fail(w, http.StatusBadRequest, "malformed AdmissionReview: "+err.Error()), ""
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview" || review.Request == nil {
		return fail(w, http.StatusBadRequest, fmt.Sprintf("want an admission.k8s.io/v1 AdmissionReview with a request, got %s %s", review.APIVersion, review.Kind)), ""
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	resp := h.Review(ctx, review.Request)
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(&out); err != nil {
		h.logger().Error("write response", "uid", review.Request.UID, "err", err)
	}
	return http.StatusOK, string(review.Request.UID)
}

func fail(w http.ResponseWriter, code int, msg string) int {
	http.Error(w, msg, code)
	return code
}

// Review decides one admission request. It never returns nil.
func (h *Handler) Review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect || len(req.Object.Raw) == 0 {
		return resp
	}
	mode := h.DefaultMode
	if mode == "" {
		mode = ModeBaseline
	}
	if h.Modes != nil {
		if m, ok := h.Modes.Mode(ctx, req.Namespace); ok {
			mode = m
		}
	}
	log := h.logger().With("uid", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "operation", req.Operation, "mode", mode)
	if mode == ModeOff {
		h.Metrics.observeDecision("allowed")
		return resp
	}
	templates, err := h.Config.Templates()
	var inv *inventory.Inventory
	if err == nil {
		// A custom resource with a pod template (an Argo Rollout, say) is
		// judged on it like a Deployment; one whose template does not
		// decode is not approved.
		inv, err = input.Admitted(req.Object.Raw, req.Namespace, req.Name, templates)
	}
	var res *scan.Result
	if err == nil {
		res, err = scan.Run(ctx, inv, scan.Options{
			Registry: h.Registry, Config: h.Config, Settings: h.Settings, AtAdmissionOnly: true, Workers: 1,
		})
	}
	if err == nil && len(res.NotEvaluated) > 0 {
		err = fmt.Errorf("%s: %s", res.NotEvaluated[0].Subject, res.NotEvaluated[0].Reason)
	}
	if err != nil {
		// Fail closed where enforcing: an object kguard cannot check is
		// not an object kguard approved.
		log.Error("could not evaluate", "err", err)
		if mode == ModeAudit {
			resp.Warnings = []string{"kguard could not evaluate this object: " + err.Error()}
			h.Metrics.observeDecision("allowed")
			return resp
		}
		resp.Allowed = false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: "kguard could not evaluate this object: " + err.Error()}
		h.Metrics.observeDecision("denied")
		return resp
	}
	v := Decide(res.Findings, mode, h.Policy)
	for _, f := range v.Warnings {
		resp.Warnings = append(resp.Warnings, warning(f))
	}
	h.Metrics.observeFindings(v)
	sigDeny := h.reviewSignatures(ctx, inv.Objects()[0], mode, resp)
	if len(v.Denied) > 0 || sigDeny != "" {
		resp.Allowed = false
		msg := denyMessage(req, v.Denied, h.Registry)
		if sigDeny != "" {
			msg = signatureDenyMessage(req, len(v.Denied), sigDeny, msg)
		}
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: msg}
		h.Metrics.observeDecision("denied")
	} else {
		h.Metrics.observeDecision("allowed")
	}
	log.Info("reviewed", "allowed", resp.Allowed, "denied", ruleIDs(v.Denied), "warnings", len(v.Warnings), "audited", ruleIDs(v.Audited))
	return resp
}

// denyMessage lists each violated rule with how to fix it, the text users
// see at kubectl apply.
func denyMessage(req *admissionv1.AdmissionRequest, denied []finding.Finding, reg *rules.Registry) string {
	var b strings.Builder
	what := req.Kind.Kind + " " + req.Name
	if req.Namespace != "" {
		what = req.Kind.Kind + " " + req.Namespace + "/" + req.Name
	}
	fmt.Fprintf(&b, "kguard denied %s: %d violation(s)", what, len(denied))
	for _, f := range denied {
		fmt.Fprintf(&b, "\n- [%s, %s] %s", f.Rule, f.Severity, f.Message)
		if r, ok := reg.Get(f.Rule); ok {
			fmt.Fprintf(&b, "\n  fix: %s", r.Remediation)
		}
	}
	b.WriteString("\n(see `kguard rules explain RULE-ID`; exceptions go in .kguard.yaml or the kguard.io/ignore annotation)")
	return b.String()
}

// warning formats one finding for the API server's Warning header. Long
// warnings are cut: clients show them on one line.
func warning(f finding.Finding) string { return Warning(f) }

// Warning is the admission warning a finding becomes (API servers limit a
// warning's length, so long messages are cut).
func Warning(f finding.Finding) string {
	s := fmt.Sprintf("kguard [%s]: %s", f.Rule, f.Message)
	if len(s) > 256 {
		s = s[:253] + "..."
	}
	return s
}

func ruleIDs(fs []finding.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return h.Logger
}
