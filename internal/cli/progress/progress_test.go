package progress

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDrawsAndErases: the line shows the current status, follows Set, and
// is erased by Stop; nothing is written after Stop returns.
func TestDrawsAndErases(t *testing.T) {
	var buf syncBuf
	var n int64
	var mu sync.Mutex
	l := Start(&buf, true, func() string { mu.Lock(); defer mu.Unlock(); return "reading: " + Count(n) + " objects" }, Options{Delay: time.Millisecond, Interval: time.Millisecond})
	mu.Lock()
	n = 53210
	mu.Unlock()
	waitFor(t, &buf, "reading: 53,210 objects")
	l.Set(func() string { return "rules: done" })
	waitFor(t, &buf, "rules: done")
	// A message through Wrap starts on a clean line.
	fmt.Fprintln(l.Wrap(&buf), "error: bad.yaml:3: boom")
	if out := buf.String(); !strings.Contains(out, "\r\x1b[Kerror: bad.yaml:3: boom\n") {
		i := strings.Index(out, "error:")
		t.Errorf("message not preceded by an erase: %q", out[max(0, i-20):])
	}
	l.Stop()
	out := buf.String()
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the line was not erased at the end: %q", out[max(0, len(out)-40):])
	}
	l.Stop() // twice is fine
	if buf.String() != out {
		t.Error("written after Stop")
	}
}

// TestQuietWhenDisabledOrFast: a disabled line writes nothing, and work
// that ends before the delay leaves no trace.
func TestQuietWhenDisabledOrFast(t *testing.T) {
	var buf syncBuf
	l := Start(&buf, false, func() string { return "x" }, Options{Delay: time.Nanosecond})
	l.Set(func() string { return "y" })
	l.Stop()
	fast := Start(&buf, true, func() string { return "x" }, Options{Delay: time.Hour})
	fast.Stop()
	if buf.String() != "" {
		t.Errorf("wrote %q", buf.String())
	}
}

func TestEnabled(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("TERM", "xterm")
	if !Enabled(true) || Enabled(false) {
		t.Error("terminal: want enabled only on a terminal")
	}
	t.Setenv("CI", "true")
	if Enabled(true) {
		t.Error("enabled in CI")
	}
	t.Setenv("CI", "")
	t.Setenv("TERM", "dumb")
	if Enabled(true) {
		t.Error("enabled on a dumb terminal")
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 53210: "53,210", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// waitFor polls until the output holds want; the test's own timeout bounds
// it, so no wall-clock figure is asserted.
func waitFor(t *testing.T, buf *syncBuf, want string) {
	t.Helper()
	for !strings.Contains(buf.String(), want) {
		time.Sleep(time.Millisecond)
	}
}
