// Package vulnscan scans images for known vulnerabilities: each distinct
// image is opened and inventoried once (internal/images/inventory, with its
// disk cache), its packages are matched against the offline database
// (internal/vulndb), and ignores written by users (VEX-style: advisory,
// optional packages and images, a reason and an expiry) are applied.
// `kguard images scan` and `kguard scan --images` both use it.
package vulnscan
