package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v2"
)

// MaxDepth bounds how deeply a document may nest. Real manifests, CRD
// schemas included, stay far below it; a hostile document must not make
// the decoder recurse without bound. It is kguard's own bound: kubectl
// stops only at yaml.v2's 10,000 levels.
const MaxDepth = 512

// errTooDeep is the depth bound's error; tests tell it from a parity
// failure.
var errTooDeep = fmt.Errorf("nested too deep (more than %d levels)", MaxDepth)

// errSeparator is a line starting with "---" followed by something other
// than a comment, which kubectl's reader refuses.
var errSeparator = errors.New("invalid document separator: only a comment may follow ---")

// splitDocuments calls fn for each document of a YAML stream, cut as
// kubectl cuts it (k8s.io/apimachinery/pkg/util/yaml.YAMLReader): a line
// that starts with "---" ends the document before it, and is itself part
// of the next one only when that one would otherwise be empty (so a
// leading "---" stays with its document). fn gets the 1-based line of the
// document's first content line and of its first byte (YAML error lines
// count from there). Documents with no content (blank lines, comments)
// are skipped: they decode to null, which kubectl skips too, unless they
// hold a character YAML does not allow (even in a comment), which is an
// error for kubectl.
//
// A "---" line followed by anything but a comment is an error for kubectl,
// which then stops reading the file; kguard reports it to bad and goes on
// cutting there, so a typo never hides the documents after it from a scan.
func splitDocuments(data []byte, fn func(doc []byte, line, base int), bad func(line int, err error)) {
	bom := bytes.HasPrefix(data, []byte("\ufeff"))
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	start, startLine := 0, 1
	flush := func(end int) {
		doc := data[start:end]
		first, ok := firstContentLine(doc)
		if !ok {
			if first, ok = badChar(doc); !ok {
				return
			}
		}
		fn(doc, startLine+first, startLine)
	}
	line := 1
	for pos := 0; pos < len(data); line++ {
		next := len(data)
		if end := bytes.IndexByte(data[pos:], '\n'); end >= 0 {
			next = pos + end + 1
		}
		// With a byte order mark, kubectl's reader sees the first line
		// start with the mark, not with "---".
		if bytes.HasPrefix(data[pos:next], []byte("---")) && !(bom && pos == 0) {
			rest := bytes.TrimSpace(data[pos+3 : next])
			switch {
			case len(rest) > 0 && rest[0] != '#':
				bad(line, errSeparator)
			case pos == start:
				// An empty document so far: the marker opens this one.
				pos = next
				continue
			}
			flush(pos)
			start, startLine = next, line+1
		}
		pos = next
	}
	flush(len(data))
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
// neither blank nor a comment (nor a leading "---" marker), and false when
// there is none. Only spaces count as blank: a tab where a line's
// indentation would be is an error for yaml.v2, so such a line is content,
// left for the decoder to judge, as is a comment line that holds another
// kind of line break.
func firstContentLine(doc []byte) (int, bool) {
	for i := 0; len(doc) > 0; i++ {
		l := doc
		if j := bytes.IndexByte(doc, '\n'); j >= 0 {
			l, doc = doc[:j], doc[j+1:]
		} else {
			doc = nil
		}
		t := bytes.TrimRight(bytes.TrimLeft(l, " "), "\r")
		if i == 0 && isMarker(l, "---") {
			t = bytes.TrimSpace(l[3:])
		}
		if len(t) > 0 && (t[0] != '#' || hasOtherBreak(t)) {
			return i, true
		}
	}
	return 0, false
}

// hasOtherBreak reports a line break other than "\n" inside a line: a lone
// "\r", or NEL, LS or PS, which YAML 1.1 also reads as line breaks (so a
// comment may end there, and content follow).
func hasOtherBreak(l []byte) bool {
	return bytes.IndexByte(l, '\r') >= 0 || bytes.Contains(l, []byte("\u0085")) ||
		bytes.Contains(l, []byte("\u2028")) || bytes.Contains(l, []byte("\u2029"))
}

// convertDocument turns one YAML document into JSON, appending to dst, the
// way kubectl and Helm do (sigs.k8s.io/yaml.YAMLToJSON): go.yaml.in/yaml/v2
// reads it with YAML 1.1's rules into generic values, non-string keys
// become strings, and encoding/json writes the result (keys sorted). A
// document that is null (as "~" or only a "..." marker) gives "null".
//
// It calls yaml.v2 and mirrors YAMLToJSON's conversion rather than calling
// YAMLToJSON, for two reasons: YAMLToJSON picks at random between two keys
// that read as the same string (1 and "1"), where kguard reports an error
// instead of giving a different answer from run to run; and MaxDepth is
// checked on the way. The parity tests hold it to YAMLToJSON itself.
// yaml.v2 bounds alias expansion (it fails on "excessive aliasing") and
// nesting (10,000 levels) by itself.
func convertDocument(dst, doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	j, err := jsonable(v, 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// jsonable converts what yaml.v2 decoded into values encoding/json can
// write, as sigs.k8s.io/yaml does.
func jsonable(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, errTooDeep
	}
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			ks, err := keyString(k)
			if err != nil {
				return nil, err
			}
			if _, dup := m[ks]; dup {
				// Only keys of different YAML types can meet here (1 and
				// "1"): yaml.v2 already kept the last of equal ones.
				return nil, collision(t, k, ks)
			}
			c, err := jsonable(x, depth+1)
			if err != nil {
				return nil, err
			}
			m[ks] = c
		}
		return m, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			c, err := jsonable(x, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("the value %v (.inf or .nan) has no JSON form, so kubectl cannot send it either", t)
		}
	}
	return v, nil
}

