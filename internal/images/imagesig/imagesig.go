// Package imagesig holds the results of image signature verification and
// the analysis through which the image-signature-invalid rule reads them;
// it depends on nothing heavy, so the rule registry does not import
// sigstore-go.
package imagesig

import (
	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/inventory"
)

// Verdict is the outcome for one image reference.
type Verdict struct {
	Ref      string `json:"image"`
	Digest   string `json:"digest,omitempty"`
	Verified bool   `json:"verified"`
	Signer   string `json:"signer,omitempty"`
	// Reason explains an unverified verdict.
	Reason string `json:"reason,omitempty"`
	// Error is set when the registry could not be asked.
	Error string `json:"error,omitempty"`
}

// Results are the verdicts of one scan and the policy they were made
// under.
type Results struct {
	Require []config.SignatureRequirement
	Images  map[string]*Verdict
}

// Analysis holds the signature verdicts of the scanned inventory, handed
// to the scan by `kguard scan --images` when the config has a signature
// policy; empty otherwise.
var Analysis = &analysis.Analysis[*Results]{
	Name:  "images.signatures",
	Build: func(*inventory.Inventory) *Results { return &Results{} },
}
