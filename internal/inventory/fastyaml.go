package inventory

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errFallback means the fast converter met YAML outside the subset it
// handles; the document is then converted by convertDocument, as kubectl
// converts it (sigs.k8s.io/yaml, YAML 1.1). The subset is the block style
// that Kubernetes manifests almost always use, so nearly every document
// takes the fast path; within it the fast path resolves scalars by YAML
// 1.1's rules as yaml.v2 does (yes/no/on/off are booleans, 0755 is octal),
// and differential and fuzz tests hold it to sigs.k8s.io/yaml.YAMLToJSON.
var errFallback = errors.New("outside the fast YAML subset")

// fastLine is one line of a document: its indentation and its text after
// the indentation, without the line break.
type fastLine struct {
	indent int
	text   []byte
}

type fastParser struct {
	lines []fastLine
	i     int
	out   []byte
	depth int
	// keys holds the keys of the mappings being parsed: a duplicate
	// (which yaml.v2 resolves by keeping the last) falls back.
	keys [][]byte
	// scalar is the block scalar being assembled, kept for reuse.
	scalar []byte
	// apiVersion and kind of the root mapping, when they are plain strings.
	apiVersion, kind string
	// noFinalBreak: the document's last line has no line break, so a block
	// scalar ending there has no final newline to keep.
	noFinalBreak bool
}

// fastConvert converts a YAML document to JSON appended to dst, and
// returns the root mapping's apiVersion and kind when it has them. It
// returns errFallback for anything outside its subset.
func fastConvert(dst, doc []byte) (out []byte, apiVersion, kind string, err error) {
	var p fastParser
	return p.convert(dst, doc)
}

// convert is fastConvert reusing p's line and key slices, which a caller
// converting many documents keeps between them (they are most of the
// converter's garbage otherwise).
func (p *fastParser) convert(dst, doc []byte) (out []byte, apiVersion, kind string, err error) {
	// Tabs have many special cases in YAML and are rare in manifests:
	// documents with any tab take the slow path.
	if bytes.IndexByte(doc, '\t') >= 0 || loneCR(doc) || !printable(doc) {
		return nil, "", "", errFallback
	}
	*p = fastParser{out: dst, lines: p.lines[:0], keys: p.keys[:0], scalar: p.scalar[:0]}
	if err := p.split(doc); err != nil {
		return nil, "", "", err
	}
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil, "", "", errFallback
	}
	first := p.lines[p.i]
	if first.text[0] == '%' {
		return nil, "", "", errFallback // directives
	}
	if err := p.block(first.indent, true); err != nil {
		return nil, "", "", err
	}
	p.skipBlank()
	if p.i < len(p.lines) {
		return nil, "", "", errFallback
	}
	return p.out, p.apiVersion, p.kind, nil
}

