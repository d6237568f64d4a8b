package inventory

import (
	"testing"
)

// tricky are documents that exercise each construct, accepted by the fast
// path or not. Each must read as sigs.k8s.io/yaml reads it.
var tricky = []string{
	"a: b\n",
	"a: 'it''s'\nb: \"x\\ty\\u00e9\\x41\\\\\"\n",
	"k: \"a: b\"\n",
	"k: a:b\n",
	"k: http://x:80/p\n",
	"list:\n- a\n- b\n",
	"list:\n  - a\n  -   b\n",
	"- - x\n  - y\n- z\n",
	"- a: 1\n  b: 2\n- c: 3\n",
	"k:\n",
	"k: ~\nl: null\nm: Null\n",
	"n: 123\no: -7\np: 0o14\nq: 0x1F\nr: 1_000\ns: 017\n",
	"f: 1.5\ng: 1e3\nh: .5\ni: -.5e-2\nj: 3.0\nk: 1.\n",
	"big: 9223372036854775808\nbigger: 18446744073709551616\n",
	"inf: .inf\n",
	"nan: .NaN\n",
	"t: true\nu: False\nv: yes\nw: on\nx: off\n",
	// YAML 1.1 booleans in every spelling yaml.v2 knows, and near misses.
	"a: y\nb: Y\nc: yes\nd: Yes\ne: YES\nf: n\ng: N\nh: no\ni: No\nj: NO\n",
	"a: on\nb: On\nc: ON\nd: off\ne: Off\nf: OFF\ng: TRUE\nh: FALSE\n",
	"a: yES\nb: oN\nc: nO\nd: tRUE\ne: ye\nf: onn\ng: y!\n",
	"y: 1\nn: 2\n",
	"yes: a\n",
	"on: push\n",
	// Octal, hex, binary, underscores, base 60 (a string for yaml.v2).
	"mode: 0755\nm2: 0644\nm3: 0o755\nm4: 08\nm5: 09.5\nm6: 0x_1F\nm7: 0b101\nm8: -0b11\n",
	"b1: 0b-1\nb2: 0b2\n",
	"t: 1:30\nu: 190:20:30\nv: -1:30\n",
	"u: 1__000\nv: +12\nw: -0\nx: -0.0\ny: +.5\nz: 1_000.5\n",
	"e1: 1e400\ne2: .1e400\ne3: 1e-7\ne4: 1e21\n",
	"d: 2001-12-14\ne: 2001-12-14T21:59:43.10-05:00\nf: 2001-12-14 21:59:43.10\n",
	"2001-12-14: date key\n",
	"0755: octal key\n1.5: float key\n0x10: hex key\n",
	"s: \"123\"\nt: '0x1'\nu: 'yes'\nv: \"on\"\n",
	"q: 100m\nr: 128Mi\ns: 80%\nu: 1Gi\n",
	"a: b # comment\nc: 'd' # c2\ne: \"f#g\"\nh: i#j\n",
	"a:   spaced   \n",
	"block: |\n  line1\n  line2\nnext: x\n",
	"block: |-\n  line1\n\n  line3\n",
	"block: |+\n  line1\n\n",
	"block: >\n  folded\n  text\n\n  para\n",
	"block: >-\n  a\n    b\n  c\n",
	"block: |\n    deeper\n  less\n",
	"block: |2\n    x\n",
	"block: |\n\n  after-blank\n",
	"block: |\n  # not a comment\n  x\n",
	"block: |\n  no final break",
	"flow: [a, b, 'c', \"d\"]\n",
	"flow: {a: 1, b: [x, y], c: {d: e}}\n",
	"flow: [yes, no, on, 0755]\nf2: {y: n}\n",
	"flow: []\nempty: {}\n",
	"flow: [a, b,]\n",
	"flow: [a,\n  b]\n",
	"anchor: &a x\nalias: *a\n",
	"tagged: !!str 123\n",
	"? complex\n: value\n",
	"merge:\n  <<: {a: 1}\n",
	"base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n",
	"'<<': quoted merge key\n",
	"dup: 1\ndup: 2\n",
	"m: {a: 1, a: 2}\n",
	"a: b: c\n",
	"multi: line\n  continued\n",
	"\"quoted key\": v\n'single': w\n",
	"80: http\ntrue: x\n",
	"~: null key\n",
	"18446744073709551615: uint key\n",
	"k: \"multi\n  line\"\n",
	"a:\n  b:\n    c:\n      d: deep\n",
	"a:\n- x\n- y\nb: z\n",
	"---\na: 1\n",
	"--- # comment\na: 1\n",
	"%YAML 1.1\n---\na: 1\n",
	"a: 1\r\nb: 2\r\n",
	"a: 1\n...\nb: 2\n",
	"\ta: 1\n",
	"a:\n\t- 1\n",
	"key with spaces: v\n",
	"-dash-key: v\n",
	"a: -\n",
	"a: - x\n",
	"a: 'x' y\n",
	"a: [x] y\n",
	"emoji: \"\\U0001F600\"\n",
	"ctrl: \"\\0\\a\\e\\N\\_\\L\\P\"\n",
	"slash: \"a\\/b\"\n",
	"squote: \"a\\'b\"\n",
	"bad: \"\\q\"\n",
	"surrogate: \"\\ud800\"\n",
	"a: |\n  x\n b: y\n",
	"a:\n  - b\n  c: d\n",
	"bin: !!binary aGVsbG8=\n",
	"html: \"<a href='x'>&amp;</a>\"\n",
	// YAML 1.1 line breaks beyond \n and \r: NEL, LS, PS.
	"a: x\u0085y\n",
	"a: x\u2028y\nb: |\n  p\u2029q\n",
	"k: 'x\u2028y'\n",
	"a: 1\r\r\nb: |\n  x\r\r\n  y\r\n",
	"# comment\r0\n",
	"# comment\u2028a: 1\n",
	"env:\n- name: A\n  value: \"1\"\n- name: B\n  valueFrom:\n    secretKeyRef: {name: s, key: k}\n",
}

