package rbaccmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/testutil/cluster"
)

// TestBuiltinMatchesLiveCluster: for a file with no RBAC objects, kguard's
// built-in policy gives the same who-can answers, subject by subject and
// binding by binding, as the live objects of a fresh real cluster (API
// server and controller manager of the release the data is for). With
// --cluster nothing is marked built-in: the cluster's objects are read as
// they are and no policy is added to them.
func TestBuiltinMatchesLiveCluster(t *testing.T) {
	c := cluster.Start(t, cluster.Options{ControllerManager: true})
	kubeconfig := c.WriteKubeconfig(t, c.AdminConfig())
	file := filepath.Join(t.TempDir(), "ns.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	answer := func(args ...string) (subjects []string, builtin int) {
		t.Helper()
		out, errOut, code := run(t, append(append([]string{"who-can"}, args...), "-o", "json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var doc struct {
			Subjects []struct {
				Kind, Name, Namespace string
				Binding, Role         refJSON
			} `json:"subjects"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Subjects {
			if s.Binding.Builtin {
				builtin++
			}
			subjects = append(subjects, strings.Join([]string{s.Kind, s.Namespace, s.Name, "via", s.Binding.Kind,
				s.Binding.Namespace, s.Binding.Name, "to", s.Role.Kind, s.Role.Name}, " "))
		}
		slices.Sort(subjects)
		return subjects, builtin
	}
	for _, req := range [][]string{
		{"get", "secrets", "-n", "kube-system"},
		{"list", "pods"},
		{"create", "serviceaccounts/token", "-n", "shop"},
		{"get", "configmaps", "-n", "kube-system", "--name", "extension-apiserver-authentication"},
		{"get", "/healthz"},
		{"get", "/apis/apps"},
		{"escalate", "clusterroles.rbac.authorization.k8s.io"},
	} {
		files, builtin := answer(append(req, "-f", file)...)
		live, liveBuiltin := answer(append(req, "--cluster", "--kubeconfig", kubeconfig)...)
		if !slices.Equal(files, live) {
			t.Errorf("who-can %v: files with the built-in policy:\n  %s\nlive cluster:\n  %s",
				req, strings.Join(files, "\n  "), strings.Join(live, "\n  "))
		}
		t.Logf("who-can %v: %d subjects", req, len(files))
		if len(files) == 0 || builtin != len(files) || liveBuiltin != 0 {
			t.Errorf("who-can %v: %d subjects, %d marked built-in from files, %d from the live cluster", req, len(files), builtin, liveBuiltin)
		}
	}
}