// loneCR reports a carriage return that is not part of CRLF: YAML reads it
// as a line break of its own.
func loneCR(doc []byte) bool {
	for i := bytes.IndexByte(doc, '\r'); i >= 0; {
		if i+1 >= len(doc) || doc[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(doc[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// printable reports whether doc is valid UTF-8 made only of the
// characters YAML allows in a stream (yaml.v2 rejects the rest), and has
// none of the line breaks YAML 1.1 adds to \n and \r (NEL, LS, PS),
// which the fast path does not split lines at.
func printable(doc []byte) bool {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r < 0xa0 || r >= 0xd800 && r <= 0xdfff || r == 0xfffe || r == 0xffff || r == 0x2028 || r == 0x2029 {
			return false
		}
		i += n
	}
	return true
}

func (p *fastParser) split(doc []byte) error {
	p.noFinalBreak = len(doc) > 0 && doc[len(doc)-1] != '\n'
	if n := bytes.Count(doc, []byte("\n")) + 1; cap(p.lines) < n {
		p.lines = make([]fastLine, 0, n)
	}
	for len(doc) > 0 {
		var l []byte
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			l, doc = doc[:i], doc[i+1:]
		} else {
			l, doc = doc, nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		ind := 0
		for ind < len(l) && l[ind] == ' ' {
			ind++
		}
		p.lines = append(p.lines, fastLine{indent: ind, text: l[ind:]})
	}
	// A document starts with its "---" marker line, if it has one. Content
	// after the marker (such as "--- |") is left to the slow path.
	if len(p.lines) > 0 && p.lines[0].indent == 0 && isMarker(p.lines[0].text, "---") {
		if !onlyComment(p.lines[0].text[3:]) {
			return errFallback
		}
		p.lines[0].text = nil
	}
	return nil
}

// blank reports a line with no content: empty, spaces, or a comment.
func blank(l fastLine) bool {
	t := bytes.TrimRight(l.text, " ")
	return len(t) == 0 || t[0] == '#'
}

func (p *fastParser) skipBlank() {
	for p.i < len(p.lines) && blank(p.lines[p.i]) {
		p.i++
	}
}

// block parses the node whose first line is the current one, at indent.
func (p *fastParser) block(indent int, root bool) error {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return errFallback
	}
	l := p.lines[p.i]
	switch {
	case isSeqItem(l.text):
		return p.seq(indent)
	case keyEnd(l.text) > 0:
		return p.mapping(indent, root)
	}
	return errFallback // a bare scalar as a block node
}

func isSeqItem(t []byte) bool {
	return len(t) > 0 && t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// seq parses a block sequence whose items start at indent.
func (p *fastParser) seq(indent int) error {
	p.out = append(p.out, '[')
	n := 0
	for {
		p.skipBlank()
		if p.i >= len(p.lines) {
			break
		}
		l := p.lines[p.i]
		if l.indent != indent || !isSeqItem(l.text) {
			if l.indent > indent {
				return errFallback
			}
			break
		}
		if n > 0 {
			p.out = append(p.out, ',')
		}
		n++
		pad := 1
		for pad < len(l.text) && l.text[pad] == ' ' {
			pad++
		}
		rest := l.text[pad:]
		if len(rest) == 0 || rest[0] == '#' {
			// The item's value is on the following lines.
			p.i++
			if err := p.nested(indent, false); err != nil {
				return err
			}
			continue
		}
		col := indent + pad
		if isSeqItem(rest) || keyEnd(rest) > 0 {
			// "- - x" or "- key: v": the item is a block node starting at
			// col; parse it as if its text began a line of its own.
			p.lines[p.i] = fastLine{indent: col, text: rest}
			if err := p.block(col, false); err != nil {
				return err
			}
			continue
		}
		if err := p.inline(rest, indent); err != nil {
			return err
		}
	}
	p.out = append(p.out, ']')
	return nil
}

// nested parses the value of a key or item whose text was empty: a block
// node on the following lines, more indented than parent (or, for a key,
// a sequence at the key's own indent), or else null.
func (p *fastParser) nested(parent int, isKey bool) error {
	p.skipBlank()
	if p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent > parent {
			return p.block(l.indent, false)
		}
		if isKey && l.indent == parent && isSeqItem(l.text) {
			return p.seq(parent)
		}
	}
	p.out = append(p.out, "null"...)
	return nil
}

// keyEnd returns the index of the ':' that ends a mapping key at the start
// of t, or -1. Quoted keys are recognised; anything unusual is not a key
// here (and so falls back).
func keyEnd(t []byte) int {
	if len(t) == 0 {
		return -1
	}
	switch t[0] {
	case '"', '\'':
		end := quotedEnd(t)
		if end < 0 || end >= len(t) || t[end] != ':' || (end+1 < len(t) && t[end+1] != ' ') {
			return -1
		}
		return end
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		if t[0] == '-' && len(t) > 1 && t[1] != ' ' {
			break // "-foo: bar" is a plain key
		}
		return -1
	}
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case ':':
			if i+1 == len(t) || t[i+1] == ' ' {
				return i
			}
		case '#':
			if i > 0 && t[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

// quotedEnd returns the index just after the closing quote of the quoted
// scalar at the start of t, or -1 when it does not close on this line.
func quotedEnd(t []byte) int {
	q := t[0]
	for i := 1; i < len(t); i++ {
		switch {
		case q == '"' && t[i] == '\\':
			i++
		case t[i] == q:
			if q == '\'' && i+1 < len(t) && t[i+1] == '\'' {
				i++
				continue
			}
			return i + 1
		}
	}
	return -1
}

// mapping parses a block mapping whose keys start at indent.
func (p *fastParser) mapping(indent int, root bool) error {
	p.out = append(p.out, '{')
	base := len(p.keys)
	defer func() { p.keys = p.keys[:base] }()
	n := 0
	for {
		p.skipBlank()
		if p.i >= len(p.lines) {
			break
		}
		l := p.lines[p.i]
		if l.indent != indent {
			if l.indent > indent {
				return errFallback
			}
			break
		}
		end := keyEnd(l.text)
		if end < 0 {
			if isSeqItem(l.text) {
				break // a sequence at the parent key's indent ends here
			}
			return errFallback
		}
		key, err := p.key(l.text[:end])
		if err != nil {
			return err
		}
		for _, k := range p.keys[base:] {
			if bytes.Equal(k, key) {
				return errFallback // duplicate key: yaml.v2 keeps the last
			}
		}
		p.keys = append(p.keys, key)
		if n > 0 {
			p.out = append(p.out, ',')
		}
		n++
		p.out = appendJSONString(p.out, key)
		p.out = append(p.out, ':')
		rest := bytes.TrimLeft(l.text[end+1:], " ")
		if len(rest) == 0 || rest[0] == '#' {
			p.i++
			if err := p.nested(indent, true); err != nil {
				return err
			}
			continue
		}
		start := len(p.out)
		if err := p.inline(rest, indent); err != nil {
			return err
		}
		if root && p.depth == 1 {
			p.noteType(key, p.out[start:])
		}
	}
	p.out = append(p.out, '}')
	return nil
}

// noteType records the root's apiVersion and kind from their JSON values.
func (p *fastParser) noteType(key, val []byte) {
	if len(val) < 2 || val[0] != '"' || bytes.IndexByte(val, '\\') >= 0 {
		return
	}
	switch string(key) {
	case "apiVersion":
		p.apiVersion = string(val[1 : len(val)-1])
	case "kind":
		p.kind = string(val[1 : len(val)-1])
	}
}

// key returns a mapping key's string value. Plain keys that YAML would
// read as something other than a string (numbers, booleans, null) fall
// back, so the slow path decides how they print.
func (p *fastParser) key(raw []byte) ([]byte, error) {
	raw = bytes.TrimRight(raw, " ")
	if raw[0] == '"' || raw[0] == '\'' {
		s, ok := unquote(raw)
		if !ok {
			return nil, errFallback
		}
		return s, nil
	}
	if kind, _ := resolvePlain(raw); kind != plainString || bytes.Equal(raw, []byte("<<")) {
		return nil, errFallback
	}
	return raw, nil
}

// inline parses a value written on the same line as its key or dash,
// possibly continued by a block scalar's lines. parent is the indentation
// of the key or dash.
func (p *fastParser) inline(v []byte, parent int) error {
	switch v[0] {
	case '|', '>':
		return p.blockScalar(v, parent) // consumes its own lines
	case '"', '\'':
		end := quotedEnd(v)
		if end < 0 || !onlyComment(v[end:]) {
			return errFallback // multi-line quoted scalar, or junk after it
		}
		s, ok := unquote(v[:end])
		if !ok {
			return errFallback
		}
		p.out = appendJSONString(p.out, s)
	case '[', '{':
		fp := flowParser{s: v, out: p.out, depth: p.depth}
		if err := fp.value(); err != nil {
			return err
		}
		fp.ws()
		if !onlyComment(fp.s[fp.i:]) {
			return errFallback
		}
		p.out = fp.out
	case '&', '*', '!', '%', '@', '`', '?', ',', ']', '}', '#':
		return errFallback
	default:
		if v[0] == '-' && (len(v) == 1 || v[1] == ' ') {
			return errFallback // "key: - x" is an error in YAML
		}
		s := plainValue(v)
		if bytes.Contains(s, []byte(": ")) || bytes.HasSuffix(s, []byte(":")) {
			return errFallback // "a: b: c" is an error in YAML
		}
		out, err := appendPlain(p.out, s)
		if err != nil {
			return err
		}
		p.out = out
	}
	p.i++
	// A more indented line after a scalar would continue it (a multi-line
	// plain scalar): not in the subset.
	p.skipBlank()
	if p.i < len(p.lines) && p.lines[p.i].indent > parent {
		return errFallback
	}
	return nil
}

// plainValue cuts a trailing comment and spaces from a plain scalar.
func plainValue(v []byte) []byte {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ') {
			v = v[:i]
			break
		}
	}
	return bytes.TrimRight(v, " ")
}

func onlyComment(t []byte) bool {
	t = bytes.TrimLeft(t, " ")
	return len(t) == 0 || t[0] == '#'
}

// blockScalar parses a literal (|) or folded (>) scalar: the header v and
// the following lines more indented than parent.
func (p *fastParser) blockScalar(v []byte, parent int) error {
	folded := v[0] == '>'
	chomp := byte(0)
	h := v[1:]
	for len(h) > 0 && (h[0] == '-' || h[0] == '+') {
		if chomp != 0 {
			return errFallback
		}
		chomp = h[0]
		h = h[1:]
	}
	if !onlyComment(h) {
		return errFallback // explicit indentation indicator or junk
	}
	p.i++
	// Content: lines until a non-blank line at or left of parent.
	start := p.i
	contentIndent := -1
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if len(bytes.TrimRight(l.text, " ")) == 0 {
			p.i++
			continue
		}
		if l.indent <= parent {
			break
		}
		if contentIndent < 0 {
			contentIndent = l.indent
		} else if l.indent < contentIndent {
			return errFallback // less indented content: a YAML error
		}
		p.i++
	}
	if contentIndent < 0 {
		return errFallback // empty block scalar: rare, let yaml.v2 decide
	}
	end := p.i
	// Trailing blank lines belong to the chomping, not the content; one
	// with spaces beyond the content indent is content in YAML's eyes.
	last := end
	for last > start && len(bytes.TrimRight(p.lines[last-1].text, " ")) == 0 {
		if p.lines[last-1].indent > contentIndent {
			return errFallback
		}
		last--
	}
	b := p.scalar[:0]
	defer func() { p.scalar = b }()
	pendingBlank, started := 0, false
	for k := start; k < last; k++ {
		l := p.lines[k]
		if len(bytes.TrimRight(l.text, " ")) == 0 {
			if l.indent > contentIndent {
				return errFallback // spaces beyond the indent on a blank line
			}
			pendingBlank++
			continue
		}
		more := l.indent > contentIndent
		if folded && (more || bytes.IndexByte(l.text, '\t') >= 0) {
			return errFallback // folding around more-indented lines is subtle
		}
		switch {
		case !started:
			// Leading empty lines are kept as newlines, below.
		case folded && pendingBlank == 0:
			b = append(b, ' ')
		case folded:
			// A break followed by empty lines: the break is dropped and each
			// empty line is a newline.
		default:
			b = append(b, '\n')
		}
		for ; pendingBlank > 0; pendingBlank-- {
			b = append(b, '\n')
		}
		for s := contentIndent; s < l.indent; s++ {
			b = append(b, ' ')
		}
		b = append(b, l.text...)
		started = true
	}
	if last == len(p.lines) && p.noFinalBreak {
		// The content ends the document without a line break.
		if chomp == '+' {
			return errFallback
		}
		chomp = '-'
	}
	switch chomp {
	case '-':
	case '+':
		if last < end {
			return errFallback // keep with trailing empty lines: let yaml.v2 count them
		}
		b = append(b, '\n')
	default:
		b = append(b, '\n')
	}
	p.out = appendJSONString(p.out, b)
	return nil
}

// unquote returns the value of a complete single- or double-quoted scalar.
func unquote(q []byte) ([]byte, bool) {
	body := q[1 : len(q)-1]
	if q[0] == '\'' {
		if bytes.IndexByte(body, '\'') < 0 {
			return body, true
		}
		return bytes.ReplaceAll(body, []byte("''"), []byte("'")), true
	}
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(body) {
			return nil, false
		}
		switch body[i] {
		case '0':
			out = append(out, 0)
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 't', '\t':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'v':
			out = append(out, '\v')
		case 'f':
			out = append(out, '\f')
		case 'r':
			out = append(out, '\r')
		case 'e':
			out = append(out, 0x1b)
		case ' ', '"', '\'', '\\':
			// YAML 1.1 has no "\/" (1.2 added it); yaml.v2 has "\'".
			out = append(out, body[i])
		case 'N':
			out = utf8.AppendRune(out, 0x85)
		case '_':
			out = utf8.AppendRune(out, 0xa0)
		case 'L':
			out = utf8.AppendRune(out, 0x2028)
		case 'P':
			out = utf8.AppendRune(out, 0x2029)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[body[i]]
			if i+1+n > len(body) {
				return nil, false
			}
			r, err := strconv.ParseUint(string(body[i+1:i+1+n]), 16, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(r))
			i += n
		default:
			return nil, false
		}
	}
	return out, true
}

// plainKind is what YAML reads a plain scalar as.
type plainKind int

const (
	plainString plainKind = iota
	plainNull
	plainBool
	plainInt
	plainUint
	plainFloat
	plainUnsupported // NaN, infinities, "<<", 0b oddities: the slow path decides
)

// resolvePlain resolves an untagged plain scalar as yaml.v2 does (its
// resolve function, YAML 1.1): the first character decides what it may
// be, then a fixed table of spellings, then Go's integer and float
// parsers with underscores removed. Timestamps stay strings, as yaml.v2
// keeps them when decoding into generic values; YAML 1.1's base 60
// numbers (1:30) are strings too, since yaml.v2 never supported them.
func resolvePlain(s []byte) (plainKind, any) {
	if len(s) == 0 {
		return plainNull, nil
	}
	c := s[0]
	switch {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		return resolveNumber(s)
	case c == '.':
		if k, v, ok := resolveSpelling(s); ok {
			return k, v
		}
		if f, err := strconv.ParseFloat(string(s), 64); err == nil {
			return plainFloat, f
		}
	case c == '~' || c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' ||
		c == 'f' || c == 'F' || c == 'o' || c == 'O':
		if k, v, ok := resolveSpelling(s); ok {
			return k, v
		}
	}
	return plainString, nil
}

// resolveSpelling looks s up in yaml.v2's table of fixed spellings.
func resolveSpelling(s []byte) (plainKind, any, bool) {
	switch string(s) {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return plainBool, true, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return plainBool, false, true
	case "~", "null", "Null", "NULL":
		return plainNull, nil, true
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return plainUnsupported, nil, true
	}
	return 0, nil, false
}

// resolveNumber resolves a plain scalar that starts with a sign or a
// digit, in yaml.v2's order: the fixed spellings, then int, uint and
// float, each after removing underscores.
func resolveNumber(s []byte) (plainKind, any) {
	if k, v, ok := resolveSpelling(s); ok {
		return k, v
	}
	if !numberish(s) {
		return plainString, nil // "500m", "1.24.8", "2001-12-14T10:00:00Z"
	}
	plain := string(s)
	if bytes.IndexByte(s, '_') >= 0 {
		plain = string(bytes.ReplaceAll(s, []byte("_"), nil))
	}
	if v, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return plainInt, v
	}
	if v, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return plainUint, v
	}
	if yamlFloat(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return plainFloat, f
		}
	}
	if strings.HasPrefix(plain, "0b") || strings.HasPrefix(plain, "-0b") {
		return plainUnsupported, nil // yaml.v2 has a second try at these
	}
	return plainString, nil
}

