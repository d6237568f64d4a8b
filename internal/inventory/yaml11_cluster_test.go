package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunShared(m)) }

// TestYAML11AgainstAPIServer sends each document of the YAML 1.1 corpus,
// as the JSON kubectl makes of it (apimachinery's YAMLOrJSONDecoder, the
// reader kubectl's resource builder uses), to a real kube-apiserver as a
// server-side dry run with strict field validation, as kubectl create
// does. The server must refuse exactly the documents kguard refuses, and
// store the security-relevant fields with the values kguard decoded.
func TestYAML11AgainstAPIServer(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	if err := c.EnsureServiceAccount(ctx, "shop", "default"); err != nil {
		t.Fatal(err)
	}
	rc := c.Admin().CoreV1().RESTClient()
	files, _ := filepath.Glob("testdata/yaml11/*.yaml")
	var compared, refused int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ours, ourErrs := inventory.DecodeFile(f, data)
		var stored []runtime.Object
		serverRefused := 0
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var ext runtime.RawExtension
			if err := d.Decode(&ext); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: kubectl's reader: %v", f, err)
			}
			if len(bytes.TrimSpace(ext.Raw)) == 0 {
				continue
			}
			var tm struct{ Kind string }
			if err := json.Unmarshal(ext.Raw, &tm); err != nil {
				t.Fatal(err)
			}
			resource := map[string]string{"Pod": "pods", "ConfigMap": "configmaps"}[tm.Kind]
			if resource == "" {
				t.Fatalf("%s: no resource for kind %q", f, tm.Kind)
			}
			obj, err := rc.Post().Namespace("shop").Resource(resource).
				Param("dryRun", "All").Param("fieldValidation", "Strict").
				SetHeader("Content-Type", "application/json").Body(ext.Raw).
				Do(ctx).Get()
			if err != nil {
				t.Logf("%s: the API server refuses a document: %v", f, err)
				serverRefused++
				continue
			}
			stored = append(stored, obj)
		}
		if len(ours) != len(stored) || len(ourErrs) != serverRefused {
			t.Errorf("%s: kguard decodes %d objects with %d errors (%v); the API server stores %d and refuses %d", f, len(ours), len(ourErrs), ourErrs, len(stored), serverRefused)
			continue
		}
		refused += serverRefused
		for i := range ours {
			compared++
			got, want := facts(t, ours[i].Typed), facts(t, stored[i])
			if got != want {
				t.Errorf("%s: object %d:\nkguard:     %s\nAPI server: %s", f, i, got, want)
			}
		}
	}
	if compared < 25 || refused < 3 {
		t.Errorf("compared %d objects and %d refusals: the corpus is smaller than expected", compared, refused)
	}
}

// facts renders the fields the corpus spells in YAML 1.1 forms, which the
// API server does not default when they are set.
func facts(t *testing.T, obj runtime.Object) string {
	t.Helper()
	var v any
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		v = map[string]any{"name": o.Name, "data": o.Data}
	case *corev1.Pod:
		type container struct {
			Privileged, AllowPrivilegeEscalation, ReadOnlyRootFilesystem *bool
			RunAsUser                                                    *int64
			Ports                                                        [][2]int32
		}
		type volume struct {
			DefaultMode *int32
			ItemModes   []*int32
		}
		p := struct {
			Name                          string
			HostNetwork, HostPID, HostIPC bool
			AutomountServiceAccountToken  *bool
			RunAsNonRoot                  *bool
			Containers                    []container
			Volumes                       []volume
		}{Name: o.Name, HostNetwork: o.Spec.HostNetwork, HostPID: o.Spec.HostPID, HostIPC: o.Spec.HostIPC,
			AutomountServiceAccountToken: o.Spec.AutomountServiceAccountToken}
		if sc := o.Spec.SecurityContext; sc != nil {
			p.RunAsNonRoot = sc.RunAsNonRoot
		}
		for _, c := range o.Spec.Containers {
			var x container
			if sc := c.SecurityContext; sc != nil {
				x.Privileged, x.AllowPrivilegeEscalation, x.ReadOnlyRootFilesystem, x.RunAsUser =
					sc.Privileged, sc.AllowPrivilegeEscalation, sc.ReadOnlyRootFilesystem, sc.RunAsUser
			}
			for _, port := range c.Ports {
				x.Ports = append(x.Ports, [2]int32{port.ContainerPort, port.HostPort})
			}
			p.Containers = append(p.Containers, x)
		}
		for _, vol := range o.Spec.Volumes {
			switch {
			case vol.Secret != nil:
				x := volume{DefaultMode: vol.Secret.DefaultMode}
				for _, it := range vol.Secret.Items {
					x.ItemModes = append(x.ItemModes, it.Mode)
				}
				p.Volumes = append(p.Volumes, x)
			case vol.ConfigMap != nil:
				p.Volumes = append(p.Volumes, volume{DefaultMode: vol.ConfigMap.DefaultMode})
			}
		}
		v = p
	default:
		t.Fatalf("unexpected %T", obj)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