// keyCollisionError: two keys of one mapping, of different YAML types,
// become the same JSON key. sigs.k8s.io/yaml keeps whichever its walk
// over a Go map meets last, so kubectl's reading changes from run to run;
// kguard reports it instead.
type keyCollisionError struct {
	a, b any
	key  string
}

func (e *keyCollisionError) Error() string {
	return fmt.Sprintf("mapping keys %s and %s both become the JSON key %q, and kubectl keeps one of them at random", describeKey(e.a), describeKey(e.b), e.key)
}

// collision names the two keys of m that both become ks, in a stable
// order.
func collision(m map[any]any, k any, ks string) error {
	var same []any
	for k2 := range m {
		if s, err := keyString(k2); err == nil && s == ks {
			same = append(same, k2)
		}
	}
	sort.Slice(same, func(i, j int) bool { return describeKey(same[i]) < describeKey(same[j]) })
	if len(same) < 2 {
		same = append(same, k, k) // cannot happen; keep the error well-formed
	}
	return &keyCollisionError{a: same[0], b: same[1], key: ks}
}

// keyString is the JSON key sigs.k8s.io/yaml makes of a YAML key.
func keyString(k any) (string, error) {
	switch t := k.(type) {
	case string:
		return t, nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case float64:
		// As sigs.k8s.io/yaml does it, at float32 precision.
		s := strconv.FormatFloat(t, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", fmt.Errorf("mapping key %s cannot be a JSON key (kubectl refuses it too)", describeKey(k))
}

func describeKey(k any) string {
	switch t := k.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	}
	return fmt.Sprintf("%v (%T)", k, k)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the problems yaml.v2's parser (as opposed to its
// scanner) reports. yaml.v2 prints the 0-based line of a parser problem
// and the 1-based line of a scanner problem, so these need one more.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// readerProblems are yaml.v2's reader errors, which carry no line; kguard
// finds the offending character itself.
var readerProblems = []string{
	"control characters are not allowed",
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
}

// decodeProblems are errors found after parsing, while building values;
// they have no line of their own and are placed at the document.
var decodeProblems = []string{
	"unknown anchor",
	"document contains excessive aliasing",
	"value contains itself",
	"invalid map key",
	"map merge requires",
	"cannot decode",
	"!!binary value contains invalid base64 data",
	"unmarshal errors",
}

// docError places a decoding error at its 1-based line in the file. base
// is the file line of the document's first byte, docLine its first
// content line (for problems that belong to the whole document), doc the
// document's text.
func docError(file string, docLine, base int, doc []byte, err error) *InputError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line := base + n - 1
		if hasAny(m[2], parserProblems) {
			line++
		}
		return &InputError{File: file, Line: line, Err: errors.New(m[2])}
	}
	if !strings.HasPrefix(msg, "yaml: ") {
		return &InputError{File: file, Line: docLine, Err: err}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	switch {
	case hasAny(msg, readerProblems):
		line, _ := badChar(doc)
		return &InputError{File: file, Line: base + line, Err: errors.New(msg)}
	case hasAny(msg, decodeProblems):
		return &InputError{File: file, Line: docLine, Err: errors.New(msg)}
	}
	// A scanner or parser problem on the document's first line: yaml.v2
	// names no line when it is 0.
	return &InputError{File: file, Line: base, Err: errors.New(msg)}
}

func hasAny(s string, list []string) bool {
	for _, p := range list {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// badChar returns the 0-based line of doc's first character that YAML
// does not allow in a stream (or of its first invalid UTF-8), and false
// when there is none.
func badChar(doc []byte) (int, bool) {
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if !allowedRune(r, n) {
			return bytes.Count(doc[:i], []byte{'\n'}), true
		}
		i += n
	}
	return 0, false
}

// allowedRune reports whether YAML allows the character r (n bytes long,
// as utf8.DecodeRune returned it) in a stream.
func allowedRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n <= 1:
		return false
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r < 0x7f:
		return true
	case r < 0xa0:
		return r == 0x85
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}
