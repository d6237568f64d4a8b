// Command imagebuild assembles kguard's container image from static
// linux binaries, without a Docker daemon or a base image: an OCI index
// with one image per platform, written to an OCI layout directory, an
// OCI archive (tar), or pushed to a registry. hack/image.sh builds the
// binaries and runs it.
//
//	imagebuild --binary linux/amd64=dist/kguard_linux_amd64 \
//	  --binary linux/arm64=dist/kguard_linux_arm64 \
//	  --version v0.1.0 --revision $(git rev-parse HEAD) --created 2026-12-07T00:00:00Z \
//	  --oci-layout out/image
//
// It prints the index digest on the last line of its output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type binaries map[string]string

func (b binaries) String() string { return fmt.Sprint(map[string]string(b)) }

func (b binaries) Set(v string) error {
	plat, path, ok := strings.Cut(v, "=")
	if !ok || plat == "" || path == "" {
		return fmt.Errorf("want os/arch=path, got %q", v)
	}
	if _, dup := b[plat]; dup {
		return fmt.Errorf("%s given twice", plat)
	}
	b[plat] = path
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	spec := Spec{Binaries: binaries{}}
	fs.Var(binaries(spec.Binaries), "binary", "os/arch=path of a static binary (repeat per platform)")
	fs.StringVar(&spec.Version, "version", "", "version label and tag (required)")
	fs.StringVar(&spec.Revision, "revision", "", "source revision label (required)")
	fs.StringVar(&spec.Source, "source", "https://github.com/kguard/kguard", "source repository label")
	created := fs.String("created", "", "RFC 3339 time of every file and of the config (required; the commit's time keeps builds reproducible)")
	layoutDir := fs.String("oci-layout", "", "write an OCI image layout to this new directory")
	archive := fs.String("tarball", "", "write the OCI layout as a tar archive to this file")
	push := fs.String("push", "", "push to this repository (tagged with the version), with the credentials of the Docker config")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if spec.Version == "" || spec.Revision == "" || *created == "" {
		return fmt.Errorf("--version, --revision and --created are required")
	}
	t, err := time.Parse(time.RFC3339, *created)
	if err != nil {
		return fmt.Errorf("--created: %w", err)
	}
	spec.Created = t.UTC()
	if *layoutDir == "" && *archive == "" && *push == "" {
		return fmt.Errorf("give at least one of --oci-layout, --tarball, --push")
	}
	// The tag: an image reference's tag cannot hold "+" (semver build
	// metadata), which Docker writes as "_".
	tag := strings.ReplaceAll(strings.TrimPrefix(spec.Version, "v"), "+", "_")
	var dest name.Tag
	if *push != "" {
		if dest, err = name.NewTag(*push+":"+tag, name.StrictValidation); err != nil {
			return fmt.Errorf("--push %s: %w", *push, err)
		}
	}

	idx, err := Build(spec)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	if *layoutDir != "" {
		if err := WriteLayout(*layoutDir, idx, tag); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote OCI layout %s\n", *layoutDir)
	}
	if *archive != "" {
		if err := WriteArchive(*archive, idx, tag, spec.Created); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote OCI archive %s\n", *archive)
	}
	if *push != "" {
		if err := remote.WriteIndex(dest, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("push %s: %w", dest, err)
		}
		fmt.Fprintf(os.Stderr, "pushed %s\n%s@%s\n", dest, dest.Context(), digest)
	}
	fmt.Println(digest)
	return nil
}
