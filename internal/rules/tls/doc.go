// Package tls holds the tls rule family: Ingresses and Gateways without
// TLS, the certificates in kubernetes.io/tls Secrets and cert-manager
// Certificates (expiry, weak keys and signatures, self-signed leaves, host
// coverage, key match), and the API server's TLS flags when the control
// plane is visible. Key material is parsed to check it and never printed.
package tls
