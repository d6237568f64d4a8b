// Command corpusgen writes the deterministic benchmark corpus of
// internal/corpus to a directory:
//
//	go run ./hack/corpusgen -objects 50000 -seed 1 -out corpus-50k
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kguard/kguard/internal/corpus"
)

func main() {
	objects := flag.Int("objects", 1000, "number of objects to generate")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same corpus)")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "corpusgen: -out is required")
		os.Exit(2)
	}
	n, size, err := corpus.WriteDir(*out, corpus.Options{Objects: *objects, Seed: *seed})
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "corpusgen: %d objects, %.1f MB in %s\n", n, float64(size)/1e6, *out)
}
