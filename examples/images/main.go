// Command images builds the example image of kguard's README without any
// network: a small Alpine-style image (an apk database and a Python
// package) assembled with go-containerregistry, written as an OCI layout
// and a docker archive, plus OSV advisories for it. With -serve it also
// pushes the image to an in-process registry on loopback and serves it
// until interrupted, so that `kguard scan --images` can read the image the
// manifests in this directory name.
//
//	go run ./examples/images -out /tmp/kguard-example
//	go run ./examples/images -out /tmp/kguard-example -serve 127.0.0.1:5000
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const osRelease = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
`

const apkInstalled = `P:musl
V:1.2.5-r0
A:x86_64
T:the musl c library (libc) implementation
L:MIT
o:musl

P:libcrypto3
V:3.3.1-r0
A:x86_64
T:Crypto library from openssl
L:Apache-2.0
o:openssl

P:busybox
V:1.36.1-r29
A:x86_64
T:Size optimized toolbox of many common UNIX utilities
L:GPL-2.0-only
o:busybox

`

// advisories are invented for the example (KGUARD-EXAMPLE-*): they name
// real package names so that matching works, not real vulnerabilities.
var advisories = []map[string]any{
	{
		"id": "KGUARD-EXAMPLE-0001", "modified": "2026-11-01T00:00:00Z", "summary": "Example: out-of-bounds read in libcrypto (not a real advisory)",
		"severity": []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H"}},
		"affected": []map[string]any{{"package": map[string]string{"ecosystem": "Alpine:v3.20", "name": "openssl"},
			"ranges": []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{{"introduced": "0"}, {"fixed": "3.3.2-r0"}}}}}},
	},
	{
		"id": "KGUARD-EXAMPLE-0002", "modified": "2026-11-01T00:00:00Z", "summary": "Example: header injection in requests (not a real advisory)",
		"severity": []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"}},
		"affected": []map[string]any{{"package": map[string]string{"ecosystem": "PyPI", "name": "requests"},
			"ranges": []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{{"introduced": "0"}, {"fixed": "2.32.0"}}}}}},
	},
	{
		"id": "KGUARD-EXAMPLE-0003", "modified": "2026-11-01T00:00:00Z", "summary": "Example: fixed in the image's release already (not reported)",
		"affected": []map[string]any{{"package": map[string]string{"ecosystem": "Alpine:v3.20", "name": "musl"},
			"ranges": []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{{"introduced": "0"}, {"fixed": "1.2.4-r0"}}}}}},
	},
}

func main() {
	out := flag.String("out", "kguard-example", "directory to write the image and advisories into")
	serve := flag.String("serve", "", "also serve the image from a registry on this loopback address (e.g. 127.0.0.1:5000)")
	flag.Parse()
	if err := run(*out, *serve); err != nil {
		log.Fatal(err)
	}
}

func layer(files map[string]string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range []string{"etc/os-release", "lib/apk/db/installed", "usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA"} {
		c, ok := files[p]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(c)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		tw.Write([]byte(c))
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

func build() (v1.Image, error) {
	base, err := layer(map[string]string{"etc/os-release": osRelease, "lib/apk/db/installed": apkInstalled})
	if err != nil {
		return nil, err
	}
	app, err := layer(map[string]string{"usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, base, app)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	return mutate.ConfigFile(img, cf)
}

func run(out, serve string) error {
	img, err := build()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "advisories"), 0o755); err != nil {
		return err
	}
	lp, err := layout.Write(filepath.Join(out, "layout"), empty.Index)
	if err != nil {
		return err
	}
	if err := lp.AppendImage(img); err != nil {
		return err
	}
	tag, _ := name.NewTag("example.invalid/shop/web:1.0")
	if err := tarball.WriteToFile(filepath.Join(out, "web.tar"), tag, img); err != nil {
		return err
	}
	for _, a := range advisories {
		data, _ := json.MarshalIndent(a, "", "  ")
		if err := os.WriteFile(filepath.Join(out, "advisories", a["id"].(string)+".json"), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s/layout (OCI layout), %s/web.tar (docker archive), %s/advisories\n", out, out, out)
	if serve == "" {
		return nil
	}
	ln, err := net.Listen("tcp", serve)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	ref, _ := name.ParseReference(ln.Addr().String() + "/shop/web:1.0")
	if err := remote.Write(ref, img); err != nil {
		return err
	}
	fmt.Printf("serving %s until interrupted\n", ref)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	return srv.Close()
}
