// Package images is the parent of kguard's container image analysis:
// access (reading images from registries, OCI layouts and docker
// archives), inventory (the packages an image holds), sbom (standard SBOM
// documents), scan (inventories matched against the vulnerability
// database) and sign (signature verification). The rules that judge
// workloads by what their images hold live in internal/rules/images.
package images
