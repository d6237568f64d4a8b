// Package access opens container images wherever they are: a registry
// (docker config and Kubernetes pull-secret credentials, plain HTTP for the
// registries named insecure), an OCI layout directory ("oci-layout:PATH")
// or a `docker save` archive ("docker-archive:PATH"). A multi-platform
// index is resolved to one platform, and layers read from registries are
// kept in a disk cache keyed by digest. It is built on go-containerregistry
// and never runs anything from the image.
package access
