package tls

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/rules"
)

var (
	ingressKinds = []schema.GroupKind{{Group: "networking.k8s.io", Kind: "Ingress"}, {Group: "extensions", Kind: "Ingress"}}
	certKinds    = []schema.GroupKind{{Kind: "Secret"}, {Group: "cert-manager.io", Kind: "Certificate"}}
	tlsDocs      = "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"
)

// Rules returns the tls family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		ingressWithoutTLS(), gatewayHTTPOnly(),
		certExpired(), certExpiring(), certWeak(), keyMismatch(),
		ingressSelfSigned(), ingressHostMismatch(),
		apiServerTLS(),
	}
}
