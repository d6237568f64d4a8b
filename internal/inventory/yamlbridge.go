package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// MaxDepth bounds how deeply a document may nest. Real manifests, CRD
// schemas included, stay far below it; a hostile document must not make
// the decoder recurse without bound.
const MaxDepth = 512

// splitDocuments calls fn for each non-empty document of a YAML stream,
// with the 1-based line of the document's first content line and the line
// its first byte is on (to place errors, whose lines count from there). Documents
// are split on "---" and "..." marker lines, which YAML reserves at column
// 0, so a broken document never hides the ones after it.
func splitDocuments(data []byte, fn func(doc []byte, line, base int) error) error {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	start, startLine := 0, 1
	flush := func(end int) error {
		doc := data[start:end]
		first, ok := firstContentLine(doc)
		if !ok {
			return nil
		}
		return fn(doc, startLine+first, startLine)
	}
	line := 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		text := bytes.TrimRight(data[pos:next], "\r\n")
		if isMarker(text, "---") || isMarker(text, "...") {
			if err := flush(pos); err != nil {
				return err
			}
			// A document starts at its "---" line (content may follow the
			// marker); after "..." the next document starts on the next line.
			start, startLine = pos, line
			if bytes.HasPrefix(text, []byte("...")) {
				start, startLine = next, line+1
			}
		}
		pos = next
		line++
	}
	return flush(len(data))
}

// isMarker reports whether a line is a document marker: the three
// characters alone, or followed by a space or tab.
func isMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	rest := line[len(marker):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// firstContentLine returns the 0-based line of doc's first line that is
// neither blank nor a comment, and false when there is none.
func firstContentLine(doc []byte) (int, bool) {
	for i := 0; len(doc) > 0; i++ {
		l := doc
		if j := bytes.IndexByte(doc, '\n'); j >= 0 {
			l, doc = doc[:j], doc[j+1:]
		} else {
			doc = nil
		}
		t := bytes.TrimSpace(l)
		if i == 0 && isMarker(t, "---") {
			t = bytes.TrimSpace(t[3:])
		}
		if len(t) > 0 && t[0] != '#' {
			return i, true
		}
	}
	return 0, false
}

// convertDocument turns one YAML document into JSON, appending to dst.
// Errors carry the line relative to the document.
func convertDocument(dst, doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	if err := checkDepth(&n); err != nil {
		return nil, err
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("document is empty or null")
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// checkDepth walks the node tree without recursion.
func checkDepth(root *yaml.Node) error {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > MaxDepth {
			return fmt.Errorf("line %d: nested too deep (more than %d levels)", it.n.Line, MaxDepth)
		}
		for _, c := range it.n.Content {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return nil
}

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

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// docError places a decoding error at its absolute line: docLine is the
// document's first content line, and the error's line counts from the
// document's first byte.
func docError(file string, docLine int, docStartOffset int, err error) *InputError {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &InputError{File: file, Line: docStartOffset + n - 1, Err: errors.New(m[2])}
	}
	return &InputError{File: file, Line: docLine, Err: err}
}
