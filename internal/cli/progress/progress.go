package progress

import (
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune a Line; the zero value is what commands use.
type Options struct {
	// Delay is how long work runs before the line first appears (default
	// one second).
	Delay time.Duration
	// Interval is how often the line is redrawn (default 200ms).
	Interval time.Duration
}

// Line is a status line. A nil or disabled Line does nothing, so callers
// need not check.
type Line struct {
	w      io.Writer
	status atomic.Pointer[func() string]
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu    sync.Mutex // serialises drawing and Wrap's writes
	drawn bool
}

// Enabled reports whether a progress line may be drawn on a standard error
// that is (or is not) a terminal: never in CI or on a dumb terminal.
func Enabled(errIsTerminal bool) bool {
	return errIsTerminal && os.Getenv("CI") == "" && os.Getenv("TERM") != "dumb"
}

// Start begins drawing status() on w once opts.Delay has passed; it
// returns nil (a Line that does nothing) when enabled is false.
func Start(w io.Writer, enabled bool, status func() string, opts Options) *Line {
	if !enabled {
		return nil
	}
	if opts.Delay <= 0 {
		opts.Delay = time.Second
	}
	if opts.Interval <= 0 {
		opts.Interval = 200 * time.Millisecond
	}
	l := &Line{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	l.status.Store(&status)
	go l.run(opts)
	return l
}

// Set changes what the line shows, for the next phase of the work.
func (l *Line) Set(status func() string) {
	if l != nil {
		l.status.Store(&status)
	}
}

// Stop ends the line and erases it if it was drawn. It waits for the
// drawing goroutine, so nothing is written after it returns.
func (l *Line) Stop() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

func (l *Line) run(opts Options) {
	defer close(l.done)
	select {
	case <-l.stop:
		return
	case <-time.After(opts.Delay):
	}
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	for {
		// \r and erase-line redraw in place; the text is kept short by its
		// status functions so it does not wrap.
		l.mu.Lock()
		io.WriteString(l.w, "\r\x1b[K"+(*l.status.Load())())
		l.drawn = true
		l.mu.Unlock()
		select {
		case <-l.stop:
			l.mu.Lock()
			io.WriteString(l.w, "\r\x1b[K")
			l.drawn = false
			l.mu.Unlock()
			return
		case <-tick.C:
		}
	}
}

// Wrap returns a writer to the line's stream that erases the line before
// each write, so messages printed while the line is shown (input errors,
// say) start at the left margin; the line is redrawn on the next tick. A
// nil Line returns w.
func (l *Line) Wrap(w io.Writer) io.Writer {
	if l == nil {
		return w
	}
	return wrapped{l, w}
}

type wrapped struct {
	l *Line
	w io.Writer
}

func (x wrapped) Write(p []byte) (int, error) {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	if x.l.drawn {
		io.WriteString(x.l.w, "\r\x1b[K")
		x.l.drawn = false
	}
	return x.w.Write(p)
}

// Count formats n with thousands separators, the way status lines show
// counts: 53210 is "53,210".
func Count[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := ""
	if s[0] == '-' {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
