//go:build !linux || !(amd64 || arm64)

package sensor

import (
	"context"
	"errors"
	"runtime"
)

// Sensor is unavailable on this platform.
type Sensor struct{}

// New fails: the sensor needs Linux on amd64 or arm64.
func New(Options) (*Sensor, error) {
	return nil, errors.New("sensor: needs Linux on amd64 or arm64, not " + runtime.GOOS + "/" + runtime.GOARCH)
}

func (*Sensor) Hooks() []HookStatus       { return nil }
func (*Sensor) Run(context.Context) error { return nil }
func (*Sensor) Close() error              { return nil }
func (*Sensor) Stats() Stats              { return Stats{} }
