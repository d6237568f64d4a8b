// Package sign verifies that images are signed by whom the policy trusts,
// with sigstore-go: Sigstore bundles attached to an image's digest as OCI
// referrers (cosign's bundle format) are checked against public keys or,
// for certificates, against identities and a trust root given as files,
// so no network beyond the registry is needed. Attestations (DSSE in-toto
// statements about the digest) are checked the same way.
package sign