// numberish reports whether s has only characters a YAML int or float can
// have (digits, signs, '.', '_', exponent, base prefixes, hex digits): for
// any other, every parse yaml.v2 tries fails and s is a string.
func numberish(s []byte) bool {
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '+', c == '-', c == '.', c == '_', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// yamlFloat matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func yamlFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendPlain writes a plain scalar as the JSON value sigs.k8s.io/yaml
// gives it.
func appendPlain(dst, s []byte) ([]byte, error) {
	kind, v := resolvePlain(s)
	switch kind {
	case plainString:
		return appendJSONString(dst, s), nil
	case plainNull:
		return append(dst, "null"...), nil
	case plainBool:
		return strconv.AppendBool(dst, v.(bool)), nil
	case plainInt:
		return strconv.AppendInt(dst, v.(int64), 10), nil
	case plainUint:
		return strconv.AppendUint(dst, v.(uint64), 10), nil
	case plainFloat:
		f := v.(float64)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errFallback
		}
		// encoding/json's format, so both paths yield the same JSON text.
		if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
			return nil, errFallback
		}
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	}
	return nil, errFallback
}

// appendJSONString writes s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// flowParser reads a one-line flow collection: [a, b], {k: v}, nested.
type flowParser struct {
	s     []byte
	i     int
	out   []byte
	depth int
}

