package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type streamItem struct {
	Name string            `json:"name"`
	Tags []string          `json:"tags"`
	Meta map[string]string `json:"meta,omitempty"`
}

type streamDoc struct {
	Before string `json:"before"`
	Runs   []struct {
		Items []streamItem `json:"items"`
		After int          `json:"after"`
	} `json:"runs"`
}

// TestWriteJSONStreamingMatchesWholeEncode: the streamed document is
// byte for byte what encoding the whole document gives.
func TestWriteJSONStreamingMatchesWholeEncode(t *testing.T) {
	all := []streamItem{
		{Name: "a<b>&c", Tags: []string{}},
		{Name: "x", Tags: []string{"1", "2"}, Meta: map[string]string{"k": "v"}},
		{Name: "line\nbreak", Tags: nil},
	}
	for n := 0; n <= len(all); n++ {
		var doc streamDoc
		doc.Before = "<unchanged>"
		doc.Runs = make([]struct {
			Items []streamItem `json:"items"`
			After int          `json:"after"`
		}, 1)
		doc.Runs[0].After = 7

		doc.Runs[0].Items = all[:n]
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}

		doc.Runs[0].Items = []streamItem{}
		var got bytes.Buffer
		if err := WriteJSONStreaming(&got, doc, "items", n, func(i int) streamItem { return all[i] }); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d items:\n got %s\nwant %s", n, got.String(), want.String())
		}
	}
}

func TestWriteJSONStreamingNeedsTheKey(t *testing.T) {
	err := WriteJSONStreaming(&bytes.Buffer{}, map[string]int{"a": 1}, "items", 0, func(int) int { return 0 })
	if err == nil || !strings.Contains(err.Error(), `"items"`) {
		t.Errorf("missing key: %v", err)
	}
}
