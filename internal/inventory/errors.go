package inventory

import "fmt"

// InputError is a problem with one input: a file that cannot be read or
// parsed, or a document that is not a Kubernetes object. Loading goes on
// with the other inputs.
type InputError struct {
	File string
	// Line is 1-based; 0 when the problem is not tied to a line.
	Line int
	Err  error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }
