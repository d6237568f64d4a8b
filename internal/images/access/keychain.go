package access

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// PullSecretKeychain finds credentials in Kubernetes image pull secrets
// (the data of kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg
// secrets), matching registries the way the kubelet does: by host, with
// "*." wildcards, and Docker Hub under its historical names.
type PullSecretKeychain struct {
	entries []pullEntry
}

type pullEntry struct {
	pattern string
	auth    authn.AuthConfig
}

// dockerConfigJSON is the content of a .dockerconfigjson key; the older
// .dockercfg is the "auths" map alone.
type dockerConfigJSON struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// AddPullSecret adds the credentials of one secret's data. The error
// names the problem, never a credential.
func (k *PullSecretKeychain) AddPullSecret(data map[string][]byte) error {
	var auths map[string]dockerAuth
	switch {
	case data[".dockerconfigjson"] != nil:
		var c dockerConfigJSON
		if err := json.Unmarshal(data[".dockerconfigjson"], &c); err != nil {
			return fmt.Errorf(".dockerconfigjson is not valid JSON")
		}
		auths = c.Auths
	case data[".dockercfg"] != nil:
		if err := json.Unmarshal(data[".dockercfg"], &auths); err != nil {
			return fmt.Errorf(".dockercfg is not valid JSON")
		}
	default:
		return fmt.Errorf("neither .dockerconfigjson nor .dockercfg present")
	}
	for reg, a := range auths {
		cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" && cfg.Username == "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return fmt.Errorf("registry %s: auth is not base64", reg)
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return fmt.Errorf("registry %s: auth is not user:password", reg)
			}
			cfg.Username, cfg.Password = user, pass
		}
		k.entries = append(k.entries, pullEntry{pattern: normalizeRegistry(reg), auth: cfg})
	}
	return nil
}

// Len is how many registry entries the keychain holds.
func (k *PullSecretKeychain) Len() int { return len(k.entries) }

// Resolve implements authn.Keychain.
func (k *PullSecretKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := normalizeRegistry(r.RegistryStr())
	for _, e := range k.entries {
		if hostMatches(e.pattern, host) {
			return authn.FromConfig(e.auth), nil
		}
	}
	return authn.Anonymous, nil
}

// normalizeRegistry drops a scheme and a path ("https://index.docker.io/v1/"
// is Docker Hub) and folds Docker Hub's names into one.
func normalizeRegistry(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return s
}

func hostMatches(pattern, host string) bool {
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		// "*.example.com" matches one label, as the kubelet's matcher does.
		label, domain, found := strings.Cut(host, ".")
		return found && label != "" && domain == rest
	}
	return false
}
