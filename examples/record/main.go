// Command record enters an rtcengine room as a Go SDK user and writes what
// every other user sends, as received, to files: USER.ivf (VP8) or
// USER.h264 (H.264) and USER.ogg (Opus). See examples/README.md.
//
//	go run ./examples/record --server ws://127.0.0.1:7880 --room 1234 --user rec --out rec/ --duration 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rtcengine/rtcengine/examples/examplecmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(os.Stderr, "record:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	return examplecmd.Record(ctx, args, stdout)
}
