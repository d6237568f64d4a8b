// Package images holds the rules about container images: where they come
// from and whether the reference can change under the workload (tags,
// digests, pull policy, registries).
package images