func (f *flowParser) ws() {
	for f.i < len(f.s) && f.s[f.i] == ' ' {
		f.i++
	}
}

func (f *flowParser) value() error {
	f.depth++
	defer func() { f.depth-- }()
	if f.depth > MaxDepth {
		return errFallback
	}
	f.ws()
	if f.i >= len(f.s) {
		return errFallback
	}
	switch c := f.s[f.i]; c {
	case '[':
		return f.collection(']', false)
	case '{':
		return f.collection('}', true)
	case '"', '\'':
		end := quotedEnd(f.s[f.i:])
		if end < 0 {
			return errFallback
		}
		s, ok := unquote(f.s[f.i : f.i+end])
		if !ok {
			return errFallback
		}
		f.out = appendJSONString(f.out, s)
		f.i += end
		return nil
	case '&', '*', '!', '?', '#', '|', '>', '%', '@', '`', ',', ']', '}', ':':
		return errFallback
	}
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		if c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '#' && f.s[f.i-1] == ' ' {
			break
		}
		if c == ':' {
			if f.i+1 == len(f.s) || f.s[f.i+1] == ' ' {
				break
			}
			if next := f.s[f.i+1]; next == ',' || next == ']' || next == '}' {
				return errFallback // "{a:}" and friends: yaml.v2's reading is subtle
			}
		}
		f.i++
	}
	s := bytes.TrimRight(f.s[start:f.i], " ")
	if len(s) == 0 {
		return errFallback
	}
	out, err := appendPlain(f.out, s)
	if err != nil {
		return err
	}
	f.out = out
	return nil
}

