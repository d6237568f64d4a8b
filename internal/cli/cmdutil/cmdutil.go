// Package cmdutil holds what every kguard command shares: the I/O streams
// (so tests run commands in memory), exit codes and typed usage errors,
// argument validators, the input flags (Input, over internal/input) and
// the report flags (Report, over internal/report/formats).
package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// Exit codes, the same for every verb.
const (
	// ExitOK: nothing at or above the failure threshold.
	ExitOK = 0
	// ExitFindings: findings at or above --fail-on.
	ExitFindings = 1
	// ExitUsage: usage or input errors, or a partial scan.
	ExitUsage = 2
)

// Streams are a command's standard input, output and error.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutIsTerminal enables colour and wrapping to OutWidth.
	OutIsTerminal bool
	// ErrIsTerminal enables progress lines.
	ErrIsTerminal bool
	// OutWidth is the terminal's width in columns when Out is one (0 when
	// unknown).
	OutWidth int
}

// Width is the width reports wrap to on a terminal: OutWidth, else
// $COLUMNS, else 80.
func (s *Streams) Width() int {
	if s.OutWidth > 0 {
		return s.OutWidth
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// OSStreams returns the process' own streams.
func OSStreams() *Streams {
	s := &Streams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if s.OutIsTerminal {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.OutWidth = w
		}
	}
	return s
}

// ExitError carries an exit code out of a command's run function. Its
// message, if any, has already been printed unless Err is set.
type ExitError struct {
	Code int
	Err  error
	// Usage says the command line itself was wrong: an unknown command
	// or flag, a flag value that does not parse, the wrong number of
	// arguments. Main then says where to read the command's usage.
	Usage bool
}

func (e *ExitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that makes main exit with code.
func Exit(code int) error { return &ExitError{Code: code} }

// UsageErrorf is an input or usage error: printed, exit 2.
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// UsageError marks err as a mistake in the command line itself (exit 2,
// followed by a pointer to --help). It returns nil for nil.
func UsageError(err error) error {
	var ee *ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.Usage:
		return err
	}
	return &ExitError{Code: ExitUsage, Err: err, Usage: true}
}

// CodeOf maps a command's error to the process exit code.
func CodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUsage
}
