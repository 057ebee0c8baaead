package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rtcengine/rtcengine/internal/bench"
)

// benchSoak runs users joining, publishing and leaving in churn for a long
// time and reports whether the server's memory and goroutines stay flat
// (`make soak`: 30 minutes). It exits 1 on any failure or a leak.
func benchSoak(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 50, "users at once")
	rooms := fs.Int("rooms", 10, "rooms they share")
	duration := fs.Duration("duration", 30*time.Minute, "how long the churn lasts")
	stay := fs.Duration("stay", 30*time.Second, "mean time a user stays in a room before leaving and coming back")
	sample := fs.Duration("sample", 15*time.Second, "server memory sampling interval")
	server := fs.String("server", "", "server URL (default: start one as a child process)")
	appID := fs.Uint("sdkappid", 0, "SDKAppID on --server (default: ask its /dev/usersig)")
	key := fs.String("key", "", "SDKSecretKey on --server (default: ask its /dev/usersig)")
	asJSON := fs.Bool("json", false, "also print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *users < 1 || *rooms < 1 || *duration <= 0 || *stay <= 0 || *sample <= 0 {
		fmt.Fprintln(stderr, "bench soak: --users, --rooms, --duration, --stay and --sample must be positive")
		return 2
	}
	srv, err := startBenchServer(*server, *appID, *key, "error", stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench soak: %v\n", err)
		return 1
	}
	defer srv.stop()
	if _, err := srv.sig("probe"); err != nil {
		fmt.Fprintf(stderr, "bench soak: %v\n", err)
		return 1
	}
	res, err := bench.RunSoak(bench.SoakConfig{
		Server: srv.base, SDKAppID: srv.sdkAppID, Sig: srv.sig,
		Users: *users, Rooms: *rooms, Duration: *duration, Stay: *stay, Sample: *sample, Progress: stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "bench soak: %v\n", err)
		return 1
	}
	bench.WriteSoakTable(stdout, res)
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	}
	if res.Failures > 0 || !res.Flat() {
		return 1
	}
	return 0
}
