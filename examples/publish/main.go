// Command publish sends media files into an rtcengine room as a Go SDK
// user: a VP8 IVF or H.264 Annex-B file as the camera stream and an Ogg
// Opus file as audio. See examples/README.md.
//
//	go run ./examples/publish --server ws://127.0.0.1:7880 --room 1234 --user pub --video clip.ivf --audio clip.ogg
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
			fmt.Fprintln(os.Stderr, "publish:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	return examplecmd.Publish(ctx, args, stdout)
}
