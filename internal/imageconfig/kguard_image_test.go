package imageconfig

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kguard/kguard/internal/testutil/ownimage"
)

// TestKguardImage reads kguard's own image as hack/image.sh built it (CI
// builds it first) and holds it to what the chart and manifests assume:
// both platforms in one index, OCI labels, a numeric nonroot user, no
// shell and no package manager (this package's checks find nothing), and
// an entrypoint that runs: the binary of this machine's platform is
// extracted and `kguard version` must print the labelled version and
// revision.
func TestKguardImage(t *testing.T) {
	idx := ownimage.Index(t)
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var plats []string
	for _, d := range m.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		plats = append(plats, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	slices.Sort(plats)
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("platforms %v, want linux/amd64 and linux/arm64", plats)
	}
	for _, d := range m.Manifests {
		plat := d.Platform.OS + "/" + d.Platform.Architecture
		t.Run(plat, func(t *testing.T) {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS+"/"+cf.Architecture != plat {
				t.Errorf("config says %s/%s", cf.OS, cf.Architecture)
			}
			labels := cf.Config.Labels
			for _, k := range []string{"source", "revision", "version"} {
				if labels["org.opencontainers.image."+k] == "" {
					t.Errorf("no org.opencontainers.image.%s label", k)
				}
			}
			if cf.Config.User != "65532:65532" {
				t.Errorf("user %q, want 65532:65532 (the manifests' runAsUser)", cf.Config.User)
			}
			ps, err := Check(img)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				t.Errorf("kguard's image: %s", p)
			}
			bin, shell := extract(t, img, cf.Config.Entrypoint[0])
			if shell {
				t.Error("/bin/sh is in the image")
			}
			if plat != runtime.GOOS+"/"+runtime.GOARCH {
				return
			}
			args := append(slices.Clone(cf.Config.Entrypoint[1:]), "version")
			out, err := exec.Command(bin, args...).Output()
			if err != nil {
				t.Fatalf("%s version: %v", cf.Config.Entrypoint[0], err)
			}
			want := []string{"kguard " + labels["org.opencontainers.image.version"], "commit: " + labels["org.opencontainers.image.revision"]}
			lines := strings.Split(string(out), "\n")
			if len(lines) < 2 || lines[0] != want[0] || lines[1] != want[1] {
				t.Errorf("kguard version printed %q, want lines %q", out, want)
			}
		})
	}
}

// extract writes the entrypoint's file to a temporary file and says
// whether /bin/sh exists, from the flattened filesystem.
func extract(t *testing.T, img v1.Image, entrypoint string) (bin string, shell bool) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch path.Clean("/" + h.Name) {
		case "/bin/sh":
			shell = true
		case entrypoint:
			bin = filepath.Join(t.TempDir(), "kguard")
			f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if bin == "" {
		t.Fatalf("entrypoint %s is not in the image", entrypoint)
	}
	return bin, shell
}
