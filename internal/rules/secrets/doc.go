// Package secrets holds the secrets rule family: credentials written into
// manifests (literal env values, known token formats and high-entropy
// values under credential-like keys in env, ConfigMaps and annotations),
// Secrets used in weaker ways than they could be, and encryption at rest.
//
// No finding ever contains a secret: findings name the key, the object and
// a fingerprint (length and a short SHA-256 prefix) that lets an operator
// match a finding to a value they hold without revealing it to anyone who
// reads the report.
package secrets
