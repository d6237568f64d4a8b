// Package inventory lists the packages an image holds, reading its layers
// in order with whiteouts applied and running nothing: Debian and Ubuntu
// dpkg databases, Alpine apk, RPM databases, Go binaries (module versions
// and the Go version from their build info), npm lockfiles, Python
// *.dist-info and Java archives. Extraction is done by Google's
// osv-scalibr; this package picks its extractors, maps packages to OSV
// ecosystems, names the layer of every problem, and caches inventories on
// disk by image ID so that an image is read once.
package inventory
