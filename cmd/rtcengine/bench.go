package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/bench"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: rtcengine bench join|fanout|conference|messages|soak|cluster [flags]")
		return 2
	}
	switch args[0] {
	case "join":
		return benchJoin(args[1:], stdout, stderr)
	case "fanout":
		return benchFanout(args[1:], stdout, stderr)
	case "conference":
		return benchConference(args[1:], stdout, stderr)
	case "messages":
		return benchMessages(args[1:], stdout, stderr)
	case "soak":
		return benchSoak(args[1:], stdout, stderr) // bench_soak.go
	case "cluster":
		return benchCluster(args[1:], stdout, stderr) // bench_cluster.go
	}
	fmt.Fprintf(stderr, "rtcengine bench: unknown benchmark %q\n", args[0])
	return 2
}

// benchServer is the server under test: given with --server, or started as a
// child process of this binary so that its memory is measured on its own.
type benchServer struct {
	base     string
	sdkAppID uint32
	key      string
	cmd      *exec.Cmd
	dataDir  string // the child's own --data-dir, removed by stop
}

const benchAppID, benchKey = 1400000001, "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"

// startBenchServer returns the server under test; a child runs at logLevel
// (Pion's per-connection warnings are noise under media load); extra are
// more flags for a child.
func startBenchServer(server string, appID uint, key, logLevel string, stderr io.Writer, extra ...string) (*benchServer, error) {
	if server != "" {
		u, err := url.Parse(server)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--server %q is not a URL", server)
		}
		if u.Scheme == "ws" {
			u.Scheme = "http"
		} else if u.Scheme == "wss" {
			u.Scheme = "https"
		}
		return &benchServer{base: u.Scheme + "://" + u.Host, sdkAppID: uint32(appID), key: key}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// A data directory of its own: history and the webhook outbox of one
	// bench run are not another's.
	dir, err := os.MkdirTemp("", "rtcengine-bench-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"serve", "--listen", addr, "--udp-port", "0", "--dev",
		"--sdkappid", strconv.Itoa(benchAppID), "--sdk-secret", benchKey, "--log-level", logLevel,
		"--data-dir", dir}, extra...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &benchServer{base: "http://" + addr, sdkAppID: benchAppID, key: benchKey, cmd: cmd, dataDir: dir}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server did not come up: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpu reads the server's CPU time: from /proc for our child, else from its
// /metrics.
func (s *benchServer) cpu() bench.CPUReader {
	if s.cmd != nil && s.cmd.Process != nil {
		return bench.ProcCPU(s.cmd.Process.Pid)
	}
	return bench.MetricsCPU(s.base)
}

func (s *benchServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	if s.dataDir != "" {
		_ = os.RemoveAll(s.dataDir)
	}
}

// sig signs locally with the app key, or asks a development server.
func (s *benchServer) sig(user string) (string, error) {
	if s.key != "" {
		return usersig.GenUserSig(s.sdkAppID, s.key, user, 86400)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/dev/usersig?userId="+url.QueryEscape(user), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		SDKAppID uint32 `json:"sdkAppId"`
		UserSig  string `json:"userSig"`
	}
	if err := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&out); err != nil || out.UserSig == "" {
		return "", fmt.Errorf("no UserSig from %s/dev/usersig (give --sdkappid and --key for a production server)", s.base)
	}
	s.sdkAppID = out.SDKAppID
	return out.UserSig, nil
}

