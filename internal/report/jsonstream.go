package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSONStreaming writes doc as JSON indented by two spaces, with HTML
// characters left readable, except that the array under key, which must
// encode as `"key": []` exactly once in doc, is filled with n items
// encoded one at a time by item. The bytes are those a whole-document
// encode with the items in place would give, without holding the whole
// document (twice, encoded then indented) in memory: for tens of thousands
// of findings that costs seconds and hundreds of MB.
func WriteJSONStreaming[T any](w io.Writer, doc any, key string, n int, item func(i int) T) error {
	var head bytes.Buffer
	if err := newEncoder(&head, "  ").Encode(doc); err != nil {
		return err
	}
	marker := []byte(`"` + key + `": []`)
	at := bytes.Index(head.Bytes(), marker)
	if at < 0 || bytes.Count(head.Bytes(), marker) != 1 {
		return fmt.Errorf("streaming JSON: key %q is not an empty array exactly once", key)
	}
	lineStart := bytes.LastIndexByte(head.Bytes()[:at], '\n') + 1
	indent := string(head.Bytes()[lineStart:at]) + "  "
	split := at + len(marker) - 1 // just before "]"

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head.Bytes()[:split])
	var raw, indented bytes.Buffer
	enc := newEncoder(&raw, "")
	for i := 0; i < n; i++ {
		raw.Reset()
		indented.Reset()
		if err := enc.Encode(item(i)); err != nil {
			return err
		}
		if err := json.Indent(&indented, bytes.TrimSuffix(raw.Bytes(), []byte("\n")), indent, "  "); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n" + indent)
		bw.Write(indented.Bytes())
	}
	if n > 0 {
		bw.WriteString("\n" + indent[:len(indent)-2])
	}
	bw.Write(head.Bytes()[split:])
	return bw.Flush()
}

func newEncoder(w io.Writer, indent string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc
}
