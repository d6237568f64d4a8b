package admit

import (
	"path/filepath"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/sign"
)

// signatureCheck builds the webhook's signature check when the config
// requires signatures somewhere (images.signatures.require), else nil.
// Key and trust root paths are relative to the config file.
func signatureCheck(cfg *config.Config, configFile string) (*admission.Signatures, error) {
	pol := cfg.Images.Signatures
	if !pol.Enabled() {
		return nil, nil
	}
	dir := ""
	if configFile != "" {
		dir = filepath.Dir(configFile)
	}
	v, err := sign.NewVerifier(pol, dir)
	if err != nil {
		return nil, err
	}
	return &admission.Signatures{Policy: pol, Verifier: v, Access: access.Options{}}, nil
}
