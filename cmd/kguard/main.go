// Command kguard finds, explains and enforces Kubernetes security problems.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kguard/kguard/internal/cli"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cmdutil.OSStreams())
	stop()
	os.Exit(code)
}
