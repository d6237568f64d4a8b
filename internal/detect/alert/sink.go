package alert

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/kguard/kguard/internal/ecs"
)

// Sink receives the alerts an Emitter lets through. Send must not block
// for long (a slow destination queues or drops) and must be safe for
// concurrent use. Close delivers what is pending until ctx ends and
// returns the sink's error, if any.
type Sink interface {
	Send(Record)
	Close(ctx context.Context) error
}

// JSONLines writes each Record as one JSON object a line.
type JSONLines struct {
	mu  sync.Mutex
	enc *ecs.Encoder
	err error
}

// NewJSONLines returns a sink writing to w. The caller keeps owning w:
// Close does not close it.
func NewJSONLines(w io.Writer) *JSONLines {
	return &JSONLines{enc: ecs.NewEncoder(w)}
}

// Send writes r with a single Write. A write error is remembered (the
// first one) and later alerts are still tried: a full disk may recover.
// (json.Encoder on the writer itself would stop at the first error.)
func (j *JSONLines) Send(r Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.enc.Encode(&r)
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("write alert: %w", err)
	}
}

// Err returns the first write error.
func (j *JSONLines) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Close returns the first write error; writes are synchronous, so there
// is nothing to flush.
func (j *JSONLines) Close(context.Context) error { return j.Err() }
