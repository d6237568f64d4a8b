package vap

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// Evaluator runs a policy's validations with cel-go the way the API server
// binds them: `object` is the object as JSON-shaped data and `variables`
// holds the policy's variables, each computed from `object` in order.
// kguard uses it to prove that every exported policy gives the same verdict
// as the Go rule; the real API server is the final check (see the
// integration tests).
type Evaluator struct {
	vars        []cel.Program
	varNames    []string
	validations []cel.Program
}

// env is standard CEL plus the Kubernetes string library.
func env() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("object", cel.DynType),
		cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(ext.StringsVersion(2)),
	)
}

// NewEvaluator compiles a policy's variables and validations.
func NewEvaluator(p *admissionregistrationv1.ValidatingAdmissionPolicy) (*Evaluator, error) {
	e, err := env()
	if err != nil {
		return nil, err
	}
	compile := func(expr string) (cel.Program, error) {
		ast, iss := e.Compile(expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("compile %q: %w", expr, iss.Err())
		}
		return e.Program(ast)
	}
	ev := &Evaluator{}
	for _, v := range p.Spec.Variables {
		prg, err := compile(v.Expression)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		ev.vars = append(ev.vars, prg)
		ev.varNames = append(ev.varNames, v.Name)
	}
	for _, v := range p.Spec.Validations {
		prg, err := compile(v.Expression)
		if err != nil {
			return nil, err
		}
		ev.validations = append(ev.validations, prg)
	}
	return ev, nil
}

// Allowed evaluates the validations on object (JSON-shaped map data).
func (ev *Evaluator) Allowed(object map[string]any) (bool, error) {
	vars := map[string]any{}
	act := map[string]any{"object": object, "variables": vars}
	for i, prg := range ev.vars {
		out, _, err := prg.Eval(act)
		if err != nil {
			return false, fmt.Errorf("variable %s: %w", ev.varNames[i], err)
		}
		vars[ev.varNames[i]] = out
	}
	for _, prg := range ev.validations {
		out, _, err := prg.Eval(act)
		if err != nil {
			return false, err
		}
		ok, isBool := out.Value().(bool)
		if !isBool {
			return false, fmt.Errorf("validation returned %T, not bool", out.Value())
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
