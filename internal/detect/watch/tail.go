package watch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// skipReason says why a line was not evaluated.
type skipReason string

const (
	skipTooLong    skipReason = "too_long"
	skipUnparsable skipReason = "unparsable"
)

// tailer reads a log file line by line. Without follow it reads from the
// start and stops at end of file. With follow it keeps polling like
// tail -F: a rename or replacement of the path (a new inode) makes it
// finish the old file and then open the new one from its start; a file
// that shrank below the read offset (copytruncate) is read again from its
// start.
type tailer struct {
	path    string
	follow  bool
	fromEnd bool
	poll    time.Duration
	max     int
	line    func([]byte)
	skip    func(skipReason)

	f        *os.File
	fi       os.FileInfo
	off      int64
	pending  []byte
	overlong bool // discarding the rest of an over-long line
	chunk    []byte
	// opened, when set, is called after each successful open.
	opened func()
}

// open opens the path; fromEnd positions the reader at its end.
func (t *tailer) open(fromEnd bool) error {
	f, err := os.Open(t.path)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if fi.IsDir() {
		f.Close()
		return &os.PathError{Op: "open", Path: t.path, Err: errors.New("is a directory")}
	}
	var off int64
	if fromEnd {
		if off, err = f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return err
		}
	}
	if t.f != nil {
		t.f.Close()
	}
	t.f, t.fi, t.off = f, fi, off
	t.pending, t.overlong = t.pending[:0], false
	if t.opened != nil {
		t.opened()
	}
	return nil
}

// run reads until end of input (without follow) or until ctx ends.
func (t *tailer) run(ctx context.Context) error {
	if t.chunk == nil {
		t.chunk = make([]byte, 64<<10)
	}
	if err := t.open(t.follow && t.fromEnd); err != nil {
		return err
	}
	defer func() { t.f.Close() }()
	timer := time.NewTimer(t.poll)
	defer timer.Stop()
	for {
		if err := t.drain(ctx); err != nil {
			return err
		}
		if !t.follow {
			t.flush()
			return nil
		}
		if err := t.checkRotation(ctx); err != nil {
			return err
		}
		timer.Reset(t.poll)
		select {
		case <-ctx.Done():
			return nil // a partial last line may still be being written
		case <-timer.C:
		}
	}
}

// checkRotation looks at what the path names now.
func (t *tailer) checkRotation(ctx context.Context) error {
	st, err := os.Stat(t.path)
	if err != nil {
		// Removed or renamed and not yet recreated: keep the old file
		// and look again at the next poll.
		return nil
	}
	if !os.SameFile(st, t.fi) {
		// Rotated: whatever was appended to the old file after the last
		// read is read first, then the new file from its start.
		if err := t.drain(ctx); err != nil {
			return err
		}
		t.flush()
		if err := t.open(false); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // gone again; retry at the next poll
			}
			return err
		}
		return t.drain(ctx)
	}
	if st.Size() < t.off {
		// Truncated in place.
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		t.off, t.pending, t.overlong = 0, t.pending[:0], false
		return t.drain(ctx)
	}
	return nil
}

// drain reads the open file to its current end, emitting complete lines.
func (t *tailer) drain(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		n, err := t.f.Read(t.chunk)
		if n > 0 {
			t.off += int64(n)
			t.feed(t.chunk[:n])
		}
		if err == io.EOF || (n == 0 && err == nil) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (t *tailer) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		if !t.overlong {
			if len(t.pending)+len(part) > t.max {
				t.overlong = true
				t.pending = t.pending[:0]
				t.skip(skipTooLong)
			} else {
				t.pending = append(t.pending, part...)
			}
		}
		if i < 0 {
			return
		}
		if !t.overlong {
			t.emit()
		}
		t.overlong = false
		t.pending = t.pending[:0]
		b = b[i+1:]
	}
}

// flush emits a final line that has no newline.
func (t *tailer) flush() {
	if !t.overlong && len(t.pending) > 0 {
		t.emit()
	}
	t.pending, t.overlong = t.pending[:0], false
}

func (t *tailer) emit() {
	l := bytes.TrimRight(t.pending, "\r")
	if len(bytes.TrimSpace(l)) == 0 {
		return
	}
	t.line(l)
}
