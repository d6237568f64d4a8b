// Package imagevuln holds the results of image vulnerability scans (per
// image: vulnerabilities, ignored ones, errors) and the analysis through
// which the image-vulnerable rule reads them. It depends on nothing heavy,
// so that the rule registry does not import the package extractors.
package imagevuln
