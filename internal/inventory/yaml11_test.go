package inventory_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

// loadYAML11 decodes the YAML 1.1 corpus (testdata/yaml11), which
// TestYAMLParity also reads document by document.
func loadYAML11(t *testing.T) (map[string]*inventory.Object, map[string][]*inventory.InputError) {
	t.Helper()
	files, err := filepath.Glob("testdata/yaml11/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	objs := map[string]*inventory.Object{}
	errs := map[string][]*inventory.InputError{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, es := inventory.DecodeFile(f, data)
		for _, o := range got {
			objs[o.Name] = o
		}
		errs[filepath.Base(f)] = es
	}
	return objs, errs
}

// TestYAML11Findings: scanned, the YAML 1.1 corpus gives the findings
// kubectl's reading implies. Every expectation was worked out by hand
// from YAML 1.1's boolean and integer forms (see each fixture's comment),
// not from kguard's output.
func TestYAML11Findings(t *testing.T) {
	objs, _ := loadYAML11(t)
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var list []*inventory.Object
	for _, o := range objs {
		list = append(list, o)
	}
	res, err := scan.Run(context.Background(), inventory.New(list), scan.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	fired := map[[2]string]bool{}
	for _, f := range res.Findings {
		fired[[2]string{f.Resource.Name, f.Rule}] = true
	}
	const (
		privileged  = "pss-baseline-privileged"
		escalation  = "pss-restricted-allow-privilege-escalation"
		hostNS      = "pss-baseline-host-namespaces"
		rootfs      = "container-readonly-rootfs-missing"
		automount   = "service-account-token-automount"
		nonRoot     = "pss-restricted-run-as-non-root"
		runAsUser   = "pss-restricted-run-as-user"
		hostPorts   = "pss-baseline-host-ports"
		fire, quiet = true, false
	)
	tests := []struct {
		pod, rule string
		fires     bool
	}{
		{"privileged-yes", privileged, fire},
		{"privileged-on", privileged, fire},
		{"privileged-y", privileged, fire},
		{"privileged-true", privileged, fire},
		{"privileged-no", privileged, quiet},
		{"privileged-off", privileged, quiet},
		{"privileged-n", privileged, quiet},
		{"flow-escalation-y", escalation, fire},
		{"flow-escalation-y", rootfs, quiet},
		{"flow-escalation-y", privileged, quiet},
		{"escalation-on", escalation, fire},
		{"escalation-yes", escalation, fire},
		{"escalation-off", escalation, quiet},
		{"host-network-y", hostNS, fire},
		{"host-pid-yes", hostNS, fire},
		{"host-ipc-on", hostNS, fire},
		{"host-namespaces-off", hostNS, quiet},
		{"readonly-rootfs-n", rootfs, fire},
		{"readonly-rootfs-on", rootfs, quiet},
		{"automount-yes", automount, fire},
		{"automount-off", automount, quiet},
		{"run-as-non-root-no", nonRoot, fire},
		{"run-as-user-octal-zero", runAsUser, fire},
		{"run-as-user-hex", runAsUser, quiet},
		{"run-as-user-underscore", runAsUser, quiet},
		{"ports-hex", hostPorts, fire},
		{"merged", privileged, fire},
		{"merged", escalation, fire},
		{"duplicate", privileged, fire},
	}
	for _, tt := range tests {
		if _, ok := objs[tt.pod]; !ok {
			t.Errorf("pod %s was not decoded", tt.pod)
			continue
		}
		if got := fired[[2]string{tt.pod, tt.rule}]; got != tt.fires {
			t.Errorf("%s: %s fired = %v, want %v", tt.pod, tt.rule, got, tt.fires)
		}
	}
}

// TestYAML11Values checks decoded values of the corpus against what YAML
// 1.1 defines (octal 0755 = 493, hex 0x1F90 = 8080, ...), computed by hand.
func TestYAML11Values(t *testing.T) {
	objs, errs := loadYAML11(t)
	pod := func(name string) *corev1.Pod {
		o, ok := objs[name]
		if !ok {
			t.Fatalf("%s not decoded", name)
		}
		return o.Typed.(*corev1.Pod)
	}
	m := pod("modes")
	if got := *m.Spec.Volumes[0].Secret.DefaultMode; got != 493 {
		t.Errorf("secret defaultMode = %d, want 493 (0755 octal)", got)
	}
	if got := *m.Spec.Volumes[0].Secret.Items[0].Mode; got != 256 {
		t.Errorf("item mode = %d, want 256 (0o400)", got)
	}
	if got := *m.Spec.Volumes[1].ConfigMap.DefaultMode; got != 420 {
		t.Errorf("configMap defaultMode = %d, want 420 (0644 octal)", got)
	}
	ports := pod("ports-hex").Spec.Containers[0].Ports
	if len(ports) != 2 || ports[0].ContainerPort != 80 || ports[1].ContainerPort != 8443 || ports[1].HostPort != 8080 {
		t.Errorf("ports = %+v, want 80, and 8443 with host port 8080", ports)
	}
	users := map[string]int64{"run-as-user-octal-zero": 0, "run-as-user-hex": 1000, "run-as-user-underscore": 10000}
	for name, want := range users {
		sc := pod(name).Spec.Containers[0].SecurityContext
		if sc.RunAsUser == nil || *sc.RunAsUser != want {
			t.Errorf("%s: runAsUser = %v, want %d", name, sc.RunAsUser, want)
		}
	}
	if nr := pod("run-as-non-root-no").Spec.SecurityContext.RunAsNonRoot; nr == nil || *nr {
		t.Errorf("runAsNonRoot: NO read as %v, want false", nr)
	}
	merged := pod("merged").Spec.Containers[1]
	if sc := merged.SecurityContext; sc.Privileged == nil || !*sc.Privileged || sc.AllowPrivilegeEscalation == nil || !*sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || len(sc.Capabilities.Drop) != 1 {
		t.Errorf("merged sidecar security context = %+v, want the anchor's fields with privileged and escalation overridden to true", sc)
	}
	if merged.Resources.Limits.Memory().String() != "256Mi" {
		t.Errorf("aliased resources = %v", merged.Resources.Limits)
	}
	cm := func(name string) map[string]string {
		o, ok := objs[name]
		if !ok {
			t.Fatalf("%s not decoded", name)
		}
		return o.Typed.(*corev1.ConfigMap).Data
	}
	if got, want := cm("strings-only"), map[string]string{"duration": "1:30", "date": "2001-12-14", "answer": "yes"}; !reflect.DeepEqual(got, want) {
		t.Errorf("strings-only data = %v, want %v", got, want)
	}
	if got, want := cm("odd-keys"), map[string]string{"true": "a", "493": "b", "1.5": "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("odd-keys data = %v, want %v", got, want)
	}

	// Documents kubectl refuses: a string where a bool or a string map
	// value belongs. Lines counted by hand: the first content line of the
	// document.
	refused := []struct {
		file, field string
		line        int
	}{
		{"privileged-quoted.yaml", "privileged", 2},
		{"privileged-mixed-case.yaml", "privileged", 2},
		{"configmap-data.yaml", "data", 15},
	}
	for _, r := range refused {
		es := errs[r.file]
		if len(es) != 1 || es[0].Line != r.line || !strings.Contains(es[0].Error(), r.field) {
			t.Errorf("%s: errors %v, want one at line %d about %s", r.file, es, r.line, r.field)
		}
	}
	for file, es := range errs {
		if len(es) > 0 && file != "privileged-quoted.yaml" && file != "privileged-mixed-case.yaml" && file != "configmap-data.yaml" {
			t.Errorf("%s: unexpected errors %v", file, es)
		}
	}
}

// TestYAML11AgreesWithAPIMachinery decodes each corpus document the way
// kubectl and the API server do, end to end: apimachinery's
// YAMLOrJSONDecoder (kubectl's reader), then the typed decoding of the
// client-go scheme's deserializer, strict and not. kguard must refuse the
// same documents and decode the others to equal objects.
func TestYAML11AgreesWithAPIMachinery(t *testing.T) {
	files, _ := filepath.Glob("testdata/yaml11/*.yaml")
	lax := scheme.Codecs.UniversalDeserializer()
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, kjson.SerializerOptions{Strict: true})
	var compared, refused int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ours, ourErrs := inventory.DecodeFile(f, data)
		var theirs []runtime.Object
		theirErrs := 0
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
			obj, _, err := lax.Decode(ext.Raw, nil, nil)
			_, _, serr := strict.Decode(ext.Raw, nil, nil)
			if (err == nil) != (serr == nil) {
				t.Errorf("%s: strict and lax decoding disagree: %v / %v", f, err, serr)
			}
			if err != nil {
				theirErrs++
				continue
			}
			theirs = append(theirs, obj)
		}
		if len(ours) != len(theirs) || len(ourErrs) != theirErrs {
			t.Errorf("%s: kguard decodes %d objects with %d errors, apimachinery %d with %d", f, len(ours), len(ourErrs), len(theirs), theirErrs)
			continue
		}
		refused += theirErrs
		for i := range ours {
			compared++
			if !apiequality.Semantic.DeepEqual(ours[i].Typed, theirs[i]) {
				t.Errorf("%s: object %d differs:\nkguard:       %+v\napimachinery: %+v", f, i, ours[i].Typed, theirs[i])
			}
		}
	}
	if compared < 25 || refused < 3 {
		t.Errorf("compared %d objects and %d refusals: the corpus is smaller than expected", compared, refused)
	}
}