// TestFastYAMLTrickyCases: every tricky document reads as kubectl reads
// it, and the fast path takes a fair share of them (it must not have
// become a path that always falls back).
func TestFastYAMLTrickyCases(t *testing.T) {
	fast := 0
	for _, doc := range tricky {
		if checkDocumentParity(t, doc, []byte(doc)).fast {
			fast++
		}
	}
	t.Logf("%d of %d tricky documents on the fast path", fast, len(tricky))
	if fast < len(tricky)/2 {
		t.Errorf("the fast path handles only %d of %d tricky documents", fast, len(tricky))
	}
}

// TestResolvePlainYAML11 pins the YAML 1.1 readings that matter most for
// security fields, with values worked out by hand from the YAML 1.1 type
// definitions (bool, int, float, null) as yaml.v2 implements them.
func TestResolvePlainYAML11(t *testing.T) {
	tests := []struct {
		in   string
		kind plainKind
		v    any
	}{
		{"yes", plainBool, true}, {"Yes", plainBool, true}, {"YES", plainBool, true},
		{"y", plainBool, true}, {"Y", plainBool, true},
		{"on", plainBool, true}, {"On", plainBool, true}, {"ON", plainBool, true},
		{"no", plainBool, false}, {"No", plainBool, false}, {"NO", plainBool, false},
		{"n", plainBool, false}, {"N", plainBool, false},
		{"off", plainBool, false}, {"Off", plainBool, false}, {"OFF", plainBool, false},
		{"yEs", plainString, nil}, {"oN", plainString, nil}, {"tRUE", plainString, nil},
		{"0755", plainInt, int64(493)}, {"0644", plainInt, int64(420)}, {"0o755", plainInt, int64(493)},
		{"0x1F", plainInt, int64(31)}, {"1_000", plainInt, int64(1000)}, {"-0x10", plainInt, int64(-16)},
		{"08", plainFloat, float64(8)}, {"1:30", plainString, nil},
		{"~", plainNull, nil}, {"", plainNull, nil}, {"NULL", plainNull, nil},
		{".inf", plainUnsupported, nil}, {"-.Inf", plainUnsupported, nil}, {".NaN", plainUnsupported, nil},
		{"1e3", plainFloat, float64(1000)}, {".5", plainFloat, 0.5}, {"1e400", plainString, nil},
		{"2001-12-14", plainString, nil}, {"500m", plainString, nil},
	}
	for _, tt := range tests {
		kind, v := resolvePlain([]byte(tt.in))
		if kind != tt.kind || v != tt.v {
			t.Errorf("resolvePlain(%q) = %v, %#v; want %v, %#v", tt.in, kind, v, tt.kind, tt.v)
		}
	}
}
