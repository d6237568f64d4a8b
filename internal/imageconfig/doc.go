// Package imageconfig judges a container image by how it is built rather
// than by which vulnerable packages it holds: the user its config runs
// as, whether its entrypoint exists, and whether it carries a shell or a
// package manager that an attacker inside the container could use. It
// reads the image's config and its flattened filesystem (whiteouts
// applied), nothing else, and is what kguard checks its own image with.
package imageconfig
