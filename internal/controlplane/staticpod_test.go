package controlplane

import (
	"encoding/json"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// TestStaticPod checks StaticPod on pods that are and are not static
// control-plane pods, and that StaticPodCEL (run by cel-go on the
// objects' JSON, as the API server would) agrees on every one of them.
// A broken CEL form (one test left out) must disagree: the negative
// control.
func TestStaticPod(t *testing.T) {
	inv := load(t, "testdata/static-pods.yaml")
	want := map[string]string{
		"kube-controller-manager-cp-1": ComponentControllerManager,
		"etcd-cp-1":                    ComponentEtcd,
		"apiserver-rke":                ComponentAPIServer,
		"sched":                        ComponentScheduler,
	}
	env, err := cel.NewEnv(cel.Variable("object", cel.DynType), ext.Strings(ext.StringsVersion(2)))
	if err != nil {
		t.Fatal(err)
	}
	compile := func(expr string) cel.Program {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("compile: %v", iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		return prg
	}
	good := compile(StaticPodCEL)
	// The negative control: a form that trusts the component label alone.
	broken := compile("object.kind == 'Pod' && has(object.metadata.namespace) && " +
		"object.metadata.namespace == 'kube-system' && has(object.metadata.labels) && 'component' in object.metadata.labels")
	eval := func(prg cel.Program, obj map[string]any) bool {
		out, _, err := prg.Eval(map[string]any{"object": obj})
		if err != nil {
			t.Fatalf("eval: %v", err)
		}
		return out.Value().(bool)
	}
	objs := inv.Objects()
	if len(objs) != 10 {
		t.Fatalf("%d objects, want 10", len(objs))
	}
	disagree := 0
	for _, o := range objs {
		name, ok := StaticPod(o)
		if name != want[o.Name] || ok != (want[o.Name] != "") {
			t.Errorf("StaticPod(%s) = %q, %v; want %q", o.Name, name, ok, want[o.Name])
		}
		data, err := json.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		if got := eval(good, obj); got != ok {
			t.Errorf("%s: CEL says %v, StaticPod %v", o.Name, got, ok)
		}
		if eval(broken, obj) != ok {
			disagree++
		}
	}
	if disagree == 0 {
		t.Error("the broken CEL form agrees on every pod: the fixtures cannot tell the two tests apart")
	}
}
