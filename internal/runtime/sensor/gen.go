package sensor

// The BPF objects are committed, so building kguard needs only Go. To
// regenerate them after editing bpf/*.c (Debian: apt install clang llvm
// libbpf-dev), run `go generate ./internal/runtime/sensor`.
//go:generate go tool bpf2go -tags linux -target amd64,arm64 -type event sensor bpf/sensor.bpf.c -- -I./bpf -O2 -g -Wall -Werror
