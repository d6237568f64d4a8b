package inventory

import (
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/corpus"
)

// BenchmarkYAMLToJSON converts the documents of a generated 1,000-object
// corpus to JSON four ways, to choose the fallback by measurement: kguard's
// fast path; kguard's fallback (yaml.v2 and YAMLToJSON's conversion);
// sigs.k8s.io/yaml.YAMLToJSON itself; and yaml.v3 (YAML 1.2, the fallback
// before). Per document:
//
//	go test ./internal/inventory -run '^$' -bench YAMLToJSON -count 6 | benchstat -
func BenchmarkYAMLToJSON(b *testing.B) {
	var docs [][]byte
	size := 0
	err := corpus.Generate(corpus.Options{Objects: 1000, Seed: 1}, func(f corpus.File) error {
		eachDocument(f.Data, func(doc []byte) {
			docs = append(docs, doc)
			size += len(doc)
		})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var p fastParser
	var buf []byte
	ways := []struct {
		name string
		fn   func(doc []byte) ([]byte, error)
	}{
		{"fast", func(doc []byte) ([]byte, error) {
			out, _, _, err := p.convert(buf[:0], doc)
			buf = out
			return out, err
		}},
		{"fallback", func(doc []byte) ([]byte, error) { return convertDocument(nil, doc) }},
		{"sigs.k8s.io-yaml", sigsyaml.YAMLToJSON},
		{"yaml.v3", yaml12JSON},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			b.SetBytes(int64(size / len(docs)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := w.fn(docs[i%len(docs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