func benchJoin(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 500, "users to enter")
	rooms := fs.Int("rooms", 50, "rooms to spread them over")
	conc := fs.Int("concurrency", 10, "enters in flight at once")
	server := fs.String("server", "", "server URL (default: start one as a child process)")
	appID := fs.Uint("sdkappid", 0, "SDKAppID on --server (default: ask its /dev/usersig)")
	key := fs.String("key", "", "SDKSecretKey on --server (default: ask its /dev/usersig)")
	asJSON := fs.Bool("json", false, "also print the result as one JSON object on the last line")
	cpuProfile := fs.String("cpuprofile", "", "write the load generator's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench join: %v\n", err)
			return 1
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *users < 1 || *rooms < 1 || *rooms > *users {
		fmt.Fprintln(stderr, "bench join: need --users ≥ 1 and 1 ≤ --rooms ≤ --users")
		return 2
	}
	// The load generator holds thousands of SDK instances; collecting less
	// often keeps its own GC out of the latencies it measures.
	debug.SetGCPercent(400)
	srv, err := startBenchServer(*server, *appID, *key, "warn", stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	defer srv.stop()
	if _, err := srv.sig("probe"); err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	res, err := bench.RunJoin(bench.JoinConfig{
		Server: srv.base, Users: *users, Rooms: *rooms, Concurrency: *conc,
		Scene: rtc.SceneVideoCall, SDKAppID: srv.sdkAppID, Sig: srv.sig, Progress: stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	bench.WriteJoinTable(stdout, res)
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

// mediaFlags are the flags the media benchmarks share.
type mediaFlags struct {
	duration   *time.Duration
	server     *string
	appID      *uint
	key        *string
	asJSON     *bool
	serverProf *string
}

func addMediaFlags(fs *flag.FlagSet, duration time.Duration) mediaFlags {
	return mediaFlags{
		duration:   fs.Duration("duration", duration, "measurement window (per step with --ramp)"),
		server:     fs.String("server", "", "server URL (default: start one as a child process)"),
		appID:      fs.Uint("sdkappid", 0, "SDKAppID on --server (default: ask its /dev/usersig)"),
		key:        fs.String("key", "", "SDKSecretKey on --server (default: ask its /dev/usersig)"),
		asJSON:     fs.Bool("json", false, "also print the result as one JSON object on the last line"),
		serverProf: fs.String("server-profile", "", "save the server's CPU profile over the (last) window to this file (development mode)"),
	}
}

// start brings up the server and the shared media configuration.
func (f mediaFlags) start(stderr io.Writer) (*benchServer, bench.MediaConfig, func(), error) {
	// The load generator holds hundreds of SDK instances receiving media;
	// collecting less often keeps its GC out of the latencies it measures.
	debug.SetGCPercent(400)
	srv, err := startBenchServer(*f.server, *f.appID, *f.key, "error", stderr)
	if err != nil {
		return nil, bench.MediaConfig{}, nil, err
	}
	if _, err := srv.sig("probe"); err != nil {
		srv.stop()
		return nil, bench.MediaConfig{}, nil, err
	}
	cfg := bench.MediaConfig{
		Server: srv.base, SDKAppID: srv.sdkAppID, Sig: srv.sig, ServerCPU: srv.cpu(),
		Duration: *f.duration, Progress: stderr,
	}
	done := srv.stop
	if *f.serverProf != "" {
		pf, err := os.Create(*f.serverProf)
		if err != nil {
			srv.stop()
			return nil, cfg, nil, err
		}
		cfg.Profile = pf
		done = func() { pf.Close(); srv.stop() }
	}
	return srv, cfg, done, nil
}

func benchFanout(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench fanout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subs := fs.Int("subscribers", 50, "audience members receiving the anchor")
	ramp := fs.Bool("ramp", false, "grow the audience step by step until latency p99 > 50 ms or loss > 1 %")
	steps := fs.String("steps", "", "comma-separated subscriber counts for --ramp (default 10,25,50,100,150,200,250,300,400,…)")
	plot := fs.String("plot", "", "with --ramp: write an SVG of latency and CPU per packet against N to this file")
	edges := fs.Int("edges", 0, "start this many edge servers relaying the origin's room and spread the audience over them (docs/cluster.md)")
	mf := addMediaFlags(fs, 30*time.Second)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *subs < 1 || *mf.duration < time.Second {
		fmt.Fprintln(stderr, "bench fanout: need --subscribers ≥ 1 and --duration ≥ 1s")
		return 2
	}
	ns := bench.DefaultRamp
	if *steps != "" {
		ns = nil
		for _, f := range strings.Split(*steps, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				fmt.Fprintf(stderr, "bench fanout: bad --steps entry %q\n", f)
				return 2
			}
			ns = append(ns, n)
		}
	}
	if *edges < 0 || *edges > 8 || (*edges > 0 && (*ramp || *mf.server != "")) {
		fmt.Fprintln(stderr, "bench fanout: --edges is 0..8, with child servers (no --server) and without --ramp")
		return 2
	}
	_, cfg, done, err := mf.start(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench fanout: %v\n", err)
		return 1
	}
	defer done()
	const fanoutRoom = 200000
	title := fmt.Sprintf("bench fanout: 1 anchor (VP8 1.5 Mbps 30 fps + Opus 50 kbps) → N audience, %s window", *mf.duration)
	if *edges > 0 {
		stopEdges, err := startEdges(&cfg, *edges, fanoutRoom, stderr) // bench_edges.go
		if err != nil {
			fmt.Fprintf(stderr, "bench fanout: %v\n", err)
			return 1
		}
		defer stopEdges()
		title = fmt.Sprintf("bench fanout: 1 anchor on the origin → N audience over %d edges, %s window", *edges, *mf.duration)
	}
	if !*ramp {
		run := bench.RunFanout
		if *edges > 0 {
			run = bench.RunFanoutEdges
		}
		res, err := run(cfg, *subs, fanoutRoom)
		if err != nil {
			fmt.Fprintf(stderr, "bench fanout: %v\n", err)
			return 1
		}
		bench.WriteMediaTable(stdout, title, []bench.MediaResult{res})
		if *edges > 0 {
			bench.WriteEdgeLine(stdout, *edges, res)
		}
		if *mf.asJSON {
			b, _ := json.Marshal(res)
			fmt.Fprintln(stdout, string(b))
		}
		if res.Failed > 0 {
			return 1
		}
		return 0
	}
	rr, err := bench.RunRamp(cfg, ns, 2*time.Second, func(r bench.MediaResult) {
		fmt.Fprintf(stderr, "  N=%d: %.2f µs/pkt, p99 %.2f ms, loss %.3f %%\n", r.Subscribers, r.CPUPerPacketUs, r.P99(), r.LossPercent)
	})
	if err != nil {
		fmt.Fprintf(stderr, "bench fanout: %v\n", err)
		return 1
	}
	bench.WriteMediaTable(stdout, title+" per step", rr.Steps)
	if rr.FailedAt > 0 {
		fmt.Fprintf(stdout, "  capacity on this machine: %d subscribers (N=%d exceeded p99 %.0f ms or loss %.0f %%)\n", rr.Capacity, rr.FailedAt, rr.MaxP99Ms, rr.MaxLoss)
	} else {
		fmt.Fprintf(stdout, "  capacity on this machine: at least %d subscribers (every step passed)\n", rr.Capacity)
	}
	if *plot != "" {
		if err := os.WriteFile(*plot, bench.RampSVG(rr), 0o644); err != nil {
			fmt.Fprintf(stderr, "bench fanout: %v\n", err)
			return 1
		}
	}
	if *mf.asJSON {
		b, _ := json.Marshal(rr)
		fmt.Fprintln(stdout, string(b))
	}
	return 0
}

func benchConference(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench conference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	anchors := fs.Int("anchors", 8, "anchors, each publishing and receiving all the others")
	mf := addMediaFlags(fs, 30*time.Second)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *anchors < 2 || *mf.duration < time.Second {
		fmt.Fprintln(stderr, "bench conference: need --anchors ≥ 2 and --duration ≥ 1s")
		return 2
	}
	_, cfg, done, err := mf.start(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench conference: %v\n", err)
		return 1
	}
	defer done()
	res, err := bench.RunConference(cfg, *anchors, 210000)
	if err != nil {
		fmt.Fprintf(stderr, "bench conference: %v\n", err)
		return 1
	}
	bench.WriteMediaTable(stdout, fmt.Sprintf("bench conference: %d anchors (VP8 1.5 Mbps 30 fps + Opus 50 kbps each), all receiving all, %s window; KiB/sub is per anchor", *anchors, *mf.duration), []bench.MediaResult{res})
	if *mf.asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}
