// Package sbom writes an image's package inventory as a standard software
// bill of materials: CycloneDX 1.6 JSON with the official cyclonedx-go
// library, and SPDX 2.3 JSON with the official spdx/tools-golang library.
// Each package carries its package URL, the file it was found in and the
// layer that added it.
package sbom
