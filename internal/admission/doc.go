// Package admission is kguard's validating admission webhook: a thin HTTP
// layer over internal/scan. An AdmissionReview's object is decoded with the
// same loader and checked by the same single-object rules as `kguard scan`,
// so what CI reports and what the cluster rejects never disagree.
//
// Three layers, as in the API server's own pod security admission: Decide is
// pure policy (findings and a mode in, verdict out), Handler orchestrates one
// request, and Server runs HTTPS with health, readiness and metrics.
package admission
