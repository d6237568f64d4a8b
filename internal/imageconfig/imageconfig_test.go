package imageconfig

import (
	"archive/tar"
	"bytes"
	"io"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one tar entry: a file (mode 0755 when exec), a directory
// (name ending in /) or a symlink (link set).
type entry struct {
	name, link string
	exec       bool
}

func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		case e.name[len(e.name)-1] == '/':
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case e.exec:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func image(t *testing.T, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		t.Fatal(err)
	}
	return img
}

var (
	nonroot = v1.Config{User: "65532:65532", Entrypoint: []string{"/kguard"}}
	app     = entry{name: "kguard", exec: true}
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    v1.Config
		layers [][]entry
		want   []string
	}{
		{"static and nonroot", nonroot, [][]entry{{{name: "etc/"}, {name: "etc/passwd"}, app}}, nil},
		{"user by number only", v1.Config{User: "1000", Entrypoint: []string{"/kguard"}}, [][]entry{{app}}, nil},
		{"no user", v1.Config{Entrypoint: []string{"/kguard"}}, [][]entry{{app}}, []string{RunsAsRoot}},
		{"uid 0", v1.Config{User: "0:0", Entrypoint: []string{"/kguard"}}, [][]entry{{app}}, []string{RunsAsRoot}},
		{"user by name", v1.Config{User: "nonroot", Entrypoint: []string{"/kguard"}}, [][]entry{{app}}, []string{UserNotNumeric}},
		{"entrypoint absent", nonroot, [][]entry{{{name: "etc/passwd"}}}, []string{EntrypointMissing}},
		{"entrypoint not executable", nonroot, [][]entry{{{name: "kguard"}}}, []string{EntrypointMissing}},
		{"no entrypoint at all", v1.Config{User: "1"}, nil, []string{EntrypointMissing}},
		{"entrypoint by name on PATH", v1.Config{User: "1", Cmd: []string{"kguard", "scan"}}, [][]entry{{{name: "usr/bin/kguard", exec: true}}}, nil},
		{"entrypoint through a symlink", v1.Config{User: "1", Entrypoint: []string{"/app"}}, [][]entry{{{name: "app", link: "opt/kguard"}, {name: "opt/kguard", exec: true}}}, nil},
		{"shell", nonroot, [][]entry{{app, {name: "bin/sh", exec: true}}}, []string{HasShell}},
		{"busybox sh link", nonroot, [][]entry{{app, {name: "bin/busybox", exec: true}, {name: "bin/sh", link: "busybox"}}}, []string{HasShell}},
		{"shell removed by a later layer", nonroot, [][]entry{{app, {name: "bin/sh", exec: true}}, {{name: "bin/.wh.sh"}}}, nil},
		{"dpkg database (distroless keeps one)", nonroot, [][]entry{{app, {name: "var/lib/dpkg/status.d/"}}}, []string{HasPackageManager}},
		{"alpine", v1.Config{Entrypoint: []string{"/bin/sh"}}, [][]entry{{{name: "bin/busybox", exec: true}, {name: "bin/sh", link: "/bin/busybox"}, {name: "sbin/apk", exec: true}, {name: "lib/apk/db/installed"}}},
			[]string{RunsAsRoot, HasShell, HasPackageManager}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ls []v1.Layer
			for _, es := range c.layers {
				ls = append(ls, layer(t, es...))
			}
			ps, err := Check(image(t, c.cfg, ls...))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Check)
				if p.Message == "" {
					t.Errorf("%s has no message", p.Check)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("problems %v, want %v", ps, c.want)
			}
		})
	}
}
