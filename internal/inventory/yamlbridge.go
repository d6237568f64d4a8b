package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// TEMPORARY: a yaml.v3-based splitter and converter, replaced by the
// measured fast path in internal/yamlconv.

func splitDocuments(data []byte, fn func(doc []byte, line int) error) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(n.Content) == 0 {
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		if v == nil {
			continue
		}
		b, err := json.Marshal(normalize(v))
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if err := fn(b, n.Line); err != nil {
			return err
		}
	}
}

func convertDocument(dst, doc []byte) ([]byte, error) { return append(dst, doc...), nil }

func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
	}
	return v
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func docError(file string, line int, err error) *InputError {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &InputError{File: file, Line: n, Err: errors.New(m[2])}
	}
	return &InputError{File: file, Line: line, Err: err}
}