func (f *flowParser) collection(closer byte, isMap bool) error {
	f.i++
	open := byte('[')
	if isMap {
		open = '{'
	}
	f.out = append(f.out, open)
	var keys [][]byte
	n := 0
	for {
		f.ws()
		if f.i >= len(f.s) {
			return errFallback // continues on the next line
		}
		if f.s[f.i] == closer {
			f.i++
			f.out = append(f.out, closer)
			return nil
		}
		if n > 0 {
			if f.s[f.i] != ',' {
				return errFallback
			}
			f.i++
			f.ws()
			if f.i < len(f.s) && f.s[f.i] == closer {
				f.i++
				f.out = append(f.out, closer)
				return nil
			}
			f.out = append(f.out, ',')
		}
		n++
		if !isMap {
			if err := f.value(); err != nil {
				return err
			}
			f.ws()
			if f.i < len(f.s) && f.s[f.i] == ':' {
				return errFallback // single-pair mapping inside a sequence
			}
			continue
		}
		// Key: a string (plain or quoted), then ':'.
		mark := len(f.out)
		if err := f.value(); err != nil {
			return err
		}
		k := f.out[mark:]
		if len(k) < 2 || k[0] != '"' {
			return errFallback // non-string key
		}
		for _, prev := range keys {
			if bytes.Equal(prev, k) {
				return errFallback
			}
		}
		keys = append(keys, append([]byte(nil), k...))
		f.ws()
		if f.i >= len(f.s) || f.s[f.i] != ':' {
			return errFallback
		}
		f.i++
		f.out = append(f.out, ':')
		f.ws()
		if f.i < len(f.s) && (f.s[f.i] == ',' || f.s[f.i] == closer) {
			f.out = append(f.out, "null"...)
			continue
		}
		if err := f.value(); err != nil {
			return err
		}
	}
}
